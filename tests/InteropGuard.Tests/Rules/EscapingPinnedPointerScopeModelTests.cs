using System.Linq;
using InteropGuard.Flow;
using InteropGuard.Tests.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Tests.Rules
{
    /// <summary>The shared pinning-scope model (Flow/PinningScopes) that IG2001 and IG2002 ask "is this pinned here?".</summary>
    public class EscapingPinnedPointerScopeModelTests
    {
        private const string Source = @"using System;
using System.Buffers;
using System.Runtime.InteropServices;
unsafe class C
{
    private GCHandle _kept;
    void M(byte[] a, byte[] b, byte[] c, byte[] d, Memory<byte> m)
    {
        Console.WriteLine(""before"");
        fixed (byte* p = a, q = &b[2])
        {
            Console.WriteLine(""in fixed"");
        }

        var h = GCHandle.Alloc(c, GCHandleType.Pinned);
        Console.WriteLine(""pinned c"");
        h.Free();
        _kept = GCHandle.Alloc(d, GCHandleType.Pinned);
        using (var pin = m.Pin()) { Console.WriteLine(""pinned m""); }
        byte* s = stackalloc byte[4];
        Console.WriteLine(""after"");
    }
}";

        private static (System.Collections.Immutable.ImmutableArray<PinningScope> Scopes, IParameterSymbol[] Parameters, SyntaxNode Root) Model()
        {
            var compilation = new InteropTestCompilation(Source);
            var tree = compilation.Compilation.SyntaxTrees.Single();
            var model = compilation.Compilation.GetSemanticModel(tree);
            var method = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single();
            var root = model.GetOperation(method)!;
            var parameters = compilation.Method("C", "M").Parameters.ToArray();
            return (PinningScopes.In(root, compilation.Context.Types), parameters, tree.GetRoot());
        }

        private static SyntaxNode Line(SyntaxNode root, string text)
            => root.DescendantNodes().OfType<ExpressionStatementSyntax>().Single(s => s.ToString().Contains(text));

        [Fact]
        public void ScopesAreFoundWithTheirKindsAndEnds()
        {
            var (scopes, _, _) = Model();
            Assert.Equal(
                new[] { "Fixed a", "Fixed b", "PinnedGCHandle c", "PinnedGCHandle d", "MemoryHandle m", "StackAlloc stack memory" },
                scopes.Select(s => s.Kind + " " + s.Pinned).ToArray());
            Assert.Equal(new[] { true, true, true, false, true, true }, scopes.Select(s => s.EndsInFunction).ToArray());
            Assert.Equal("h", scopes[2].Handle!.Name);
            Assert.Single(scopes[2].Releases);
            Assert.IsType<UsingStatementSyntax>(scopes[4].Region);
        }

        [Fact]
        public void IsPinnedAtFollowsEachScope()
        {
            var (scopes, parameters, root) = Model();
            var (a, b, c, d) = (parameters[0], parameters[1], parameters[2], parameters[3]);
            Assert.False(PinningScopes.IsPinnedAt(scopes, a, Line(root, "before")));
            Assert.True(PinningScopes.IsPinnedAt(scopes, a, Line(root, "in fixed")));
            Assert.True(PinningScopes.IsPinnedAt(scopes, b, Line(root, "in fixed")));
            Assert.False(PinningScopes.IsPinnedAt(scopes, a, Line(root, "pinned c")));
            Assert.True(PinningScopes.IsPinnedAt(scopes, c, Line(root, "pinned c")));
            Assert.False(PinningScopes.IsPinnedAt(scopes, c, Line(root, "pinned m")));
            Assert.False(PinningScopes.IsPinnedAt(scopes, d, Line(root, "pinned c")));
            Assert.True(PinningScopes.IsPinnedAt(scopes, d, Line(root, "after")));
        }
    }
}
