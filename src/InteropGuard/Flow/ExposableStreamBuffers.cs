using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// <c>MemoryStream.GetBuffer()</c> fails only for a stream made over a caller's array without
    /// <c>publiclyVisible: true</c> (<c>UnauthorizedAccessException</c>); a stream that grows its own buffer hands it out
    /// always, after <c>Dispose</c> too. So <c>stream.GetBuffer()</c> of a local made by <c>new MemoryStream()</c> or
    /// <c>new MemoryStream(capacity)</c> and never written again cannot throw: the encoder-then-copy routine that
    /// allocates native memory for the encoded bytes and copies them out of the stream leaks nothing there.
    /// </summary>
    internal static class ExposableStreamBuffers
    {
        public static bool IsOwnBufferRead(IInvocationOperation? invocation, StableValues stable)
        {
            if (invocation is not { TargetMethod.Name: "GetBuffer", Arguments.IsEmpty: true, Instance: { } receiver })
            {
                return false;
            }

            return OperationTree.SkipConversions(receiver) is ILocalReferenceOperation local
                   && stable.InitializerOf(local.Local, invocation.SemanticModel) is { } initializer
                   && OperationTree.SkipConversions(initializer) is IObjectCreationOperation { Initializer: null } creation
                   && IsMemoryStream(creation.Type)
                   && creation.Arguments.Length switch
                   {
                       0 => true,
                       1 => creation.Arguments[0].Value.Type?.SpecialType == SpecialType.System_Int32,
                       _ => false,
                   };
        }

        // Exactly MemoryStream: a subclass's override of GetBuffer is its own.
        private static bool IsMemoryStream(ITypeSymbol? type)
            => type is INamedTypeSymbol { Name: "MemoryStream", ContainingNamespace: { Name: "IO", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } };
    }
}
