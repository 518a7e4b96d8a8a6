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

        /// <summary>
        /// The solve ran out of its budget before it was done: what it saw is partial, so it answers nothing (no leak,
        /// no release, no use after release). Rules read it as silence.
        /// </summary>
        public static ReleaseResult GaveUp { get; } = new ReleaseResult(null, escapes: false, ImmutableArray<IOperation>.Empty, null, hasCopies: false) { HasGivenUp = true };

        /// <summary>True for <see cref="GaveUp"/>: the solve stopped before it had followed every path.</summary>
        public bool HasGivenUp { get; private set; }

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
    /// <remarks>
    /// Cost: the operations' facts (<see cref="GraphFacts"/>) are walked once per graph, and one background solve per
    /// graph gives the states that hold before any tracked value exists. The solve for an allocation then starts at
    /// the allocation with the background state there, and a block it does not change keeps its background state
    /// without being visited; it stops following a path once the value is no longer owed there and no path from that
    /// point reads one of its names before writing it (<see cref="GraphFacts.IsLive"/>): nothing further on that path
    /// can produce a finding, and if the allocation runs again (a loop), it does so from the background state. A
    /// method with N sequential allocations, in a loop or not, costs one pass plus N short ones.
    /// Every solve has a budget of block visits proportional to the graph; one that runs out answers
    /// <see cref="ReleaseResult.GaveUp"/>.
    /// </remarks>
    internal sealed class ReleaseOnAllPaths
    {
        private readonly GraphFacts _graph;
        private readonly ControlFlowGraph _cfg;
        private readonly IOperation? _allocation;
        private readonly IOperation? _allocationRoot;
        private readonly Allocator _allocator;
        private readonly ValueUses _uses;
        private readonly ThrowPoints _throwPoints;
        private readonly ISet<ILocalSymbol> _capturedLocals;
        private readonly FlowBudget _budget;
        private readonly int _visitLimit;
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
        private Dictionary<SyntaxNode, OwnershipState>? _probes;
        private int _visits;
        private bool _gaveUp;

        // The sparse main solve: starts at the allocation, blocks default to their background state.
        private GraphFacts.BackgroundStates? _startFrom;
        private GraphFacts.Position _allocationPosition;

        // The background solve: records the state before each top-level operation.
        private Dictionary<IOperation, OwnershipState>? _recordBefore;
        private Dictionary<int, OwnershipState>? _mainStates;

        private ReleaseOnAllPaths(GraphFacts graph, IOperation? allocation, Allocator allocator, ValueUses uses, ThrowPoints throwPoints, ISet<ILocalSymbol> capturedLocals, FlowBudget? budget)
        {
            _graph = graph;
            _cfg = graph.Graph;
            _allocation = allocation;
            _allocationRoot = allocation == null ? null : graph.Containing(allocation)?.Operation;
            _allocator = allocator;
            _uses = uses;
            _throwPoints = throwPoints;
            _capturedLocals = capturedLocals;
            _budget = budget ?? FlowBudget.Default;
            _visitLimit = _budget.VisitLimit(_cfg.Blocks.Length);
        }

        /// <param name="graph">The facts of the graph, shared by every site of it.</param>
        /// <param name="allocation">
        /// An operation of the graph (not of the original tree) producing the value: a call, a creation, or the
        /// <c>out</c> argument a native call stores it through.
        /// </param>
        public static ReleaseResult Analyze(GraphFacts graph, IOperation allocation, Allocator allocator, ValueUses uses, ThrowPoints throwPoints, ISet<ILocalSymbol> capturedLocals, FlowBudget? budget = null)
        {
            var analysis = new ReleaseOnAllPaths(graph, allocation, allocator, uses, throwPoints, capturedLocals, budget);
            if (graph.Containing(allocation) is not { } root || analysis._budget.FullSolves)
            {
                return analysis.Run();
            }

            // Allocations in handlers and finally regions are solved from the entry: their blocks are reached by paths
            // (exceptions, finally summaries) the background solve does not follow.
            var block = analysis._cfg.Blocks[root.Position.Block];
            foreach (var region in ControlFlowGraphs.RegionsWithin(block))
            {
                if (region.Kind == ControlFlowRegionKind.Finally || region.Kind == ControlFlowRegionKind.Catch
                    || region.Kind == ControlFlowRegionKind.Filter || region.Kind == ControlFlowRegionKind.FilterAndHandler)
                {
                    return analysis.Run();
                }
            }

            var background = Background(graph, uses, throwPoints, budget);
            if (background.GaveUp)
            {
                return ReleaseResult.GaveUp;
            }

            if (!background.Before.ContainsKey(root.Operation))
            {
                // The background never reaches the allocation (only paths of this value could): the full solve decides.
                return analysis.Run();
            }

            analysis._startFrom = background;
            analysis._allocationPosition = root.Position;
            return analysis.Run();
        }

        /// <summary>The background solve of <paramref name="graph"/>: the states before any tracked value exists. Computed once per graph.</summary>
        private static GraphFacts.BackgroundStates Background(GraphFacts graph, ValueUses uses, ThrowPoints throwPoints, FlowBudget? budget)
        {
            if (graph.Background is { } known)
            {
                return known;
            }

            var analysis = new ReleaseOnAllPaths(graph, null, AllocationCatalogue.SafeHandleReference, uses, throwPoints, ImmutableHashSet<ILocalSymbol>.Empty, budget)
            {
                _recordBefore = new Dictionary<IOperation, OwnershipState>(),
            };
            analysis.Solve(entry: 0, OwnershipState.Free, finallyRegion: null);
            var background = new GraphFacts.BackgroundStates(analysis._mainStates!, analysis._recordBefore, analysis._gaveUp);
            graph.Background = background;
            return background;
        }

        /// <summary>
        /// Is the reference <paramref name="reference"/> takes released on every path, exceptional paths included?
        /// Paths on which its success flag is false owe nothing; a release is <see cref="ReceiverReference.IsRelease"/>
        /// on a receiver named like the acquisition's.
        /// </summary>
        public static ReleaseResult AnalyzeReference(GraphFacts graph, ReceiverReference reference, ValueUses uses, ThrowPoints throwPoints, FlowBudget? budget = null)
        {
            return Prepare(graph, reference, uses, throwPoints, budget).Run();
        }

        private static ReleaseOnAllPaths Prepare(GraphFacts graph, ReceiverReference reference, ValueUses uses, ThrowPoints throwPoints, FlowBudget? budget)
        {
            var analysis = new ReleaseOnAllPaths(graph, reference.Acquisition, AllocationCatalogue.SafeHandleReference, uses, throwPoints, ImmutableHashSet<ILocalSymbol>.Empty, budget)
            {
                _reference = reference,
                _successKey = reference.Success == null ? null : ConditionKey.ForLocal(reference.Success),
            };
            analysis._receiverPath = ReceiverReference.PathOf(reference.Acquisition.Instance, graph.Captures);
            return analysis;
        }

        /// <summary>
        /// Is a reference taken by <paramref name="reference"/> held at each of <paramref name="sites"/> (syntax of
        /// operations of the graph) on every path that reaches it: taken, and not yet released? A site no path
        /// reaches is not held. An acquisition that returns has taken the reference (it throws otherwise). A solve
        /// that gives up answers held: the rule stays silent.
        /// </summary>
        public static bool IsHeldAt(GraphFacts graph, ReceiverReference reference, IReadOnlyCollection<SyntaxNode> sites, ValueUses uses, ThrowPoints throwPoints, FlowBudget? budget = null)
        {
            var analysis = Prepare(graph, new ReceiverReference(reference.Acquisition, null, reference.IsRelease, reference.IsQuiet), uses, throwPoints, budget);
            analysis._probes = new Dictionary<SyntaxNode, OwnershipState>();
            foreach (var site in sites)
            {
                analysis._probes[site] = default;
            }

            analysis.Solve(entry: 0, OwnershipState.Free, finallyRegion: null);
            return analysis._gaveUp
                   || analysis._probes.Values.All(state => state.Owning != null && state.Owned && state.NotOwning.IsEmpty && !state.WasReleased);
        }

        private void Probe(IOperation operation, OwnershipState state)
        {
            if (_probes == null)
            {
                return;
            }

            foreach (var descendant in _graph.Of(operation).Descendants)
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
            if (analysis._gaveUp)
            {
                return ReleaseResult.GaveUp;
            }

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

        /// <summary>
        /// Whether, at <paramref name="at"/>, nothing further on this path can change the result: the value is not owed,
        /// and no path from here reads any of its names before writing it (every finding but a leak needs such a read,
        /// and a leak needs the value owed). If the allocation runs again, it starts from the background state there.
        /// </summary>
        private bool IsSpent(OwnershipState state, GraphFacts.Position at)
        {
            if (state.Owned)
            {
                return false;
            }

            foreach (var name in state.Names)
            {
                if (_graph.IsLive(name, at))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// Runs from <paramref name="entry"/>; for a finally region, returns the merged state at its end. The main solve
        /// of a site with a background starts at the allocation instead (see the remarks on the class).
        /// </summary>
        private OwnershipState? Solve(int entry, OwnershipState entryState, ControlFlowRegion? finallyRegion)
        {
            var blocks = _cfg.Blocks;
            var states = new Dictionary<int, OwnershipState>();
            var work = new Queue<int>();
            var queued = new HashSet<int>();
            OwnershipState? atEnd = null;
            var isMain = finallyRegion == null;
            var sparse = isMain ? _startFrom : null;
            if (isMain)
            {
                _mainStates = states;
            }

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

                OwnershipState? existing;
                if (states.TryGetValue(target, out var known))
                {
                    existing = known;
                }
                else if (sparse != null)
                {
                    if (IsSpent(state, new GraphFacts.Position(target, 0)))
                    {
                        return;
                    }

                    existing = sparse.AtEntry.TryGetValue(target, out var background) ? background : null;
                }
                else
                {
                    existing = null;
                }

                var merged = existing is { } before ? before.Merge(state) : state;
                if (existing is { } old && old.Equals(merged))
                {
                    return;
                }

                states[target] = merged;
                if (queued.Add(target))
                {
                    work.Enqueue(target);
                }
            }

            if (sparse != null)
            {
                var start = _allocationPosition;
                var operation = GraphFacts.Operations(blocks[start.Block])[start.Index];
                Visit(start.Block, sparse.Before[operation], start.Index);
            }
            else
            {
                states[entry] = entryState;
                work.Enqueue(entry);
                queued.Add(entry);
            }

            while (work.Count > 0 && !_gaveUp)
            {
                var ordinal = work.Dequeue();
                queued.Remove(ordinal);
                Visit(ordinal, states[ordinal], 0);
            }

            return _gaveUp ? null : atEnd;

            void Visit(int ordinal, OwnershipState state, int begin)
            {
                if (++_visits > _visitLimit)
                {
                    _gaveUp = true;
                    return;
                }

                var block = blocks[ordinal];
                for (var index = begin; index < block.Operations.Length; index++)
                {
                    var operation = block.Operations[index];
                    if (sparse != null && index > begin && IsSpent(state, new GraphFacts.Position(ordinal, index)))
                    {
                        return;
                    }

                    if (_recordBefore != null && isMain)
                    {
                        _recordBefore[operation] = state;
                    }

                    state = Transfer(operation, state, block, isMain, Flow);
                }

                if (block.BranchValue != null)
                {
                    if (sparse != null && block.Operations.Length > begin && IsSpent(state, new GraphFacts.Position(ordinal, block.Operations.Length)))
                    {
                        return;
                    }

                    if (_recordBefore != null && isMain)
                    {
                        _recordBefore[block.BranchValue] = state;
                    }

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
                            else if (block.ConditionalSuccessor != null && block.BranchValue != null && (OutHandleFailure(block.BranchValue) ?? ErrorOutFailure(block.BranchValue)) is { } failedWhen)
                            {
                                // The call that fills the out handle, or returns the block, reported failure on one side:
                                // nothing to dispose there.
                                if (failedWhen == conditionalTaken)
                                {
                                    conditionalState = state.Settled();
                                }
                                else
                                {
                                    fallThroughState = state.Settled();
                                }
                            }
                            else if (block.ConditionalSuccessor != null && _graph.ConditionOf(block) is { } condition)
                            {
                                conditionalState = state.Assuming(condition.Key, conditionalTaken != condition.Negated);
                                fallThroughState = state.Assuming(condition.Key, conditionalTaken == condition.Negated);
                            }

                            // A constant condition (while (true), for (;;) with a constant) keeps in the graph the edge it never takes.
                            var constant = block.ConditionalSuccessor != null && block.BranchValue?.ConstantValue is { HasValue: true, Value: bool value } ? value : (bool?)null;
                            if (constant != conditionalTaken || block.ConditionalSuccessor == null)
                            {
                                FollowBranch(block, fallThrough, fallThroughState, Flow);
                            }

                            if (block.ConditionalSuccessor != null && constant != !conditionalTaken)
                            {
                                FollowBranch(block, block.ConditionalSuccessor, conditionalState, Flow);
                            }

                            break;
                    }
                }
            }
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
            // Up to this graph's root: a lambda's exception leaves the lambda, not the method around it (ControlFlowGraphs.RegionsWithin).
            var region = block.EnclosingRegion;
            while (region != null && region.Kind != ControlFlowRegionKind.Root)
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
                        while (region != null && region.Kind != ControlFlowRegionKind.TryAndCatch && region.Kind != ControlFlowRegionKind.TryAndFinally
                               && region.Kind != ControlFlowRegionKind.Root)
                        {
                            region = region.EnclosingRegion;
                        }

                        region = region is { Kind: not ControlFlowRegionKind.Root } ? region.EnclosingRegion : null;
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

        /// <summary>
        /// What a use of the tracked value does (<see cref="ValueUses.Classify"/>), except that a GCHandle's number given to a
        /// native function, or to a method of the compilation that gives it to one, is handed over: native code can do
        /// nothing with the number but keep it and give it back (user data), which is why <c>GCHandle.ToIntPtr(h)</c> given
        /// to a call already counts as leaving. A helper that returns the number (<c>IntPtr Register(object o) =&gt;
        /// GCHandle.ToIntPtr(GCHandle.Alloc(o))</c>) makes the number itself the tracked value, and the native setter it is
        /// then given (<c>set_user_data(body, number)</c>) would otherwise read as a call that only borrows it.
        /// </summary>
        private ValueUse Classify(IOperation reference)
        {
            var use = _uses.Classify(reference);
            return use.Kind == ValueUseKind.Use && use.NativeTarget is { } target && _allocator.Kind == ResourceKind.GCHandle
                ? new ValueUse(ValueUseKind.Escape, use.Site, nativeTarget: target, keptIfCallSucceeds: use.Site is IInvocationOperation { TargetMethod.ReturnsVoid: false })
                : use;
        }

        private bool CatchesAll(ITypeSymbol? exceptionType)
            => exceptionType == null
               || exceptionType.SpecialType == SpecialType.System_Object
               || SymbolEqualityComparer.Default.Equals(exceptionType, _throwPoints.ExceptionType);

        private OwnershipState Transfer(IOperation operation, OwnershipState state, BasicBlock block, bool isMain, System.Action<int, OwnershipState> flow)
        {
            _budget.CountTransfer();
            Probe(operation, state);

            // 1. Uses of the tracked names, classified before anything changes.
            var classified = new List<(IOperation Reference, ValueUse Use)>();
            foreach (var reference in NameReferences(operation, state))
            {
                classified.Add((reference, Classify(reference)));
            }

            // 2. If the operation may throw while the value is owned, the exception path.
            if (isMain && state.Owned)
            {
                // Handing the value to a release or a new owner is the last thing we follow; its own failure is the owner's.
                // Calls that complete after the hand-over (Take(GCHandle.ToIntPtr(h))) throw with nothing owed either.
                // A native function keeps the value only if it succeeds: a checker of its status still throws with it owed.
                var excluded = new HashSet<IOperation>(classified
                    .Where(c => c.Use.Kind == ValueUseKind.Release || c.Use.Kind == ValueUseKind.Escape)
                    .SelectMany(c => c.Use.KeptIfCallSucceeds ? new[] { c.Use.Site } : AncestorsWithin(c.Use.Site, operation)));
                ExcludeQuietCalls(operation, excluded);
                ExcludeChecksOfTheValue(classified, excluded);
                if (_throwPoints.Find(operation, excluded) is { } thrower)
                {
                    PropagateException(block, state, new LeakPath(LeakKind.MayThrow, thrower.Syntax), flow);
                }
            }

            // 3. Effects of the uses; overwritten names are dropped before copies are added.
            var copies = new List<object>();
            ConditionKey? keptWhen = null;
            var keptOnFalse = false;
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
                        if (use.KeptIfCallSucceeds && StatusKey(use.Site) is { } status)
                        {
                            // Kept only if the call succeeded: settled after its status lands in its local.
                            keptWhen = status;
                        }
                        else if (use.KeptIfCallSucceeds && NativeHandleResults.NullTestOf(use.Site, _cfg.Blocks.Select(b => _graph.ConditionOf(b)?.Key)) is { } nullResult)
                        {
                            // A handle result is the success: kept where it is not null.
                            keptWhen = nullResult;
                            keptOnFalse = true;
                        }
                        else
                        {
                            state = state.Settled();
                        }

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
                foreach (var release in _graph.Of(operation).Invocations.Where(IsReferenceRelease))
                {
                    _releases.Add(release);
                    state = state.AfterRelease();
                }
            }

            foreach (var (symbol, constant) in _graph.Of(operation).AssignedVariables)
            {
                state = state.Assigned(symbol, constant);

                // The receiver's name now means another handle: what it owes can no longer be followed.
                if (_reference != null && !_receiverPath.IsDefault && _receiverPath.Contains(symbol, SymbolEqualityComparer.Default) && operation != _allocationRoot)
                {
                    state = state.Settled();
                }
            }

            if (keptWhen != null)
            {
                state = state.SettledWhen(keptWhen, successValue: !keptOnFalse);
            }

            var overwritten = false;
            foreach (var target in _graph.Of(operation).AssignedNames)
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

            var containsAllocation = operation == _allocationRoot;
            if (overwritten && state.Owned && state.Names.IsEmpty)
            {
                var variable = _graph.Of(operation).AssignedNames.OfType<ILocalSymbol>().FirstOrDefault()?.Name;
                _leaks.Add(new LeakPath(containsAllocation ? LeakKind.NextIteration : LeakKind.Overwrite, operation.Syntax, variable));
                state = state.Settled();
            }

            // 4. The allocation itself: where does the fresh value go?
            if (containsAllocation && _reference != null)
            {
                // Taken again (next loop iteration) while the previous reference is still owed: that one is lost.
                if (state.Owned)
                {
                    _leaks.Add(new LeakPath(LeakKind.NextIteration, _allocation!.Syntax));
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
                var use = Classify(reference);
                if (use.Kind == ValueUseKind.ReachedRoot)
                {
                    use = new ValueUse(returns ? ValueUseKind.Escape : ValueUseKind.Use, use.Site);
                }

                if (use.Kind == ValueUseKind.Release || use.Kind == ValueUseKind.Escape)
                {
                    excluded.UnionWith(use.KeptIfCallSucceeds ? new[] { use.Site } : AncestorsWithin(use.Site, branchValue));
                }

                effects.Add((reference, use));
            }

            ExcludeQuietCalls(branchValue, excluded);
            ExcludeChecksOfTheValue(effects, excluded);
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

            if (branchValue == _allocationRoot)
            {
                var use = Classify(_allocation!);
                if (use.Kind == ValueUseKind.ReachedRoot)
                {
                    if (returns)
                    {
                        _escapes = true;
                    }
                    else
                    {
                        _leaks.Add(new LeakPath(LeakKind.Discarded, _allocation!.Syntax));
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

            bool IsReceiver(IOperation operation) => ReceiverReference.SamePath(ReceiverReference.PathOf(operation, _graph.Captures), _receiverPath);

            switch (condition)
            {
                case IIsNullOperation isNull when IsReceiver(isNull.Operand):
                    return !negate;
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } binary
                    when (IsReceiver(binary.LeftOperand) && OperationTree.SkipConversions(binary.RightOperand).ConstantValue is { HasValue: true, Value: null })
                         || (IsReceiver(binary.RightOperand) && OperationTree.SkipConversions(binary.LeftOperand).ConstantValue is { HasValue: true, Value: null }):
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

            foreach (var invocation in _graph.Of(operation).Invocations)
            {
                if (_reference.IsQuiet(invocation))
                {
                    excluded.Add(invocation);
                }
            }
        }

        /// <summary>
        /// A helper given the tracked value that throws only when the value is empty (<c>ThrowExceptionOnNull(buffer, ...)</c>
        /// right after the allocation): on that throw nothing was allocated, so it is not a path the value leaks on.
        /// </summary>
        private void ExcludeChecksOfTheValue(List<(IOperation Reference, ValueUse Use)> uses, HashSet<IOperation> excluded)
        {
            foreach (var (reference, use) in uses)
            {
                if (use.Kind == ValueUseKind.Use && OperationTree.WithEveryConversion(reference).Parent is IArgumentOperation { Parameter: { } parameter, Parent: IInvocationOperation call }
                    && _throwPoints.ThrowsOnlyWhenEmpty(call, parameter.Ordinal))
                {
                    excluded.Add(call);
                }
            }
        }

        private bool IsReferenceRelease(IInvocationOperation invocation)
            => _reference!.IsRelease(invocation) && ReceiverReference.SamePath(ReceiverReference.PathOf(invocation.Instance, _graph.Captures), _receiverPath);

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
            if (use.Release is { } other && other.Family != _allocator.Family && (_allocator.FilledRecordParameter >= 0 || other.ReleasesRecordContents))
            {
                // The record's own storage and what a filler allocated in it share one pointer: freeing one
                // (Marshal.FreeHGlobal(program), pcap_freecode(program)) neither releases the other nor is its wrong release.
                return state;
            }

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
                ? _uses.ClassifyStore(OperationTree.SkipConversions(outArgument.Value is IDeclarationExpressionOperation declaration ? declaration.Expression : outArgument.Value), outArgument)
                : Classify(_allocation!);
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
                    _leaks.Add(new LeakPath(LeakKind.Discarded, _allocation!.Syntax));
                    return state.AllocatedAndGone();
            }
        }

        /// <summary>Locals and parameters an operation writes, with the constant bool written where there is one.</summary>
        internal static IEnumerable<(ISymbol Symbol, bool? Constant)> AssignedVariables(IOperation operation)
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
            if (condition is IIsNullOperation isNull && IsName(OperationTree.SkipConversions(isNull.Operand), state))
            {
                return !negate;
            }

            if (condition is IPropertyReferenceOperation property && property.Instance != null && IsName(OperationTree.SkipConversions(property.Instance), state))
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
                var left = AsNumber(AssignmentTargets.Tested(binary.LeftOperand));
                var right = AsNumber(AssignmentTargets.Tested(binary.RightOperand));
                var compared = (IsName(left, state) && IsZero(right)) || (IsName(right, state) && IsZero(left));
                if (compared)
                {
                    var zeroWhenTrue = binary.OperatorKind == BinaryOperatorKind.Equals;
                    return zeroWhenTrue != negate;
                }
            }

            if (condition is IIsPatternOperation isPattern && IsName(AssignmentTargets.Tested(isPattern.Value), state)
                && MatchesOnlyFailure(isPattern.Pattern) is bool failureWhenMatched)
            {
                return failureWhenMatched != negate;
            }

            if (condition is IInvocationOperation { TargetMethod.Name: "Equals" } equals && equals.Instance != null && equals.Arguments.Length == 1
                && IsName(OperationTree.SkipConversions(equals.Instance), state) && IsZero(OperationTree.SkipConversions(equals.Arguments[0].Value)))
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
            if (_allocation is not IArgumentOperation { Parent: IInvocationOperation call } || _uses.Scope.Catalogue.AllocatesEvenOnFailure(call.TargetMethod))
            {
                return null;
            }

            var result = call.TargetMethod.ReturnType;
            if (_uses.Scope.Catalogue.ReturnsCountZeroOnFailure(call.TargetMethod))
            {
                return CountFailure(condition, call);
            }

            object? success = result.SpecialType == SpecialType.System_Boolean ? true
                : result.SpecialType == SpecialType.System_Int32 || result.SpecialType == SpecialType.System_UInt32 || result.SpecialType == SpecialType.System_Int64 ? 0L
                : result.TypeKind == TypeKind.Struct && result.GetMembers("Failed").Any(m => m is IPropertySymbol) ? HResultStruct
                : NamesZeroSuccess(result) ? 0L
                : null;
            if (success == null || EvaluateWithResult(condition, call, success) is not { } truthOnSuccess)
            {
                return null;
            }

            return !truthOnSuccess;
        }

        /// <summary>
        /// For a call whose result is a count, zero exactly when it failed: the truth of <paramref name="condition"/> on
        /// failure, when the condition splits zero from every other count (<c>ret == 0</c>, <c>ret != 0</c>, <c>ret &gt; 0</c>);
        /// null for a test that success can land on either side of (<c>ret &gt; 5</c>).
        /// </summary>
        private bool? CountFailure(IOperation condition, IInvocationOperation call)
        {
            if (EvaluateWithResult(condition, call, 0L) is not { } onFailure)
            {
                return null;
            }

            // The smallest and the largest count a 32-bit result can carry must both land on the other side.
            return EvaluateWithResult(condition, call, 1L) == !onFailure && EvaluateWithResult(condition, call, (long)uint.MaxValue) == !onFailure
                ? onFailure
                : null;
        }

        /// <summary>
        /// For an allocation returned by a call that reports errors through a pointer-sized <c>out</c> argument named as an
        /// error (RocksDB's and LevelDB's <c>char** errptr</c>), the truth of <paramref name="condition"/> under which that argument says the
        /// call failed (<c>errptr != IntPtr.Zero</c>); null when the condition tests anything else.
        /// </summary>
        /// <remarks>
        /// Why silent on that side: what such a function returns when it fails is its own contract (rocksdb_get returns
        /// null; rocksdb_list_column_families returns what malloc(0) gave), which no declaration says, so a leak there
        /// cannot be told.
        /// </remarks>
        private bool? ErrorOutFailure(IOperation condition)
        {
            if (_allocation is not IInvocationOperation call
                || OperationTree.SkipConversions(condition) is not IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } test)
            {
                return null;
            }

            var left = OperationTree.SkipConversions(test.LeftOperand);
            var right = OperationTree.SkipConversions(test.RightOperand);
            var tested = IsZero(right) ? left : IsZero(left) ? right : null;
            ISymbol? variable = tested switch
            {
                ILocalReferenceOperation local => local.Local,
                IParameterReferenceOperation parameter => parameter.Parameter,
                _ => null,
            };
            if (variable == null || !IsErrorOutOf(call, variable))
            {
                return null;
            }

            return test.OperatorKind == BinaryOperatorKind.NotEquals;
        }

        // The variable (a local, or an out parameter of the method passed on) is given to the call as a pointer-sized out
        // argument the declaration names an error (errptr, error, errmsg): another out pointer may be a second result, whose
        // test says nothing about failure.
        private static bool IsErrorOutOf(IInvocationOperation call, ISymbol variable)
        {
            foreach (var argument in call.Arguments)
            {
                if (argument.Parameter is { RefKind: RefKind.Out } parameter
                    && (parameter.Type.SpecialType == SpecialType.System_IntPtr || parameter.Type.TypeKind == TypeKind.Pointer)
                    && parameter.Name.IndexOf("err", System.StringComparison.OrdinalIgnoreCase) >= 0
                    && OperationTree.SkipConversions(argument.Value) switch
                    {
                        ILocalReferenceOperation reference => SymbolEqualityComparer.Default.Equals(reference.Local, variable),
                        IParameterReferenceOperation reference => SymbolEqualityComparer.Default.Equals(reference.Parameter, variable),
                        IDeclarationExpressionOperation { Expression: ILocalReferenceOperation declared } => SymbolEqualityComparer.Default.Equals(declared.Local, variable),
                        _ => false,
                    })
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// For a native call that keeps the value only if it succeeds, whose status is stored in a local the method then
        /// tests (<c>int rc = f(.., p); if (rc == 0) ..</c>, <c>bool ok = f(.., p); if (!ok) ..</c>), the condition that
        /// says it succeeded; null when the status is not stored in a local or never tested that way (then the call
        /// is taken as a hand-over, as before).
        /// </summary>
        private ConditionKey? StatusKey(IOperation site)
        {
            if (site is not IInvocationOperation call)
            {
                return null;
            }

            var local = NativeHandleResults.StoredIn(call);
            if (local == null)
            {
                return null;
            }

            var type = call.TargetMethod.ReturnType.SpecialType;
            if (type == SpecialType.System_Boolean)
            {
                var flag = ConditionKey.ForLocal(local);
                return _cfg.Blocks.Any(b => _graph.ConditionOf(b)?.Key.Text == flag.Text) ? flag : null;
            }

            if (type != SpecialType.System_Int32 && type != SpecialType.System_UInt32 && type != SpecialType.System_Int64)
            {
                return null;
            }

            // The key of 'rc == 0' as the method's own test spells it (ConditionKey normalizes '!=' to it).
            var zero = "(" + local.Name + " " + BinaryOperatorKind.Equals + " 0)";
            return _cfg.Blocks
                .Select(b => _graph.ConditionOf(b))
                .FirstOrDefault(k => k != null && k.Value.Key.Text == zero)?.Key;
        }

        /// <summary>
        /// A status enum whose zero member is named success (<c>Win32Error.SUCCESS</c>, <c>NtStatus.STATUS_SUCCESS</c>,
        /// <c>S_OK</c>): its functions report success with zero as C APIs do, and an out handle is filled only then. An
        /// enum whose zero means something else (a <c>FALSE</c>, a first kind) says nothing about failure.
        /// </summary>
        private static bool NamesZeroSuccess(ITypeSymbol result)
        {
            if (result is not INamedTypeSymbol { TypeKind: TypeKind.Enum, EnumUnderlyingType.SpecialType: SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64 } status)
            {
                return false;
            }

            foreach (var member in status.GetMembers())
            {
                if (member is IFieldSymbol { HasConstantValue: true, ConstantValue: 0 or 0u or 0L } field
                    && (field.Name.IndexOf("SUCCESS", System.StringComparison.OrdinalIgnoreCase) >= 0 || field.Name.Equals("OK", System.StringComparison.OrdinalIgnoreCase)
                        || field.Name.EndsWith("_OK", System.StringComparison.OrdinalIgnoreCase)))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The success marker of a result typed as an HRESULT struct with <c>Failed</c>/<c>Succeeded</c>.</summary>
        private static readonly object HResultStruct = new object();

        private bool? EvaluateWithResult(IOperation operation, IInvocationOperation call, object success)
        {
            operation = OperationTree.SkipConversions(operation);
            if (IsCallResult(operation, call))
            {
                return success is bool b ? b : (bool?)null;
            }

            switch (operation)
            {
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                    return !EvaluateWithResult(not.Operand, call, success);
                case IPropertyReferenceOperation { Property.Name: "Failed" or "Succeeded", Instance: { } instance } property when success == HResultStruct && IsCallResult(OperationTree.SkipConversions(instance), call):
                    // An HRESULT struct's own test (hr.Failed, hr.Succeeded).
                    return property.Property.Name == "Succeeded";
                case IBinaryOperation binary when success is long status:
                    var left = OperationTree.SkipConversions(binary.LeftOperand);
                    var right = OperationTree.SkipConversions(binary.RightOperand);
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
        /// For a pattern a tracked value is tested with, true when a match means the value is a failure value (<c>null</c>,
        /// <c>0</c>, <c>0 or -1</c> — mmap callers test both), false when a match means it is none of them (<c>not null</c>,
        /// <c>not 0 and not -1</c>), null when the pattern says neither.
        /// </summary>
        private static bool? MatchesOnlyFailure(IPatternOperation pattern)
        {
            switch (pattern)
            {
                case IConstantPatternOperation constant:
                    return IsZero(OperationTree.SkipConversions(constant.Value)) ? true : (bool?)null;
                case INegatedPatternOperation negated:
                    return !MatchesOnlyFailure(negated.Pattern);
                case IBinaryPatternOperation binary:
                    // 'a or b' is a failure test when both are; 'a and b' a success test when both are.
                    var left = MatchesOnlyFailure(binary.LeftPattern);
                    var both = left == MatchesOnlyFailure(binary.RightPattern) ? left : null;
                    return binary.OperatorKind == BinaryOperatorKind.Or ? (both == true ? true : (bool?)null)
                        : both == false ? false : (bool?)null;
                default:
                    return null;
            }
        }

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
                IObjectCreationOperation { Arguments.Length: 1 } creation => IsNativeInteger(creation.Type) && OperationTree.SkipConversions(creation.Arguments[0].Value).ConstantValue is { HasValue: true } argument && IsNullOrSentinel(argument.Value),
                _ => false,
            };
        }

        // p.ToInt64() == -1 tests p itself (mmap's MAP_FAILED spelled as a number).
        private static IOperation AsNumber(IOperation operand)
            => operand is IInvocationOperation { Instance: { } pointer, Arguments.Length: 0, TargetMethod.Name: "ToInt64" or "ToInt32" or "ToUInt64" or "ToUInt32" }
               && IsNativeInteger(pointer.Type)
                ? OperationTree.SkipConversions(pointer)
                : operand;

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

        /// <summary>The reads of the tracked names in a top-level operation, in pre-order.</summary>
        private IEnumerable<IOperation> NameReferences(IOperation operation, OwnershipState state)
        {
            if (state.Names.IsEmpty)
            {
                yield break;
            }

            foreach (var (reference, name) in _graph.Of(operation).References)
            {
                if (state.Names.Contains(name))
                {
                    yield return reference;
                }
            }
        }

        internal static bool IsAssignmentTarget(IOperation operation)
            => operation.Parent is ISimpleAssignmentOperation assignment && assignment.Target == operation
               || operation.Parent is IArgumentOperation { Parameter.RefKind: RefKind.Out }
               || operation.Parent is IDeclarationExpressionOperation { Parent: IArgumentOperation { Parameter.RefKind: RefKind.Out } }
               || operation.Parent is IDeconstructionAssignmentOperation
               || operation.Parent is ITupleOperation tuple && tuple.Parent is IDeconstructionAssignmentOperation;

        internal static IEnumerable<object> AssignedNames(IOperation operation)
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
                    // A ref argument may come back holding another value (a native call hands out a new SafeHandle
                    // there): the name no longer means the value passed in, which the pass itself already settled.
                    case IArgumentOperation { Parameter.RefKind: RefKind.Out or RefKind.Ref, Value: ILocalReferenceOperation outLocal }:
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

        private static SyntaxNode? ThrowStatementOf(SyntaxNode? syntax)
            => syntax?.AncestorsAndSelf().FirstOrDefault(n => n is Microsoft.CodeAnalysis.CSharp.Syntax.ThrowStatementSyntax || n is Microsoft.CodeAnalysis.CSharp.Syntax.ThrowExpressionSyntax) ?? syntax;
    }
}
