using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
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

        public ManagedMemoryOrigins(Compilation compilation)
        {
            Unsafe = compilation.GetTypeByMetadataName("System.Runtime.CompilerServices.Unsafe");
            MemoryMarshal = compilation.GetTypeByMetadataName("System.Runtime.InteropServices.MemoryMarshal");
            CollectionsMarshal = compilation.GetTypeByMetadataName("System.Runtime.InteropServices.CollectionsMarshal");
            MemoryExtensions = compilation.GetTypeByMetadataName("System.MemoryExtensions");
            Span = compilation.GetTypeByMetadataName("System.Span`1");
            ReadOnlySpan = compilation.GetTypeByMetadataName("System.ReadOnlySpan`1");
            GC = compilation.GetTypeByMetadataName("System.GC");
        }

        public INamedTypeSymbol? Unsafe { get; }
        public INamedTypeSymbol? MemoryMarshal { get; }
        public INamedTypeSymbol? CollectionsMarshal { get; }
        public INamedTypeSymbol? MemoryExtensions { get; }
        public INamedTypeSymbol? Span { get; }
        public INamedTypeSymbol? ReadOnlySpan { get; }
        public INamedTypeSymbol? GC { get; }

        public bool IsSpan(ITypeSymbol? type)
            => type is INamedTypeSymbol named && (Is(named.OriginalDefinition, Span) || Is(named.OriginalDefinition, ReadOnlySpan));

        /// <summary>Where the storage a ref expression refers to lives.</summary>
        public MemoryOrigin OfReference(IOperation reference) => OfReference(reference, 0);

        /// <summary>Where the memory a span expression covers lives.</summary>
        public MemoryOrigin OfSpan(IOperation span) => OfSpan(span, 0);

        /// <summary><c>GC.AllocateArray(n, pinned: true)</c> or <c>GC.AllocateUninitializedArray(n, pinned: true)</c>: an array that never moves.</summary>
        public bool IsPinnedAllocation(IOperation? value)
        {
            value = Unwrap(value);
            if (value is not IInvocationOperation call || !Is(call.TargetMethod.ContainingType, GC)
                || (call.TargetMethod.Name != "AllocateArray" && call.TargetMethod.Name != "AllocateUninitializedArray"))
            {
                return false;
            }

            var pinned = call.Arguments.FirstOrDefault(a => a.Parameter?.Name == "pinned");
            return pinned == null || pinned.ArgumentKind == ArgumentKind.DefaultValue
                ? false
                : !(pinned.Value.ConstantValue.HasValue && pinned.Value.ConstantValue.Value is false);
        }

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
                    return SingleSource(local, depth) is { } source ? FromSpanSource(source, depth) : MemoryOrigin.Unknown;

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
        {
            var root = Root(reference);
            IOperation? source = null;
            var count = 0;
            foreach (var op in root.DescendantsAndSelf())
            {
                switch (op)
                {
                    case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, reference.Local):
                        var initializer = declarator.GetVariableInitializer();
                        if (initializer != null)
                        {
                            source = initializer.Value;
                            count++;
                        }

                        break;
                    case ISimpleAssignmentOperation assignment when assignment.Target is ILocalReferenceOperation target
                        && SymbolEqualityComparer.Default.Equals(target.Local, reference.Local):
                        source = assignment.Value;
                        count++;
                        break;
                    case ILocalReferenceOperation other when !reference.Local.IsRef && SymbolEqualityComparer.Default.Equals(other.Local, reference.Local)
                        && (other.Parent is IArgumentOperation { Parameter: { RefKind: RefKind.Out or RefKind.Ref } }
                            || other.Parent is ICompoundAssignmentOperation || other.Parent is IDeconstructionAssignmentOperation
                            || other.Parent is ITupleOperation || other.Parent is IIncrementOrDecrementOperation):
                        count += 2;
                        break;
                }
            }

            return count == 1 ? source : null;
        }

        /// <summary>The outermost operation of the code block holding <paramref name="operation"/>.</summary>
        public static IOperation Root(IOperation operation)
        {
            var current = operation;
            while (current.Parent != null)
            {
                current = current.Parent;
            }

            return current;
        }

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
