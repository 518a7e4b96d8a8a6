using System.Linq;
using System.Threading.Tasks;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Tests.VerifierTests
{
    /// <summary>The analyzer half of the verifier: it passes correct expectations and fails, explaining itself, otherwise.</summary>
    public class AnalyzerVerifierTests
    {
        private const string Methods = @"
    void Bad() { }
    void BadAtStart() { }
    void Good() { }
    void Evil() { }
    void Worse() { }";

        // Members after M keep the line numbers the tests assert on (M's body is line 10).
        private const string MethodsAfter = @"
    void BadWith(int x) { }
    int BadValue() => 0;
";

        private static string InClass(string body) => "class C\n{" + Methods + "\n    void M()\n    {\n        " + body + "\n    }" + MethodsAfter + "}\n";

        [Fact]
        public async Task MarkedDiagnosticPasses()
        {
            await new AnalyzerTest<BadCallAnalyzer> { Source = InClass("[|Bad()|];") }.RunAsync();
        }

        [Fact]
        public async Task NamedMarkupLocationMarkerAndMessagePass()
        {
            await new AnalyzerTest<BadCallAnalyzer>
            {
                Source = InClass("{|TST001:Bad()|}; Good(); {|#0:Bad()|};"),
                ExpectedDiagnostics =
                {
                    Verify.Diagnostic("TST001").WithLocation(0).WithMessage("Call to 'Bad'").WithSeverity(DiagnosticSeverity.Warning),
                },
            }.RunAsync();
        }

        [Fact]
        public async Task LineColumnSpanAndArgumentsPass()
        {
            // Line 10 is the body line of M (see InClass); column 9 is where the statement starts.
            await new AnalyzerTest<BadCallAnalyzer>
            {
                Source = InClass("Bad();"),
                ExpectedDiagnostics = { Verify.Diagnostic("TST001").WithSpan(10, 9, 10, 14).WithArguments("Bad") },
            }.RunAsync();
        }

        [Fact]
        public async Task NestedAndZeroLengthMarkupPass()
        {
            await new AnalyzerTest<BadCallAnalyzer>
            {
                Source = InClass("{|#0:BadWith([|BadValue()|])|}; {|#1:[|Bad()|]|}; [||]BadAtStart();"),
                ExpectedDiagnostics = { Verify.Diagnostic("TST001").WithLocation(0).WithMessage("Call to 'BadWith'") },
            }.RunAsync();
        }

        [Fact]
        public async Task MissingDiagnosticFails()
        {
            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new AnalyzerTest<BadCallAnalyzer> { Source = InClass("[|Good()|];") }.RunAsync());
            MessageAssert.Contains("Missing (expected, not reported):", e);
            MessageAssert.Contains("TST001 /0/Test0.cs(10,9)-(10,15) 'Good()'", e);
            MessageAssert.Contains("--- expected in /0/Test0.cs ---", e);
            MessageAssert.Contains("{|TST001:Good()|};", e);
        }

        [Fact]
        public async Task UnexpectedDiagnosticFailsAndShowsPasteableMarkup()
        {
            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new AnalyzerTest<BadCallAnalyzer> { Source = InClass("Good(); Bad();") }.RunAsync());
            MessageAssert.Contains("Unexpected (reported, not expected):", e);
            MessageAssert.Contains("TST001 /0/Test0.cs(10,17)-(10,22) 'Bad()': Call to 'Bad'", e);
            MessageAssert.Contains("--- actual in /0/Test0.cs (paste-able markup) ---", e);
            MessageAssert.Contains("Good(); {|TST001:Bad()|};", e);
            MessageAssert.DoesNotContain("Missing", e);
        }

        [Fact]
        public async Task WrongSpanFails()
        {
            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new AnalyzerTest<BadCallAnalyzer> { Source = InClass("[|Bad|]();") }.RunAsync());
            MessageAssert.Contains("Missing (expected, not reported):\n  TST001 /0/Test0.cs(10,9)-(10,12) 'Bad'", e);
            MessageAssert.Contains("Unexpected (reported, not expected):\n  TST001 /0/Test0.cs(10,9)-(10,14) 'Bad()'", e);
            MessageAssert.Contains("{|TST001:Bad|}();", e);
            MessageAssert.Contains("{|TST001:Bad()|};", e);
        }

        [Fact]
        public async Task WrongIdFails()
        {
            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new AnalyzerTest<BadCallAnalyzer> { Source = InClass("{|TST002:Bad()|};") }.RunAsync());
            MessageAssert.Contains("Missing (expected, not reported):\n  TST002", e);
            MessageAssert.Contains("Unexpected (reported, not expected):\n  TST001", e);
        }

        [Fact]
        public async Task WrongMessageFails()
        {
            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new AnalyzerTest<BadCallAnalyzer>
                {
                    Source = InClass("{|#0:Bad()|};"),
                    ExpectedDiagnostics = { Verify.Diagnostic("TST001").WithLocation(0).WithMessage("Call to 'Good'") },
                }.RunAsync());
            MessageAssert.Contains("Wrong details at /0/Test0.cs(10,9)-(10,14) 'Bad()' for TST001", e);
            MessageAssert.Contains("expected message: Call to 'Good'", e);
            MessageAssert.Contains("actual message:   Call to 'Bad'", e);
        }

        [Fact]
        public async Task WrongArgumentsAndSeverityFail()
        {
            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new AnalyzerTest<BadCallAnalyzer>
                {
                    Source = InClass("{|#0:Bad()|};"),
                    ExpectedDiagnostics = { Verify.Diagnostic("TST001").WithLocation(0).WithArguments("Worse").WithSeverity(DiagnosticSeverity.Error) },
                }.RunAsync());
            MessageAssert.Contains("expected message: Call to 'Worse'", e);
            MessageAssert.Contains("expected severity Error, actual Warning", e);
        }

        [Fact]
        public async Task CompilerErrorsFailWithLineNumbers()
        {
            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new AnalyzerTest<BadCallAnalyzer> { Source = InClass("int x = \"text\"; [|Bad()|];") }.RunAsync());
            MessageAssert.Contains("The test source does not compile", e);
            MessageAssert.Contains("/0/Test0.cs(10,17): error CS0029", e);
            MessageAssert.Contains("      |         int x = \"text\";", e);
        }

        [Fact]
        public async Task AllowCompilerErrorsStillChecksDiagnostics()
        {
            string incomplete = "class C\n{\n    void Bad() { }\n    void M()\n    {\n        [|Bad()|]\n        if (\n";
            await new AnalyzerTest<BadCallAnalyzer> { Source = incomplete, AllowCompilerErrors = true }.RunAsync();

            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new AnalyzerTest<BadCallAnalyzer> { Source = incomplete.Replace("[|Bad()|]", "Bad()"), AllowCompilerErrors = true }.RunAsync());
            MessageAssert.Contains("Unexpected", e);
        }

        [Fact]
        public async Task AnalyzerExceptionFails()
        {
            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new AnalyzerTest<ThrowingAnalyzer> { Source = InClass("Bad();") }.RunAsync());
            MessageAssert.Contains("An analyzer threw an exception while analyzing the test source", e);
            MessageAssert.Contains("boom from ThrowingAnalyzer", e);

            e = await Assert.ThrowsAsync<VerificationException>(() =>
                new AnalyzerTest<ThrowingAnalyzer> { Source = "class C { void M() { M( } }", AllowCompilerErrors = true }.RunAsync());
            MessageAssert.Contains("boom from ThrowingAnalyzer", e);
        }

        [Fact]
        public async Task DiagnosticsInGeneratedCodeFail()
        {
            await new AnalyzerTest<BadCallInGeneratedCodeAnalyzer> { Source = InClass("[|Bad()|];"), TestGeneratedCode = false }.RunAsync();

            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new AnalyzerTest<BadCallInGeneratedCodeAnalyzer> { Source = InClass("[|Bad()|];") }.RunAsync());
            MessageAssert.Contains("The analyzer reports diagnostics in generated code", e);
            MessageAssert.Contains("// <auto-generated/>\nclass C", e);
            MessageAssert.Contains("{|TST001:Bad()|}", e);
        }

        [Fact]
        public async Task EditorConfigReachesTheAnalyzer()
        {
            await new AnalyzerTest<BadCallAnalyzer>
            {
                Source = InClass("Bad(); [|Evil()|];"),
                EditorConfig = "verifier_test.bad_prefix = Evil",
            }.RunAsync();

            await new AnalyzerTest<BadCallAnalyzer>
            {
                Source = InClass("Bad(); [|Evil()|];"),
                EditorConfig = "root = true\n\n[*.cs]\nverifier_test.bad_prefix = Evil\n",
            }.RunAsync();

            await new AnalyzerTest<BadCallAnalyzer>
            {
                Source = InClass("Bad(); [|Evil()|];"),
                EditorConfig = "is_global = true\nverifier_test.bad_prefix = Evil\n",
            }.RunAsync();

            // A section that does not match the file leaves the default in force.
            await new AnalyzerTest<BadCallAnalyzer>
            {
                Source = InClass("[|Bad()|]; Evil();"),
                EditorConfig = "[*.vb]\nverifier_test.bad_prefix = Evil\n",
            }.RunAsync();
        }

        [Fact]
        public async Task EditorConfigSeverityAppliesToDiagnostics()
        {
            await new AnalyzerTest<BadCallAnalyzer>
            {
                Source = InClass("Bad();"),
                EditorConfig = "dotnet_diagnostic.TST001.severity = none",
            }.RunAsync();

            await new AnalyzerTest<BadCallAnalyzer>
            {
                Source = InClass("{|#0:Bad()|};"),
                EditorConfig = "dotnet_diagnostic.TST001.severity = error",
                ExpectedDiagnostics = { Verify.Diagnostic("TST001").WithLocation(0).WithSeverity(DiagnosticSeverity.Error) },
            }.RunAsync();
        }

        [Fact]
        public async Task DefaultIdMustBeUnambiguous()
        {
            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new AnalyzerTest<TwoIdAnalyzer> { Source = InClass("[|Bad()|];") }.RunAsync());
            MessageAssert.Contains("set DefaultDiagnosticId", e);
            MessageAssert.Contains("TST001, TST002", e);

            await new AnalyzerTest<TwoIdAnalyzer> { Source = InClass("[|Worse()|]; {|TST001:Bad()|};"), DefaultDiagnosticId = "TST002" }.RunAsync();
            await new AnalyzerTest<TwoIdAnalyzer> { Source = InClass("{|TST002:Worse()|}; {|TST001:Bad()|};") }.RunAsync();
        }

        [Fact]
        public async Task CompilationLevelDiagnosticsWithoutLocation()
        {
            // [|…|] ignores the configuration id, as IG0001 is ignored for InteropGuard's analyzers.
            var test = new AnalyzerTest<CompilationEndAnalyzer>
            {
                Source = InClass("{|TST001:Bad()|};"),
                EditorConfig = "verifier_test.mode = broken",
                ExpectedDiagnostics = { Verify.Diagnostic("TST900").WithNoLocation().WithMessage("Option 'verifier_test.mode' is broken") },
            };
            test.GeneratedCodeExcludedIds.Add("TST900");
            await test.RunAsync();

            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new AnalyzerTest<CompilationEndAnalyzer>
                {
                    Source = InClass("{|TST001:Bad()|};"),
                    EditorConfig = "verifier_test.mode = broken",
                }.RunAsync());
            MessageAssert.Contains("TST900 (no location): Option 'verifier_test.mode' is broken", e);
            MessageAssert.Contains("--- diagnostics without a source location ---", e);

            // The generated-code run reports TST900 too; only excluded ids may appear there.
            e = await Assert.ThrowsAsync<VerificationException>(() =>
                new AnalyzerTest<CompilationEndAnalyzer>
                {
                    Source = InClass("{|TST001:Bad()|};"),
                    EditorConfig = "verifier_test.mode = broken",
                    ExpectedDiagnostics = { Verify.Diagnostic("TST900").WithNoLocation() },
                }.RunAsync());
            MessageAssert.Contains("generated code", e);
        }

        [Fact]
        public async Task AdditionalSourcesAreCheckedToo()
        {
            await new AnalyzerTest<BadCallAnalyzer>
            {
                Source = "partial class C\n{\n    void Bad() { }\n}\n",
                AdditionalSources = { "partial class C\n{\n    void M() { [|Bad()|]; }\n}\n" },
            }.RunAsync();

            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new AnalyzerTest<BadCallAnalyzer>
                {
                    Source = "partial class C\n{\n    void Bad() { }\n}\n",
                    AdditionalSources = { "partial class C\n{\n    void M() { Bad(); }\n}\n" },
                }.RunAsync());
            MessageAssert.Contains("TST001 /0/Test1.cs(3,16)-(3,21)", e);
            MessageAssert.Contains("--- actual in /0/Test1.cs", e);
        }

        [Fact]
        public async Task TopLevelStatementsWithConsoleApplication()
        {
            await new AnalyzerTest<BadCallAnalyzer>
            {
                Source = "[|Bad()|];\nstatic void Bad() { }\n",
                OutputKind = OutputKind.ConsoleApplication,
            }.RunAsync();
        }

        [Fact]
        public async Task UnsafeCodeAndInteropCompile()
        {
            await new AnalyzerTest<BadCallAnalyzer>
            {
                Source = @"
using System;
using System.Runtime.InteropServices;

unsafe class C
{
    [DllImport(""libc"")]
    static extern IntPtr malloc(nuint size);

    static void Bad(byte* p) { }

    void M()
    {
        IntPtr buffer = Marshal.AllocHGlobal(16);
        byte* p = (byte*)buffer;
        string? maybe = null;
        [|Bad(p)|];
        Marshal.FreeHGlobal(buffer);
    }
}",
            }.RunAsync();
        }

        [Fact]
        public async Task MarkupReferencingUnknownLocationFails()
        {
            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new AnalyzerTest<BadCallAnalyzer>
                {
                    Source = InClass("[|Bad()|];"),
                    ExpectedDiagnostics = { Verify.Diagnostic("TST001").WithLocation(3) },
                }.RunAsync());
            MessageAssert.Contains("no markup location {|#3:…|}", e);
        }

        [Fact]
        public async Task RawRunnerReturnsDiagnosticsAndRejectsErrors()
        {
            var diagnostics = await AnalyzerRunner.GetDiagnosticsAsync(
                new[] { new BadCallAnalyzer() },
                new[] { InClass("Bad(); Evil();"), "class D { void N() { new C(); } }" },
                editorConfig: "verifier_test.bad_prefix = Evil");
            Assert.Equal("TST001:Call to 'Evil'", string.Join(";", diagnostics.Select(d => d.Id + ":" + d.GetMessage())));

            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                AnalyzerRunner.GetDiagnosticsAsync(new[] { new BadCallAnalyzer() }, new[] { "class C { void M() { Bad( } }" }));
            MessageAssert.Contains("error CS1026", e);

            diagnostics = await AnalyzerRunner.GetDiagnosticsAsync(
                new[] { new BadCallAnalyzer() }, new[] { "class C { void Bad() { } void M() { Bad(); if ( } }" }, allowCompilerErrors: true);
            Assert.Single(diagnostics);

            e = await Assert.ThrowsAsync<VerificationException>(() =>
                AnalyzerRunner.GetDiagnosticsAsync(new[] { new ThrowingAnalyzer() }, new[] { InClass("Bad();") }));
            MessageAssert.Contains("boom from ThrowingAnalyzer", e);
        }

        [Fact]
        public void ProductAssembliesAreDiscoverable()
        {
            Assert.All(ProductAssemblies.Analyzers, a => Assert.Equal(typeof(Descriptors).Assembly, a.GetType().Assembly));
            Assert.All(ProductAssemblies.CodeFixProviders, f => Assert.Equal(ProductAssemblies.CodeFixesAssemblyName, f.GetType().Assembly.GetName().Name));
            Assert.Equal(ProductAssemblies.CodeFixesAssemblyName, ProductAssemblies.CodeFixesAssembly.GetName().Name);
        }
   
        [Fact]
        public async Task UndeclaredDiagnosticIdFails()
        {
            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                new AnalyzerTest<UndeclaredIdAnalyzer> { Source = InClass("Bad();") }.RunAsync());
            MessageAssert.Contains("An analyzer threw an exception", e);
            MessageAssert.Contains("TST002", e);
        }

        [Fact]
        public async Task CompilationSettingsMatchTheContract()
        {
            var project = TestProject.Create(
                new[] { "class C { unsafe void M(int* p) { string s = null; System.Runtime.InteropServices.Marshal.FreeHGlobal((System.IntPtr)p); } }" },
                TestProjectOptions.Default);
            var compilation = (await project.GetCompilationAsync())!;
            var ids = compilation.GetDiagnostics().Select(d => d.Id).ToList();
            Assert.Contains("CS8600", ids); // nullable context is enabled
            Assert.DoesNotContain(compilation.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error); // unsafe is allowed
            Assert.Same(ReferenceAssemblies.Framework[0], ReferenceAssemblies.Framework[0]);
            Assert.DoesNotContain(ReferenceAssemblies.Framework, r => r.Display!.Contains("xunit", System.StringComparison.OrdinalIgnoreCase));
        }
    }
}
