using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using InteropGuard.Tests.VerifierTests;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Robustness
{
    /// <summary>The suite's own parts, checked against inputs whose answer is known, so a green run means something.</summary>
    public class HarnessTests
    {
        private const string BadCallSource = @"class C
{
    void Bad() { } void Bad2() { }
    void Good() { }
    [System.Obsolete] void Old() { }

    void M()
    {
        Bad();
    }
}";

        private static readonly RobustnessSource Tiny = new RobustnessSource("harness/tiny", "class C { int x = F(1, 2); }", new string[0], null, OutputKind.DynamicallyLinkedLibrary);

        [Theory]
        [InlineData("Truncate@10", "class C { ")]
        [InlineData("Delete@10", "class C {  x = F(1, 2); }")]
        [InlineData("Duplicate@10", "class C { int int x = F(1, 2); }")]
        [InlineData("Swap@18", "class C { int x = (F1, 2); }")]
        [InlineData("Swap@10", "class C { x int = F(1, 2); }")]
        [InlineData("Insert@18:fixed (", "class C { int x = fixed (F(1, 2); }")]
        [InlineData("Insert@0:#if X\\n", "#if X\nclass C { int x = F(1, 2); }")]
        public void MutationsEditTheTextTheyName(string mutation, string expected)
        {
            var parsed = Mutation.Parse(mutation);
            Assert.Equal(mutation, parsed.ToString());
            Assert.Equal(expected, new Variant(Tiny, parsed).Text);
        }

        [Fact]
        public void ATokenEditOffTheTokenStartIsRejectedRatherThanGuessed()
        {
            Assert.Throws<System.InvalidOperationException>(() => new Variant(Tiny, Mutation.Parse("Delete@11")).Text);
        }

        [Fact]
        public void LinesInsertedBeforeALineShiftItAndARewrittenLineMapsToItsRewrite()
        {
            var before = "a\nb\n    target();\nc\nd";
            var after = "a\nb\nbool added = false;\ntry\n{\n        target();\n}\nc\nd";
            var map = LineMap.Between(before, after);
            Assert.Equal(0, map.Map(0));
            Assert.Equal(5, map.Map(2));
            Assert.Equal(7, map.Map(3));
            Assert.Equal(8, map.Map(4));

            var rewritten = LineMap.Between("a\nreturn F(h);\nb", "a\nvar r = F(h);\nGC.KeepAlive(o);\nreturn r;\nb");
            Assert.Equal(1, rewritten.Map(1));
            Assert.Equal(4, rewritten.Map(2));

            var removed = LineMap.Between("a\nx\ny\nb", "a\nb");
            Assert.Equal(1, removed.Map(3));
        }

        [Fact]
        public async Task AnAnalyzerExceptionIsCaughtAndNamed()
        {
            var source = new RobustnessSource("harness/throwing", BadCallSource, new string[0], null, OutputKind.DynamicallyLinkedLibrary);
            var analysis = await VariantCompiler.AnalyzeAsync(source, source.Text, ImmutableArray.Create<DiagnosticAnalyzer>(new ThrowingAnalyzer()));
            Assert.Contains(analysis.Exceptions, e => e.Contains("boom from ThrowingAnalyzer", System.StringComparison.Ordinal));

            var quiet = await VariantCompiler.AnalyzeAsync(source, source.Text, ImmutableArray.Create<DiagnosticAnalyzer>(new BadCallAnalyzer()));
            Assert.Empty(quiet.Exceptions);
            Assert.Single(quiet.Diagnostics);
        }

        [Fact]
        public async Task TheEditorConfigReachesTheAnalyzers()
        {
            var source = new RobustnessSource("harness/configured", BadCallSource.Replace("Bad()", "Worst()"), new string[0], "verifier_test.bad_prefix = Wor", OutputKind.DynamicallyLinkedLibrary);
            var analysis = await VariantCompiler.AnalyzeAsync(source, source.Text, ImmutableArray.Create<DiagnosticAnalyzer>(new BadCallAnalyzer()));
            Assert.Single(analysis.Diagnostics);
        }

        [Theory]
        [InlineData(typeof(RenameToGoodFix), null)]
        [InlineData(typeof(NonCompilingFix), "does not compile")]
        [InlineData(typeof(LoopingFix), "still reported at line 9")]
        [InlineData(typeof(NoChangeFix), "changes nothing")]
        public async Task TheFixCheckFailsABrokenFix(System.Type fixType, string? problem)
        {
            var source = new RobustnessSource("harness/fix", BadCallSource, new string[0], null, OutputKind.DynamicallyLinkedLibrary);
            var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new BadCallAnalyzer());
            var project = FixApplication.CreateProject(source, source.Text);
            var before = await FixApplication.AnalyzeAsync(project, analyzers);
            var provider = (CodeFixProvider)System.Activator.CreateInstance(fixType)!;
            var offered = await FixApplication.OfferedAsync(FixApplication.MainDocument(project), before.Diagnostics.Single(), new[] { provider });

            var found = await FixOutcome.CheckAsync(project, before.Diagnostics, offered.First(), analyzers);
            if (problem == null)
            {
                Assert.Null(found);
            }
            else
            {
                Assert.Contains(problem, found, System.StringComparison.Ordinal);
            }
        }
    }
}
