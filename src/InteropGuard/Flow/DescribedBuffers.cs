using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// An array and a count that describes it, both filled by native code: two fields of one struct (or formatted class) value, the array
    /// marshalled by value with a fixed size and the count named after it (<c>[MarshalAs(UnmanagedType.ByValArray,
    /// SizeConst = 128)] byte[] Header</c> with <c>UIntPtr HeaderLen</c> — C's <c>char header[128]; size_t header_len;</c>).
    /// Decoding <c>count</c> elements of such an array from the start trusts the native side to describe its own buffer,
    /// as copying a native block by the length native code reported (<c>Marshal.Copy</c>) already does; a range check
    /// that fails there is a broken native contract, not input the callback must handle. The pair is followed into
    /// helpers the call hands both to (<c>FromBuffer(hunk.Header, (int)hunk.HeaderLen)</c>): the helper's two parameters
    /// then describe each other, as long as the helper does not write them. Two more pairs describe an array as surely: a
    /// callback lambda's array parameter the marshaller made as long as its count parameter says
    /// (<see cref="MarshalledArraySizes"/>), and any stable array with its own <c>Length</c>.
    /// </summary>
    internal static class DescribedBuffers
    {
        /// <summary>
        /// Whether <paramref name="array"/> and <paramref name="count"/> are such a pair: two fields of one stable struct
        /// value, two parameters the caller filled with one (<paramref name="described"/>), a lambda's marshalled array and
        /// its size parameter, or a stable array and its <c>Length</c>.
        /// </summary>
        public static bool Describes(IOperation array, IOperation count, StableValues stable, System.Func<IParameterSymbol, bool>? described)
        {
            array = OperationTree.SkipConversions(array);
            count = OperationTree.SkipConversions(count);
            if (array is IParameterReferenceOperation arrayParameter && count is IParameterReferenceOperation countParameter)
            {
                // A callback lambda's array the marshaller sized by the count parameter (MarshalledArraySizes).
                if (IsInteger(countParameter.Type) && MarshalledArraySizes.IsSizedBy(arrayParameter, countParameter)
                    && stable.SymbolOf(array) != null && stable.SymbolOf(count) != null)
                {
                    return true;
                }

                return described != null && !SymbolEqualityComparer.Default.Equals(arrayParameter.Parameter, countParameter.Parameter)
                       && arrayParameter.Type is IArrayTypeSymbol && IsInteger(countParameter.Type)
                       && described(arrayParameter.Parameter) && described(countParameter.Parameter)
                       && stable.SymbolOf(array) != null && stable.SymbolOf(count) != null;
            }

            // The array's own Length: the whole array, whatever filled it.
            if (count is IPropertyReferenceOperation { Property.Name: "Length", Instance: { } measured } && array.Type is IArrayTypeSymbol
                && stable.SymbolOf(array) is { } whole && SymbolEqualityComparer.Default.Equals(whole, stable.SymbolOf(measured)))
            {
                return true;
            }

            if (IsMadeAsLongAs(array, count, stable))
            {
                return true;
            }

            return array is IFieldReferenceOperation { Field: { } buffer, Instance: { } owner } && count is IFieldReferenceOperation { Field: { } length, Instance: { } lengthOwner }
                   && buffer.Type is IArrayTypeSymbol && IsInteger(length.Type)
                   && SymbolEqualityComparer.Default.Equals(buffer.ContainingType, length.ContainingType)
                   && IsNamedAfter(length.Name, buffer.Name) && IsFixedSizeByValue(buffer)
                   && stable.SymbolOf(owner) is { } instance && SymbolEqualityComparer.Default.Equals(instance, stable.SymbolOf(lengthOwner));
        }

        /// <summary>
        /// <c>var buf = new byte[len]; … GetString(buf, 0, len)</c>: a local array never written again, made with one
        /// dimension of a variable, and a count that is that variable with no write to it between the creation and the
        /// count's read (<see cref="StableValues.SettledSymbolOf"/>: counted in a loop before the creation is fine).
        /// </summary>
        private static bool IsMadeAsLongAs(IOperation array, IOperation count, StableValues stable)
        {
            if (array is not ILocalReferenceOperation { Local: var made, SemanticModel: { } model }
                || stable.InitializerOf(made, model) is not IArrayCreationOperation { DimensionSizes: { Length: 1 } sizes })
            {
                return false;
            }

            var size = OperationTree.SkipConversions(sizes[0]);
            ISymbol? sizedBy = size switch
            {
                ILocalReferenceOperation local => local.Local,
                IParameterReferenceOperation parameter => parameter.Parameter,
                _ => null,
            };
            return sizedBy != null && SymbolEqualityComparer.Default.Equals(stable.SettledSymbolOf(count, size), sizedBy);
        }

        private static bool IsInteger(ITypeSymbol? type)
            => type?.SpecialType is SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64 or SpecialType.System_UInt64
               or SpecialType.System_IntPtr or SpecialType.System_UIntPtr or SpecialType.System_Int16 or SpecialType.System_UInt16
               or SpecialType.System_Byte;

        // 'HeaderLen', 'header_len', 'headerLength', 'HeaderSize', 'HeaderCount' for 'Header'.
        private static bool IsNamedAfter(string length, string buffer)
        {
            var name = length.Replace("_", string.Empty);
            var stem = buffer.Replace("_", string.Empty);
            if (name.Length <= stem.Length || !name.StartsWith(stem, System.StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            var suffix = name.Substring(stem.Length).ToLowerInvariant();
            return suffix is "len" or "length" or "size" or "count";
        }

        // [MarshalAs(UnmanagedType.ByValArray, SizeConst = N)]: the native struct holds the array inline, N elements long.
        private static bool IsFixedSizeByValue(IFieldSymbol field)
            => MarshalAsArguments.Named(field.GetAttributes(), System.Runtime.InteropServices.UnmanagedType.ByValArray, "SizeConst") is int size && size > 0;
    }
}
