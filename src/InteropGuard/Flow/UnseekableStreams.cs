using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Property reads of the framework that throw in practice: <c>Length</c> and <c>Position</c> of a value typed
    /// <c>System.IO.Stream</c>. A stream that cannot seek (a network or pipe stream, a decompressor) throws
    /// <c>NotSupportedException</c> from both, as documented; the static type says nothing about which kind the caller
    /// handed over. Other property reads still start no exception in the model (<see cref="ThrowPoints"/>), and a
    /// <c>MemoryStream</c> or <c>FileStream</c> typed as such is not counted.
    /// </summary>
    internal static class UnseekableStreams
    {
        public static bool IsSeekingRead(IPropertyReferenceOperation property)
            => property.Property is { Name: "Length" or "Position", IsStatic: false } member
               && IsStream(member.ContainingType)
               && property.Instance is { } instance && IsStream(OperationTree.SkipConversions(instance).Type as INamedTypeSymbol);

        private static bool IsStream(INamedTypeSymbol? type)
            => type is { Name: "Stream", ContainingNamespace: { Name: "IO", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } };
    }
}
