using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// A class's finalizer (<c>~T()</c>, the <c>Finalize</c> override the compiler makes of it), read from its members: the one
    /// place the readings that ask "does this object, or a base of it, run code when collected" find it.
    /// </summary>
    internal static class Finalizers
    {
        /// <summary>The finalizer <paramref name="type"/> itself declares, or null.</summary>
        public static IMethodSymbol? DeclaredBy(INamedTypeSymbol type)
        {
            foreach (var member in type.GetMembers("Finalize"))
            {
                if (member is IMethodSymbol { MethodKind: MethodKind.Destructor } finalizer)
                {
                    return finalizer;
                }
            }

            return null;
        }

        /// <summary>Does <paramref name="type"/> or a base class below <c>object</c> declare a finalizer?</summary>
        public static bool InHierarchy(INamedTypeSymbol? type)
        {
            for (var current = type; current != null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
            {
                if (DeclaredBy(current) != null)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
