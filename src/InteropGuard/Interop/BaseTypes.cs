using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>A class's chain of base classes, compared by original definition (a generic base in any construction counts).</summary>
    internal static class BaseTypes
    {
        /// <summary>Is <paramref name="ancestor"/> a base class of <paramref name="type"/> (not the type itself)?</summary>
        public static bool InheritsFrom(INamedTypeSymbol type, INamedTypeSymbol ancestor)
        {
            for (var current = type.BaseType; current != null; current = current.BaseType)
            {
                if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, ancestor))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
