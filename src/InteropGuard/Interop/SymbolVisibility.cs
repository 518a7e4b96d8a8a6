using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>Who can reach a symbol: the question behind "a user of the library can call or implement this".</summary>
    internal static class SymbolVisibility
    {
        /// <summary>Public or protected, and so is every containing type: code outside the compilation can reach it.</summary>
        public static bool IsVisibleOutsideTheCompilation(ISymbol symbol)
        {
            for (var current = symbol; current != null && current is not INamespaceSymbol; current = current.ContainingSymbol)
            {
                switch (current.DeclaredAccessibility)
                {
                    case Accessibility.Public:
                    case Accessibility.Protected:
                    case Accessibility.ProtectedOrInternal:
                        continue;
                    default:
                        return false;
                }
            }

            return true;
        }
    }
}
