using System.Linq;
using System.Threading.Tasks;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.VerifierTests
{
    /// <summary>The code fix half of the verifier: fix loop, fix-all scopes, compile checks, remaining diagnostics.</summary>
    public class CodeFixVerifierTests
    {
        private const string Methods = @"
    void Bad() { }
    void BadOther() { }
    void Good() { }
    void Better() { }
    [System.Obsolete(""old"")] void Old() { }";

        private static string InClass(string body, string extraMembers = "") =>
            "class C\n{" + Methods + "\n    void M()\n    {\n        " + body + "\n    }\n" + extraMembers + "}\n";

        // Bad2 … Bad20 exist so every step of the looping fixer still compiles and is still flagged.
        private static readonly string BadNumbered = string.Concat(Enumerable.Range(2, 19).Select(n => $"    void Bad{n}() {{ }}\n"));

        [Fact]
        public async Task CorrectFixPassesIncludingFixAll()
        {
            await new CodeFixTest<BadCallAnalyzer, RenameToGoodFix>
            {
                Source = InClass("[|Bad()|];\n        [|Bad()|];"),
                FixedSource = InClass("Good();\n        Good();"),
            }.RunAsync();
        }

        [Fact]
        public async Task FixAcrossSeveralDocuments()
        {
            await new CodeFixTest<BadCallAnalyzer, RenameToGoodFix>
            {
                Source = "partial class C\n{" + Methods + "\n    void M() { [|Bad()|]; }\n}\n",
                AdditionalSources = { "partial class C\n{\n    void N() { [|Bad()|]; }\n}\n" },
                FixedSource = "partial class C\n{" + Methods + "\n    void M() { Good(); }\n}\n",
                FixedAdditionalSources = { "partial class C\n{\n    void N() { Good(); }\n}\n" },
            }.RunAsync();
        }

        [Fact]
        public async Task SelectsActionByEquivalenceKeyOrIndex()
        {
            await new CodeFixTest<BadCallAnalyzer, RenameToGoodFix>
            {
                Source = InClass("[|Bad()|];"),
                FixedSource = InClass("Better();"),
                CodeActionEquivalenceKey = "Rename.Better",
            }.RunAsync();

            await new CodeFixTest<BadCallAnalyzer, RenameToGoodFix>
            {
                Source = InClass("[|Bad()|];"),
                FixedSource = InClass("Better();"),
                CodeActionIndex = 1,
            }.RunAsync();

            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new CodeFixTest<BadCallAnalyzer, RenameToGoodFix>
                {
                    Source = InClass("[|Bad()|];"),
                    FixedSource = InClass("Best();"),
                    CodeActionEquivalenceKey = "Rename.Best",
                }.RunAsync());
            MessageAssert.Contains("registers no action with equivalence key 'Rename.Best'", e);
            MessageAssert.Contains("'Rename to Better' (key Rename.Better)", e);
        }

        [Fact]
        public async Task WrongFixedSourceFailsWithDiff()
        {
            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new CodeFixTest<BadCallAnalyzer, RenameToGoodFix>
                {
                    Source = InClass("[|Bad()|];"),
                    FixedSource = InClass("Better();"),
                }.RunAsync());
            MessageAssert.Contains("The code fix result (one diagnostic at a time) differs from the expected text in /0/Test0.cs", e);
            MessageAssert.Contains("-         Better();\n+         Good();", e);
        }

        [Fact]
        public async Task WrongBatchFixedSourceFails()
        {
            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new CodeFixTest<BadCallAnalyzer, RenameToGoodFix>
                {
                    Source = InClass("[|Bad()|];"),
                    FixedSource = InClass("Good();"),
                    BatchFixedSource = InClass("Better();"),
                }.RunAsync());
            MessageAssert.Contains("The Fix All result in Document scope differs from the expected text", e);
        }

        [Fact]
        public async Task ActionThatChangesNothingFails()
        {
            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new CodeFixTest<BadCallAnalyzer, NoChangeFix>
                {
                    Source = InClass("[|Bad()|];"),
                    FixedSource = InClass("Good();"),
                }.RunAsync());
            MessageAssert.Contains("The code action 'Do nothing' for TST001 at /0/Test0.cs(10,9) changes nothing", e);
        }

        [Fact]
        public async Task LoopingFixFails()
        {
            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new CodeFixTest<BadCallAnalyzer, LoopingFix>
                {
                    Source = InClass("[|Bad()|];", BadNumbered),
                    FixedSource = InClass("Good();", BadNumbered),
                }.RunAsync());
            MessageAssert.Contains("The code fix does not converge: after 11 applications the fixer still offers 'Rename to Bad13'", e);
            MessageAssert.Contains("Bad12();", e);
        }

        [Fact]
        public async Task NonCompilingFixFails()
        {
            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new CodeFixTest<BadCallAnalyzer, NonCompilingFix>
                {
                    Source = InClass("[|Bad()|];"),
                    FixedSource = InClass("Missing();"),
                }.RunAsync());
            MessageAssert.Contains("does not compile cleanly: the fix introduced compiler diagnostics", e);
            MessageAssert.Contains("/0/Test0.cs(10,9): error CS0103: The name 'Missing' does not exist in the current context", e);
        }

        [Fact]
        public async Task FixIntroducingCompilerWarningFails()
        {
            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new CodeFixTest<BadCallAnalyzer, NewWarningFix>
                {
                    Source = InClass("[|Bad()|];"),
                    FixedSource = InClass("Old();"),
                }.RunAsync());
            MessageAssert.Contains("warning CS0618", e);
        }

        [Fact]
        public async Task FixerWithoutActionFails()
        {
            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new CodeFixTest<BadCallAnalyzer, NoActionFix>
                {
                    Source = InClass("[|Bad()|];"),
                    FixedSource = InClass("Good();"),
                }.RunAsync());
            MessageAssert.Contains("The code fix provider registers no action at all for TST001 at /0/Test0.cs(10,9). Offered: nothing.", e);
        }

        [Fact]
        public async Task SourceWithoutFixableDiagnosticFails()
        {
            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new CodeFixTest<BadCallAnalyzer, RenameToGoodFix>
                {
                    Source = InClass("Good();"),
                    FixedSource = InClass("Better();"),
                }.RunAsync());
            MessageAssert.Contains("no diagnostic the fixer can fix", e);
        }

        [Fact]
        public async Task FixedSourceEqualToSourceMeansNoFixOffered()
        {
            await new CodeFixTest<BadCallAnalyzer, NoActionFix>
            {
                Source = InClass("[|Bad()|];"),
                FixedSource = InClass("[|Bad()|];"),
            }.RunAsync();

            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new CodeFixTest<BadCallAnalyzer, RenameToGoodFix>
                {
                    Source = InClass("[|Bad()|];"),
                    FixedSource = InClass("[|Bad()|];"),
                }.RunAsync());
            MessageAssert.Contains("no fix is expected, but the fixer offers 'Rename to Good'", e);
        }

        [Fact]
        public async Task RemainingDiagnosticsMustBeMarkedInFixedSource()
        {
            await new CodeFixTest<BadCallAnalyzer, RenameOnlyExactBadFix>
            {
                Source = InClass("[|Bad()|]; [|BadOther()|];"),
                FixedSource = InClass("Good(); [|BadOther()|];"),
            }.RunAsync();

            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new CodeFixTest<BadCallAnalyzer, RenameOnlyExactBadFix>
                {
                    Source = InClass("[|Bad()|]; [|BadOther()|];"),
                    FixedSource = InClass("Good(); BadOther();"),
                }.RunAsync());
            MessageAssert.Contains("Diagnostics of the fixed source do not match", e);
            MessageAssert.Contains("Good(); {|TST001:BadOther()|};", e);
        }

        [Fact]
        public async Task MissingFixAllProviderFails()
        {
            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new CodeFixTest<BadCallAnalyzer, NoFixAllFix>
                {
                    Source = InClass("[|Bad()|];"),
                    FixedSource = InClass("Good();"),
                }.RunAsync());
            MessageAssert.Contains("NoFixAllFix.GetFixAllProvider() returns null", e);
        }

        [Fact]
        public async Task FixAllWithoutSolutionScopeFails()
        {
            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new CodeFixTest<BadCallAnalyzer, DocumentOnlyFixAllFix>
                {
                    Source = InClass("[|Bad()|];"),
                    FixedSource = InClass("Good();"),
                }.RunAsync());
            MessageAssert.Contains("does not support Project scope", e);
        }

        [Fact]
        public async Task FixTestAlsoChecksTheSourceDiagnostics()
        {
            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new CodeFixTest<BadCallAnalyzer, RenameToGoodFix>
                {
                    Source = InClass("Bad();"),
                    FixedSource = InClass("Good();"),
                }.RunAsync());
            MessageAssert.Contains("Diagnostics of the test source do not match", e);
        }

        [Fact]
        public async Task FixTestUsesEditorConfig()
        {
            await new CodeFixTest<BadCallAnalyzer, RenameToGoodFix>
            {
                Source = "class C\n{\n    void Evil() { }\n    void Good() { }\n    void M() { [|Evil()|]; }\n}\n",
                FixedSource = "class C\n{\n    void Evil() { }\n    void Good() { }\n    void M() { Good(); }\n}\n",
                EditorConfig = "verifier_test.bad_prefix = Evil",
            }.RunAsync();
        }
   
        [Fact]
        public async Task NestedActionsAreSelectable()
        {
            await new CodeFixTest<BadCallAnalyzer, NestedActionsFix>
            {
                Source = InClass("[|Bad()|];"),
                FixedSource = InClass("Better();"),
                CodeActionEquivalenceKey = "Rename.Better",
            }.RunAsync();
        }
    }
}
