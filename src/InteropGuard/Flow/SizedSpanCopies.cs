using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// <c>source.CopyTo(destination)</c> of a span into a span made over native memory, <c>new Span&lt;T&gt;(p, n)</c>, whose
    /// length <c>n</c> is the source's own <c>Length</c>, possibly plus an amount that cannot be negative (a constant, the
    /// <c>Length</c> of an array, string or span, an encoding's byte count): the one failure of the copy, a destination too
    /// short, cannot happen. An addition that overflows gives a negative length, and then the span's constructor throws
    /// before the copy. The source must be a stable value (<see cref="StableValues"/>), and the destination and the length
    /// locals declared with their value and never written again, read through at most three of them.
    /// </summary>
    internal static class SizedSpanCopies
    {
        private const int MaxIndirections = 3;

        public static bool IsIntoRoomEnough(IInvocationOperation? copy, StableValues stable)
        {
            if (copy is not { TargetMethod.Name: "CopyTo", Instance: { } source } || copy.Arguments.Length != 1
                || stable.SymbolOf(source) is not { } copied)
            {
                return false;
            }

            var model = copy.SemanticModel;
            return Resolve(copy.Arguments[0].Value, stable, model) is IObjectCreationOperation { Arguments.Length: 2 } made
                   && IsSpan(made.Type) && made.Arguments[0].Value.Type is IPointerTypeSymbol
                   && IsAtLeastLengthOf(made.Arguments[1].Value, copied, stable, model, 0);
        }

        private static bool IsSpan(ITypeSymbol? type)
            => type is INamedTypeSymbol { Name: "Span" or "ReadOnlySpan", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } };

        private static bool IsAtLeastLengthOf(IOperation length, ISymbol copied, StableValues stable, SemanticModel? model, int depth)
        {
            if (depth > MaxIndirections)
            {
                return false;
            }

            switch (Resolve(length, stable, model))
            {
                case IPropertyReferenceOperation { Property.Name: "Length", Instance: { } owner }:
                    return SymbolEqualityComparer.Default.Equals(stable.SymbolOf(owner), copied);
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } sum:
                    return (IsAtLeastLengthOf(sum.LeftOperand, copied, stable, model, depth + 1) && IsNeverNegative(sum.RightOperand, stable, model, depth + 1))
                           || (IsAtLeastLengthOf(sum.RightOperand, copied, stable, model, depth + 1) && IsNeverNegative(sum.LeftOperand, stable, model, depth + 1));
                default:
                    return false;
            }
        }

        private static bool IsNeverNegative(IOperation amount, StableValues stable, SemanticModel? model, int depth)
        {
            if (depth > MaxIndirections)
            {
                return false;
            }

            var value = Resolve(amount, stable, model);
            if (value?.ConstantValue is { HasValue: true, Value: int constant })
            {
                return constant >= 0;
            }

            return value switch
            {
                IPropertyReferenceOperation { Property.Name: "Length", Instance.Type: var owner } => owner is IArrayTypeSymbol || owner?.SpecialType == SpecialType.System_String || IsSpan(owner),
                IInvocationOperation { TargetMethod: { Name: "GetMaxByteCount" or "GetByteCount" or "GetMaxCharCount" or "GetCharCount", ContainingType.Name: "Encoding" } } => true,
                IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } sum
                    => IsNeverNegative(sum.LeftOperand, stable, model, depth + 1) && IsNeverNegative(sum.RightOperand, stable, model, depth + 1),
                _ => false,
            };
        }

        /// <summary>The operation without conversions, seen through locals declared with their value and never written again.</summary>
        private static IOperation? Resolve(IOperation operation, StableValues stable, SemanticModel? model)
        {
            var current = OperationTree.SkipConversions(operation);
            for (var i = 0; i < MaxIndirections && current is ILocalReferenceOperation { Local: var local }; i++)
            {
                if (stable.InitializerOf(local, model) is not { } initializer)
                {
                    return null;
                }

                current = OperationTree.SkipConversions(initializer);
            }

            return current;
        }
    }
}
