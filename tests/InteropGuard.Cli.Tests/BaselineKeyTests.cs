using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using InteropGuard.Baseline;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace InteropGuard.Cli.Tests
{
    /// <summary>The baseline key and the suppressor that reads it, on analyzer findings in memory.</summary>
    public class BaselineKeyTests
    {
        private const string Leaks = """
            using System;
            using System.Runtime.InteropServices;

            namespace Demo
            {
                public static class Buffers
                {
                    private static void Validate(int value) { if (value < 0) throw new ArgumentOutOfRangeException(nameof(value)); }

                    public static void First(int value)
                    {
                        IntPtr p = Marshal.AllocHGlobal(16);
                        Validate(value);
                        Marshal.FreeHGlobal(p);
                    }

                    public static void Second(int value)
                    {
                        IntPtr q = Marshal.AllocHGlobal(32);
                        Validate(value);
                        Marshal.FreeHGlobal(q);
                    }
                }
            }
            """;

        private const string Path = "/repo/src/Demo/Buffers.cs";

        [Theory]
        [InlineData("class C { void M(int a, string b) { var x = 1; } }", "var x", "C.M(int,string)")]
        [InlineData("namespace N.O { class C<T> { class D { C(int a) { } } } }", "int a", "N.O.C`1.D..ctor(int)")]
        [InlineData("namespace N; class C { int P { get { return 1; } } }", "return", "N.C.P")]
        [InlineData("class C { System.Action A = () => { int y = 0; }; }", "int y", "C.A")]
        [InlineData("class C { ~C() { int z = 0; } static C() { } }", "int z", "C.Finalize()")]
        [InlineData("class C { void M() { void Local() { int w = 0; } } }", "int w", "C.M()")]
        [InlineData("class C { [System.Obsolete] void M( System.IntPtr  p ) { } }", "Obsolete", "C.M(System.IntPtr)")]
        public void TheContainingMemberIsNamedFromSyntax(string source, string at, string expected)
        {
            var root = CSharpSyntaxTree.ParseText(source).GetRoot();
            Assert.Equal(expected, BaselineKey.ContainingMember(root, source.IndexOf(at, System.StringComparison.Ordinal)));
        }

        [Fact]
        public void PositionsOutsideTheTextNameNoMember()
        {
            var root = CSharpSyntaxTree.ParseText("class C { void M() { } }").GetRoot();
            Assert.Equal("C", BaselineKey.ContainingMember(root, root.FullSpan.End));
            Assert.Equal(string.Empty, BaselineKey.ContainingMember(root, root.FullSpan.End + 1));
            Assert.Equal(string.Empty, BaselineKey.ContainingMember(root, -1));
            Assert.Equal(string.Empty, BaselineKey.ContainingMember(CSharpSyntaxTree.ParseText(string.Empty).GetRoot(), 0));
        }

        [Theory]
        [InlineData("/repo", "/repo/src/A.cs", "src/A.cs")]
        [InlineData("/repo/src/Demo", "/repo/src/Other/A.cs", "../Other/A.cs")]
        [InlineData(@"C:\Repo", @"c:\repo\src\A.cs", "src/A.cs")]
        [InlineData(@"C:\Repo", @"D:\Other\A.cs", "D:/Other/A.cs")]
        public void FilesAreNamedRelativeToTheBaselineFolder(string directory, string file, string expected)
            => Assert.Equal(expected, BaselineKey.RelativePath(directory, file));

        [Fact]
        public void KeysHaveNoLineNumbersAndOneLine()
        {
            var key = BaselineKey.For("IG3001", "/repo/A.cs", "/repo", null, 0, "two\nlines\tand a tab");
            Assert.Equal("IG3001\tA.cs\t\ttwo lines and a tab", key);
            Assert.Equal(new[] { "IG1\ta", "IG2\tb" }, BaselineKey.ReadKeys(new[] { "# comment", "", "IG1\ta\r", "IG2\tb" }));
        }

        [Fact]
        public async Task BaselinedFindingsAreSuppressedAndStaySoWhenLinesMove()
        {
            var findings = await InMemoryAnalysis.AnalyzeAsync(Path, Leaks);
            Assert.Equal(2, findings.Count(d => d.Id == "IG3001"));
            var baseline = Baseline(findings);

            var suppressed = await InMemoryAnalysis.AnalyzeAsync(Path, Leaks, baseline);
            Assert.All(suppressed, d => Assert.True(d.IsSuppressed, d.ToString()));
            Assert.Equal(2, suppressed.Length);

            // Lines inserted above both findings, and a member reformatted: still the same findings.
            var moved = Leaks.Replace("    public static class Buffers", "    // A comment.\n    //\n    public static class Buffers").Replace("First(int value)", "First( int  value )");
            var afterEdit = await InMemoryAnalysis.AnalyzeAsync(Path, moved, baseline);
            Assert.Equal(2, afterEdit.Length);
            Assert.All(afterEdit, d => Assert.True(d.IsSuppressed, d.ToString()));
        }

        [Fact]
        public async Task ANewFindingIsNotSuppressedEvenInABaselinedMember()
        {
            var baseline = Baseline(await InMemoryAnalysis.AnalyzeAsync(Path, Leaks));

            // Another leak of another variable in a baselined member, and one in a new member.
            var withNew = Leaks
                .Replace("IntPtr p = Marshal.AllocHGlobal(16);", "IntPtr p = Marshal.AllocHGlobal(16);\n            IntPtr extra = Marshal.AllocHGlobal(8);")
                .Replace("Marshal.FreeHGlobal(p);", "Marshal.FreeHGlobal(p);\n            Marshal.FreeHGlobal(extra);");
            var diagnostics = await InMemoryAnalysis.AnalyzeAsync(Path, withNew, baseline);
            var reported = Assert.Single(diagnostics, d => !d.IsSuppressed);
            Assert.Contains("'extra'", reported.GetMessage());
            Assert.Equal(2, diagnostics.Count(d => d.IsSuppressed));
        }

        [Fact]
        public async Task TheSameMessageInAnotherMemberIsANewFinding()
        {
            var findings = await InMemoryAnalysis.AnalyzeAsync(Path, Leaks);
            var renamed = Leaks.Replace("Second(int value)", "Third(int value)");
            var diagnostics = await InMemoryAnalysis.AnalyzeAsync(Path, renamed, Baseline(findings));
            Assert.Single(diagnostics, d => !d.IsSuppressed);
        }

        [Fact]
        public async Task ABaselineNamedOtherwiseIsIgnoredWithoutTheBuildProperty()
        {
            var findings = await InMemoryAnalysis.AnalyzeAsync(Path, Leaks);
            var other = new InMemoryAdditionalText("/repo/src/Demo/other.txt", Render(findings, "/repo/src/Demo"));
            var diagnostics = await InMemoryAnalysis.AnalyzeAsync(Path, Leaks, other);
            Assert.All(diagnostics, d => Assert.False(d.IsSuppressed));
        }

        [Fact]
        public async Task AMalformedBaselineSuppressesNothingAndDoesNotThrow()
        {
            var garbage = new InMemoryAdditionalText("/repo/src/Demo/" + BaselineKey.DefaultFileName, "\t\t\t\n###\nIG3001\n\u0000");
            var diagnostics = await InMemoryAnalysis.AnalyzeAsync(Path, Leaks, garbage);
            Assert.Equal(2, diagnostics.Length);
            Assert.All(diagnostics, d => Assert.False(d.IsSuppressed));
        }

        [Fact]
        public void TheSuppressorCoversEveryRule()
        {
            var suppressor = InMemoryAnalysis.Analyzers.OfType<BaselineSuppressor>().Single();
            var ids = AuditSummary.KnownRuleIds.ToList();
            Assert.Equal(ids, suppressor.SupportedSuppressions.Select(s => s.SuppressedDiagnosticId).OrderBy(i => i, System.StringComparer.Ordinal));
        }

        /// <summary>A baseline next to the source, written by the same key function the command uses.</summary>
        private static InMemoryAdditionalText Baseline(IEnumerable<Diagnostic> findings)
            => new InMemoryAdditionalText("/repo/src/Demo/" + BaselineKey.DefaultFileName, Render(findings, "/repo/src/Demo"));

        private static string Render(IEnumerable<Diagnostic> findings, string directory)
            => BaselineFile.Render(findings.Select(d => BaselineKey.For(d.Id, d.Location.SourceTree!.FilePath, directory, d.Location.SourceTree.GetRoot(), d.Location.SourceSpan.Start, d.GetMessage())));
    }
}
