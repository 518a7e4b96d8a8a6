using System.Linq;
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
    /// <item>the call sits, in the method's own body (no lambda or local function between), inside
    /// <c>lock (field)</c> on a <c>readonly</c> instance field of <c>this</c>: the object locked is the one the finalizer
    /// will find in that field;</item>
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
                || owner.Handle is not IFieldReferenceOperation { Field.Type: { } handleType } || !IsRawValue(handleType))
            {
                return false;
            }

            if (OperationTree.InTree(call, root) is not { } inTree || LockAround(inTree) is not { } locked)
            {
                return false;
            }

            return BaseFinalizerFree(type) && FinalizerOf(type) is { } finalizer && RunsUnder(interop, finalizer, locked, MaxDepth);
        }

        private static bool IsRawValue(ITypeSymbol type)
            => type.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr || type.TypeKind == TypeKind.Pointer;

        /// <summary>The readonly instance field of <c>this</c> that a <c>lock</c> around the operation takes, with no function between; null otherwise.</summary>
        private static IFieldSymbol? LockAround(IOperation operation)
        {
            for (var current = operation.Parent; current != null; current = current.Parent)
            {
                if (OperationTree.IsFunction(current))
                {
                    return null;
                }

                if (current is ILockOperation lockOperation && LockedField(lockOperation) is { } field)
                {
                    return field;
                }
            }

            return null;
        }

        /// <summary>The field a <c>lock</c> takes when it is a readonly instance field of <c>this</c> (<see cref="LockSerialisedHandles.LockedSymbol"/>).</summary>
        private static IFieldSymbol? LockedField(ILockOperation lockOperation)
            => LockSerialisedHandles.LockedSymbol(lockOperation) is IFieldSymbol { IsStatic: false, IsReadOnly: true } field ? field : null;

        private static bool BaseFinalizerFree(INamedTypeSymbol type)
        {
            for (var current = type.BaseType; current != null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
            {
                if (FinalizerOf(current) != null)
                {
                    return false;
                }
            }

            return true;
        }

        private static IMethodSymbol? FinalizerOf(INamedTypeSymbol type)
            => type.GetMembers("Finalize").OfType<IMethodSymbol>().FirstOrDefault(m => m.MethodKind == MethodKind.Destructor);

        /// <summary>
        /// Whether the method's body is one <c>lock</c> on the field, or one call on <c>this</c> of a method of the same class
        /// whose body is, within <paramref name="depth"/> calls.
        /// </summary>
        private static bool RunsUnder(InteropContext interop, IMethodSymbol method, IFieldSymbol field, int depth)
        {
            if (interop.Wrappers.GetBody(method) is not IMethodBodyOperation body || OnlyStatement(body) is not { } statement)
            {
                return false;
            }

            if (statement is ILockOperation lockOperation)
            {
                return LockedField(lockOperation) is { } locked && SymbolEqualityComparer.Default.Equals(locked.OriginalDefinition, field.OriginalDefinition);
            }

            return depth > 0
                   && statement is IExpressionStatementOperation { Operation: IInvocationOperation { TargetMethod: var target, Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } } }
                   && SymbolEqualityComparer.Default.Equals(target.ContainingType?.OriginalDefinition, method.ContainingType?.OriginalDefinition)
                   && !target.IsVirtual && !target.IsAbstract && !target.IsOverride
                   && RunsUnder(interop, target, field, depth - 1);
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
