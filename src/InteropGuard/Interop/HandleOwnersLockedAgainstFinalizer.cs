using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>
    /// An object whose finalizer does all its work under the same lock the call holds: SoundFlow's miniaudio decoder seeks
    /// with <c>lock (_syncLock) { … Seek(_decoder, frame); }</c>, and <c>~Decoder() =&gt; Dispose(false)</c> runs
    /// <c>lock (_syncLock) { Uninit(_decoder); Free(_decoder); }</c>. Once <c>this</c> is unreachable during the call the
    /// finalizer may start, but it waits for the lock, which the calling thread leaves only after the call returns: the
    /// release cannot overlap the call. Asked only of a finding about to be reported. The reading:
    /// <list type="bullet">
    /// <item>the owner is <c>this</c> itself and the handle a raw value (<c>IntPtr</c>, <c>UIntPtr</c>, a pointer) in one of
    /// its fields, which nothing but the object's own finalizer releases on collection;</item>
    /// <item>the call sits, in the method's own body (no lambda or local function between), inside a <c>lock</c> on the
    /// <c>readonly</c> instance field of <c>this</c> the finalizer locks (<see cref="LockSerialisedHandles.IsUnder"/>): the
    /// object locked is the one the finalizer will find in that field;</item>
    /// <item>the class is sealed and no base class declares a finalizer (a derived or base finalizer runs outside the lock),
    /// and its finalizer's body, followed through calls on <c>this</c> of the class's own methods whose body is that one
    /// call, ends in a method whose body is one <c>lock</c> statement on the same field.</item>
    /// </list>
    /// A lock on another field, a finalizer that releases before or outside its lock, or a call outside the lock leave the
    /// finding.
    /// </summary>
    internal static class HandleOwnersLockedAgainstFinalizer
    {
        /// <summary>How many calls deep the finalizer is followed (<c>~T() =&gt; Dispose(false)</c> is one).</summary>
        private const int MaxDepth = 3;

        /// <param name="call">The call, from the body's operation tree or from its control-flow graph.</param>
        /// <param name="root">The body's operation tree, where a call of the graph is found again by its syntax.</param>
        public static bool Keeps(InteropContext interop, HandleOwner owner, IOperation call, IMethodSymbol method, IOperation root)
        {
            var type = method.ContainingType;
            if (owner.Kind != HandleOwnerKind.This || method.IsStatic || type is not { TypeKind: TypeKind.Class, IsSealed: true }
                || OperationTree.SkipConversions(owner.Owner) is not IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }
                || owner.Handle is not IFieldReferenceOperation { Field.Type: { } handleType } || !PointerSizedTypes.Is(handleType)
                || Finalizers.InHierarchy(type.BaseType) || Finalizers.DeclaredBy(type) is not { } finalizer)
            {
                return false;
            }

            // The field the finalizer's work runs under, then whether the call sits under a lock on that same field.
            return LockedFieldRunUnder(interop, finalizer, MaxDepth) is { } locked
                   && OperationTree.InTree(call, root) is { } inTree && LockSerialisedHandles.IsUnder(inTree, locked);
        }

        /// <summary>The field a <c>lock</c> takes when it is a readonly instance field of <c>this</c> (<see cref="LockSerialisedHandles.LockedSymbol"/>).</summary>
        private static IFieldSymbol? LockedField(ILockOperation lockOperation)
            => LockSerialisedHandles.LockedSymbol(lockOperation) is IFieldSymbol { IsStatic: false, IsReadOnly: true } field ? field : null;

        /// <summary>
        /// The readonly instance field whose <c>lock</c> is the method's whole body, or the whole body of the method of the same
        /// class it calls on <c>this</c> as its one statement, within <paramref name="depth"/> calls; null otherwise.
        /// </summary>
        private static IFieldSymbol? LockedFieldRunUnder(InteropContext interop, IMethodSymbol method, int depth)
        {
            if (interop.Wrappers.GetBody(method) is not IMethodBodyOperation body || OnlyStatement(body) is not { } statement)
            {
                return null;
            }

            if (statement is ILockOperation lockOperation)
            {
                return LockedField(lockOperation);
            }

            return depth > 0
                   && statement is IExpressionStatementOperation { Operation: IInvocationOperation { TargetMethod: var target, Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } } }
                   && SymbolEqualityComparer.Default.Equals(target.ContainingType?.OriginalDefinition, method.ContainingType?.OriginalDefinition)
                   && !target.IsVirtual && !target.IsAbstract && !target.IsOverride
                ? LockedFieldRunUnder(interop, target, depth - 1)
                : null;
        }

        /// <summary>The one statement of a body (a block of one, or an expression body), or null.</summary>
        private static IOperation? OnlyStatement(IMethodBodyOperation body)
        {
            if (body.BlockBody != null && body.ExpressionBody != null)
            {
                return null;
            }

            var block = body.BlockBody ?? body.ExpressionBody;
            return block is { Operations.Length: 1 } ? block.Operations[0] : null;
        }
    }
}
