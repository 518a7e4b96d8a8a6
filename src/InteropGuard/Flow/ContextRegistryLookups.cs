using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// The registry form of <c>GCHandle.FromIntPtr(user).Target</c> in a body native code calls: the library maps the
    /// context pointer native code hands back to its own object through a keyed collection it filled before handing the
    /// callback over (<c>readStreams[context]</c>, NLua's <c>translators.TryGetValue(state, out t)</c> with a throw when it
    /// misses). A miss means native code passed a context the library never registered, a contract violation as an invalid
    /// GCHandle is, so neither the lookup nor a throw taken only when it misses is a throw point of the callback.
    /// The key must be the context: a pointer-sized parameter of the callback (or a parameter of a method of the
    /// compilation that the call fills with such a value), through conversions, a static factory returning its own type
    /// from that one value (<c>LuaState.FromIntPtr(state)</c>), a property of the same type read from it
    /// (<c>MainThread</c>), and locals only ever assigned such values. A key read from a field, decoded from native memory
    /// or constant is input the callback processes, and its lookup still counts — but for the user-data slot of a record
    /// the context points to (<c>transfer->UserData</c>, possibly as its number), which the library fills before handing the
    /// record over. <c>TryRemove</c> is the lookup that also unregisters.
    /// </summary>
    internal sealed class ContextRegistryLookups
    {
        /// <summary>A chain of factories, properties and locals longer than this is not followed (and cycles end).</summary>
        private const int MaxDerivation = 8;

        private readonly System.Func<IParameterSymbol, bool> _isContext;

        private ContextRegistryLookups(System.Func<IParameterSymbol, bool> isContext)
        {
            _isContext = isContext;
        }

        /// <summary>The callback's own body: its pointer-sized parameters are what native code hands back.</summary>
        public static readonly ContextRegistryLookups ForCallback = new ContextRegistryLookups(parameter => PointerSizedTypes.Is(parameter.Type));

        /// <summary>Nothing is known to be a context.</summary>
        public static readonly ContextRegistryLookups None = new ContextRegistryLookups(_ => false);

        /// <summary>A called method whose parameters with bits set in <paramref name="mask"/> receive the caller's context.</summary>
        public static ContextRegistryLookups ForParameters(long mask, IMethodSymbol method)
            => mask == 0
                ? None
                : new ContextRegistryLookups(parameter => parameter.Ordinal < 64 && (mask & (1L << parameter.Ordinal)) != 0
                                                           && SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol?.OriginalDefinition, method.OriginalDefinition));

        /// <summary>The parameters of a call that receive the context, a bit per ordinal (what a callee's summary is told).</summary>
        public long ContextArguments(System.Collections.Immutable.ImmutableArray<IArgumentOperation> arguments)
        {
            long mask = 0;
            foreach (var argument in arguments)
            {
                if (argument.Parameter is { Ordinal: < 64, RefKind: RefKind.None } parameter && IsContext(argument.Value, 0))
                {
                    mask |= 1L << parameter.Ordinal;
                }
            }

            return mask;
        }

        /// <summary>
        /// An escaping operation that is a registry lookup keyed by the context: a dictionary indexer or <c>TryGetValue</c>
        /// call, or a <c>throw</c> taken only when such a <c>TryGetValue</c> misses, when the context is empty, or when the
        /// context's own <c>GCHandle</c> does not hold the type the library stored there.
        /// </summary>
        public bool IsLookup(IOperation operation)
            => operation switch
            {
                IPropertyReferenceOperation { Property.IsIndexer: true, Arguments.Length: 1 } indexer
                    => IsKeyedCollection(indexer.Property.ContainingType) && IsContext(indexer.Arguments[0].Value, 0),
                IInvocationOperation invocation => IsContextTryGetValue(invocation),
                IThrowOperation thrown => IsTakenOnlyOnAMiss(thrown),
                _ => false,
            };

        private bool IsContextTryGetValue(IInvocationOperation invocation)
            => invocation.TargetMethod is { Name: "TryGetValue" or "TryRemove", IsStatic: false } method
               && invocation.Arguments.Length == 2
               && IsKeyedCollection(method.ContainingType)
               && IsContext(invocation.Arguments[0].Value, 0);

        /// <summary>
        /// <c>if (!map.TryGetValue(context, out v)) throw ...;</c>: the innermost condition around the throw is the miss of
        /// a lookup keyed by the context (its false branch for a plain <c>if (map.TryGetValue(...)) ... else throw</c>).
        /// </summary>
        private bool IsTakenOnlyOnAMiss(IThrowOperation thrown)
        {
            switch (OperationTree.DecisionAbove(thrown))
            {
                case (ICoalesceOperation coalesce, var child) when child == coalesce.WhenNull:
                    return IsRecoveredContextObject(coalesce.Value);
                case (IConditionalOperation branch, var child) when (child == branch.WhenTrue || child == branch.WhenFalse) && IsEmptyContextTest(branch.Condition) is { } emptyWhenTrue:
                    return (child == branch.WhenTrue) == emptyWhenTrue;
                case (IConditionalOperation branch, var child) when child == branch.WhenTrue || child == branch.WhenFalse:
                    var condition = OperationTree.SkipConversions(branch.Condition);
                    var missWhenTrue = false;
                    if (condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } negation)
                    {
                        condition = OperationTree.SkipConversions(negation.Operand);
                        missWhenTrue = true;
                    }

                    return condition is IInvocationOperation lookup && IsContextTryGetValue(lookup)
                           && (child == branch.WhenTrue) == missWhenTrue;
                default:
                    return false;
            }
        }

        /// <summary>
        /// <c>context == IntPtr.Zero</c> (or <c>null</c>, <c>default</c>, <c>0</c>; true when the test is that the context is
        /// empty) or <c>context != IntPtr.Zero</c> (false): native code handing back no context is the same contract
        /// violation as an unregistered one. Null when the condition is no such test.
        /// </summary>
        private bool? IsEmptyContextTest(IOperation condition)
        {
            if (OperationTree.SkipConversions(condition) is not IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } test
                || !((IsContext(test.LeftOperand, 0) && HandleOwners.IsZero(test.RightOperand)) || (IsContext(test.RightOperand, 0) && HandleOwners.IsZero(test.LeftOperand))))
            {
                return null;
            }

            return test.OperatorKind == BinaryOperatorKind.Equals;
        }

        /// <summary>
        /// <c>GCHandle.FromIntPtr(context).Target as Info</c> (the handle possibly in a local first): the checked form of the
        /// cast of the library's own handle back to the type it stored, which the model already does not count; a
        /// <c>?? throw</c> after it is taken only when that invariant is broken.
        /// </summary>
        private bool IsRecoveredContextObject(IOperation value)
        {
            var tryCast = false;
            while (value is IConversionOperation { OperatorMethod: null } conversion)
            {
                tryCast |= conversion.IsTryCast;
                value = conversion.Operand;
            }

            return tryCast && value is IPropertyReferenceOperation { Property.Name: "Target", Instance: { } handle } target
                   && IsGCHandle(target.Property.ContainingType) && IsHandleOfContext(handle, 0);
        }

        private bool IsHandleOfContext(IOperation handle, int depth)
        {
            if (depth > MaxDerivation)
            {
                return false;
            }

            switch (OperationTree.SkipConversions(handle))
            {
                case IInvocationOperation { TargetMethod: { Name: "FromIntPtr", IsStatic: true } method, Arguments.Length: 1 } recovery when IsGCHandle(method.ContainingType):
                    return IsContext(recovery.Arguments[0].Value, depth + 1);
                case IConversionOperation { OperatorMethod: { Name: "op_Explicit" } method } conversion when IsGCHandle(method.ContainingType):
                    return IsContext(conversion.Operand, depth + 1);
                case ILocalReferenceOperation local:
                    return OperationTree.ValuesStoredIn(OperationTree.Root(local), local.Local) is { Count: > 0 } values
                           && values.TrueForAll(stored => IsHandleOfContext(stored, depth + 1));
                default:
                    return false;
            }
        }

        private static bool IsGCHandle(INamedTypeSymbol? type)
            => type is { Name: "GCHandle" } && NamespaceNames.Is(type.ContainingNamespace, "System.Runtime.InteropServices");

        private bool IsContext(IOperation value, int depth)
        {
            if (depth > MaxDerivation)
            {
                return false;
            }

            value = OperationTree.SkipConversions(value);
            switch (value)
            {
                case IParenthesizedOperation parenthesized:
                    return IsContext(parenthesized.Operand, depth + 1);
                case IParameterReferenceOperation reference:
                    return _isContext(reference.Parameter);
                case IInvocationOperation { Instance: null, Arguments.Length: 1, TargetMethod: { IsStatic: true } factory } call
                    when SymbolEqualityComparer.Default.Equals(factory.ReturnType.OriginalDefinition, factory.ContainingType.OriginalDefinition):
                    // LuaState.FromIntPtr(state): the library's way back from the pointer to its object, with no other input.
                    return IsContext(call.Arguments[0].Value, depth + 1);
                case IPropertyReferenceOperation { Arguments.Length: 0, Instance: { } instance, Property: { IsStatic: false } property }
                    when SymbolEqualityComparer.Default.Equals(property.Type.OriginalDefinition, property.ContainingType.OriginalDefinition):
                    // state.MainThread: another object of the same kind, reached from the context alone.
                    return IsContext(instance, depth + 1);
                case ILocalReferenceOperation local:
                    return IsOnlyAssignedContexts(local, depth);
                case IInvocationOperation { Instance: { Type: { } pointerType } pointer, Arguments.Length: 0, TargetMethod.Name: "ToInt32" or "ToInt64" } when PointerSizedTypes.Is(pointerType):
                    // user.ToInt32(): the same value as a number (an id the library stored as the pointer).
                    return IsContext(pointer, depth + 1);
                case IFieldReferenceOperation { Field: { IsStatic: false } field, Instance: { } holder } when PointerSizedTypes.Is(field.Type) && IsUserDataName(field.Name):
                    // transfer->UserData: the user-data slot of the record native code hands back, which the library filled
                    // before submitting it (libusb's transfer->user_data), not data the callback processes.
                    return IsContext(Dereferenced(holder), depth + 1);
                default:
                    return false;
            }
        }

        // 'transfer->UserData': the field's instance is the '*transfer' no-kind node over the pointer.
        private static IOperation Dereferenced(IOperation holder)
        {
            holder = OperationTree.SkipConversions(holder);
            return OperationTree.DereferencedPointer(holder) ?? holder;
        }

        private static bool IsUserDataName(string name)
            => name.Replace("_", string.Empty).ToLowerInvariant() is "userdata" or "puserdata" or "usercontext" or "userptr" or "userarg";

        // Every value stored into the local is a context; a local also written another way (ref, out, +=) is not followed.
        private bool IsOnlyAssignedContexts(ILocalReferenceOperation local, int depth)
            => OperationTree.ValuesStoredIn(OperationTree.Root(local), local.Local) is { Count: > 0 } values
               && values.TrueForAll(value => IsContext(value, depth + 1));

        private static bool IsKeyedCollection(INamedTypeSymbol? type)
        {
            if (type == null || type.Arity != 2)
            {
                return false;
            }

            return (type.Name is "Dictionary" or "IDictionary" or "IReadOnlyDictionary" && NamespaceNames.Is(type.ContainingNamespace, "System.Collections.Generic"))
                   || (type.Name == "ConcurrentDictionary" && NamespaceNames.Is(type.ContainingNamespace, "System.Collections.Concurrent"));
        }
    }
}
