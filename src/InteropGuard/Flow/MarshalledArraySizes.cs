using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// An array parameter of a callback lambda that the marshaller makes from native memory with as many elements as another
    /// parameter of the same call says: the delegate type the lambda becomes declares the array
    /// <c>[MarshalAs(UnmanagedType.LPArray, SizeParamIndex = k)]</c>, and the count is the lambda's parameter <c>k</c>
    /// (a chat library's <c>(friend, byte[] text, uint length) =&gt; …</c> with the text sized by <c>length</c>). The marshaller
    /// allocates that many elements (more when a <c>SizeConst</c> is added), so decoding <c>count</c> elements from the start
    /// cannot run past the end, as with a buffer native code describes in its own struct (<see cref="DescribedBuffers"/>).
    /// A null pointer with a count of zero comes through as a null array; like a count larger than the buffer, that is a
    /// broken native contract the reading trusts the library not to break.
    /// A method group's parameters are not read: its marshalling is the delegate type's it is handed over as, which the
    /// body alone does not say.
    /// </summary>
    internal static class MarshalledArraySizes
    {
        /// <summary>Is <paramref name="array"/> a lambda's array parameter marshalled with <paramref name="count"/>'s value as its length?</summary>
        public static bool IsSizedBy(IParameterReferenceOperation array, IParameterReferenceOperation count)
        {
            var arrayParameter = array.Parameter;
            var countParameter = count.Parameter;
            if (arrayParameter.Type is not IArrayTypeSymbol || arrayParameter.RefKind != RefKind.None || countParameter.RefKind != RefKind.None
                || arrayParameter.ContainingSymbol is not IMethodSymbol { MethodKind: MethodKind.AnonymousFunction } lambda
                || !SymbolEqualityComparer.Default.Equals(lambda, countParameter.ContainingSymbol))
            {
                return false;
            }

            var invoke = DelegateInvokeOf(array, lambda);
            return invoke != null && arrayParameter.Ordinal < invoke.Parameters.Length
                   && SizeParameterOf(invoke.Parameters[arrayParameter.Ordinal]) == countParameter.Ordinal;
        }

        /// <summary>The Invoke method of the delegate type the lambda declaring a parameter read at <paramref name="read"/> is converted to.</summary>
        private static IMethodSymbol? DelegateInvokeOf(IOperation read, IMethodSymbol lambda)
        {
            for (var current = read.Parent; current != null; current = current.Parent)
            {
                if (current is IAnonymousFunctionOperation function && SymbolEqualityComparer.Default.Equals(function.Symbol, lambda))
                {
                    return function.Parent is IDelegateCreationOperation { Type: INamedTypeSymbol { DelegateInvokeMethod: { } invoke } } ? invoke : null;
                }
            }

            return null;
        }

        /// <summary>The <c>SizeParamIndex</c> of a parameter's <c>[MarshalAs(UnmanagedType.LPArray, …)]</c>, or -1.</summary>
        private static int SizeParameterOf(IParameterSymbol parameter)
            => MarshalAsArguments.Named(parameter.GetAttributes(), System.Runtime.InteropServices.UnmanagedType.LPArray, "SizeParamIndex") is short index ? index : -1;
    }
}
