using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Whether a method of the compilation is an iterator: its own body (not a lambda or local function inside it) has a
    /// <c>yield</c>. Its body then runs when the consumer asks for elements, after the call has returned the enumerator,
    /// so nothing a caller does after the call brackets it. Read from the declaration, because
    /// <c>IMethodSymbol.IsIterator</c> is newer than the Roslyn the package builds against (4.14).
    /// </summary>
    internal static class IteratorMethods
    {
        public static bool IsIterator(IMethodSymbol method, CancellationToken cancellationToken = default)
            => method.OriginalDefinition.DeclaringSyntaxReferences.Any(reference => HasOwnYield(reference.GetSyntax(cancellationToken)));

        private static bool HasOwnYield(SyntaxNode declaration)
            => declaration.DescendantNodes(node => node == declaration || !OperationTree.IsFunctionSyntax(node))
                .Any(node => node is YieldStatementSyntax);
    }
}
