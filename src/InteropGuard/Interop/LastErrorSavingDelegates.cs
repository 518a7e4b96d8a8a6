using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Delegate types marked <c>[UnmanagedFunctionPointer(SetLastError = true)]</c>: the types a binding gives
    /// <c>Marshal.GetDelegateForFunctionPointer</c> for exports it looks up at run time (dbghelp's <c>SymInitializeW</c>
    /// from a <c>LoadLibrary</c> handle). Invoking one calls the native function with the marshaller saving the error it
    /// sets, as a P/Invoke declared with <c>SetLastError = true</c> does: a read right after it is that call's error, and
    /// for an earlier call's error it is an overwrite. Without <c>SetLastError</c> the marshaller saves nothing, so such a
    /// delegate neither hands out an error nor replaces the saved one.
    /// </summary>
    internal static class LastErrorSavingDelegates
    {
        /// <summary>Is <paramref name="method"/> the Invoke of a delegate type whose marshalling saves the last error?</summary>
        public static bool SavesLastError(IMethodSymbol method, WellKnownTypes types)
        {
            if (method.MethodKind != MethodKind.DelegateInvoke || types.UnmanagedFunctionPointerAttribute is not { } marker)
            {
                return false;
            }

            foreach (var attribute in method.ContainingType.OriginalDefinition.GetAttributes())
            {
                if (!SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, marker))
                {
                    continue;
                }

                foreach (var named in attribute.NamedArguments)
                {
                    if (named.Key == "SetLastError" && named.Value.Value is true)
                    {
                        return true;
                    }
                }
            }

            return false;
        }
    }
}
