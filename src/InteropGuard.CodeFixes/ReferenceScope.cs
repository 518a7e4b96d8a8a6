using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// Where a fix must look for references to a symbol: only its own document when the language confines them there
    /// (the symbol, or a type containing it, is private to a type declared in that document alone), otherwise the
    /// whole solution. The answer is exact, so a light bulb that plans in full searches no other document for such
    /// symbols.
    /// </summary>
    internal static class ReferenceScope
    {
        /// <summary>Counts the searches of the whole solution, for the flow that sets it (tests).</summary>
        internal static readonly System.Threading.AsyncLocal<SearchCounter?> SolutionSearches = new System.Threading.AsyncLocal<SearchCounter?>();

        /// <summary>The documents to search for references to <paramref name="symbol"/>; null for the whole solution.</summary>
        public static IImmutableSet<Document>? For(ISymbol symbol, Document document, SyntaxTree tree)
        {
            for (var current = symbol; current != null && current.Kind != SymbolKind.Namespace; current = current.ContainingSymbol)
            {
                if (current.DeclaredAccessibility == Accessibility.Private)
                {
                    var container = current.ContainingType;
                    if (container != null && container.DeclaringSyntaxReferences.Length > 0
                        && container.DeclaringSyntaxReferences.All(r => r.SyntaxTree == tree))
                    {
                        return ImmutableHashSet.Create(document);
                    }

                    break;
                }
            }

            SolutionSearches.Value?.Increment();
            return null;
        }
    }
}
