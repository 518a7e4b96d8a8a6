using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Decoding a whole byte array into a char array the same replacing encoding has just measured for it:
    /// <c>var utf8 = new UTF8Encoding(); var n = utf8.GetCharCount(bytes); var chars = new char[n];
    /// utf8.GetDecoder().Convert(bytes, 0, bytes.Length, chars, 0, n, true, out …)</c> (gpgme-sharp's <c>PtrToStringUTF8</c>,
    /// fresh29). A replacing encoding turns invalid bytes into U+FFFD instead of throwing, and <c>GetCharCount</c> of the
    /// whole array is exactly as many chars as decoding all of it with a fresh decoder of that encoding writes, so the
    /// destination has room for every char and <c>Convert</c>'s "output buffer too small" cannot happen; its other
    /// failures are null arrays and indexes outside them, which these values rule out. Any other shape — a decoder of
    /// another encoding, a count of other bytes, a part of the array, a destination made another size — still counts.
    /// </summary>
    internal static class MeasuredDecoders
    {
        /// <summary>
        /// A local never written again, declared with <c>new UTF8Encoding()</c>, <c>(bom)</c> or <c>(bom, false)</c>: the
        /// second flag is <c>throwOnInvalidBytes</c>, and without it invalid input is replaced.
        /// </summary>
        public static bool IsReplacingLocal(IOperation instance, StableValues stable)
            => OperationTree.SkipConversions(instance) is ILocalReferenceOperation local
               && stable.InitializerOf(local.Local, local.SemanticModel) is IObjectCreationOperation { Initializer: null } creation
               && creation.Type is INamedTypeSymbol { Name: "UTF8Encoding", ContainingNamespace: { Name: "Text", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } }
               && (creation.Arguments.Length < 2
                   || (creation.Arguments.Length == 2 && creation.Arguments.First(a => a.Parameter?.Ordinal == 1).Value.ConstantValue is { HasValue: true, Value: false }));

        /// <summary>
        /// <c>decoder.Convert(bytes, 0, bytes.Length, chars, 0, n, flush, out …, out …, out …)</c>, the decoder a local
        /// declared with <c>encoding.GetDecoder()</c> of a replacing encoding, <c>chars</c> made <c>new char[n]</c> and
        /// <c>n</c> declared with <c>encoding.GetCharCount(bytes)</c> of the same encoding and the same array.
        /// </summary>
        public static bool IsIntoMeasuredChars(IInvocationOperation convert, StableValues stable, System.Func<IOperation, bool> isReplacing)
        {
            if (convert.TargetMethod is not { Name: "Convert", Parameters.Length: 10 } method || method.Parameters[0].Type is not IArrayTypeSymbol
                || convert.Instance is not ILocalReferenceOperation decoder
                || stable.InitializerOf(decoder.Local, decoder.SemanticModel) is not IInvocationOperation { TargetMethod.Name: "GetDecoder", Arguments.Length: 0, Instance: { } encoding }
                || !isReplacing(encoding) || stable.SymbolOf(encoding) is not { } measuring)
            {
                return false;
            }

            IOperation Argument(int ordinal) => OperationTree.SkipConversions(convert.Arguments.First(a => a.Parameter?.Ordinal == ordinal).Value);
            var bytes = Argument(0);
            var chars = Argument(3);
            var count = Argument(5);
            if (!IsZero(Argument(1)) || !IsZero(Argument(4))
                || !DescribedBuffers.Describes(bytes, Argument(2), stable, null)
                || !DescribedBuffers.Describes(chars, count, stable, null)
                || count is not ILocalReferenceOperation counted
                || stable.InitializerOf(counted.Local, counted.SemanticModel) is not IInvocationOperation { TargetMethod.Name: "GetCharCount", Arguments.Length: 1, Instance: { } measured } measure)
            {
                return false;
            }

            return SymbolEqualityComparer.Default.Equals(stable.SymbolOf(measured), measuring)
                   && stable.SymbolOf(bytes) is { } decoded
                   && SymbolEqualityComparer.Default.Equals(stable.SymbolOf(measure.Arguments[0].Value), decoded);
        }

        private static bool IsZero(IOperation value) => value.ConstantValue is { HasValue: true, Value: 0 };
    }
}
