using InteropGuard.Interop;
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
    /// local. The pointer overload <c>GetBytes(chars, n, bytes, room)</c> counts when <c>chars</c> is a <c>fixed</c> string's
    /// pointer and <c>n</c> its whole length, or the pointer of a concatenation that starts with the measured string and
    /// <c>n</c> that string's length (see <see cref="IsPointerIntoMeasuredBuffer"/>). The encoding may be a variable
    /// no write can reach between the measurement and the encoding (a parameter defaulted to <c>Encoding.UTF8</c>, a
    /// <c>ref string</c> written back after both: <see cref="StableValues.SettledSymbolOf"/>). UTF-16 with a replacing
    /// fallback needs no measurement: two bytes per unit, so <c>n * 2</c> bytes for the same <c>n</c> units.
    /// </summary>
    internal static class MeasuredEncodings
    {
        private const int MaxIndirections = 3;

        /// <param name="callerMeasured">What the caller of the body read passes as measured arguments (a count parameter that holds
        /// the measurement of a string parameter), or null.</param>
        public static bool IsIntoMeasuredBuffer(IInvocationOperation invocation, StableValues stable, MeasuredArguments? callerMeasured = null)
        {
            var method = invocation.TargetMethod;
            var encodes = method.Name == "GetBytes";
            if ((!encodes && method.Name != "GetChars") || invocation.Instance == null || !IsEncoding(method.ContainingType)
                || stable.SettledSymbolOf(invocation.Instance) is not { } encoding)
            {
                return false;
            }

            // By parameter: arguments come in evaluation order, which named arguments can change.
            var parameters = method.Parameters;
            var values = new IOperation?[parameters.Length];
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter == null)
                {
                    return false;
                }

                values[argument.Parameter.Ordinal] = argument.Value;
            }

            if (encodes && parameters.Length == 4 && parameters[0].Type is IPointerTypeSymbol && parameters[2].Type is IPointerTypeSymbol)
            {
                return IsPointerIntoMeasuredBuffer(values, encoding, invocation, stable, invocation.SemanticModel, callerMeasured);
            }

            foreach (var parameter in parameters)
            {
                if (parameter.Type is IPointerTypeSymbol)
                {
                    return false;
                }
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

            return IsMeasurement(size, encodes, encoding, source, invocation, stable, invocation.SemanticModel, 0, needed: 0, callerMeasured);
        }

        /// <summary>
        /// <c>GetBytes(char* chars, int charCount, byte* bytes, int byteCount)</c> where <c>chars</c> is the local of a
        /// <c>fixed (char* chars = s)</c>, <c>charCount</c> is <c>s.Length</c> (or <c>s.Length + 1</c>: a fixed string
        /// ends with a NUL, which encodes to one byte), and <c>byteCount</c> is a measurement of <c>s</c> with room for
        /// that terminator. What the pointer <c>bytes</c> points to is not checked: a too-short allocation corrupts memory
        /// rather than throws, and the encoder writes at most <c>byteCount</c> bytes.
        /// </summary>
        private static bool IsPointerIntoMeasuredBuffer(IOperation?[] values, ISymbol encoding, IOperation site, StableValues stable, SemanticModel? model, MeasuredArguments? callerMeasured)
        {
            if (values[0] is not { } chars || values[1] is not { } charCount || values[3] is not { } byteCount
                || FixedStringOf(chars, stable, model) is not { } source)
            {
                return false;
            }

            if (IsTwoBytesPerUnit(encoding, stable, model))
            {
                return IsTwiceTheCount(byteCount, charCount, stable, model) && IsWholeLengthWithTerminator(charCount, source, stable, model);
            }

            var count = Unconverted(charCount);
            var terminator = 0;
            if (count is IBinaryOperation { OperatorKind: BinaryOperatorKind.Add, RightOperand.ConstantValue: { HasValue: true, Value: 1 } } plusOne)
            {
                count = Unconverted(plusOne.LeftOperand);
                terminator = 1;
            }

            // The characters read are the measured string's: the fixed string is that string, or (no terminator read) a
            // concatenation that starts with it.
            return WholeLengthOf(count, stable, model, 0) is { } measured
                   && (SameRoot(measured, source, stable) || (terminator == 0 && StartsWith(source, measured, stable)))
                   && IsMeasurement(byteCount, encodes: true, encoding, measured, site, stable, model, 0, needed: terminator, callerMeasured);
        }

        /// <summary>
        /// A string concatenation whose first operand is <paramref name="measured"/>: MonoGame's
        /// <c>fixed (char* chars = str + RuntimeHelpers.OffsetToStringData / 2)</c>, which C# reads as <c>str + "8"</c>. Its
        /// first <c>str.Length</c> characters are <c>str</c>'s, so encoding that many from its start writes exactly what
        /// encoding <c>str</c> does, and it is never null (a null pointer would throw). Past them the characters are the
        /// other operand's, so a count that reads the fixed string's terminator does not qualify.
        /// </summary>
        private static bool StartsWith(IOperation source, IOperation measured, StableValues stable)
        {
            var concatenation = Unconverted(source);
            while (concatenation is IBinaryOperation { OperatorKind: BinaryOperatorKind.Add, Type.SpecialType: SpecialType.System_String } sum)
            {
                if (sum.LeftOperand.Type?.SpecialType == SpecialType.System_String && SameRoot(sum.LeftOperand, measured, stable))
                {
                    return true;
                }

                concatenation = Unconverted(sum.LeftOperand);
            }

            return false;
        }

        // The string a 'fixed (char* chars = s)' local points into, or null.
        private static IOperation? FixedStringOf(IOperation chars, StableValues stable, SemanticModel? model)
            => Unconverted(chars) is ILocalReferenceOperation pointer
               && pointer.Local.DeclaringSyntaxReferences.Length == 1
               && pointer.Local.DeclaringSyntaxReferences[0].GetSyntax().Parent?.Parent is FixedStatementSyntax
               && stable.InitializerOf(pointer.Local, model) is { } source
               && Unconverted(source).Type?.SpecialType == SpecialType.System_String
                ? source
                : null;

        // The string whose whole length 'count' is: s.Length, directly or through a local holding it.
        private static IOperation? WholeLengthOf(IOperation count, StableValues stable, SemanticModel? model, int depth)
        {
            switch (Unconverted(count))
            {
                case IPropertyReferenceOperation { Property.Name: "Length", Instance: { } measured } when measured.Type?.SpecialType == SpecialType.System_String:
                    return measured;
                case ILocalReferenceOperation local when depth < MaxIndirections && stable.ValueAt(local, model) is { } value:
                    return WholeLengthOf(value, stable, model, depth + 1);
                default:
                    return null;
            }
        }

        // UTF-16 whose fallback replaces (never throws) writes exactly two bytes per code unit, an unpaired surrogate
        // included (as U+FFFD): Encoding.Unicode, Encoding.BigEndianUnicode, or a local made by new UnicodeEncoding() or
        // new UnicodeEncoding(bigEndian, byteOrderMark), or with a constant 'false' for throwOnInvalidBytes.
        private static bool IsTwoBytesPerUnit(ISymbol encoding, StableValues stable, SemanticModel? model)
        {
            if (encoding is IPropertySymbol { IsStatic: true, Name: "Unicode" or "BigEndianUnicode" } property)
            {
                return IsSystemText(property.ContainingType, "Encoding");
            }

            if (encoding is not ILocalSymbol local || stable.InitializerOf(local, model) is not { } made)
            {
                return false;
            }

            switch (Unconverted(made))
            {
                case IPropertyReferenceOperation { Property: { } shared }:
                    return IsTwoBytesPerUnit(shared, stable, model);
                case IObjectCreationOperation creation when IsSystemText(creation.Type as INamedTypeSymbol, "UnicodeEncoding"):
                    return creation.Arguments.Length < 3
                           || creation.Arguments[2].Value.ConstantValue is { HasValue: true, Value: false };
                default:
                    return false;
            }
        }

        private static bool IsSystemText(INamedTypeSymbol? type, string name)
            => type?.Name == name && NamespaceNames.Is(type.ContainingNamespace, "System.Text");

        // byteCount is n * 2 or n * sizeof(char) (either order, through locals) where n names the value charCount names.
        private static bool IsTwiceTheCount(IOperation byteCount, IOperation charCount, StableValues stable, SemanticModel? model, int depth = 0)
        {
            switch (Unconverted(byteCount))
            {
                case ILocalReferenceOperation local when depth < MaxIndirections && stable.ValueAt(local, model) is { } value:
                    return IsTwiceTheCount(value, charCount, stable, model, depth + 1);
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Multiply } product:
                    var (factor, counted) = product.RightOperand.ConstantValue.HasValue
                        ? (product.RightOperand, product.LeftOperand)
                        : (product.LeftOperand, product.RightOperand);
                    return factor.ConstantValue is { HasValue: true, Value: 2 } && IsSameCount(Unconverted(counted), Unconverted(charCount), stable);
                default:
                    return false;
            }
        }

        // One settled variable read twice, or the Length of one settled string read twice.
        private static bool IsSameCount(IOperation left, IOperation right, StableValues stable)
            => left is IPropertyReferenceOperation { Property.Name: "Length", Instance: { } leftString }
                ? right is IPropertyReferenceOperation { Property.Name: "Length", Instance: { } rightString } && SameRoot(leftString, rightString, stable)
                : stable.SettledSymbolOf(left, right) is { } n && SymbolEqualityComparer.Default.Equals(n, stable.SettledSymbolOf(right, left));

        // charCount is s.Length or s.Length + 1 (the NUL a fixed string ends with), directly or through a local: never
        // negative, and never past what the fixed pointer may read.
        private static bool IsWholeLengthWithTerminator(IOperation charCount, IOperation source, StableValues stable, SemanticModel? model, int depth = 0)
        {
            var count = Unconverted(charCount);
            if (count is ILocalReferenceOperation local && depth < MaxIndirections && stable.ValueAt(local, model) is { } value)
            {
                return IsWholeLengthWithTerminator(value, source, stable, model, depth + 1);
            }

            if (count is IBinaryOperation { OperatorKind: BinaryOperatorKind.Add, RightOperand.ConstantValue: { HasValue: true, Value: 1 } } plusOne)
            {
                count = Unconverted(plusOne.LeftOperand);
            }

            return WholeLengthOf(count, stable, model, 0) is { } measured && SameRoot(measured, source, stable);
        }

        private static bool IsEncoding(INamedTypeSymbol? type)
        {
            for (var current = type; current != null; current = current.BaseType)
            {
                if (current.Name == "Encoding" && NamespaceNames.Is(current.ContainingNamespace, "System.Text"))
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
                case ILocalReferenceOperation local when depth < MaxIndirections && stable.ValueAt(local, model) is { } initializer:
                    return SizeOf(initializer, stable, model, depth + 1);
                case IImplicitIndexerReferenceOperation { Instance: { } whole, Argument: IRangeOperation { LeftOperand: { } start, RightOperand: null } }:
                    return RestAfter(whole, start, stable, model, depth);
            }

            if (value.Syntax is StackAllocArrayCreationExpressionSyntax { Type: ArrayTypeSyntax { RankSpecifiers: { Count: 1 } ranks } }
                && ranks[0].Sizes.Count == 1 && model?.GetOperation(ranks[0].Sizes[0]) is { } measured)
            {
                return measured;
            }

            return null;
        }

        // 'buffer[a..]' of a buffer whose size is written 'a + m': the slice holds m elements (and starts within the buffer
        // when m is a measurement, which is never negative; the range is not a throw point of the model). ClangSharp appends the encoded text
        // after a copied prefix: 'contents[prefix.Length..]' of a span of 'prefix.Length + GetMaxByteCount(...)'.
        private static IOperation? RestAfter(IOperation whole, IOperation start, StableValues stable, SemanticModel? model, int depth)
        {
            var size = depth < MaxIndirections ? SizeOf(whole, stable, model, depth + 1) : null;
            for (var hop = 0; hop < MaxIndirections && size != null && Unconverted(size) is ILocalReferenceOperation local; hop++)
            {
                size = stable.ValueAt(local, model);
            }

            if (size == null || Unconverted(size) is not IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } sum)
            {
                return null;
            }

            var first = Unconverted(start);
            return IsSameCount(Unconverted(sum.LeftOperand), first, stable) ? sum.RightOperand
                : IsSameCount(Unconverted(sum.RightOperand), first, stable) ? sum.LeftOperand
                : null;
        }

        // The string whose length a measurement reads: 's.Length', or, where null is read as empty, '(s?.Length).GetValueOrDefault()'
        // and 's?.Length ?? 0' (a null string converted to a span is empty, and a null span encodes to nothing).
        private static IOperation? MeasuredString(IOperation length)
        {
            switch (Unconverted(length))
            {
                case IPropertyReferenceOperation { Property.Name: "Length", Instance: { } measured }:
                    return measured;
                case IInvocationOperation { TargetMethod.Name: "GetValueOrDefault", Arguments.Length: 0, Instance: { } nullable }:
                    return LengthIfNotNull(nullable);
                case ICoalesceOperation { WhenNull.ConstantValue: { HasValue: true, Value: 0 } } coalesce:
                    return LengthIfNotNull(coalesce.Value);
                default:
                    return null;
            }
        }

        private static bool IsSpanArgument(IOperation source)
            => source.Parent is IArgumentOperation { Parameter.Type: INamedTypeSymbol { Name: "ReadOnlySpan" or "Span", ContainingNamespace.Name: "System" } };

        private static IOperation? LengthIfNotNull(IOperation value)
            => Unconverted(value) is IConditionalAccessOperation { Operation: { } measured, WhenNotNull: var whenNotNull }
               && Unconverted(whenNotNull) is IPropertyReferenceOperation { Property.Name: "Length", Instance: IConditionalAccessInstanceOperation }
                ? measured
                : null;

        // encoding.GetByteCount(source), encoding.GetMaxByteCount(source.Length), either plus a non-negative constant,
        // directly or through a local declared with it; for an encoding of at most three bytes per UTF-16 unit, an upper
        // bound k * source.Length + c (k >= 3) written out or returned by a helper of this compilation. 'needed' is how
        // many bytes beyond the source's own the buffer must hold (a terminator).
        private static bool IsMeasurement(IOperation size, bool encodes, ISymbol encoding, IOperation source, IOperation site, StableValues stable, SemanticModel? model, int depth, int needed, MeasuredArguments? callerMeasured = null)
        {
            size = Unconverted(size);
            switch (size)
            {
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } sum:
                    return (IsNonNegativeConstant(sum.RightOperand) && IsMeasurement(sum.LeftOperand, encodes, encoding, source, site, stable, model, depth, Less(needed, sum.RightOperand), callerMeasured))
                           || (IsNonNegativeConstant(sum.LeftOperand) && IsMeasurement(sum.RightOperand, encodes, encoding, source, site, stable, model, depth, Less(needed, sum.LeftOperand), callerMeasured))
                           || (encodes && IsNarrowEncoding(encoding) && IsUpperBound(sum, source, stable, needed));
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Multiply } product:
                    return encodes && IsNarrowEncoding(encoding) && IsUpperBound(product, source, stable, needed);
                case ILocalReferenceOperation local when depth < MaxIndirections && stable.ValueAt(local, model) is { } value:
                    return IsMeasurement(value, encodes, encoding, source, site, stable, model, depth + 1, needed, callerMeasured);
                case IParameterReferenceOperation parameter when callerMeasured != null:
                    // The caller measured this argument from the one the source reads (MeasuredArguments): exactly, so no terminator.
                    return needed == 0 && Root(source, null, stable) is IParameterSymbol measuredSource && callerMeasured.Measures(parameter.Parameter, measuredSource, encoding);
                case IInvocationOperation { Arguments.Length: 2 } larger when IsMathMax(larger.TargetMethod):
                    // Math.Max(other, measurement) is at least the measurement.
                    return IsMeasurement(larger.Arguments[0].Value, encodes, encoding, source, site, stable, model, depth, needed, callerMeasured)
                           || IsMeasurement(larger.Arguments[1].Value, encodes, encoding, source, site, stable, model, depth, needed, callerMeasured);
                case IInvocationOperation { Instance: { } instance, Arguments.Length: 2 } pointerCount
                    when pointerCount.TargetMethod.Name == (encodes ? "GetByteCount" : "GetCharCount") && pointerCount.Arguments[0].Value.Type is IPointerTypeSymbol
                         && SymbolEqualityComparer.Default.Equals(stable.SettledSymbolOf(instance, site), encoding):
                    // GetByteCount(chars, n) over the same fixed string's pointer and all of its length counts what
                    // GetBytes(chars, s.Length, ...) writes.
                    return needed == 0 && FixedStringOf(pointerCount.Arguments[0].Value, stable, model) is { } counted && SameRoot(counted, source, stable)
                           && WholeLengthOf(pointerCount.Arguments[1].Value, stable, model, 0) is { } countedLength && SameRoot(countedLength, source, stable);
                case IInvocationOperation { Instance: { } instance, Arguments.Length: 1 } count
                    when SymbolEqualityComparer.Default.Equals(stable.SettledSymbolOf(instance, site), encoding):
                    var name = count.TargetMethod.Name;
                    var argument = count.Arguments[0].Value;
                    if (needed > 0)
                    {
                        return false;
                    }

                    if (name == (encodes ? "GetByteCount" : "GetCharCount"))
                    {
                        return SameRoot(argument, source, stable);
                    }

                    // A null string measured as empty is the source only where the source is a span (the two-argument overloads).
                    return name == (encodes ? "GetMaxByteCount" : "GetMaxCharCount")
                           && (Unconverted(argument) is IPropertyReferenceOperation || IsSpanArgument(source)) && MeasuredString(argument) is { } measured
                           && SameRoot(measured, source, stable);
                case IInvocationOperation { Arguments.Length: 1 } helper when encodes && IsNarrowEncoding(encoding):
                    return SameRoot(helper.Arguments[0].Value, source, stable) && UpperBounds.Returns(helper.TargetMethod, needed);
                default:
                    return false;
            }
        }

        /// <summary>
        /// The encoding whose byte count <paramref name="size"/> is built from (<c>e.GetByteCount(…)</c>, <c>e.GetMaxByteCount(…)</c>,
        /// plus constants, inside <c>Math.Max</c>, through locals), or null: the candidate a call site's measured argument is
        /// checked against (<see cref="MeasuredArguments"/>).
        /// </summary>
        public static ISymbol? EncodingMeasuring(IOperation size, StableValues stable, SemanticModel? model, int depth = 0)
        {
            switch (Unconverted(size))
            {
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } sum:
                    return EncodingMeasuring(sum.LeftOperand, stable, model, depth) ?? EncodingMeasuring(sum.RightOperand, stable, model, depth);
                case IInvocationOperation { Arguments.Length: 2 } larger when IsMathMax(larger.TargetMethod):
                    return EncodingMeasuring(larger.Arguments[0].Value, stable, model, depth) ?? EncodingMeasuring(larger.Arguments[1].Value, stable, model, depth);
                case ILocalReferenceOperation local when depth < MaxIndirections && stable.ValueAt(local, model) is { } value:
                    return EncodingMeasuring(value, stable, model, depth + 1);
                case IInvocationOperation { Instance: { } instance, Arguments.Length: 1, TargetMethod.Name: "GetByteCount" or "GetMaxByteCount" } count
                    when IsEncoding(count.TargetMethod.ContainingType):
                    return stable.SymbolOf(instance);
                default:
                    return null;
            }
        }

        /// <summary>Whether <paramref name="size"/> is a byte measurement of <paramref name="source"/> by <paramref name="encoding"/>.</summary>
        public static bool IsByteMeasurement(IOperation size, ISymbol encoding, IOperation source, StableValues stable, SemanticModel? model)
            => IsMeasurement(size, encodes: true, encoding, source, source, stable, model, 0, needed: 0);

        private static bool IsMathMax(IMethodSymbol method)
            => method.Name == "Max" && method.IsStatic && method.ContainingType is { Name: "Math" } math && NamespaceNames.Is(math.ContainingNamespace, "System");

        private static int Less(int needed, IOperation constant)
            => constant.ConstantValue.Value is int value && value < needed ? needed - value : 0;

        // UTF-8, ASCII and Latin-1 write at most three bytes per UTF-16 code unit (a surrogate pair: four bytes for two units).
        private static bool IsNarrowEncoding(ISymbol encoding)
            => encoding is IPropertySymbol { IsStatic: true, Name: "UTF8" or "ASCII" or "Latin1", ContainingType: { Name: "Encoding" } owner }
               && NamespaceNames.Is(owner.ContainingNamespace, "System.Text");

        // k * source.Length + c with k >= 3 and c >= needed, in either operand order.
        private static bool IsUpperBound(IBinaryOperation size, IOperation source, StableValues stable, int needed)
        {
            var constant = 0;
            IOperation product = size;
            if (size.OperatorKind == BinaryOperatorKind.Add)
            {
                if (size.RightOperand.ConstantValue is { HasValue: true, Value: int right })
                {
                    (constant, product) = (right, Unconverted(size.LeftOperand));
                }
                else if (size.LeftOperand.ConstantValue is { HasValue: true, Value: int left })
                {
                    (constant, product) = (left, Unconverted(size.RightOperand));
                }
                else
                {
                    return false;
                }
            }

            if (constant < needed || product is not IBinaryOperation { OperatorKind: BinaryOperatorKind.Multiply } multiply)
            {
                return false;
            }

            var (factor, length) = multiply.RightOperand.ConstantValue.HasValue
                ? (multiply.RightOperand, Unconverted(multiply.LeftOperand))
                : (multiply.LeftOperand, Unconverted(multiply.RightOperand));
            return factor.ConstantValue is { HasValue: true, Value: int k } && k >= UpperBounds.BytesPerUnit
                   && length is IPropertyReferenceOperation { Property.Name: "Length", Instance: { } measured }
                   && SameRoot(measured, source, stable);
        }

        private static bool IsZero(IOperation operation) => operation.ConstantValue is { HasValue: true, Value: 0 };

        private static bool IsNonNegativeConstant(IOperation operation)
            => operation.ConstantValue is { HasValue: true, Value: int value } && value >= 0;

        // The same variable, settled between the two reads, or the same string constant (generated code measures and
        // encodes a literal default: "%.3f").
        private static bool SameRoot(IOperation left, IOperation right, StableValues stable)
            => (Root(left, right, stable) is { } a && SymbolEqualityComparer.Default.Equals(a, Root(right, left, stable)))
               || (Unconverted(left).ConstantValue is { HasValue: true, Value: string text } && Unconverted(right).ConstantValue is { HasValue: true, Value: string other }
                   && text == other);

        // The variable a source expression reads: s, chars, s.AsSpan(), (ReadOnlySpan<char>)s; settled up to 'other'.
        private static ISymbol? Root(IOperation operation, IOperation? other, StableValues stable)
        {
            operation = Unconverted(operation);
            if (operation is IInvocationOperation { TargetMethod.Name: "AsSpan", Arguments.Length: 1 } view)
            {
                operation = view.Arguments[0].Value;
            }

            return stable.SettledSymbolOf(Unconverted(operation), other);
        }

        private static IOperation Unconverted(IOperation operation) => OperationTree.SkipEveryConversion(operation);
    }
}
