using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.Tests.Interop
{
    /// <summary>
    /// The per-tree text gate: a block is skipped only when its text cannot hold what the gate's owner looks for. A
    /// wrong answer here would silently drop findings, so each case pins a block that must pass next to one that must not.
    /// </summary>
    public class TreeTextPositionsTests
    {
        private const string Source = @"
unsafe class C
{
    void WithFixed(byte[] b) { fixed (byte* p = b) { } }
    void Plain(int x) { var y = x + 1; }
    void WithEscapedName(object o) { var h = System.Runtime.InteropServices.GCHandle.\u0041lloc(o); }
    void Last() { var s = stackalloc byte[4]; }
}";

        private static (TreeTextPositions Gate, SyntaxTree Tree, MethodDeclarationSyntax[] Methods) Parse()
        {
            var tree = CSharpSyntaxTree.ParseText(Source);
            var methods = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().ToArray();
            return (new TreeTextPositions("fixed", "stackalloc", "Alloc", "Pin"), tree, methods);
        }

        [Fact]
        public void BlocksHoldingAWordPassAndOthersDoNot()
        {
            var (gate, tree, methods) = Parse();
            Assert.True(gate.SpanMayHold(tree, methods[0].Span));
            Assert.False(gate.SpanMayHold(tree, methods[1].Span));
            Assert.True(gate.SpanMayHold(tree, methods[3].Span));
        }

        [Fact]
        public void ANameWrittenWithAUnicodeEscapePasses()
        {
            // '\u0041lloc' is the identifier Alloc, but its text does not contain "Alloc": the escape itself lets it through.
            var (gate, tree, methods) = Parse();
            var name = methods[2].DescendantNodes().OfType<IdentifierNameSyntax>().Single(n => n.Identifier.ValueText == "Alloc");
            Assert.DoesNotContain("Alloc", name.ToString());
            Assert.True(gate.SpanMayHold(tree, methods[2].Span));
        }

        [Fact]
        public void AWordJustOutsideTheSpanDoesNotCount()
        {
            var (gate, tree, methods) = Parse();
            var fixedKeyword = methods[0].DescendantTokens().First(t => t.IsKind(SyntaxKind.FixedKeyword));
            Assert.False(gate.SpanMayHold(tree, new Microsoft.CodeAnalysis.Text.TextSpan(methods[0].SpanStart, fixedKeyword.SpanStart - methods[0].SpanStart)));
            Assert.True(gate.SpanMayHold(tree, new Microsoft.CodeAnalysis.Text.TextSpan(methods[0].SpanStart, fixedKeyword.SpanStart - methods[0].SpanStart + 1)));
        }
    }
}
