using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>A managed buffer that a call argument hands to native code, pinned (or copied) only for that call.</summary>
    internal sealed class ManagedBuffer
    {
        private readonly IOperation? _named;
        private readonly string _description;

        public ManagedBuffer(string description, bool isText, ILocalSymbol? fixedLocal = null)
        {
            _description = description;
            IsText = isText;
            FixedLocal = fixedLocal;
        }

        /// <summary>
        /// A buffer described as <paramref name="kind"/> and the text of <paramref name="named"/> ("The string 'path'"), written
        /// only when a finding needs it: every array, string and StringBuilder argument of a native call is classified, and
        /// almost none is reported.
        /// </summary>
        public ManagedBuffer(string kind, IOperation named, bool isText)
        {
            _description = kind;
            _named = named;
            IsText = isText;
        }

        /// <summary>The pointer a <c>fixed</c> statement declares, when the buffer is one: pinned until that block ends.</summary>
        public ILocalSymbol? FixedLocal { get; }

        /// <summary>"The array 'buffer'", "The fixed pointer 'p' to the array 'data'", ….</summary>
        public string Description => _named == null ? _description : _description + MarshalledBuffers.Name(_named);

        /// <summary>A string or StringBuilder: marshalled as characters, which registration functions usually copy.</summary>
        public bool IsText { get; }
    }

    /// <summary>
    /// "Is this argument a managed buffer that default marshalling pins only for the call?" Arrays, strings and
    /// StringBuilders by their parameter type; spans, refs and pointers only when their origin is visibly a managed
    /// object (an array, a string, a field of an object, a <c>fixed</c> statement over one). Spans and pointers of
    /// unknown origin may be native or stack memory: they are not buffers here.
    /// </summary>
    internal sealed class MarshalledBuffers
    {
        private readonly WellKnownTypes _types;

        public MarshalledBuffers(WellKnownTypes types)
        {
            _types = types;
        }

        private const int MaxLocalHops = 3;

        /// <summary>The managed buffer <paramref name="value"/> is, passed to a parameter of <paramref name="parameterType"/>/<paramref name="refKind"/>; or null.</summary>
        public ManagedBuffer? Classify(IOperation value, ITypeSymbol parameterType, RefKind refKind)
        {
            if (value.ConstantValue.HasValue && value.ConstantValue.Value == null)
            {
                return null;
            }

            if (refKind != RefKind.None)
            {
                var referenced = RefOrigin(Unwrap(value));
                return referenced == null ? null : new ManagedBuffer(referenced, IsTextOrigin(referenced));
            }

            switch (parameterType)
            {
                case IArrayTypeSymbol:
                    var array = Unwrap(value);
                    return IsNull(array) || array.Type is not IArrayTypeSymbol ? null : new ManagedBuffer("The array ", array, isText: false);
                case { SpecialType: SpecialType.System_String }:
                    return IsNull(Unwrap(value)) ? null : new ManagedBuffer("The string ", Unwrap(value), isText: true);
                case INamedTypeSymbol { Name: "StringBuilder", ContainingNamespace: { Name: "Text", ContainingNamespace: { Name: "System" } } }:
                    return IsNull(Unwrap(value)) ? null : new ManagedBuffer("The StringBuilder ", Unwrap(value), isText: true);
                case INamedTypeSymbol named when _types.IsSpan(named):
                    var backing = SpanBacking(value, 0);
                    return backing == null ? null : new ManagedBuffer("The span over " + backing, IsTextOrigin(backing));
                case IPointerTypeSymbol:
                case { SpecialType: SpecialType.System_IntPtr }:
                case { SpecialType: SpecialType.System_UIntPtr }:
                    return FixedPointer(value);
                default:
                    return null;
            }
        }

        /// <summary>
        /// The variable (local, parameter or field) holding the array or string a buffer argument comes from, followed
        /// loosely through the shapes <see cref="Classify"/> accepts; null when it is not a variable.
        /// </summary>
        public static ISymbol? RootVariable(IOperation value)
        {
            var current = value;
            for (var step = 0; step < 12; step++)
            {
                switch (current)
                {
                    case IConversionOperation conversion:
                        current = conversion.Operand;
                        continue;
                    case IParenthesizedOperation parenthesized:
                        current = parenthesized.Operand;
                        continue;
                    case IBinaryOperation binary:
                        current = binary.LeftOperand.Type is IPointerTypeSymbol ? binary.LeftOperand : binary.RightOperand;
                        continue;
                    case IAddressOfOperation addressOf:
                        current = addressOf.Reference;
                        continue;
                    case IArrayElementReferenceOperation element:
                        current = element.ArrayReference;
                        continue;
                    case IInvocationOperation invocation:
                        var next = invocation.Instance ?? (invocation.Arguments.Length > 0 ? invocation.Arguments[0].Value : null);
                        if (next == null)
                        {
                            return null;
                        }

                        current = next;
                        continue;
                    case IObjectCreationOperation creation when creation.Arguments.Length > 0:
                        current = creation.Arguments[0].Value;
                        continue;
                    case ILocalReferenceOperation local when !IsArrayOrString(local.Type):
                        var initializer = SingleInitializer(local);
                        if (initializer == null)
                        {
                            return null;
                        }

                        current = initializer;
                        continue;
                    case ILocalReferenceOperation local:
                        return local.Local;
                    case IParameterReferenceOperation parameter when IsArrayOrString(parameter.Type):
                        return parameter.Parameter;
                    case IFieldReferenceOperation field when IsArrayOrString(field.Type):
                        return field.Field;
                    default:
                        return null;
                }
            }

            return null;
        }

        private static bool IsArrayOrString(ITypeSymbol? type) => type is IArrayTypeSymbol || type?.SpecialType == SpecialType.System_String;

        /// <summary>What a span expression views when that is visibly a managed array or string ("the array 'a'"); else null.</summary>
        public string? SpanBacking(IOperation value, int hops)
        {
            switch (value)
            {
                case IConversionOperation conversion:
                    if (conversion.Operand.Type is IArrayTypeSymbol)
                    {
                        return "the array " + Name(Unwrap(conversion.Operand));
                    }

                    if (conversion.Operand.Type?.SpecialType == SpecialType.System_String)
                    {
                        return "the string " + Name(Unwrap(conversion.Operand));
                    }

                    return SpanBacking(conversion.Operand, hops);
                case IObjectCreationOperation creation when creation.Type is INamedTypeSymbol named && _types.IsSpan(named) && creation.Arguments.Length > 0:
                    var first = Unwrap(creation.Arguments[0].Value);
                    return first.Type is IArrayTypeSymbol ? "the array " + Name(first) : null;
                case IInvocationOperation invocation:
                    if ((invocation.TargetMethod.Name == "AsSpan") && invocation.Arguments.Length > 0)
                    {
                        var source = Unwrap(invocation.Arguments[0].Value);
                        if (source.Type is IArrayTypeSymbol)
                        {
                            return "the array " + Name(source);
                        }

                        return source.Type?.SpecialType == SpecialType.System_String ? "the string " + Name(source) : null;
                    }

                    if (invocation.TargetMethod.Name == "Slice" && invocation.Instance != null && invocation.Instance.Type is INamedTypeSymbol spanType && _types.IsSpan(spanType))
                    {
                        return SpanBacking(invocation.Instance, hops);
                    }

                    return null;
                case ILocalReferenceOperation local when hops < MaxLocalHops:
                    var initializer = SingleInitializer(local);
                    return initializer == null ? null : SpanBacking(initializer, hops + 1);
                default:
                    return null;
            }
        }

        /// <summary>The movable managed location a ref argument points to, or null (locals, ref parameters, unknown).</summary>
        private string? RefOrigin(IOperation value)
        {
            switch (value)
            {
                case IArrayElementReferenceOperation element:
                    return "A ref to an element of the array " + Name(Unwrap(element.ArrayReference));
                case IFieldReferenceOperation field when field.Instance != null && field.Instance.Type?.IsReferenceType == true && !field.Field.IsStatic:
                    return "A ref to the field '" + field.Field.Name + "' of " + (field.Instance is IInstanceReferenceOperation ? "this object" : "the object " + Name(Unwrap(field.Instance)));
                case IInvocationOperation invocation when invocation.Arguments.Length == 1
                                                          && SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, _types.MemoryMarshal):
                    var argument = invocation.Arguments[0].Value;
                    if (invocation.TargetMethod.Name == "GetArrayDataReference" && Unwrap(argument).Type is IArrayTypeSymbol)
                    {
                        return "A ref to the data of the array " + Name(Unwrap(argument));
                    }

                    if (invocation.TargetMethod.Name == "GetReference")
                    {
                        var backing = SpanBacking(argument, 0);
                        return backing == null ? null : "A ref to the first element of " + backing;
                    }

                    return null;
                default:
                    return null;
            }
        }

        /// <summary>A pointer (or IntPtr made from one) declared by a <c>fixed</c> statement over a managed object.</summary>
        private ManagedBuffer? FixedPointer(IOperation value)
        {
            var current = Unwrap(value);
            while (true)
            {
                switch (current)
                {
                    case IBinaryOperation binary when binary.Type is IPointerTypeSymbol:
                        current = Unwrap(binary.LeftOperand.Type is IPointerTypeSymbol ? binary.LeftOperand : binary.RightOperand);
                        continue;
                    case IObjectCreationOperation creation when creation.Arguments.Length == 1 && (creation.Type?.SpecialType == SpecialType.System_IntPtr || creation.Type?.SpecialType == SpecialType.System_UIntPtr):
                        current = Unwrap(creation.Arguments[0].Value);
                        continue;
                }

                break;
            }

            if (current is not ILocalReferenceOperation { Local: { IsFixed: true } local } reference)
            {
                return null;
            }

            var initializer = SingleInitializer(reference);
            if (initializer == null)
            {
                return null;
            }

            var pinned = FixedTarget(initializer);
            return pinned == null ? null : new ManagedBuffer("The fixed pointer '" + local.Name + "' to " + pinned, IsTextOrigin(pinned), local);
        }

        private string? FixedTarget(IOperation initializer)
        {
            var target = Unwrap(initializer);
            if (target is IAddressOfOperation addressOf)
            {
                var origin = RefOrigin(Unwrap(addressOf.Reference));
                return origin == null ? null : LowerFirst(origin.Substring("A ref to ".Length));
            }

            if (target.Type is IArrayTypeSymbol)
            {
                return "the array " + Name(target);
            }

            if (target.Type?.SpecialType == SpecialType.System_String)
            {
                return "the string " + Name(target);
            }

            if (target.Type is INamedTypeSymbol named && _types.IsSpan(named))
            {
                return SpanBacking(initializer, 0) ?? SpanBacking(target, 0);
            }

            return null;
        }

        /// <summary>The initializer of a local that is declared with one and never assigned again; else null.</summary>
        private static IOperation? SingleInitializer(ILocalReferenceOperation reference)
        {
            var local = reference.Local;
            if (local.DeclaringSyntaxReferences.Length != 1 || reference.SemanticModel == null)
            {
                return null;
            }

            if (local.DeclaringSyntaxReferences[0].GetSyntax() is not VariableDeclaratorSyntax { Initializer: { } initializer } declarator
                || declarator.SyntaxTree != reference.Syntax.SyntaxTree)
            {
                return null;
            }

            // A fixed local is read-only (CS1656): nothing assigns it again, and the walk of the whole body for assignments
            // is skipped. It was most of IG2003's time on bindings that pass fixed pointers, asked at every such call.
            if (!local.IsFixed)
            {
                var root = OperationTree.Root(reference);

                foreach (var assignment in root.Descendants().OfType<IAssignmentOperation>())
                {
                    if (assignment.Target is ILocalReferenceOperation target && SymbolEqualityComparer.Default.Equals(target.Local, local))
                    {
                        return null;
                    }
                }
            }

            var operation = reference.SemanticModel.GetOperation(initializer.Value);
            return operation;
        }

        // The characters of a string, however they are passed, are text: a registration function copies a name.
        // Descriptions name their origin before the first quoted expression ("… the string 'name'").
        private static bool IsTextOrigin(string description)
        {
            var origin = description.IndexOf("the string '", System.StringComparison.Ordinal);
            return origin >= 0 && origin + "the string ".Length == description.IndexOf('\'');
        }

        private static bool IsNull(IOperation value)
            => (value.ConstantValue.HasValue && value.ConstantValue.Value == null) || value is IDefaultValueOperation;

        /// <summary>Skips the conversions a compiler inserts, but not user-defined ones (array to span is one).</summary>
        private static IOperation Unwrap(IOperation value)
        {
            while (value is IConversionOperation conversion && conversion.OperatorMethod == null)
            {
                value = conversion.Operand;
            }

            while (value is IParenthesizedOperation parenthesized)
            {
                value = parenthesized.Operand;
            }

            return value;
        }

        /// <summary>"'buffer'" for a short expression, "'this._buffer'" and such as written.</summary>
        internal static string Name(IOperation value)
        {
            var text = value.Syntax.ToString();
            if (text.Length > 40)
            {
                text = text.Substring(0, 37) + "...";
            }

            return "'" + text + "'";
        }

        private static string LowerFirst(string text) => text.Length == 0 ? text : char.ToLowerInvariant(text[0]) + text.Substring(1);
    }
}
