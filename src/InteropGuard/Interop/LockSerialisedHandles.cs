using System.Collections.Concurrent;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>
    /// "Every release of this SafeHandle field holds that lock": a private SafeHandle field of a class whose every mention in
    /// the class is a write, a read of its value or state (<c>DangerousGetHandle</c>, <c>DangerousAddRef</c>,
    /// <c>IsInvalid</c>, <c>IsClosed</c>), or a release (<c>Dispose</c>, <c>Close</c>, <c>SetHandleAsInvalid</c>,
    /// <c>DangerousRelease</c>) made inside <c>lock (lockField)</c> — the handle object itself is never handed to anyone.
    /// A use of the handle's value inside the same lock then cannot overlap its release: the lock serialises them, which
    /// is what the reference count would otherwise do. One answer per field and lock, cached for the compilation.
    /// </summary>
    internal sealed class LockSerialisedHandles
    {
        private readonly Compilation _compilation;
        private readonly ConcurrentDictionary<(IFieldSymbol Handle, ISymbol Lock), bool> _answers = ConcurrentTables.Create<(IFieldSymbol, ISymbol), bool>();

        public LockSerialisedHandles(Compilation compilation)
        {
            _compilation = compilation;
        }

        /// <param name="handle">A private SafeHandle field.</param>
        /// <param name="lockSymbol">The field the lock is taken on, or the containing type for <c>lock (this)</c>.</param>
        /// <param name="cancellationToken">Cancels the reading.</param>
        public bool IsReleasedOnlyUnder(IFieldSymbol handle, ISymbol lockSymbol, CancellationToken cancellationToken)
            => handle.DeclaredAccessibility == Accessibility.Private && !handle.IsStatic && handle.ContainingType != null
               && _answers.GetOrAdd((handle.OriginalDefinition, lockSymbol.OriginalDefinition), key => Read(key.Handle, key.Lock, cancellationToken));

        /// <summary>The symbol a <c>lock</c> statement's value names: a field of <c>this</c>, or the type for <c>this</c>; null otherwise.</summary>
        public static ISymbol? LockedSymbol(ILockOperation lockOperation)
            => OperationTree.SkipConversions(lockOperation.LockedValue) switch
            {
                IFieldReferenceOperation { Field.IsStatic: true } field => field.Field,
                IFieldReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } } field => field.Field,
                IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } self => self.Type,
                _ => null,
            };

        /// <summary>The lock statement around <paramref name="operation"/> that names <paramref name="lockSymbol"/>, in the same function.</summary>
        public static bool IsUnder(IOperation operation, ISymbol lockSymbol)
        {
            for (var current = operation.Parent; current != null && !OperationTree.IsFunction(current); current = current.Parent)
            {
                if (current is ILockOperation lockOperation && SymbolEqualityComparer.Default.Equals(LockedSymbol(lockOperation)?.OriginalDefinition, lockSymbol.OriginalDefinition))
                {
                    return true;
                }
            }

            return false;
        }

        private bool Read(IFieldSymbol handle, ISymbol lockSymbol, CancellationToken cancellationToken)
        {
            foreach (var reference in FieldReferencesInType.Of(_compilation, handle, handle.ContainingType, cancellationToken))
            {
                var member = reference.Parent switch
                {
                    ISimpleAssignmentOperation assignment when assignment.Target == reference => null,
                    IInvocationOperation call when call.Instance == reference => call.TargetMethod.Name,
                    IPropertyReferenceOperation property when property.Instance == reference => property.Property.Name,
                    IConditionalAccessOperation access when access.Operation == reference => access.WhenNotNull switch
                    {
                        IInvocationOperation { Instance: IConditionalAccessInstanceOperation } call => call.TargetMethod.Name,
                        IPropertyReferenceOperation { Instance: IConditionalAccessInstanceOperation } property => property.Property.Name,
                        _ => string.Empty,
                    },
                    _ => string.Empty,
                };

                switch (member)
                {
                    case null:
                    case "DangerousGetHandle":
                    case "DangerousAddRef":
                    case "IsInvalid":
                    case "IsClosed":
                        continue;
                    case "Dispose":
                    case "Close":
                    case "SetHandleAsInvalid":
                    case "DangerousRelease":
                        if (!IsUnder(reference, lockSymbol))
                        {
                            return false;
                        }

                        continue;
                    default:
                        return false;
                }
            }

            return true;
        }
    }
}
