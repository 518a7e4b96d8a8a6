using System.Collections.Generic;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Is a SafeHandle object one that no other thread can reach yet? A local of the function every write of which is an
    /// object this run of the function made — a <c>new</c>, the result of a native call or of a factory the allocation
    /// catalogue knows to return a fresh handle (<see cref="AllocationCatalogue.TryGetAllocator"/>), the <c>out</c>
    /// argument of a native call (<see cref="AllocationCatalogue.ForOutHandle"/>), or null — that nothing hands on
    /// (<see cref="ValueUses"/>: stored, returned, given to a keeping call, captured or copied) before the sites asked
    /// about, nor in a loop around them. Such an object can be disposed only by this thread, so the reference count's
    /// race ("another thread disposes it during the native call") cannot happen. It must also stay reachable: the function
    /// reads the local after each site (<see cref="StraightReads.ReadLater"/>), so the finalizer cannot release it during
    /// the use either. libheif-sharp's decoding options: a decoder name copied with a factory into a fresh handle whose raw
    /// value goes into the native options, and the handle is handed with the options to their owner on return.
    /// </summary>
    internal sealed class UnsharedHandles
    {
        private readonly AllocationCatalogue _catalogue;
        private readonly ValueUses _uses;

        public UnsharedHandles(AllocationCatalogue catalogue, ValueUses uses)
        {
            _catalogue = catalogue;
            _uses = uses;
        }

        /// <summary>
        /// True when <paramref name="receiver"/> names such an unshared handle at every one of <paramref name="sites"/> (operations
        /// of <paramref name="function"/>, not inside a lambda or local function). With <paramref name="handedOnlyByReturn"/>,
        /// a hand-over after the sites must also be part of a <c>return</c>: the raw value stored by the sites outlives them, and
        /// only the caller, who receives the handle with whatever holds that value, may end its life.
        /// </summary>
        public bool IsUnsharedAt(IOperation receiver, IOperation function, IReadOnlyList<IOperation> sites, bool handedOnlyByReturn)
        {
            if (OperationTree.SkipConversions(receiver) is not ILocalReferenceOperation { Local: { IsRef: false } local } || sites.Count == 0
                || sites.Any(s => OperationTree.IsInNestedFunction(s, function)))
            {
                return false;
            }

            var lastSite = sites.Max(s => s.Syntax.Span.End);
            var declared = false;
            foreach (var operation in function.Descendants())
            {
                if (operation is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, local))
                {
                    if (OperationTree.IsInNestedFunction(declarator, function) || (declarator.Initializer?.Value is { } initial && !IsFresh(initial)))
                    {
                        return false;
                    }

                    declared = true;
                    continue;
                }

                if (operation is not ILocalReferenceOperation reference || !SymbolEqualityComparer.Default.Equals(reference.Local, local))
                {
                    continue;
                }

                // Read or written by a lambda or local function: it may run anywhere, at any time.
                if (OperationTree.IsInNestedFunction(reference, function))
                {
                    return false;
                }

                var holder = reference.Parent is IDeclarationExpressionOperation declaration ? declaration : (IOperation)reference;
                if (holder.Parent is IArgumentOperation { Parameter: { RefKind: RefKind.Out or RefKind.Ref } parameter } filled)
                {
                    // Native.open(path, out h): the marshaller makes a new handle for the local.
                    if (filled.Parent is not IInvocationOperation call || _catalogue.ForOutHandle(call.TargetMethod, parameter) == null)
                    {
                        return false;
                    }

                    if (holder is IDeclarationExpressionOperation)
                    {
                        declared = true;
                    }

                    continue;
                }

                if (reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference)
                {
                    if (!IsFresh(assignment.Value))
                    {
                        return false;
                    }

                    continue;
                }

                if (!IsHarmlessRead(reference, function, sites, lastSite, handedOnlyByReturn))
                {
                    return false;
                }
            }

            return declared && sites.All(site => StraightReads.ReadLater(site, o => IsReadOf(o, local), o => IsWriteOf(o, local)));
        }

        // Used for a call, inspected or disposed here; or handed on only once every site is behind (and not in a loop that
        // comes back to them).
        private bool IsHarmlessRead(ILocalReferenceOperation reference, IOperation function, IReadOnlyList<IOperation> sites, int lastSite, bool handedOnlyByReturn)
        {
            var use = _uses.Classify(reference);
            switch (use.Kind)
            {
                case ValueUseKind.Use:
                case ValueUseKind.Inspect:
                case ValueUseKind.Release:
                    return true;
                case ValueUseKind.Escape:
                    return reference.Syntax.SpanStart >= lastSite
                           && !sites.Any(s => SharesLoop(s, reference, function))
                           && (!handedOnlyByReturn || InReturn(reference, function));
                default:
                    return false;
            }
        }

        /// <summary>A value this run of the function made: null, a <c>new</c>, or a call the catalogue knows to hand out a fresh SafeHandle.</summary>
        private bool IsFresh(IOperation value)
        {
            switch (OperationTree.SkipConversions(value))
            {
                case IDefaultValueOperation:
                case ILiteralOperation { ConstantValue: { HasValue: true, Value: null } }:
                case IObjectCreationOperation:
                    return true;
                case IInvocationOperation call:
                    return _catalogue.TryGetAllocator(call.TargetMethod, out var allocator) && allocator.Kind == ResourceKind.SafeHandle;
                default:
                    return false;
            }
        }

        private static bool SharesLoop(IOperation site, IOperation other, IOperation function)
        {
            for (var current = site.Parent; current != null && current != function; current = current.Parent)
            {
                if (current is ILoopOperation loop && loop.Syntax.Span.Contains(other.Syntax.Span))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool InReturn(IOperation operation, IOperation function)
        {
            for (var current = operation.Parent; current != null && current != function; current = current.Parent)
            {
                if (current is IReturnOperation { Kind: OperationKind.Return })
                {
                    return true;
                }
            }

            return false;
        }

        private static bool IsReadOf(IOperation operation, ILocalSymbol local)
            => operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local)
               && !(reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference);

        private static bool IsWriteOf(IOperation operation, ILocalSymbol local)
            => operation is ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } && SymbolEqualityComparer.Default.Equals(target.Local, local);
    }
}
