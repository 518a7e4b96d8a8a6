using System.Collections.Generic;
using System.Linq;
using InteropGuard.Interop;
using InteropGuard.Tests.Robustness;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.Tests.Interop
{
    /// <summary>
    /// The last-error gate reads only the tokens where the tree's identifier record names a read or helper word
    /// (<see cref="LastErrorCalls.MayRead"/>); the walk of every token of the body is the answer it must give. A body the
    /// positions wrongly skip would silently lose IG4001/IG4002 findings.
    /// </summary>
    public class LastErrorReadPositionsTests
    {
        private const string Prelude = @"using System;
using System.ComponentModel;
using System.Runtime.InteropServices;
using static System.Runtime.InteropServices.Marshal;
using W32 = System.ComponentModel.Win32Exception;
static class Native
{
    [DllImport(""kernel32"", SetLastError = true)] public static extern bool CloseHandle(IntPtr h);
}
static class Errors
{
    public static int Last() => Marshal.GetLastWin32Error();
    public static void Check(bool ok) { if (!ok) throw new Win32Exception(); }
}
sealed class NativeError : Win32Exception
{
}
";

        [Theory]
        [InlineData("Native.CloseHandle(IntPtr.Zero); var e = Marshal.GetLastWin32Error();", true)]
        [InlineData("Native.CloseHandle(IntPtr.Zero); var e = Marshal.GetLastPInvokeError();", true)]
        [InlineData("Native.CloseHandle(IntPtr.Zero); var e = Marshal.GetLastSystemError();", true)]
        [InlineData("Native.CloseHandle(IntPtr.Zero); var e = Marshal.GetHRForLastWin32Error();", true)]
        [InlineData("if (!Native.CloseHandle(IntPtr.Zero)) throw new Win32Exception();", true)]
        // Through 'using static' and an alias, in a lambda and a local function, through helpers of this compilation.
        [InlineData("Native.CloseHandle(IntPtr.Zero); var e = GetLastWin32Error();", true)]
        [InlineData("if (!Native.CloseHandle(IntPtr.Zero)) throw new W32();", false)]
        [InlineData("Func<int> f = () => { Native.CloseHandle(IntPtr.Zero); return Marshal.GetLastPInvokeError(); }; f();", true)]
        [InlineData("int Read() { Native.CloseHandle(IntPtr.Zero); return Marshal.GetLastWin32Error(); } Read();", true)]
        [InlineData("Errors.Check(Native.CloseHandle(IntPtr.Zero));", true)]
        [InlineData("Native.CloseHandle(IntPtr.Zero); var e = Errors.Last();", true)]
        [InlineData("Native.CloseHandle(IntPtr.Zero); throw new NativeError();", true)]
        [InlineData("var e = @GetLastWin32Error();", true)]
        // A read word the compiler reads through a \u escape: the record cannot vouch for the tree, the walk decides.
        [InlineData("var e = Marshal.\\u0047etLastWin32Error();", true)]
        // A comment marker in a string hides the rest of the line from the record: the walk decides.
        [InlineData("var url = \"http://example\"; var e = Marshal.GetLastWin32Error();", true)]
        [InlineData("var c = \"/*\"; var e = Marshal.GetLastWin32Error(); var d = \"*/\";", true)]
        // Look-alikes: a helper's name not called, a read word only in a comment, a longer name.
        [InlineData("Func<int> f = Errors.Last; NativeError x = null; Console.WriteLine(x);", false)]
        [InlineData("// Marshal.GetLastWin32Error()\nNative.CloseHandle(IntPtr.Zero);", false)]
        [InlineData("var GetLastWin32ErrorCount = 1; Console.WriteLine(GetLastWin32ErrorCount);", false)]
        public void ThePositionsGiveTheWalksAnswer(string body, bool mayRead)
        {
            var (calls, method) = Compile(body);
            Assert.Equal(mayRead, calls.MayReadByWalk(method));
            Assert.Equal(mayRead, calls.MayRead(method));
        }

        [Fact]
        public void EveryBodyOfTheRepositoryGetsTheWalksAnswer()
        {
            var agreement = new GateAgreement();
            foreach (var source in SourceHarvest.All)
            {
                var compilation = VariantCompiler.Compile(source, source.Text);
                var calls = new LastErrorCalls(InteropContext.Create(compilation, VariantCompiler.OptionsFor(source)));
                if (!calls.CompilationReads)
                {
                    continue;
                }

                foreach (var body in compilation.SyntaxTrees.SelectMany(GateAgreement.Bodies))
                {
                    agreement.Compare(source.Name, body, calls.MayReadByWalk(body), calls.MayRead(body));
                }
            }

            agreement.AssertAgreed(minimumYes: 60, minimumNo: 150, "name a read");
        }

        [Theory]
        [InlineData("class C { } // a comment\n/* another */ class D { }", true)]
        [InlineData("/// <summary>Text // with a marker</summary>\nclass C { }", true)]
        // A documentation comment over several lines: each line's '///' starts a skip that ends inside the comment.
        [InlineData("class C\n{\n    /// <summary>\n    /// Text // with a marker.\n    /// </summary>\n    void M() { }\n}\n", true)]
        [InlineData("class C\r\n{\r\n    /// <summary>\r\n    /// Windows line ends.\r\n    /// </summary>\r\n    void M() { }\r\n}\r\n", true)]
        [InlineData("class C { }\n    /// <summary>\n    /// The last line, without a line feed.", true)]
        // A bare carriage return ends the comment's line for the compiler only; a '/**' comment is not one the reader skips.
        [InlineData("class C\n{\n    /// <summary>\n    /// A line\rvoid M() { }\n    /// </summary>\n    void N() { }\n}\n", false)]
        [InlineData("/** <summary>Text</summary> */\nclass C { }", false)]
        [InlineData("#if DEBUG // why\nclass C { }\n#endif // DEBUG\n", true)]
        [InlineData("class C { int a = 4 / 2; }", true)]
        [InlineData("class C { string s = \"http://x\"; int b; }", false)]
        [InlineData("class C { string s = \"/*\"; int b; string t = \"*/\"; }", false)]
        [InlineData("class C { } // a comment\rclass D { }", false)]
        [InlineData("#if NEVER\nstring s = \"//\";\n#endif\nclass C { }", false)]
        public void OnlyTreesWhoseSkipsAreCommentsAreTrusted(string text, bool trusted)
            => Assert.Equal(trusted, SkippedComments.AreTheTreesComments(CSharpSyntaxTree.ParseText(text)));

        private static (LastErrorCalls, SyntaxNode) Compile(string body)
        {
            var source = Prelude + "static class C\n{\n    static void M()\n    {\n        " + body + "\n    }\n}\n";
            var compilation = new InteropTestCompilation(source);
            Assert.Empty(compilation.Compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
            var calls = new LastErrorCalls(compilation.Context);
            var method = compilation.Compilation.SyntaxTrees.Single().GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single(m => m.Identifier.ValueText == "M");
            return (calls, method);
        }
    }
}
