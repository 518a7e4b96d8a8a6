using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using InteropGuard.Tests.Corpus;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Meta
{
    /// <summary>A docs example that does not compile, or whose "After" still triggers the rule, teaches the wrong fix.</summary>
    public class RulePageExampleTests
    {
        public static IEnumerable<object[]> Ids => DescriptorTests.Ids;

        [Theory]
        [MemberData(nameof(Ids))]
        public async Task BeforeExampleCompilesAndTriggersTheRule(string id)
        {
            foreach (var block in RulePage.Read(RulePage.PathFor(id)).CSharpBlocksUnder("### Before"))
            {
                var diagnostics = await AnalyzerRunner.GetDiagnosticsAsync(ProductAssemblies.Analyzers, new[] { block });
                Assert.True(
                    diagnostics.Any(d => d.Id == id),
                    $"The 'Before' example of {id}.md is not reported as {id}. Reported:{Environment.NewLine}{CorrectInteropCodeTests.Describe("Before", diagnostics)}");
            }
        }

        [Theory]
        [MemberData(nameof(Ids))]
        public async Task AfterExampleCompilesAndIsClean(string id)
        {
            foreach (var block in RulePage.Read(RulePage.PathFor(id)).CSharpBlocksUnder("### After"))
            {
                var diagnostics = await AnalyzerRunner.GetDiagnosticsAsync(ProductAssemblies.Analyzers, new[] { block });
                Assert.True(diagnostics.IsEmpty, $"The 'After' example of {id}.md is reported:{Environment.NewLine}{CorrectInteropCodeTests.Describe("After", diagnostics)}");
            }
        }

        /// <summary>For a rule with a code fix, the page's "After" is exactly what the first (dotnet format's) action produces.</summary>
        [Theory]
        [MemberData(nameof(Ids))]
        public async Task AfterExampleIsWhatTheCodeFixProduces(string id)
        {
            var page = RulePage.Read(RulePage.PathFor(id));
            var fixer = ProductAssemblies.CodeFixProviders.FirstOrDefault(f => f.FixableDiagnosticIds.Contains(id));
            var before = page.CSharpBlocksUnder("### Before");
            var after = page.CSharpBlocksUnder("### After");
            if (fixer == null || before.Count != 1 || after.Count != 1)
            {
                return;
            }

            var analyzer = ProductAssemblies.Analyzers.First(a => a.SupportedDiagnostics.Any(d => d.Id == id));
            var diagnostics = await AnalyzerRunner.GetDiagnosticsAsync(new[] { analyzer }, before);
            var marked = new StringBuilder(before[0]);
            // Every diagnostic of the analyzer is marked with its own id: one analyzer may report a rule's type-level
            // companion too (IG1001's IG3008), which the fix makes go away with the findings it counts.
            foreach (var diagnostic in diagnostics.Where(d => d.Location.IsInSource).OrderByDescending(d => d.Location.SourceSpan.Start).ThenByDescending(d => d.Location.SourceSpan.End))
            {
                marked.Insert(diagnostic.Location.SourceSpan.End, "|}");
                marked.Insert(diagnostic.Location.SourceSpan.Start, "{|" + diagnostic.Id + ":");
            }

            var testType = typeof(CodeFixTest<,>).MakeGenericType(analyzer.GetType(), fixer.GetType());
            var test = Activator.CreateInstance(testType)!;
            testType.GetProperty("Source")!.SetValue(test, marked.ToString());
            testType.GetProperty("FixedSource")!.SetValue(test, after[0]);
            await (Task)testType.GetMethod("RunAsync")!.Invoke(test, null)!;
        }
    }
}
