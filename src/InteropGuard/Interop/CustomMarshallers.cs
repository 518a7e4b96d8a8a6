using System.Linq;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Implementations of <c>System.Runtime.InteropServices.ICustomMarshaler</c>, by symbol: the runtime calls
    /// <c>MarshalManagedToNative</c> before the native call and <c>CleanUpNativeData</c> with its result after it, so what
    /// the first takes the second gives back.
    /// </summary>
    internal static class CustomMarshallers
    {
        /// <summary>Is <paramref name="symbol"/> the type's implementation of <c>ICustomMarshaler.MarshalManagedToNative</c>?</summary>
        public static bool IsMarshallingToNative(ISymbol? symbol)
        {
            if (symbol is not IMethodSymbol { Name: "MarshalManagedToNative" or "System.Runtime.InteropServices.ICustomMarshaler.MarshalManagedToNative" } method
                || method.ContainingType is not { } type)
            {
                return false;
            }

            var contract = type.AllInterfaces.FirstOrDefault(i => i.Name == "ICustomMarshaler" && NamespaceNames.Is(i.ContainingNamespace, "System.Runtime.InteropServices"));
            return contract?.GetMembers("MarshalManagedToNative").FirstOrDefault() is { } member
                   && SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(member), method);
        }
    }
}
