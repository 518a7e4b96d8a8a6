using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// <c>encoding.GetBytes(s, buffer)</c> (or <c>GetChars</c>) into a buffer whose size was measured from the same input
    /// by the same encoding: <c>encoding.GetByteCount(s)</c> or <c>encoding.GetMaxByteCount(s.Length)</c>, possibly plus a
    /// constant (room for a terminator). The only failures left are a destination too small — excluded by the
    /// measurement — and an encoder fallback that throws, which <c>GetByteCount</c> would already have thrown on the same
    /// input. The measurement is recognized through locals declared with it and never written again; the buffer is
    /// <c>new byte[n]</c>, <c>stackalloc byte[n]</c> or <c>new Span&lt;byte&gt;(p, n)</c>, directly or through such a
    /// local. Pointer overloads are not recognized (their length arguments are not tied to the input).
    /// </summary>
    internal static class MeasuredEncodings
    {
        private const int MaxIndirections = 3;

        public static bool IsIntoMeasuredBuffer(IInvocationOperation invocation, StableValues stable)
        {
            var method = invocation.TargetMethod;
            var encodes = method.Name == "GetBytes";
            if ((!encodes && method.Name != "GetChars") || invocation.Instance == null || !IsEncoding(method.ContainingType)
                || stable.SymbolOf(invocation.Instance) is not { } encoding)
            {
                return false;
            }

            // By parameter: arguments come in evaluation order, which named arguments can change.
            var parameters = method.Parameters;
            var values = new IOperation?[parameters.Length];
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter == null || argument.Parameter.Type is IPointerTypeSymbol)
                {
                    return false;
                }

                values[argument.Parameter.Ordinal] = argument.Value;
            }

            IOperation? source = null;
            IOperation? destination = null;
            if (parameters.Length == 2)
            {
                source = values[0];
                destination = values[1];
            }
            else if (parameters.Length == 5 && values[0] is { } whole && values[1] is { } start && values[2] is { } count && values[4] is { } at)
            {
                // (source, index, count, destination, destinationIndex): the whole source, from the start of the destination.
                if (IsZero(start) && IsZero(at)
                    && Unconverted(count) is IPropertyReferenceOperation { Property.Name: "Length", Instance: { } measured } && SameRoot(measured, whole, stable))
                {
                    source = whole;
                    destination = values[3];
                }
            }

            if (source == null || destination == null || SizeOf(destination, stable, invocation.SemanticModel, 0) is not { } size)
            {
                return false;
            }

            return IsMeasurement(size, encodes, encoding, source, stable, invocation.SemanticModel, 0);
        }

        private static bool IsEncoding(INamedTypeSymbol? type)
        {
            for (var current = type; current != null; current = current.BaseType)
            {
                if (current.Name == "Encoding" && current.ContainingNamespace?.ToDisplayString() == "System.Text")
                {
                    return true;
                }
            }

            return false;
        }

        // The element count of the buffer: new byte[n], stackalloc byte[n], new Span<byte>(p, n), or a local holding one.
        private static IOperation? SizeOf(IOperation destination, StableValues stable, SemanticModel? model, int depth)
        {
            var value = Unconverted(destination);
            switch (value)
            {
                case IArrayCreationOperation { DimensionSizes.Length: 1 } array:
                    return array.DimensionSizes[0];
                case IObjectCreationOperation { Arguments.Length: 2 } span when span.Arguments[0].Value.Type is IPointerTypeSymbol:
                    return span.Arguments[1].Value;
                case ILocalReferenceOperation local when depth < MaxIndirections && stable.InitializerOf(local.Local, model) is { } initializer:
                    return SizeOf(initializer, stable, model, depth + 1);
            }

            if (value.Syntax is StackAllocArrayCreationExpressionSyntax { Type: ArrayTypeSyntax { RankSpecifiers: { Count: 1 } ranks } }
                && ranks[0].Sizes.Count == 1 && model?.GetOperation(ranks[0].Sizes[0]) is { } measured)
            {
                return measured;
            }

            return null;
        }

        // encoding.GetByteCount(source), encoding.GetMaxByteCount(source.Length), either plus a non-negative constant,
        // directly or through a local declared with it.
        private static bool IsMeasurement(IOperation size, bool encodes, ISymbol encoding, IOperation source, StableValues stable, SemanticModel? model, int depth)
        {
            size = Unconverted(size);
            switch (size)
            {
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } sum:
                    return (IsNonNegativeConstant(sum.RightOperand) && IsMeasurement(sum.LeftOperand, encodes, encoding, source, stable, model, depth))
                           || (IsNonNegativeConstant(sum.LeftOperand) && IsMeasurement(sum.RightOperand, encodes, encoding, source, stable, model, depth));
                case ILocalReferenceOperation local when depth < MaxIndirections && stable.InitializerOf(local.Local, model) is { } initializer:
                    return IsMeasurement(initializer, encodes, encoding, source, stable, model, depth + 1);
                case IInvocationOperation { Instance: { } instance, Arguments.Length: 1 } count
                    when SymbolEqualityComparer.Default.Equals(stable.SymbolOf(instance), encoding):
                    var name = count.TargetMethod.Name;
                    var argument = count.Arguments[0].Value;
                    if (name == (encodes ? "GetByteCount" : "GetCharCount"))
                    {
                        return SameRoot(argument, source, stable);
                    }

                    return name == (encodes ? "GetMaxByteCount" : "GetMaxCharCount")
                           && Unconverted(argument) is IPropertyReferenceOperation { Property.Name: "Length", Instance: { } measured }
                           && SameRoot(measured, source, stable);
                default:
                    return false;
            }
        }

        private static bool IsZero(IOperation operation) => operation.ConstantValue is { HasValue: true, Value: 0 };

        private static bool IsNonNegativeConstant(IOperation operation)
            => operation.ConstantValue is { HasValue: true, Value: int value } && value >= 0;

        private static bool SameRoot(IOperation left, IOperation right, StableValues stable)
            => Root(left, stable) is { } a && SymbolEqualityComparer.Default.Equals(a, Root(right, stable));

        // The variable a source expression reads: s, chars, s.AsSpan(), (ReadOnlySpan<char>)s.
        private static ISymbol? Root(IOperation operation, StableValues stable)
        {
            operation = Unconverted(operation);
            if (operation is IInvocationOperation { TargetMethod.Name: "AsSpan", Arguments.Length: 1 } view)
            {
                operation = view.Arguments[0].Value;
            }

            return stable.SymbolOf(Unconverted(operation));
        }

        private static IOperation Unconverted(IOperation operation)
        {
            while (operation is IConversionOperation conversion)
            {
                operation = conversion.Operand;
            }

            return operation;
        }
    }
}
