using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>Where the storage behind a managed reference or span lives, as far as one method body shows.</summary>
    internal enum MemoryOriginKind
    {
        /// <summary>Nothing visible says where it lives (a ref parameter, a span parameter, a call's result): no finding.</summary>
        Unknown,

        /// <summary>A local, a by-value parameter, a stackalloc: it cannot move.</summary>
        Stack,

        /// <summary>A span over a pointer: native memory, which the GC does not move.</summary>
        Native,

        /// <summary>An element of (or the data of) a managed array, also through a span over it.</summary>
        Array,

        /// <summary>An instance field of a class object (or a struct nested in one).</summary>
        ClassField,

        /// <summary>The characters of a string that is not a literal.</summary>
        String,
    }

    /// <summary>The origin of a reference: its kind and the expression for the object that would have to be pinned.</summary>
    internal sealed class MemoryOrigin
    {
        public static readonly MemoryOrigin Unknown = new MemoryOrigin(MemoryOriginKind.Unknown, null, null);
        public static readonly MemoryOrigin Stack = new MemoryOrigin(MemoryOriginKind.Stack, null, null);
        public static readonly MemoryOrigin Native = new MemoryOrigin(MemoryOriginKind.Native, null, null);

        public MemoryOrigin(MemoryOriginKind kind, IOperation? owner, IFieldSymbol? field)
        {
            Kind = kind;
            Owner = owner;
            Field = field;
        }

        public MemoryOriginKind Kind { get; }

        /// <summary>The array, string or class instance the reference points into.</summary>
        public IOperation? Owner { get; }

        /// <summary>For <see cref="MemoryOriginKind.ClassField"/>: the class field that holds the storage.</summary>
        public IFieldSymbol? Field { get; }

        public bool IsMovable => Kind == MemoryOriginKind.Array || Kind == MemoryOriginKind.ClassField || Kind == MemoryOriginKind.String;
    }

    /// <summary>
    /// Can a ref or a span point into the movable GC heap? Array elements, class fields, spans over arrays and strings
    /// can; locals, by-value parameters, stackalloc and spans over pointers cannot; ref and span parameters are unknown.
    /// Locals are followed to their single source. Used by IG2002 and by anyone asking "does this need pinning?".
    /// </summary>
    internal sealed class ManagedMemoryOrigins
    {
        private const int MaxDepth = 8;

        private readonly WellKnownTypes _types;

        public ManagedMemoryOrigins(WellKnownTypes types)
        {
            _types = types;
        }

        public INamedTypeSymbol? Unsafe => _types.Unsafe;
        public INamedTypeSymbol? MemoryMarshal => _types.MemoryMarshal;
        public INamedTypeSymbol? CollectionsMarshal => _types.CollectionsMarshal;
        public INamedTypeSymbol? MemoryExtensions => _types.MemoryExtensions;
        public INamedTypeSymbol? GC => _types.GC;

        public bool IsSpan(ITypeSymbol? type) => _types.IsSpan(type);

        /// <summary>Where the storage a ref expression refers to lives.</summary>
        public MemoryOrigin OfReference(IOperation reference) => OfReference(reference, 0);

        /// <summary>Where the memory a span expression covers lives.</summary>
        public MemoryOrigin OfSpan(IOperation span) => OfSpan(span, 0);

        private MemoryOrigin OfReference(IOperation? reference, int depth)
        {
            reference = Unwrap(reference);
            if (reference == null || depth > MaxDepth)
            {
                return MemoryOrigin.Unknown;
            }

            switch (reference)
            {
                case IArrayElementReferenceOperation element:
                    return new MemoryOrigin(MemoryOriginKind.Array, Unwrap(element.ArrayReference), null);

                case IFieldReferenceOperation field:
                    if (field.Field.IsStatic || field.Instance == null || field.Instance.Type == null)
                    {
                        // Statics of value types live in boxes the runtime may allocate anywhere: say nothing.
                        return MemoryOrigin.Unknown;
                    }

                    if (field.Instance.Type.IsReferenceType)
                    {
                        return new MemoryOrigin(MemoryOriginKind.ClassField, Unwrap(field.Instance), field.Field);
                    }

                    return field.Instance.Type.IsValueType ? OfReference(field.Instance, depth + 1) : MemoryOrigin.Unknown;

                case ILocalReferenceOperation local:
                    if (!local.Local.IsRef)
                    {
                        return MemoryOrigin.Stack;
                    }

                    return SingleSource(local, depth) is { } refSource ? OfReference(refSource, depth + 1) : MemoryOrigin.Unknown;

                case IParameterReferenceOperation parameter:
                    return parameter.Parameter.RefKind == RefKind.None && !parameter.Parameter.Type.IsRefLikeType ? MemoryOrigin.Stack : MemoryOrigin.Unknown;

                case IPropertyReferenceOperation indexer when indexer.Property.IsIndexer && indexer.Instance != null && IsSpan(indexer.Instance.Type):
                    return OfSpan(indexer.Instance, depth + 1);

                case IInvocationOperation call:
                    return OfReferenceCall(call, depth);

                default:
                    return MemoryOrigin.Unknown;
            }
        }

        private MemoryOrigin OfReferenceCall(IInvocationOperation call, int depth)
        {
            var method = call.TargetMethod;
            var type = method.ContainingType;
            if (Is(type, MemoryMarshal))
            {
                switch (method.Name)
                {
                    case "GetArrayDataReference" when call.Arguments.Length == 1:
                        return new MemoryOrigin(MemoryOriginKind.Array, Unwrap(call.Arguments[0].Value), null);
                    case "GetReference" when call.Arguments.Length == 1:
                        return OfSpan(call.Arguments[0].Value, depth + 1);
                }

                return MemoryOrigin.Unknown;
            }

            if (Is(type, Unsafe) && call.Arguments.Length >= 1 && method.Parameters[0].RefKind != RefKind.None
                && (method.Name == "Add" || method.Name == "AddByteOffset" || method.Name == "Subtract" || method.Name == "SubtractByteOffset"
                    || method.Name == "As" || method.Name == "AsRef"))
            {
                return OfReference(call.Arguments[0].Value, depth + 1);
            }

            if (method.Name == "GetPinnableReference" && call.Instance != null)
            {
                if (call.Instance.Type?.SpecialType == SpecialType.System_String)
                {
                    return OfString(call.Instance);
                }

                if (IsSpan(call.Instance.Type))
                {
                    return OfSpan(call.Instance, depth + 1);
                }
            }

            return MemoryOrigin.Unknown;
        }

        private MemoryOrigin OfSpan(IOperation? span, int depth)
        {
            span = Unwrap(span);
            if (span == null || depth > MaxDepth)
            {
                return MemoryOrigin.Unknown;
            }

            switch (span)
            {
                case IConversionOperation conversion:
                    return FromSpanSource(conversion.Operand, depth);

                case { } stackMemory when IsStackAlloc(stackMemory):
                    return MemoryOrigin.Stack;

                case IObjectCreationOperation creation when IsSpan(creation.Type) && creation.Arguments.Length >= 1:
                    {
                        var first = creation.Arguments[0];
                        if (first.Parameter?.Type is IPointerTypeSymbol)
                        {
                            return MemoryOrigin.Native;
                        }

                        if (first.Parameter?.Type is IArrayTypeSymbol)
                        {
                            return ArrayOrigin(first.Value);
                        }

                        return first.Parameter?.RefKind != RefKind.None ? OfReference(first.Value, depth + 1) : MemoryOrigin.Unknown;
                    }

                case IInvocationOperation call:
                    return OfSpanCall(call, depth);

                case ILocalReferenceOperation local:
                    if (SingleSource(local, depth) is { } source)
                    {
                        return FromSpanSource(source, depth);
                    }

                    // Given several spans: when all of them are stack (or all native) memory, so is the local.
                    var kinds = ValuesOf(local.Local, OperationTree.Root(local))?.Select(v => FromSpanSource(v, depth + 1).Kind).Distinct().ToList();
                    return kinds is { Count: 1 } && kinds[0] == MemoryOriginKind.Stack ? MemoryOrigin.Stack
                        : kinds is { Count: 1 } && kinds[0] == MemoryOriginKind.Native ? MemoryOrigin.Native
                        : MemoryOrigin.Unknown;

                default:
                    return MemoryOrigin.Unknown;
            }
        }

        /// <summary>A value that becomes a span: an array or string converts, a span is followed.</summary>
        private MemoryOrigin FromSpanSource(IOperation? value, int depth)
        {
            value = Unwrap(value);
            if (value == null)
            {
                return MemoryOrigin.Unknown;
            }

            // new byte[] { 1, 2, 3 } converted to a span is compiled to a view of the assembly's static data, not an array.
            if (value is IArrayCreationOperation { Initializer: { } initializer } && initializer.ElementValues.All(e => e.ConstantValue.HasValue))
            {
                return MemoryOrigin.Unknown;
            }

            if (value.Type is IArrayTypeSymbol)
            {
                return ArrayOrigin(value);
            }

            if (value.Type?.SpecialType == SpecialType.System_String)
            {
                return OfString(value);
            }

            return IsSpan(value.Type) || IsStackAlloc(value) ? OfSpan(value, depth + 1) : MemoryOrigin.Unknown;
        }

        private MemoryOrigin OfSpanCall(IInvocationOperation call, int depth)
        {
            var method = call.TargetMethod;
            var type = method.ContainingType;
            if (Is(type, MemoryExtensions) && (method.Name == "AsSpan") && call.Arguments.Length >= 1)
            {
                return FromSpanSource(call.Arguments[0].Value, depth);
            }

            if (Is(type, MemoryMarshal) && call.Arguments.Length >= 1)
            {
                switch (method.Name)
                {
                    case "CreateSpan":
                    case "CreateReadOnlySpan":
                        return OfReference(call.Arguments[0].Value, depth + 1);
                    case "Cast":
                    case "AsBytes":
                        return OfSpan(call.Arguments[0].Value, depth + 1);
                }

                return MemoryOrigin.Unknown;
            }

            if (Is(type, CollectionsMarshal) && method.Name == "AsSpan" && call.Arguments.Length == 1)
            {
                // A List<T>'s span is its backing array: movable, and pinned by pinning that span.
                return new MemoryOrigin(MemoryOriginKind.Array, Unwrap(call.Arguments[0].Value), null);
            }

            if (call.Instance != null && IsSpan(call.Instance.Type) && method.Name == "Slice")
            {
                return OfSpan(call.Instance, depth + 1);
            }

            return MemoryOrigin.Unknown;
        }

        private static MemoryOrigin ArrayOrigin(IOperation? array)
        {
            array = Unwrap(array);
            return array == null || array.ConstantValue.HasValue ? MemoryOrigin.Unknown : new MemoryOrigin(MemoryOriginKind.Array, array, null);
        }

        private static MemoryOrigin OfString(IOperation value)
        {
            value = Unwrap(value)!;

            // Literals are interned in frozen memory on current runtimes, and code pinning them is rarely wrong in effect.
            return value.ConstantValue.HasValue ? MemoryOrigin.Unknown : new MemoryOrigin(MemoryOriginKind.String, value, null);
        }

        /// <summary>
        /// The one value a local (or ref local) is ever given in its method, or null when it is assigned more than once,
        /// passed by ref/out, or deconstructed into.
        /// </summary>
        public static IOperation? SingleSource(ILocalReferenceOperation reference, int depth = 0)
            => ValuesOf(reference.Local, OperationTree.Root(reference)) is { Count: 1 } values ? values[0] : null;

        /// <summary>
        /// Every value a local (or ref local) is given in <paramref name="root"/>: its initializer and the right sides of
        /// simple assignments to it; null when it is also written another way (passed by ref/out, deconstructed into,
        /// compound-assigned, incremented), so that the list would not be the whole story.
        /// </summary>
        public static IReadOnlyList<IOperation>? ValuesOf(ILocalSymbol local, IOperation root)
        {
            var values = new List<IOperation>();
            foreach (var op in root.DescendantsAndSelf())
            {
                switch (op)
                {
                    case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local):
                        if (declarator.GetVariableInitializer() is { } initializer)
                        {
                            values.Add(initializer.Value);
                        }

                        break;
                    case ISimpleAssignmentOperation assignment when assignment.Target is ILocalReferenceOperation target
                        && SymbolEqualityComparer.Default.Equals(target.Local, local):
                        values.Add(assignment.Value);
                        break;
                    case ILocalReferenceOperation other when !local.IsRef && SymbolEqualityComparer.Default.Equals(other.Local, local)
                        && (other.Parent is IArgumentOperation { Parameter: { RefKind: RefKind.Out or RefKind.Ref } }
                            || other.Parent is ICompoundAssignmentOperation || other.Parent is IDeconstructionAssignmentOperation
                            || other.Parent is ITupleOperation || other.Parent is IIncrementOrDecrementOperation):
                        return null;
                }
            }

            return values;
        }

        /// <summary>
        /// Every value a field is given in its type's declarations: its initializer and the right sides of simple (and
        /// <c>??=</c>) assignments naming it. Sites in <paramref name="model"/>'s tree are confirmed to mean this field;
        /// elsewhere the name decides. <c>Complete</c> says nobody else can write it: private, declared only in
        /// <paramref name="model"/>'s tree, never passed by ref/out or compound-assigned.
        /// </summary>
        public static (IReadOnlyList<ExpressionSyntax> Values, bool Complete) ValuesOf(IFieldSymbol field, SemanticModel? model)
        {
            var values = new List<ExpressionSyntax>();
            var complete = field.DeclaredAccessibility == Accessibility.Private && model != null;
            foreach (var reference in field.ContainingType.DeclaringSyntaxReferences)
            {
                var semantic = model != null && reference.SyntaxTree == model.SyntaxTree ? model : null;
                complete &= semantic != null;
                foreach (var node in reference.GetSyntax().DescendantNodes())
                {
                    switch (node)
                    {
                        case VariableDeclaratorSyntax declarator when declarator.Identifier.ValueText == field.Name && declarator.Parent?.Parent is FieldDeclarationSyntax
                            && declarator.Initializer != null && (semantic == null || SymbolEqualityComparer.Default.Equals(semantic.GetDeclaredSymbol(declarator), field)):
                            values.Add(declarator.Initializer.Value);
                            break;
                        case AssignmentExpressionSyntax assignment when LastName(assignment.Left) == field.Name
                            && (semantic == null || SymbolEqualityComparer.Default.Equals(semantic.GetSymbolInfo(assignment.Left).Symbol, field)):
                            if (assignment.IsKind(SyntaxKind.SimpleAssignmentExpression) || assignment.IsKind(SyntaxKind.CoalesceAssignmentExpression))
                            {
                                values.Add(assignment.Right);
                            }
                            else
                            {
                                complete = false;
                            }

                            break;
                        case ArgumentSyntax argument when !argument.RefKindKeyword.IsKind(SyntaxKind.None) && LastName(argument.Expression) == field.Name:
                            complete = false;
                            break;
                    }
                }
            }

            return (values, complete);
        }

        /// <summary>The name an expression ends in: <c>F</c> for <c>F</c>, <c>x.F</c>, <c>F&lt;T&gt;</c>; null for other shapes.</summary>
        public static string? LastName(ExpressionSyntax expression) => expression switch
        {
            IdentifierNameSyntax name => name.Identifier.ValueText,
            GenericNameSyntax generic => generic.Identifier.ValueText,
            MemberAccessExpressionSyntax member => LastName(member.Name),
            _ => null,
        };

        /// <summary>Strips parentheses-free wrappers that do not change which storage is meant.</summary>
        public static IOperation? Unwrap(IOperation? operation)
        {
            while (true)
            {
                switch (operation)
                {
                    case IConversionOperation conversion when conversion.Conversion.IsIdentity || (conversion.Type?.IsReferenceType == true && conversion.Operand.Type?.IsReferenceType == true):
                        operation = conversion.Operand;
                        continue;
                    case IParenthesizedOperation parenthesized:
                        operation = parenthesized.Operand;
                        continue;
                    default:
                        return operation;
                }
            }
        }

        private static bool IsStackAlloc(IOperation operation)
            => operation.Syntax is StackAllocArrayCreationExpressionSyntax || operation.Syntax is ImplicitStackAllocArrayCreationExpressionSyntax;

        private static bool Is(ITypeSymbol? type, INamedTypeSymbol? expected)
            => expected != null && SymbolEqualityComparer.Default.Equals(type?.OriginalDefinition, expected);
    }
}
