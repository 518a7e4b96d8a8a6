using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>What the paths to one read of the last error carry.</summary>
    internal sealed class LastErrorAtRead
    {
        private readonly List<LastErrorEvent> _events;
        private readonly ImmutableDictionary<int, int> _since;
        private Dictionary<SyntaxNode, (LastErrorEvent Call, LastErrorEvent? Overwrite)>? _sinceCall;

        /// <param name="read">The read.</param>
        /// <param name="mostRecent">See <see cref="MostRecent"/>.</param>
        /// <param name="events">The body's events, by id.</param>
        /// <param name="since">Native call id → first overwrite id since it (or a negative id for none), on some path to the read.</param>
        public LastErrorAtRead(LastErrorEvent read, IReadOnlyList<(LastErrorEvent Call, LastErrorEvent? Overwrite)> mostRecent, List<LastErrorEvent> events, ImmutableDictionary<int, int> since)
        {
            Read = read;
            MostRecent = mostRecent;
            _events = events;
            _since = since;
        }

        public LastErrorEvent Read { get; }

        /// <summary>
        /// Per path, the most recent native call before the read and the first thing after it that can overwrite the last
        /// error (null when nothing does), in source order of the call. Paths with no native call before the read are left out.
        /// </summary>
        public IReadOnlyList<(LastErrorEvent Call, LastErrorEvent? Overwrite)> MostRecent { get; }

        /// <summary>
        /// Every native call some path to the read passes (by its syntax), with the first operation on some path from
        /// it to the read that can overwrite its last error: a P/Invoke that sets the last error, or an overwrite.
        /// </summary>
        /// <remarks>
        /// Built on first use: a read whose paths all saved their last error untouched never needs it
        /// (<see cref="SinceCallsSavedAndUntouched"/>), and a body with many native calls and many reads would otherwise
        /// build one per read. One thread reads a body's results, so the cache needs no lock.
        /// </remarks>
        public IReadOnlyDictionary<SyntaxNode, (LastErrorEvent Call, LastErrorEvent? Overwrite)> SinceCall => _sinceCall ??= BuildSinceCall();

        /// <summary>Does every native call of <see cref="SinceCall"/> save its last error, with nothing overwriting it since?</summary>
        public bool SinceCallsSavedAndUntouched()
        {
            // Every entry passing is enough: the dictionary's values are some of the entries. Otherwise the dictionary
            // decides (of two calls with one syntax node, only the later counts).
            var all = true;
            foreach (var entry in _since)
            {
                if (!_events[entry.Key].SetsLastError || entry.Value >= 0)
                {
                    all = false;
                    break;
                }
            }

            if (all)
            {
                return true;
            }

            foreach (var path in SinceCall.Values)
            {
                if (!path.Call.SetsLastError || path.Overwrite != null)
                {
                    return false;
                }
            }

            return true;
        }

        private Dictionary<SyntaxNode, (LastErrorEvent Call, LastErrorEvent? Overwrite)> BuildSinceCall()
        {
            // Of two calls with one syntax node, the later (larger id) wins, as when the entries were added in id order.
            var since = new Dictionary<SyntaxNode, (LastErrorEvent Call, LastErrorEvent? Overwrite)>();
            var ids = new Dictionary<SyntaxNode, int>();
            foreach (var entry in _since)
            {
                var call = _events[entry.Key];
                var syntax = call.Operation.Syntax;
                if (ids.TryGetValue(syntax, out var seen) && seen > entry.Key)
                {
                    continue;
                }

                ids[syntax] = entry.Key;
                since[syntax] = (call, entry.Value < 0 ? null : _events[entry.Value]);
            }

            return since;
        }
    }

    /// <summary>
    /// "Most recent native call before this read, and what ran since" on a body's <see cref="ControlFlowGraph"/>: a
    /// forward may-analysis over the operations that matter to the last error (<see cref="LastErrorCalls"/>), in
    /// evaluation order. Catch handlers see every state of their try region; a finally region runs between the
    /// branches that leave through it and their destinations. Lambdas and local functions are separate graphs.
    /// </summary>
    internal static class LastErrorFlow
    {
        private const int Entry = -2;
        private const int None = -1;

        public static List<LastErrorAtRead> Analyze(ControlFlowGraph graph, LastErrorCalls calls, CancellationToken cancellationToken)
        {
            var blocks = graph.Blocks;
            var events = new List<LastErrorEvent>();
            var eventsByBlock = new List<int>[blocks.Length];
            var anyRead = false;
            foreach (var block in blocks)
            {
                var list = new List<int>();
                foreach (var operation in ControlFlowGraphs.Operations(block).SelectMany(LastErrorCalls.InEvaluationOrder))
                {
                    if (calls.Classify(operation) is { } found)
                    {
                        anyRead |= found.Kind == LastErrorEventKind.Read;
                        list.Add(events.Count);
                        events.Add(found);
                    }
                }

                eventsByBlock[block.Ordinal] = list;
            }

            var results = new List<LastErrorAtRead>();
            if (!anyRead || !events.Any(e => e.Kind == LastErrorEventKind.NativeCall))
            {
                return results;
            }

            var invalidTests = InvalidHandleTests.Of(calls.Interop);
            var assigned = blocks.Select(AssignedVariables).ToArray();
            var finallyExits = FinallyExits(graph);
            var handlers = blocks.Select(b => Handlers(graph, b)).ToArray();
            var input = Solve(handlers, thrownOnly: null);

            // A catch whose try throws on purpose after a native call is about that throw: its reads are taken from a
            // second solution in which only the explicit throws enter it (ThrownIntoCatches).
            var thrownOnly = ThrownIntoCatches(graph, events, eventsByBlock, handlers, input, assigned);
            var thrownInput = thrownOnly.Count == 0 ? null : Solve(handlers.Select(h => h.Where(t => !thrownOnly.ContainsKey(t)).ToArray()).ToArray(), thrownOnly);

            var atRead = new Dictionary<int, State>();
            foreach (var block in blocks)
            {
                var from = thrownInput != null && InCatch(block, thrownOnly) ? thrownInput : input;
                if (from[block.Ordinal] is { } start)
                {
                    Run(start.Forgetting(assigned[block.Ordinal]), eventsByBlock[block.Ordinal], events, handlers[block.Ordinal], (_, _) => { }, (read, state) => atRead[read] = atRead.TryGetValue(read, out var seen) ? seen.Join(state) : state);
                }
            }

            results.AddRange(Results(events, atRead));
            return results;

            // The state at the start of each block. With thrownOnly, the catches it names are entered only from the
            // explicit throws of their try (handlers then lists the other catches only).
            State?[] Solve(int[][] handlersOf, Dictionary<int, ControlFlowRegion>? thrownOnly)
            {
                var input = new State?[blocks.Length];
                input[0] = State.Initial;
                var pending = new SortedSet<int> { 0 };
                while (pending.Count > 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var ordinal = pending.Min;
                    pending.Remove(ordinal);
                    var block = blocks[ordinal];
                    var end = Run(input[ordinal]!.Forgetting(assigned[ordinal]), eventsByBlock[ordinal], events, handlersOf[ordinal], Flow, record: null);
                    if (thrownOnly != null && IsExplicitThrow(block))
                    {
                        foreach (var handler in InnermostHandlers(block))
                        {
                            if (thrownOnly.ContainsKey(handler))
                            {
                                Flow(handler, end);
                            }
                        }
                    }

                    var test = block.BranchValue != null && block.ConditionKind != ControlFlowConditionKind.None ? invalidTests.Read(block.BranchValue) : null;
                    foreach (var branch in new[] { block.FallThroughSuccessor, block.ConditionalSuccessor })
                    {
                        if (branch == null)
                        {
                            continue;
                        }

                        // The conditional branch is taken when the branch value is ConditionKind's value, the fall-through otherwise.
                        var taken = branch == block.ConditionalSuccessor ? block.ConditionKind == ControlFlowConditionKind.WhenTrue : block.ConditionKind != ControlFlowConditionKind.WhenTrue;
                        var state = test is { } known && known.InvalidWhen == taken ? end.KnowingInvalid(known.Handle) : end;

                        if (branch.FinallyRegions.Length > 0)
                        {
                            Flow(branch.FinallyRegions[0].FirstBlockOrdinal, state);
                        }
                        else if (branch.Destination != null)
                        {
                            Flow(branch.Destination.Ordinal, state);
                        }
                        else if (branch.Semantics == ControlFlowBranchSemantics.StructuredExceptionHandling && EnclosingFinally(block) is { } region
                                 && finallyExits.TryGetValue(region, out var exits))
                        {
                            foreach (var exit in exits)
                            {
                                Flow(exit, state);
                            }
                        }
                    }
                }

                return input;

                void Flow(int target, State state)
                {
                    var current = input[target];
                    var joined = current == null ? state : current.Join(state);
                    if (current == null || !joined.Equals(current))
                    {
                        input[target] = joined;
                        pending.Add(target);
                    }
                }
            }
        }

        /// <summary>
        /// The catch handlers (first block → region) that read the last error and whose try throws on purpose after a native
        /// call: every explicit <c>throw</c> of the try (innermost try only) is reached, on every path, after a native call
        /// (<c>var f = GetProcAddress(lib, name); if (f == IntPtr.Zero) throw new LoadException(…);</c>). The read in such a
        /// catch is about the call whose failure the code throws for, as <c>if (!F()) throw new Win32Exception()</c> is about F:
        /// what runs only on the other branch (a trace after the call succeeded, which may itself throw into the catch) is not
        /// between that call and the read. A catch whose try has no explicit throw, or one before any native call, keeps
        /// every path (the exception may come from anywhere in the try).
        /// </summary>
        private static Dictionary<int, ControlFlowRegion> ThrownIntoCatches(ControlFlowGraph graph, List<LastErrorEvent> events, List<int>[] eventsByBlock, int[][] handlers, State?[] input, ImmutableHashSet<ISymbol>[] assigned)
        {
            var found = new Dictionary<int, ControlFlowRegion>();
            Dictionary<int, State?>? thrown = null;
            foreach (var block in graph.Blocks)
            {
                if (input[block.Ordinal] is not { } start || !IsExplicitThrow(block))
                {
                    continue;
                }

                var end = Run(start.Forgetting(assigned[block.Ordinal]), eventsByBlock[block.Ordinal], events, handlers[block.Ordinal], (_, _) => { }, record: null);
                foreach (var handler in InnermostHandlers(block))
                {
                    thrown ??= new Dictionary<int, State?>();
                    // A throw reached before any native call on some path leaves the catch as it was (null).
                    var afterCall = end.Recent.All(r => r.Call != Entry) ? end : null;
                    thrown[handler] = !thrown.TryGetValue(handler, out var seen) ? afterCall : seen == null || afterCall == null ? null : seen.Join(afterCall);
                }
            }

            if (thrown == null)
            {
                return found;
            }

            foreach (var entry in thrown)
            {
                if (entry.Value == null)
                {
                    continue;
                }

                var region = graph.Blocks[entry.Key].EnclosingRegion;
                while (region != null && region.FirstBlockOrdinal == entry.Key && region.Kind != ControlFlowRegionKind.Catch)
                {
                    region = region.EnclosingRegion;
                }

                if (region is { Kind: ControlFlowRegionKind.Catch } catchRegion && ReadsIn(catchRegion, events, eventsByBlock))
                {
                    found[entry.Key] = catchRegion;
                }
            }

            return found;
        }

        private static bool ReadsIn(ControlFlowRegion region, List<LastErrorEvent> events, List<int>[] eventsByBlock)
        {
            for (var ordinal = region.FirstBlockOrdinal; ordinal <= region.LastBlockOrdinal; ordinal++)
            {
                if (eventsByBlock[ordinal].Any(id => events[id].Kind == LastErrorEventKind.Read))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool InCatch(BasicBlock block, Dictionary<int, ControlFlowRegion> catches)
            => catches.Values.Any(region => block.Ordinal >= region.FirstBlockOrdinal && block.Ordinal <= region.LastBlockOrdinal);

        /// <summary>A block that ends in a <c>throw</c> of the code's own (not a rethrow, not a call that throws).</summary>
        private static bool IsExplicitThrow(BasicBlock block)
            => block.FallThroughSuccessor is { Semantics: ControlFlowBranchSemantics.Throw };

        /// <summary>The first blocks of the catch handlers of the innermost try region around <paramref name="block"/>: where its explicit throw goes first.</summary>
        private static IEnumerable<int> InnermostHandlers(BasicBlock block)
        {
            foreach (var region in ControlFlowGraphs.RegionsWithin(block))
            {
                if (region.Kind != ControlFlowRegionKind.Try)
                {
                    continue;
                }

                // A try with only a finally passes the throw on to the next try out; one with a filter is left alone.
                var siblings = region.EnclosingRegion!.NestedRegions.Where(r => r != region).ToList();
                if (siblings.Any(r => r.Kind == ControlFlowRegionKind.Filter || r.Kind == ControlFlowRegionKind.FilterAndHandler))
                {
                    yield break;
                }

                var catches = siblings.Where(r => r.Kind == ControlFlowRegionKind.Catch).ToList();
                if (catches.Count == 0)
                {
                    continue;
                }

                foreach (var handler in catches)
                {
                    yield return handler.FirstBlockOrdinal;
                }

                yield break;
            }
        }

        /// <summary>What each read saw (<see cref="LastErrorAtRead"/>), from the joined state at it, in event order.</summary>
        internal static IEnumerable<LastErrorAtRead> Results(List<LastErrorEvent> events, Dictionary<int, State> atRead)
        {
            foreach (var pair in atRead.OrderBy(p => p.Key))
            {
                var state = pair.Value;
                var recent = state.Recent.Where(r => r.Call != Entry).OrderBy(r => r.Call).ThenBy(r => r.Overwrite)
                    .Select(r => (events[r.Call], r.Overwrite == None ? null : events[r.Overwrite])).ToList();
                yield return new LastErrorAtRead(events[pair.Key], recent, events, state.Since);
            }
        }

        private static State Run(State state, List<int> blockEvents, List<LastErrorEvent> events, int[] handlers, Action<int, State> flow, Action<int, State>? record)
        {
            foreach (var handler in handlers)
            {
                flow(handler, state);
            }

            foreach (var id in blockEvents)
            {
                var found = events[id];
                switch (found.Kind)
                {
                    case LastErrorEventKind.Read:
                        record?.Invoke(id, state);
                        continue;
                    case LastErrorEventKind.NativeCall:
                        state = state.AfterNativeCall(id, found.SetsLastError);
                        break;
                    case LastErrorEventKind.Overwrite when found.ReleasedHandle != null && state.Invalid.Contains(found.ReleasedHandle):
                        // A handle that owns nothing is closed without a release function.
                        continue;
                    default:
                        state = state.AfterOverwrite(id);
                        break;
                }

                foreach (var handler in handlers)
                {
                    flow(handler, state);
                }
            }

            return state;
        }

        /// <summary>
        /// The locals and parameters <paramref name="block"/> assigns (or passes by reference): what a test before the
        /// block said about them no longer holds in it. Forgetting at the start of the block is early, never late.
        /// </summary>
        private static ImmutableHashSet<ISymbol> AssignedVariables(BasicBlock block)
        {
            var assigned = ImmutableHashSet<ISymbol>.Empty.WithComparer(SymbolEqualityComparer.Default);
            foreach (var operation in ControlFlowGraphs.Operations(block))
            {
                foreach (var descendant in operation.DescendantsAndSelf())
                {
                    var target = descendant switch
                    {
                        IAssignmentOperation assignment => assignment.Target,
                        IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } argument => argument.Value,
                        _ => null,
                    };
                    switch (target)
                    {
                        case ILocalReferenceOperation local:
                            assigned = assigned.Add(local.Local);
                            break;
                        case IParameterReferenceOperation parameter:
                            assigned = assigned.Add(parameter.Parameter);
                            break;
                    }
                }
            }

            return assigned;
        }

        /// <summary>The first blocks of the catch and filter handlers an exception thrown in <paramref name="block"/> can reach.</summary>
        private static int[] Handlers(ControlFlowGraph graph, BasicBlock block)
        {
            var handlers = new List<int>();
            foreach (var region in ControlFlowGraphs.RegionsWithin(block))
            {
                if (region.Kind != ControlFlowRegionKind.Try)
                {
                    continue;
                }

                foreach (var handler in region.EnclosingRegion!.NestedRegions)
                {
                    if (handler != region && (handler.Kind == ControlFlowRegionKind.Catch || handler.Kind == ControlFlowRegionKind.FilterAndHandler || handler.Kind == ControlFlowRegionKind.Filter))
                    {
                        handlers.Add(handler.FirstBlockOrdinal);
                    }
                }
            }

            return handlers.ToArray();
        }

        /// <summary>Where control goes when each finally region ends: the next finally of a branch through it, or the branch's destination.</summary>
        private static Dictionary<ControlFlowRegion, List<int>> FinallyExits(ControlFlowGraph graph)
        {
            var exits = new Dictionary<ControlFlowRegion, List<int>>();
            foreach (var block in graph.Blocks)
            {
                foreach (var branch in new[] { block.FallThroughSuccessor, block.ConditionalSuccessor })
                {
                    if (branch == null || branch.FinallyRegions.Length == 0)
                    {
                        continue;
                    }

                    for (var i = 0; i < branch.FinallyRegions.Length; i++)
                    {
                        var next = i + 1 < branch.FinallyRegions.Length ? branch.FinallyRegions[i + 1].FirstBlockOrdinal : branch.Destination?.Ordinal;
                        if (next == null)
                        {
                            continue;
                        }

                        if (!exits.TryGetValue(branch.FinallyRegions[i], out var list))
                        {
                            exits[branch.FinallyRegions[i]] = list = new List<int>();
                        }

                        if (!list.Contains(next.Value))
                        {
                            list.Add(next.Value);
                        }
                    }
                }
            }

            return exits;
        }

        private static ControlFlowRegion? EnclosingFinally(BasicBlock block)
        {
            foreach (var region in ControlFlowGraphs.RegionsWithin(block))
            {
                if (region.Kind == ControlFlowRegionKind.Finally)
                {
                    return region;
                }
            }

            return null;
        }

        /// <summary>The abstract state at one point: see <see cref="LastErrorAtRead"/>. Event ids index the body's event list.</summary>
        internal sealed class State : IEquatable<State>
        {
            // Declared before Initial, which is built from it.
            private static readonly ImmutableHashSet<ISymbol> NoneInvalid = ImmutableHashSet<ISymbol>.Empty.WithComparer(SymbolEqualityComparer.Default);

            public static readonly State Initial = new State(
                ImmutableDictionary<int, int>.Empty,
                ImmutableHashSet.Create((Entry, None)));

            public State(ImmutableDictionary<int, int> since, ImmutableHashSet<(int Call, int Overwrite)> recent)
                : this(since, recent, NoneInvalid)
            {
            }

            private State(ImmutableDictionary<int, int> since, ImmutableHashSet<(int Call, int Overwrite)> recent, ImmutableHashSet<ISymbol> invalid)
            {
                Since = since;
                Recent = recent;
                Invalid = invalid;
            }

            /// <summary>Handle variables a test showed to own nothing, on every path here (<see cref="InvalidHandleTests"/>).</summary>
            public ImmutableHashSet<ISymbol> Invalid { get; }

            public State KnowingInvalid(ISymbol handle) => Invalid.Contains(handle) ? this : new State(Since, Recent, Invalid.Add(handle));

            public State Forgetting(ImmutableHashSet<ISymbol> assigned)
                => Invalid.IsEmpty || !Invalid.Overlaps(assigned) ? this : new State(Since, Recent, Invalid.Except(assigned));

            /// <summary>Native call → first overwrite on some path since it (or <see cref="None"/>).</summary>
            public ImmutableDictionary<int, int> Since { get; }

            /// <summary>Per path: (most recent native call or <see cref="Entry"/>, first overwrite since it or <see cref="None"/>).</summary>
            public ImmutableHashSet<(int Call, int Overwrite)> Recent { get; }

            public State AfterNativeCall(int id, bool setsLastError)
            {
                var since = Since;
                if (setsLastError)
                {
                    foreach (var entry in Since)
                    {
                        if (entry.Value == None && entry.Key != id)
                        {
                            since = since.SetItem(entry.Key, id);
                        }
                    }
                }

                return new State(since.SetItem(id, None), ImmutableHashSet.Create((id, None)), Invalid);
            }

            public State AfterOverwrite(int id)
            {
                var since = Since;
                foreach (var entry in Since)
                {
                    if (entry.Value == None)
                    {
                        since = since.SetItem(entry.Key, id);
                    }
                }

                var recent = ImmutableHashSet.CreateRange(Recent.Select(r => r.Call != Entry && r.Overwrite == None ? (r.Call, id) : r));
                return new State(since, recent, Invalid);
            }

            public State Join(State other)
            {
                var since = Since;
                foreach (var entry in other.Since)
                {
                    since = since.TryGetValue(entry.Key, out var mine) ? since.SetItem(entry.Key, Pick(mine, entry.Value)) : since.Add(entry.Key, entry.Value);
                }

                return new State(since, Recent.Union(other.Recent), Invalid.Intersect(other.Invalid));
            }

            public bool Equals(State? other)
                => other != null && Since.Count == other.Since.Count && Recent.SetEquals(other.Recent) && Invalid.SetEquals(other.Invalid)
                   && Since.All(e => other.Since.TryGetValue(e.Key, out var v) && v == e.Value);

            public override bool Equals(object? obj) => Equals(obj as State);

            public override int GetHashCode() => Since.Count ^ Recent.Count;

            // An overwrite on some path wins over none; between two, the earlier event (a deterministic choice).
            private static int Pick(int a, int b) => a == None ? b : b == None ? a : Math.Min(a, b);
        }
    }
}
