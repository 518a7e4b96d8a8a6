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
            return (PinningScopes.In(root, compilation.Context.Types, new InteropGuard.Interop.ManagedMemoryOrigins(compilation.Context.Types)), parameters, tree.GetRoot());
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
        public void ScopesNameWhatTheyPin()
        {
            var (scopes, parameters, _) = Model();
            var keys = parameters.Select(p => PinningScopes.KeyOf(p)!).ToArray();
            Assert.Equal(new[] { keys[0] }, scopes[0].Owners);
            Assert.Equal(new[] { keys[1] }, scopes[1].Owners);
            Assert.Equal(new[] { keys[2] }, scopes[2].Owners);
            Assert.Equal(new[] { keys[3] }, scopes[3].Owners);
            Assert.Contains(keys[4], scopes[4].Owners);
            Assert.Empty(scopes[5].Owners);
            Assert.All(scopes, s => Assert.True(s.IsCertain));
        }

        [Fact]
        public void IsPinnedAtFollowsEachScope()
        {
            var (scopes, parameters, root) = Model();
            var (a, b, c, d) = (PinningScopes.KeyOf(parameters[0])!, PinningScopes.KeyOf(parameters[1])!, PinningScopes.KeyOf(parameters[2])!, PinningScopes.KeyOf(parameters[3])!);
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
