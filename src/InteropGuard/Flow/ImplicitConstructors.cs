using System;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Flow
{
    /// <summary>
    /// A class that declares no constructor gets one from the compiler: it runs the type's instance initializers and then
    /// the base class's parameterless constructor, and nothing else. Such a constructor has no body to read, so the
    /// calls-and-throws model took it for one that may throw, and with it every constructor that chains to it: a binding's
    /// abstract base of native objects (<c>abstract class UnmanagedObject : DisposableObject { protected IntPtr _ptr; }</c>)
    /// made every <c>new Mat(...)</c> of its subclasses a throw point, even one whose own body only stores a pointer.
    /// It can throw only where a step of that chain can: an instance initializer that can throw, or a base constructor
    /// written in source that can; a base outside the compilation other than <c>object</c> is not read, and counts as
    /// throwing.
    /// </summary>
    internal static class ImplicitConstructors
    {
        // Implicit constructors chained one above the other before a written one or object; deeper chains are not read.
        private const int MaxChain = 8;

        /// <param name="writtenMayThrow">Whether a constructor written in source, reached at the end of the chain, may throw.</param>
        public static bool IsQuiet(IMethodSymbol constructor, Compilation compilation, ThrowingMethods throwing, Func<IMethodSymbol, bool> writtenMayThrow)
        {
            var current = constructor;
            for (var step = 0; step < MaxChain; step++)
            {
                if (current.MethodKind != MethodKind.Constructor || current.IsStatic || !current.IsImplicitlyDeclared
                    || current.ContainingType is not { TypeKind: TypeKind.Class } type
                    || !SymbolEqualityComparer.Default.Equals(current.ContainingAssembly, compilation.Assembly)
                    || throwing.HasThrowingInstanceInitializers(type))
                {
                    return false;
                }

                var baseType = type.BaseType;
                if (baseType == null || baseType.SpecialType == SpecialType.System_Object)
                {
                    return true;
                }

                var next = ParameterlessConstructor(baseType);
                if (next == null)
                {
                    return false;
                }

                if (!next.IsImplicitlyDeclared)
                {
                    return SymbolEqualityComparer.Default.Equals(next.ContainingAssembly, compilation.Assembly)
                           && WrapperSummaries.IsSourceMethodWithBody(next)
                           && !writtenMayThrow(next);
                }

                current = next;
            }

            return false;
        }

        private static IMethodSymbol? ParameterlessConstructor(INamedTypeSymbol type)
        {
            foreach (var constructor in type.InstanceConstructors)
            {
                if (constructor.Parameters.IsEmpty)
                {
                    return constructor;
                }
            }

            return null;
        }
    }
}
