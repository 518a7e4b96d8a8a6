using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>What <see cref="ReleaseOnAllPaths"/> found for one tracked value.</summary>
    internal sealed class ReleaseResult
    {
        public ReleaseResult(LeakPath? leak, bool escapes, ImmutableArray<IOperation> releases, ILocalSymbol? firstLocal, bool hasCopies)
        {
            Leak = leak;
            Escapes = escapes;
            Releases = releases;
            FirstLocal = firstLocal;
            HasCopies = hasCopies;
        }

        /// <summary>The path reported (the most certain one), or null when the value is released or handed on everywhere.</summary>
        public LeakPath? Leak { get; }

        /// <summary>Ownership leaves the method on at least one path.</summary>
        public bool Escapes { get; }

        /// <summary>The release calls that act on the value.</summary>
        public ImmutableArray<IOperation> Releases { get; }

        /// <summary>The local the value is first stored in, if any.</summary>
        public ILocalSymbol? FirstLocal { get; }

        /// <summary>The value was copied to another local or flowed through a conditional.</summary>
        public bool HasCopies { get; }

        /// <summary>Releases by a function of another allocator family (or without the zeroing a secret needs).</summary>
        public ImmutableArray<(IOperation Site, Deallocator Release)> Mismatches { get; set; } = ImmutableArray<(IOperation, Deallocator)>.Empty;

        /// <summary>Uses and second releases of the value on a path where it was already released.</summary>
        public ImmutableArray<UseAfterRelease> UsesAfterRelease { get; set; } = ImmutableArray<UseAfterRelease>.Empty;

        /// <summary>Every path found on which the value is neither released nor handed on, most certain first.</summary>
        public ImmutableArray<LeakPath> AllLeaks { get; set; } = ImmutableArray<LeakPath>.Empty;
    }

    /// <summary>A use (or a second release) of a value after some path released it.</summary>
    internal sealed class UseAfterRelease
    {
        public UseAfterRelease(IOperation reference, ValueUse use, bool isRelease, IOperation? releasedBy = null)
        {
            Reference = reference;
            Use = use;
            IsRelease = isRelease;
            ReleasedBy = releasedBy;
        }

        /// <summary>The reference to the released value.</summary>
        public IOperation Reference { get; }

        public ValueUse Use { get; }

        public bool IsRelease { get; }

        /// <summary>The release that preceded it (the closest one before it in the source).</summary>
        public IOperation? ReleasedBy { get; }

        public UseAfterRelease WithReleasedBy(IOperation? releasedBy) => new UseAfterRelease(Reference, Use, IsRelease, releasedBy);
    }

    /// <summary>
    /// "Is this value released on every path, exceptional paths included, unless it escapes?" A forward data-flow
    /// over Roslyn's <see cref="ControlFlowGraph"/> for one allocation site. Exceptions are modelled at each operation
    /// that may throw: they run the enclosing finally regions and reach the enclosing catch handlers; a null check of
    /// the value (<c>p == IntPtr.Zero</c>) clears the obligation on the branch where it is null.
    /// </summary>
    internal sealed class ReleaseOnAllPaths
    {
        private readonly ControlFlowGraph _cfg;
        private readonly IOperation _allocation;
        private readonly Allocator _allocator;
        private readonly ValueUses _uses;
        private readonly ThrowPoints _throwPoints;
        private readonly ISet<ILocalSymbol> _capturedLocals;
        private readonly List<LeakPath> _leaks = new List<LeakPath>();
        private readonly List<IOperation> _releases = new List<IOperation>();
        private readonly List<(IOperation Site, Deallocator Release)> _mismatches = new List<(IOperation, Deallocator)>();
        private readonly List<UseAfterRelease> _afterRelease = new List<UseAfterRelease>();
        private readonly Dictionary<(int, OwnershipState), OwnershipState?> _finallySummaries = new Dictionary<(int, OwnershipState), OwnershipState?>();
        private readonly HashSet<CaptureId> _resultCaptures = new HashSet<CaptureId>();
        private ILocalSymbol? _resultLocal;
        private bool _escapes;
        private bool _hasCopies;
        private ILocalSymbol? _firstLocal;
        private ReceiverReference? _reference;
        private ImmutableArray<ISymbol> _receiverPath;
        private ConditionKey? _successKey;
        private readonly Dictionary<CaptureId, IOperation> _captures = new Dictionary<CaptureId, IOperation>();
        private Dictionary<SyntaxNode, OwnershipState>? _probes;
        private FlowBudget _budget = FlowBudget.Default;

        private ReleaseOnAllPaths(ControlFlowGraph cfg, IOperation allocation, Allocator allocator, ValueUses uses, ThrowPoints throwPoints, ISet<ILocalSymbol> capturedLocals)
        {
            _cfg = cfg;
            _allocation = allocation;
            _allocator = allocator;
            _uses = uses;
            _throwPoints = throwPoints;
            _capturedLocals = capturedLocals;
        }

        /// <param name="allocation">
        /// An operation of <paramref name="cfg"/> (not of the original tree) producing the value: a call, a creation,
        /// or the <c>out</c> argument a native call stores it through.
        /// </param>
        public static ReleaseResult Analyze(ControlFlowGraph cfg, IOperation allocation, Allocator allocator, ValueUses uses, ThrowPoints throwPoints, ISet<ILocalSymbol> capturedLocals, FlowBudget? budget = null)
        {
            var analysis = new ReleaseOnAllPaths(cfg, allocation, allocator, uses, throwPoints, capturedLocals) { _budget = budget ?? FlowBudget.Default };
            return analysis.Run();
        }

        /// <summary>
        /// Is the reference <paramref name="reference"/> takes released on every path, exceptional paths included?
        /// Paths on which its success flag is false owe nothing; a release is <see cref="ReceiverReference.IsRelease"/>
        /// on a receiver named like the acquisition's.
        /// </summary>
        public static ReleaseResult AnalyzeReference(ControlFlowGraph cfg, ReceiverReference reference, ValueUses uses, ThrowPoints throwPoints)
        {
            return Prepare(cfg, reference, uses, throwPoints).Run();
        }

        private static ReleaseOnAllPaths Prepare(ControlFlowGraph cfg, ReceiverReference reference, ValueUses uses, ThrowPoints throwPoints)
        {
            var analysis = new ReleaseOnAllPaths(cfg, reference.Acquisition, AllocationCatalogue.SafeHandleReference, uses, throwPoints, ImmutableHashSet<ILocalSymbol>.Empty)
            {
                _reference = reference,
                _successKey = reference.Success == null ? null : ConditionKey.ForLocal(reference.Success),
            };
            foreach (var block in cfg.Blocks)
            {
                var operations = block.BranchValue == null ? block.Operations : block.Operations.Add(block.BranchValue);
                foreach (var capture in operations.SelectMany(o => o.DescendantsAndSelf()).OfType<IFlowCaptureOperation>())
                {
                    analysis._captures[capture.Id] = capture.Value;
                }
            }

            analysis._receiverPath = ReceiverReference.PathOf(reference.Acquisition.Instance, analysis._captures);
            return analysis;
        }

        /// <summary>
        /// Is a reference taken by <paramref name="reference"/> held at each of <paramref name="sites"/> (syntax of
        /// operations of <paramref name="cfg"/>) on every path that reaches it: taken, and not yet released? A site no
        /// path reaches is not held. An acquisition that returns has taken the reference (it throws otherwise).
        /// </summary>
        public static bool IsHeldAt(ControlFlowGraph cfg, ReceiverReference reference, IReadOnlyCollection<SyntaxNode> sites, ValueUses uses, ThrowPoints throwPoints)
        {
            var analysis = Prepare(cfg, new ReceiverReference(reference.Acquisition, null, reference.IsRelease, reference.IsQuiet), uses, throwPoints);
            analysis._probes = new Dictionary<SyntaxNode, OwnershipState>();
            foreach (var site in sites)
            {
                analysis._probes[site] = default;
            }

            analysis.Solve(entry: 0, OwnershipState.Free, finallyRegion: null);
            return analysis._probes.Values.All(state => state.Owning != null && state.Owned && state.NotOwning.IsEmpty && !state.WasReleased);
        }

        private void Probe(IOperation operation, OwnershipState state)
        {
            if (_probes == null)
            {
                return;
            }

            foreach (var descendant in operation.DescendantsAndSelf())
            {
                if (_probes.TryGetValue(descendant.Syntax, out var seen))
                {
                    _probes[descendant.Syntax] = seen.Owning == null ? state : seen.Merge(state);
                }
            }
        }

        private ReleaseResult Run()
        {
            var analysis = this;
            analysis.Solve(entry: 0, OwnershipState.Free, finallyRegion: null);
            var leaks = analysis._leaks
                .OrderBy(l => l.Priority)
                .ThenBy(l => l.Site?.SpanStart ?? int.MaxValue)
                .ToImmutableArray();
            var leak = leaks.FirstOrDefault();
            var releases = analysis._releases.Distinct().ToImmutableArray();
            return new ReleaseResult(leak, analysis._escapes, releases, analysis._firstLocal, analysis._hasCopies)
            {
                Mismatches = analysis._mismatches.GroupBy(m => m.Site).Select(g => g.First()).ToImmutableArray(),
                UsesAfterRelease = analysis._afterRelease
                    .GroupBy(u => u.Reference.Syntax.SpanStart)
                    .Select(g => g.First().WithReleasedBy(releases.Where(r => r.Syntax.Span.End <= g.Key).OrderByDescending(r => r.Syntax.SpanStart).FirstOrDefault() ?? releases.FirstOrDefault()))
                    .OrderBy(u => u.Reference.Syntax.SpanStart)
                    .ToImmutableArray(),
                AllLeaks = leaks,
            };
        }

        /// <summary>Runs from <paramref name="entry"/>; for a finally region, returns the merged state at its end.</summary>
        private OwnershipState? Solve(int entry, OwnershipState entryState, ControlFlowRegion? finallyRegion)
        {
            var blocks = _cfg.Blocks;
            var states = new OwnershipState?[blocks.Length];
            states[entry] = entryState;
            var work = new Queue<int>();
            var queued = new bool[blocks.Length];
            work.Enqueue(entry);
            queued[entry] = true;
            OwnershipState? atEnd = null;
            var isMain = finallyRegion == null;

            void Flow(int target, OwnershipState state)
            {
                if (finallyRegion != null && (target < finallyRegion.FirstBlockOrdinal || target > finallyRegion.LastBlockOrdinal))
                {
                    return;
                }

                if (state.IsUnreachable)
                {
                    return;
                }

                var merged = states[target] is { } existing ? existing.Merge(state) : state;
                if (states[target] is { } old && old.Equals(merged))
                {
                    return;
                }

                states[target] = merged;
                if (!queued[target])
                {
                    queued[target] = true;
                    work.Enqueue(target);
                }
            }

            var guard = 0;
            while (work.Count > 0 && guard++ < 10000)
            {
                var ordinal = work.Dequeue();
                queued[ordinal] = false;
                var block = blocks[ordinal];
                var state = states[ordinal]!.Value;

                foreach (var operation in block.Operations)
                {
                    state = Transfer(operation, state, block, isMain, Flow);
                }

                if (block.BranchValue != null)
                {
                    state = TransferBranchValue(block, state, isMain, Flow);
                }

                var fallThrough = block.FallThroughSuccessor;
                if (fallThrough != null)
                {
                    switch (fallThrough.Semantics)
                    {
                        case ControlFlowBranchSemantics.Throw:
                        case ControlFlowBranchSemantics.Rethrow:
                            if (isMain && state.Owned)
                            {
                                var site = block.BranchValue?.Syntax ?? block.Operations.LastOrDefault()?.Syntax;
                                PropagateException(block, state, new LeakPath(LeakKind.Throw, ThrowStatementOf(site)), Flow);
                            }

                            break;
                        case ControlFlowBranchSemantics.StructuredExceptionHandling:
                            if (!isMain)
                            {
                                atEnd = atEnd is { } end ? end.Merge(state) : state;
                            }

                            break;
                        case ControlFlowBranchSemantics.ProgramTermination:
                        case ControlFlowBranchSemantics.Error:
                            break;
                        default:
                            var conditionalState = state;
                            var fallThroughState = state;
                            var conditionalTaken = block.ConditionKind == ControlFlowConditionKind.WhenTrue;
                            if (block.ConditionalSuccessor != null && block.BranchValue != null && (NullCheck(block.BranchValue, state) ?? ReceiverNullCheck(block.BranchValue)) is { } zeroWhen)
                            {
                                // zeroWhen: the branch value's truth under which the value is null. GCHandle.Free
                                // clears the handle it is called on, so 'IsAllocated' is also false after a release.
                                var liveState = IsAllocatedCheck(block.BranchValue) ? state.WithoutReleasedPaths() : state;
                                if (zeroWhen == conditionalTaken)
                                {
                                    conditionalState = state.Settled();
                                    fallThroughState = liveState;
                                }
                                else
                                {
                                    fallThroughState = state.Settled();
                                    conditionalState = liveState;
                                }
                            }
                            else if (block.ConditionalSuccessor != null && block.BranchValue != null && OutHandleFailure(block.BranchValue) is { } failedWhen)
                            {
                                // The call that fills the out handle reported failure on one side: nothing to dispose there.
                                if (failedWhen == conditionalTaken)
                                {
                                    conditionalState = state.Settled();
                                }
                                else
                                {
                                    fallThroughState = state.Settled();
                                }
                            }
                            else if (block.ConditionalSuccessor != null && block.BranchValue != null && ConditionKey.Of(block.BranchValue) is { } condition)
                            {
                                conditionalState = state.Assuming(condition.Key, conditionalTaken != condition.Negated);
                                fallThroughState = state.Assuming(condition.Key, conditionalTaken == condition.Negated);
                            }

                            FollowBranch(block, fallThrough, fallThroughState, Flow);
                            if (block.ConditionalSuccessor != null)
                            {
                                FollowBranch(block, block.ConditionalSuccessor, conditionalState, Flow);
                            }

                            break;
                    }
                }
            }

            return atEnd;
        }

        private void FollowBranch(BasicBlock from, ControlFlowBranch branch, OwnershipState state, System.Action<int, OwnershipState> flow)
        {
            foreach (var finallyRegion in branch.FinallyRegions)
            {
                if (RunFinally(finallyRegion, state) is not { } after)
                {
                    return;
                }

                state = after;
            }

            var destination = branch.Destination;
            if (destination == null)
            {
                return;
            }

            if (destination.Kind == BasicBlockKind.Exit)
            {
                if (state.Owned)
                {
                    _leaks.Add(ExitLeak(from));
                }

                return;
            }

            flow(destination.Ordinal, state);
        }

        private LeakPath ExitLeak(BasicBlock from)
        {
            if (from.BranchValue != null && from.FallThroughSuccessor?.Semantics == ControlFlowBranchSemantics.Return)
            {
                var returnStatement = from.BranchValue.Syntax.AncestorsAndSelf().FirstOrDefault(n => n is Microsoft.CodeAnalysis.CSharp.Syntax.ReturnStatementSyntax);
                if (returnStatement != null)
                {
                    return new LeakPath(LeakKind.Return, returnStatement);
                }
            }

            // A reference: name the 'return;' of an 'if' whose branch this is, so that the finding can point at it.
            if (_reference != null && from.BranchValue?.Syntax.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.IfStatementSyntax guard
                && guard.Condition == from.BranchValue.Syntax
                && (guard.Statement as Microsoft.CodeAnalysis.CSharp.Syntax.ReturnStatementSyntax
                    ?? (guard.Statement as Microsoft.CodeAnalysis.CSharp.Syntax.BlockSyntax)?.Statements.LastOrDefault() as Microsoft.CodeAnalysis.CSharp.Syntax.ReturnStatementSyntax) is { Expression: null } earlyReturn)
            {
                return new LeakPath(LeakKind.EarlyReturn, earlyReturn);
            }

            // The exit's last real predecessor is the end of the body; any other way out is an early return.
            var lastBody = _cfg.Blocks.Length - 2;
            return from.Ordinal == lastBody || from.FallThroughSuccessor?.Semantics != ControlFlowBranchSemantics.Return
                ? new LeakPath(LeakKind.MethodEnd, null)
                : new LeakPath(LeakKind.EarlyReturn, null);
        }

        private OwnershipState? RunFinally(ControlFlowRegion finallyRegion, OwnershipState state)
        {
            var key = (finallyRegion.FirstBlockOrdinal, state);
            if (_finallySummaries.TryGetValue(key, out var cached))
            {
                return cached;
            }

            _finallySummaries[key] = state;
            var after = Solve(finallyRegion.FirstBlockOrdinal, state, finallyRegion);
            _finallySummaries[key] = after;
            return after;
        }

        private void PropagateException(BasicBlock block, OwnershipState state, LeakPath path, System.Action<int, OwnershipState> flow)
        {
            var region = block.EnclosingRegion;
            while (region != null)
            {
                switch (region.Kind)
                {
                    case ControlFlowRegionKind.Try:
                        var outer = region.EnclosingRegion!;
                        if (outer.Kind == ControlFlowRegionKind.TryAndFinally)
                        {
                            if (RunFinally(outer.NestedRegions.Last(), state) is not { } after)
                            {
                                return;
                            }

                            state = after;
                        }
                        else if (outer.Kind == ControlFlowRegionKind.TryAndCatch)
                        {
                            foreach (var handler in outer.NestedRegions.Skip(1))
                            {
                                flow(handler.FirstBlockOrdinal, state);
                                if (handler.Kind == ControlFlowRegionKind.Catch && CatchesAll(handler.ExceptionType))
                                {
                                    return;
                                }
                            }
                        }

                        region = outer.EnclosingRegion;
                        continue;

                    case ControlFlowRegionKind.Catch:
                    case ControlFlowRegionKind.Filter:
                    case ControlFlowRegionKind.FilterAndHandler:
                    case ControlFlowRegionKind.Finally:
                        // Thrown inside a handler: leaves the whole try statement.
                        while (region != null && region.Kind != ControlFlowRegionKind.TryAndCatch && region.Kind != ControlFlowRegionKind.TryAndFinally)
                        {
                            region = region.EnclosingRegion;
                        }

                        region = region?.EnclosingRegion;
                        continue;

                    default:
                        region = region.EnclosingRegion;
                        continue;
                }
            }

            if (state.Owned)
            {
                _leaks.Add(path);
            }
        }

        private static bool CatchesAll(ITypeSymbol? exceptionType)
            => exceptionType == null
               || exceptionType.SpecialType == SpecialType.System_Object
               || (exceptionType.Name == "Exception" && exceptionType.ContainingNamespace?.ToDisplayString() == "System");

        private OwnershipState Transfer(IOperation operation, OwnershipState state, BasicBlock block, bool isMain, System.Action<int, OwnershipState> flow)
        {
            _budget.CountTransfer();
            Probe(operation, state);

            // 1. Uses of the tracked names, classified before anything changes.
            var classified = new List<(IOperation Reference, ValueUse Use)>();
            foreach (var reference in NameReferences(operation, state))
            {
                classified.Add((reference, _uses.Classify(reference)));
            }

            // 2. If the operation may throw while the value is owned, the exception path.
            if (isMain && state.Owned)
            {
                // Handing the value to a release or a new owner is the last thing we follow; its own failure is the owner's.
                // Calls that complete after the hand-over (Take(GCHandle.ToIntPtr(h))) throw with nothing owed either.
                var excluded = new HashSet<IOperation>(classified
                    .Where(c => c.Use.Kind == ValueUseKind.Release || c.Use.Kind == ValueUseKind.Escape)
                    .SelectMany(c => AncestorsWithin(c.Use.Site, operation)));
                ExcludeQuietCalls(operation, excluded);
                if (_throwPoints.Find(operation, excluded) is { } thrower)
                {
                    PropagateException(block, state, new LeakPath(LeakKind.MayThrow, thrower.Syntax), flow);
                }
            }

            // 3. Effects of the uses; overwritten names are dropped before copies are added.
            var copies = new List<object>();
            foreach (var (reference, use) in classified)
            {
                switch (use.Kind)
                {
                    case ValueUseKind.Release:
                        state = Release(use, reference, state);
                        break;
                    case ValueUseKind.Use:
                        NoteUseAfterRelease(use, reference, state);
                        break;
                    case ValueUseKind.Escape:
                        _escapes = true;
                        state = state.Settled();
                        break;
                    case ValueUseKind.Copy:
                        if (use.CopyTarget is ILocalSymbol captured && _capturedLocals.Contains(captured))
                        {
                            _escapes = true;
                            state = state.Settled();
                        }
                        else
                        {
                            copies.Add(use.CopyTarget!);
                        }

                        break;
                }
            }

            if (_reference != null)
            {
                foreach (var release in operation.DescendantsAndSelf().OfType<IInvocationOperation>().Where(IsReferenceRelease))
                {
                    _releases.Add(release);
                    state = state.AfterRelease();
                }
            }

            foreach (var (symbol, constant) in AssignedVariables(operation))
            {
                state = state.Assigned(symbol, constant);

                // The receiver's name now means another handle: what it owes can no longer be followed.
                if (_reference != null && !_receiverPath.IsDefault && _receiverPath.Contains(symbol, SymbolEqualityComparer.Default) && !Contains(operation, _allocation))
                {
                    state = state.Settled();
                }
            }

            var overwritten = false;
            foreach (var target in AssignedNames(operation))
            {
                if (state.Names.Contains(target))
                {
                    state = state.WithoutName(target);
                    overwritten = true;
                }
            }

            if (state.Owned)
            {
                foreach (var copy in copies)
                {
                    _hasCopies = true;
                    state = state.WithName(copy);
                }
            }

            var containsAllocation = Contains(operation, _allocation);
            if (overwritten && state.Owned && state.Names.IsEmpty)
            {
                var variable = AssignedNames(operation).OfType<ILocalSymbol>().FirstOrDefault()?.Name;
                _leaks.Add(new LeakPath(containsAllocation ? LeakKind.NextIteration : LeakKind.Overwrite, operation.Syntax, variable));
                state = state.Settled();
            }

            // 4. The allocation itself: where does the fresh value go?
            if (containsAllocation && _reference != null)
            {
                // Taken again (next loop iteration) while the previous reference is still owed: that one is lost.
                if (state.Owned)
                {
                    _leaks.Add(new LeakPath(LeakKind.NextIteration, _allocation.Syntax));
                }

                state = state.AcquiredWhen(_successKey);
            }
            else if (containsAllocation)
            {
                state = Allocate(state);
                NoteCallResult(operation);
            }

            return state;
        }

        private OwnershipState TransferBranchValue(BasicBlock block, OwnershipState state, bool isMain, System.Action<int, OwnershipState> flow)
        {
            _budget.CountTransfer();
            var branchValue = block.BranchValue!;
            Probe(branchValue, state);
            var returns = block.FallThroughSuccessor?.Semantics == ControlFlowBranchSemantics.Return;
            var references = NameReferences(branchValue, state).ToList();
            var excluded = new HashSet<IOperation>();
            var effects = new List<(IOperation Reference, ValueUse Use)>();
            foreach (var reference in references)
            {
                var use = _uses.Classify(reference);
                if (use.Kind == ValueUseKind.ReachedRoot)
                {
                    use = new ValueUse(returns ? ValueUseKind.Escape : ValueUseKind.Use, use.Site);
                }

                if (use.Kind == ValueUseKind.Release || use.Kind == ValueUseKind.Escape)
                {
                    excluded.UnionWith(AncestorsWithin(use.Site, branchValue));
                }

                effects.Add((reference, use));
            }

            ExcludeQuietCalls(branchValue, excluded);
            if (isMain && state.Owned && _throwPoints.Find(branchValue, excluded) is { } thrower)
            {
                PropagateException(block, state, new LeakPath(LeakKind.MayThrow, thrower.Syntax), flow);
            }

            foreach (var (reference, use) in effects)
            {
                if (use.Kind == ValueUseKind.Release)
                {
                    state = Release(use, reference, state);
                }
                else if (use.Kind == ValueUseKind.Use)
                {
                    NoteUseAfterRelease(use, reference, state);
                }
                else if (use.Kind == ValueUseKind.Escape)
                {
                    _escapes = true;
                    state = state.Settled();
                }
            }

            if (Contains(branchValue, _allocation))
            {
                var use = _uses.Classify(_allocation);
                if (use.Kind == ValueUseKind.ReachedRoot)
                {
                    if (returns)
                    {
                        _escapes = true;
                    }
                    else
                    {
                        _leaks.Add(new LeakPath(LeakKind.Discarded, _allocation.Syntax));
                    }

                    return state;
                }

                state = Allocate(state);
            }

            return state;
        }

        /// <summary>
        /// For a reference taken on a receiver, the truth under which the branch value says the receiver is null
        /// (<c>h?.DangerousRelease()</c>, <c>if (h != null)</c>): a reference was never taken on a null receiver.
        /// </summary>
        private bool? ReceiverNullCheck(IOperation condition)
        {
            if (_reference == null)
            {
                return null;
            }

            var negate = false;
            while (condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
            {
                negate = !negate;
                condition = not.Operand;
            }

            bool IsReceiver(IOperation operation) => ReceiverReference.SamePath(ReceiverReference.PathOf(operation, _captures), _receiverPath);

            switch (condition)
            {
                case IIsNullOperation isNull when IsReceiver(isNull.Operand):
                    return !negate;
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } binary
                    when (IsReceiver(binary.LeftOperand) && ValueUses.SkipConversions(binary.RightOperand).ConstantValue is { HasValue: true, Value: null })
                         || (IsReceiver(binary.RightOperand) && ValueUses.SkipConversions(binary.LeftOperand).ConstantValue is { HasValue: true, Value: null }):
                    return (binary.OperatorKind == BinaryOperatorKind.Equals) != negate;
                default:
                    return null;
            }
        }

        private void ExcludeQuietCalls(IOperation operation, HashSet<IOperation> excluded)
        {
            if (_reference == null)
            {
                return;
            }

            foreach (var invocation in operation.DescendantsAndSelf().OfType<IInvocationOperation>())
            {
                if (_reference.IsQuiet(invocation))
                {
                    excluded.Add(invocation);
                }
            }
        }

        private bool IsReferenceRelease(IInvocationOperation invocation)
            => _reference!.IsRelease(invocation) && ReceiverReference.SamePath(ReceiverReference.PathOf(invocation.Instance, _captures), _receiverPath);

        /// <summary>Remembers where the result of an out-handle call went (a local or a flow capture), for failure checks.</summary>
        private void NoteCallResult(IOperation operation)
        {
            if (_allocation is not IArgumentOperation { Parent: IInvocationOperation call })
            {
                return;
            }

            for (IOperation? current = call; current != null && current != operation.Parent; current = current.Parent)
            {
                switch (current.Parent)
                {
                    case IConversionOperation:
                        continue;
                    case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local }:
                        _resultLocal = local.Local;
                        return;
                    case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                        _resultLocal = declarator.Symbol;
                        return;
                    case IFlowCaptureOperation capture:
                        _resultCaptures.Add(capture.Id);
                        return;
                    default:
                        return;
                }
            }
        }

        private OwnershipState Release(ValueUse use, IOperation reference, OwnershipState state)
        {
            if (state.WasReleased && use.Release is { Idempotent: false })
            {
                _afterRelease.Add(new UseAfterRelease(reference, use, isRelease: true));
            }

            if (use.Release is { } release && (release.Family != _allocator.Family || (_allocator.RequiresZeroing && !release.Zeroing)))
            {
                _mismatches.Add((use.Site, release));
            }

            _releases.Add(use.Site);
            return state.AfterRelease();
        }

        private void NoteUseAfterRelease(ValueUse use, IOperation reference, OwnershipState state)
        {
            if (state.WasReleased)
            {
                _afterRelease.Add(new UseAfterRelease(reference, use, isRelease: false));
            }
        }

        private OwnershipState Allocate(OwnershipState state)
        {
            var use = _allocation is IArgumentOperation outArgument
                ? _uses.ClassifyStore(ValueUses.SkipConversions(outArgument.Value is IDeclarationExpressionOperation declaration ? declaration.Expression : outArgument.Value), outArgument)
                : _uses.Classify(_allocation);
            switch (use.Kind)
            {
                case ValueUseKind.Copy:
                    if (use.CopyTarget is ILocalSymbol local)
                    {
                        if (_capturedLocals.Contains(local))
                        {
                            _escapes = true;
                            return state.AllocatedAndGone();
                        }

                        _firstLocal ??= local;
                    }
                    else
                    {
                        _hasCopies = true;
                    }

                    return state.Allocated(use.CopyTarget!);
                case ValueUseKind.Escape:
                case ValueUseKind.ReachedRoot:
                    _escapes = true;
                    return state.AllocatedAndGone();
                case ValueUseKind.Release:
                    _releases.Add(use.Site);
                    return state.AllocatedAndGone();
                default:
                    _leaks.Add(new LeakPath(LeakKind.Discarded, _allocation.Syntax));
                    return state.AllocatedAndGone();
            }
        }

        /// <summary>Locals and parameters an operation writes, with the constant bool written where there is one.</summary>
        private static IEnumerable<(ISymbol Symbol, bool? Constant)> AssignedVariables(IOperation operation)
        {
            foreach (var descendant in operation.DescendantsAndSelf())
            {
                IOperation? target = descendant switch
                {
                    IAssignmentOperation assignment => assignment.Target,
                    IIncrementOrDecrementOperation increment => increment.Target,
                    IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } argument => argument.Value,
                    _ => null,
                };

                var constant = descendant is ISimpleAssignmentOperation simple && simple.Value.ConstantValue is { HasValue: true, Value: bool b } ? b : (bool?)null;
                foreach (var written in target == null ? Enumerable.Empty<IOperation>() : target.DescendantsAndSelf())
                {
                    switch (written)
                    {
                        case ILocalReferenceOperation local:
                            yield return (local.Local, constant);
                            break;
                        case IParameterReferenceOperation parameter:
                            yield return (parameter.Parameter, constant);
                            break;
                    }
                }
            }
        }

        /// <summary>
        /// For a branch value that compares a tracked name with zero/null, the truth value under which the
        /// tracked value is null; otherwise null.
        /// </summary>
        private static bool? NullCheck(IOperation condition, OwnershipState state)
        {
            var negate = false;
            while (condition is IUnaryOperation unary && unary.OperatorKind == UnaryOperatorKind.Not)
            {
                negate = !negate;
                condition = unary.Operand;
            }

            // using and ?. test a reference for null; a GCHandle is live while IsAllocated, a SafeHandle owes
            // nothing once it is known invalid or closed (validating before 'using' is the usual shape).
            if (condition is IIsNullOperation isNull && IsName(ValueUses.SkipConversions(isNull.Operand), state))
            {
                return !negate;
            }

            if (condition is IPropertyReferenceOperation property && property.Instance != null && IsName(ValueUses.SkipConversions(property.Instance), state))
            {
                switch (property.Property.Name)
                {
                    case "IsAllocated":
                        return negate;
                    case "IsInvalid":
                    case "IsClosed":
                        return !negate;
                }
            }

            if (condition is IBinaryOperation binary
                && (binary.OperatorKind == BinaryOperatorKind.Equals || binary.OperatorKind == BinaryOperatorKind.NotEquals))
            {
                var left = ValueUses.SkipConversions(binary.LeftOperand);
                var right = ValueUses.SkipConversions(binary.RightOperand);
                var compared = (IsName(left, state) && IsZero(right)) || (IsName(right, state) && IsZero(left));
                if (compared)
                {
                    var zeroWhenTrue = binary.OperatorKind == BinaryOperatorKind.Equals;
                    return zeroWhenTrue != negate;
                }
            }

            if (condition is IIsPatternOperation isPattern && IsName(ValueUses.SkipConversions(isPattern.Value), state))
            {
                var pattern = isPattern.Pattern;
                var patternNegated = false;
                while (pattern is INegatedPatternOperation negatedPattern)
                {
                    patternNegated = !patternNegated;
                    pattern = negatedPattern.Pattern;
                }

                if (pattern is IConstantPatternOperation constant && IsZero(ValueUses.SkipConversions(constant.Value)))
                {
                    return patternNegated == negate;
                }
            }

            if (condition is IInvocationOperation { TargetMethod.Name: "Equals" } equals && equals.Instance != null && equals.Arguments.Length == 1
                && IsName(ValueUses.SkipConversions(equals.Instance), state) && IsZero(ValueUses.SkipConversions(equals.Arguments[0].Value)))
            {
                return !negate;
            }

            return null;
        }

        /// <summary>
        /// For an allocation through an <c>out</c> argument, the truth of <paramref name="condition"/> under which the
        /// call reported failure (bool false, or a nonzero status as C APIs return), or null when the condition does
        /// not test that call's result (directly or through the local it was stored in).
        /// </summary>
        private bool? OutHandleFailure(IOperation condition)
        {
            if (_allocation is not IArgumentOperation { Parent: IInvocationOperation call })
            {
                return null;
            }

            var result = call.TargetMethod.ReturnType;
            object? success = result.SpecialType == SpecialType.System_Boolean ? true
                : result.SpecialType == SpecialType.System_Int32 || result.SpecialType == SpecialType.System_UInt32 || result.SpecialType == SpecialType.System_Int64 ? 0L
                : null;
            if (success == null || EvaluateWithResult(condition, call, success) is not { } truthOnSuccess)
            {
                return null;
            }

            return !truthOnSuccess;
        }

        private bool? EvaluateWithResult(IOperation operation, IInvocationOperation call, object success)
        {
            operation = ValueUses.SkipConversions(operation);
            if (IsCallResult(operation, call))
            {
                return success is bool b ? b : (bool?)null;
            }

            switch (operation)
            {
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                    return !EvaluateWithResult(not.Operand, call, success);
                case IBinaryOperation binary when success is long status:
                    var left = ValueUses.SkipConversions(binary.LeftOperand);
                    var right = ValueUses.SkipConversions(binary.RightOperand);
                    long? constant;
                    bool resultOnLeft;
                    if (IsCallResult(left, call) && right.ConstantValue is { HasValue: true } rc)
                    {
                        constant = System.Convert.ToInt64(rc.Value, System.Globalization.CultureInfo.InvariantCulture);
                        resultOnLeft = true;
                    }
                    else if (IsCallResult(right, call) && left.ConstantValue is { HasValue: true } lc)
                    {
                        constant = System.Convert.ToInt64(lc.Value, System.Globalization.CultureInfo.InvariantCulture);
                        resultOnLeft = false;
                    }
                    else
                    {
                        return null;
                    }

                    var (a, b2) = resultOnLeft ? (status, constant.Value) : (constant.Value, status);
                    return binary.OperatorKind switch
                    {
                        BinaryOperatorKind.Equals => a == b2,
                        BinaryOperatorKind.NotEquals => a != b2,
                        BinaryOperatorKind.LessThan => a < b2,
                        BinaryOperatorKind.LessThanOrEqual => a <= b2,
                        BinaryOperatorKind.GreaterThan => a > b2,
                        BinaryOperatorKind.GreaterThanOrEqual => a >= b2,
                        _ => null,
                    };
                default:
                    return null;
            }
        }

        // The call itself (CFG keeps it in a capture or inline), or the local its result was stored in.
        private bool IsCallResult(IOperation operation, IInvocationOperation call)
        {
            if (operation == call)
            {
                return true;
            }

            if (operation is ILocalReferenceOperation local && _resultLocal != null && SymbolEqualityComparer.Default.Equals(local.Local, _resultLocal))
            {
                return true;
            }

            return operation is IFlowCaptureReferenceOperation reference && _resultCaptures.Contains(reference.Id);
        }

        private static bool IsAllocatedCheck(IOperation condition)
        {
            while (condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
            {
                condition = not.Operand;
            }

            return condition is IPropertyReferenceOperation { Property.Name: "IsAllocated" };
        }

        private static bool IsName(IOperation operation, OwnershipState state) => operation switch
        {
            ILocalReferenceOperation local => state.Names.Contains(local.Local),
            IFlowCaptureReferenceOperation capture => state.Names.Contains(capture.Id),
            _ => false,
        };

        /// <summary>
        /// Null, zero, or a failure sentinel: allocators report failure with null, and mmap-style ones with -1
        /// (<c>MAP_FAILED</c>, <c>INVALID_HANDLE_VALUE</c>). On the path where the value is one of these, nothing is owed.
        /// </summary>
        private static bool IsZero(IOperation operation)
        {
            if (operation.ConstantValue.HasValue)
            {
                return IsNullOrSentinel(operation.ConstantValue.Value);
            }

            return operation switch
            {
                IDefaultValueOperation => true,
                IFieldReferenceOperation field => field.Field.IsStatic && IsSentinelName(field.Field.Name),
                IPropertyReferenceOperation property => property.Property.IsStatic && IsSentinelName(property.Property.Name),
                IObjectCreationOperation { Arguments.Length: 1 } creation => IsNativeInteger(creation.Type) && ValueUses.SkipConversions(creation.Arguments[0].Value).ConstantValue is { HasValue: true } argument && IsNullOrSentinel(argument.Value),
                _ => false,
            };
        }

        private static bool IsNullOrSentinel(object? value)
            => value == null
               || (value is int i && (i == 0 || i == -1))
               || (value is long l && (l == 0 || l == -1))
               || (value is uint u && u == 0)
               || (value is ulong ul && ul == 0);

        private static bool IsSentinelName(string name)
            => name == "Zero"
               || name.IndexOf("FAILED", System.StringComparison.OrdinalIgnoreCase) >= 0
               || name.IndexOf("INVALID", System.StringComparison.OrdinalIgnoreCase) >= 0;

        private static bool IsNativeInteger(ITypeSymbol? type)
            => type != null && (type.SpecialType == SpecialType.System_IntPtr || type.SpecialType == SpecialType.System_UIntPtr);

        private static IEnumerable<IOperation> NameReferences(IOperation operation, OwnershipState state)
        {
            if (state.Names.IsEmpty)
            {
                yield break;
            }

            foreach (var descendant in operation.DescendantsAndSelf())
            {
                switch (descendant)
                {
                    case ILocalReferenceOperation local when state.Names.Contains(local.Local) && !IsAssignmentTarget(descendant):
                        yield return descendant;
                        break;
                    case IFlowCaptureReferenceOperation capture when state.Names.Contains(capture.Id):
                        yield return descendant;
                        break;
                }
            }
        }

        private static bool IsAssignmentTarget(IOperation operation)
            => operation.Parent is ISimpleAssignmentOperation assignment && assignment.Target == operation
               || operation.Parent is IArgumentOperation { Parameter.RefKind: RefKind.Out }
               || operation.Parent is IDeclarationExpressionOperation { Parent: IArgumentOperation { Parameter.RefKind: RefKind.Out } }
               || operation.Parent is IDeconstructionAssignmentOperation
               || operation.Parent is ITupleOperation tuple && tuple.Parent is IDeconstructionAssignmentOperation;

        private static IEnumerable<object> AssignedNames(IOperation operation)
        {
            foreach (var descendant in operation.DescendantsAndSelf())
            {
                switch (descendant)
                {
                    case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local }:
                        yield return local.Local;
                        break;
                    case IFlowCaptureOperation capture:
                        yield return capture.Id;
                        break;
                    case IArgumentOperation { Parameter.RefKind: RefKind.Out, Value: ILocalReferenceOperation outLocal }:
                        yield return outLocal.Local;
                        break;
                    case IArgumentOperation { Parameter.RefKind: RefKind.Out, Value: IDeclarationExpressionOperation { Expression: ILocalReferenceOperation declaredLocal } }:
                        yield return declaredLocal.Local;
                        break;
                    case IDeconstructionAssignmentOperation deconstruction:
                        foreach (var local in deconstruction.Target.DescendantsAndSelf().OfType<ILocalReferenceOperation>())
                        {
                            yield return local.Local;
                        }

                        break;
                }
            }
        }

        private static IEnumerable<IOperation> AncestorsWithin(IOperation site, IOperation root)
        {
            for (var current = site; current != null; current = current.Parent)
            {
                yield return current;
                if (current == root)
                {
                    yield break;
                }
            }
        }

        private static bool Contains(IOperation operation, IOperation target)
        {
            for (var current = target; current != null; current = current.Parent)
            {
                if (current == operation)
                {
                    return true;
                }
            }

            return false;
        }

        private static SyntaxNode? ThrowStatementOf(SyntaxNode? syntax)
            => syntax?.AncestorsAndSelf().FirstOrDefault(n => n is Microsoft.CodeAnalysis.CSharp.Syntax.ThrowStatementSyntax || n is Microsoft.CodeAnalysis.CSharp.Syntax.ThrowExpressionSyntax) ?? syntax;
    }
}
