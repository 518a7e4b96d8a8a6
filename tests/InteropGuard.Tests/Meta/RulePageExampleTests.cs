using System;
using System.Collections.Generic;
using System.Linq;
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
    }
}
