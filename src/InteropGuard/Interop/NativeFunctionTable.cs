using System.Collections.Concurrent;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>Answers "is this a transition into native code?" once per method symbol.</summary>
    internal sealed class NativeFunctionTable
    {
        private readonly WellKnownTypes _types;
        private readonly ConcurrentDictionary<IMethodSymbol, NativeFunction?> _cache = new ConcurrentDictionary<IMethodSymbol, NativeFunction?>(SymbolEqualityComparer.Default);

        public NativeFunctionTable(WellKnownTypes types)
        {
            _types = types;
        }

        /// <summary>The P/Invoke (DllImport or LibraryImport) this method is, or null.</summary>
        public NativeFunction? Get(IMethodSymbol method)
        {
            if (method.MethodKind != MethodKind.Ordinary || !method.IsStatic)
            {
                return null;
            }

            return _cache.GetOrAdd(method.OriginalDefinition, m => NativeFunction.FromMethod(m, _types));
        }

        /// <summary>
        /// True for a P/Invoke call, a call through <c>delegate* unmanaged</c>, and an invoke of a delegate type
        /// marked <c>[UnmanagedFunctionPointer]</c> (the types <c>Marshal.GetDelegateForFunctionPointer</c> is used with).
        /// </summary>
        public bool IsNativeTransition(IOperation operation)
        {
            switch (operation)
            {
                case IInvocationOperation invocation:
                    if (Get(invocation.TargetMethod) != null)
                    {
                        return true;
                    }

                    return invocation.TargetMethod.MethodKind == MethodKind.DelegateInvoke
                        && IsUnmanagedDelegate(invocation.TargetMethod.ContainingType);
                case IFunctionPointerInvocationOperation pointerCall:
                    // Managed function pointers use the default convention; every unmanaged[...] one does not.
                    return pointerCall.Target.Type is IFunctionPointerTypeSymbol pointerType
                        && pointerType.Signature.CallingConvention != System.Reflection.Metadata.SignatureCallingConvention.Default;
                default:
                    return false;
            }
        }

        private bool IsUnmanagedDelegate(INamedTypeSymbol? type)
        {
            if (type == null || _types.UnmanagedFunctionPointerAttribute == null)
            {
                return false;
            }

            foreach (var attribute in type.GetAttributes())
            {
                if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, _types.UnmanagedFunctionPointerAttribute))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
