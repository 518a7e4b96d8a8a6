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

        /// <summary>
        /// The member a virtual call to <paramref name="method"/> runs on an object of exactly <paramref name="type"/>: the
        /// nearest declaration, on the type or a base, that is the method or overrides it (by original definition). Null when
        /// none is declared along the chain (an interface member; a method of another hierarchy).
        /// </summary>
        public static IMethodSymbol? RunOn(INamedTypeSymbol type, IMethodSymbol method)
        {
            var definition = method.OriginalDefinition;
            for (var current = type; current != null; current = current.BaseType)
            {
                foreach (var member in current.GetMembers(definition.Name))
                {
                    if (member is IMethodSymbol candidate && Overrides(candidate, definition))
                    {
                        return candidate;
                    }
                }
            }

            return null;
        }

        private static bool Overrides(IMethodSymbol method, IMethodSymbol definition)
        {
            for (var current = method; current != null; current = current.OverriddenMethod)
            {
                if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, definition))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
