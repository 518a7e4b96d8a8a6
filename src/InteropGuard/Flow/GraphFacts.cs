using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// What every release-on-all-paths solve over one <see cref="ControlFlowGraph"/> asks of its operations, computed
    /// once per graph rather than once per tracked value: each top-level operation's descendants, the names it reads,
    /// the variables it writes, where it stands in the graph; where each name is live (read later before written); and the
    /// "background" states (what the solve holds before any tracked value exists), from which a solve for one value
    /// starts at the value's allocation instead of at the graph's entry.
    /// </summary>
    internal sealed class GraphFacts
    {
        private readonly Dictionary<IOperation, OperationFacts> _operations = new Dictionary<IOperation, OperationFacts>();
        private readonly Dictionary<object, int> _names = new Dictionary<object, int>();

        // Per block: for each name read or written in it, its reads and writes in order (operation index, is a read).
        private readonly Dictionary<int, List<(int Index, bool Read)>>[] _events;
        private readonly ulong[][] _liveOut;

        // Liveness bit sets cost blocks x names bits; past this many 64-bit words every name counts as live everywhere.
        private const int MaxLivenessWords = 1 << 20;
        private bool _everythingLive;
        private bool _livenessComputed;

        public GraphFacts(ControlFlowGraph graph)
        {
            Graph = graph;
            var blocks = graph.Blocks;
            _events = new Dictionary<int, List<(int, bool)>>[blocks.Length];
            _liveOut = new ulong[blocks.Length][];
            foreach (var block in blocks)
            {
                var index = 0;
                var events = _events[block.Ordinal] = new Dictionary<int, List<(int, bool)>>();
                foreach (var operation in Operations(block))
                {
                    var facts = new OperationFacts(operation, new Position(block.Ordinal, index));
                    _operations[operation] = facts;
                    var read = new HashSet<int>();
                    foreach (var (_, name) in facts.References)
                    {
                        if (read.Add(NameIndex(name)))
                        {
                            Event(events, NameIndex(name), index, isRead: true);
                        }
                    }

                    foreach (var name in facts.AssignedNames)
                    {
                        // Read and written by one operation: the read comes first (p = Realloc(p, n)).
                        if (!read.Contains(NameIndex(name)))
                        {
                            Event(events, NameIndex(name), index, isRead: false);
                        }
                    }

                    index++;
                }
            }

        }

        public ControlFlowGraph Graph { get; }

        // Per block ordinal: the branch value's condition key, read on first use (see ConditionOf).
        private (ConditionKey Key, bool Negated)?[]? _conditions;
        private bool[]? _conditionsRead;

        /// <summary>
        /// <see cref="ConditionKey.Of"/> of the block's branch value (null without one), read once per graph: the solver
        /// meets a branching block at every visit of every site's solve, and each reading builds a string and a set.
        /// </summary>
        public (ConditionKey Key, bool Negated)? ConditionOf(BasicBlock block)
        {
            if (block.BranchValue == null)
            {
                return null;
            }

            _conditions ??= new (ConditionKey Key, bool Negated)?[Graph.Blocks.Length];
            _conditionsRead ??= new bool[Graph.Blocks.Length];
            if (!_conditionsRead[block.Ordinal])
            {
                _conditions[block.Ordinal] = ConditionKey.Of(block.BranchValue);
                _conditionsRead[block.Ordinal] = true;
            }

            return _conditions[block.Ordinal];
        }

        private CapturedValues? _captures;

        /// <summary>What each flow capture of the graph holds (a capture is always one of a block's operations).</summary>
        public CapturedValues Captures => _captures ??= new CapturedValues(Graph.Blocks.SelectMany(block => block.Operations));

        /// <summary>Set by the engine: the background solve's states (null until computed), or a gave-up marker.</summary>
        internal BackgroundStates? Background { get; set; }

        /// <summary>A block's operations followed by its branch value: what a solve steps over, in order.</summary>
        public static ImmutableArray<IOperation> Operations(BasicBlock block)
            => block.BranchValue == null ? block.Operations : block.Operations.Add(block.BranchValue);

        /// <summary>The facts of a top-level operation of the graph (an operation of a block, or a branch value).</summary>
        public OperationFacts Of(IOperation operation) => _operations[operation];

        /// <summary>The top-level operation that contains <paramref name="operation"/>, or null when it is not in the graph.</summary>
        public OperationFacts? Containing(IOperation operation)
        {
            var root = OperationTree.Root(operation);

            return _operations.TryGetValue(root, out var facts) ? facts : null;
        }

        /// <summary>
        /// Whether a path from <paramref name="at"/> may read <paramref name="name"/> (a local or a capture id) before
        /// writing it. Only normal paths are followed (branches, finally regions they leave through): a solve follows
        /// exception paths only while the value is owed, and then it is not asking.
        /// </summary>
        public bool IsLive(object name, Position at)
        {
            if (!_livenessComputed)
            {
                // Only the solves of allocation sites ask; reference queries (IG3006) never pay for it.
                _livenessComputed = true;
                ComputeLiveness(Graph);
            }

            if (_everythingLive || !_names.TryGetValue(name, out var index))
            {
                return true;
            }

            if (_events[at.Block].TryGetValue(index, out var events))
            {
                foreach (var (operation, read) in events)
                {
                    if (operation >= at.Index)
                    {
                        return read;
                    }
                }
            }

            return (_liveOut[at.Block][index / 64] & (1UL << (index % 64))) != 0;
        }

        private int NameIndex(object name)
        {
            if (!_names.TryGetValue(name, out var index))
            {
                index = _names.Count;
                _names[name] = index;
            }

            return index;
        }

        private static void Event(Dictionary<int, List<(int, bool)>> events, int name, int index, bool isRead)
        {
            if (!events.TryGetValue(name, out var list))
            {
                events[name] = list = new List<(int, bool)>();
            }

            list.Add((index, isRead));
        }

        /// <summary>
        /// Backward liveness of the names over the normal successors: a branch's destination, or the finally regions it
        /// leaves through and then its destination; the end of a finally region continues where the branches through it
        /// go. The end of any other handler region is taken to read everything.
        /// </summary>
        private void ComputeLiveness(ControlFlowGraph graph)
        {
            var blocks = graph.Blocks;
            var words = (_names.Count + 63) / 64;
            if ((long)words * blocks.Length > MaxLivenessWords)
            {
                _everythingLive = true;
                return;
            }

            var successors = new List<int>[blocks.Length];
            var finallyExits = new Dictionary<ControlFlowRegion, List<int>>();
            var readsAll = new bool[blocks.Length];
            foreach (var block in blocks)
            {
                successors[block.Ordinal] = new List<int>();
                foreach (var branch in new[] { block.FallThroughSuccessor, block.ConditionalSuccessor })
                {
                    if (branch == null || branch.Semantics == ControlFlowBranchSemantics.StructuredExceptionHandling)
                    {
                        continue;
                    }

                    var regions = branch.FinallyRegions;
                    for (var i = 0; i < regions.Length; i++)
                    {
                        var next = i + 1 < regions.Length ? regions[i + 1].FirstBlockOrdinal : branch.Destination?.Ordinal;
                        if (!finallyExits.TryGetValue(regions[i], out var exits))
                        {
                            finallyExits[regions[i]] = exits = new List<int>();
                        }

                        if (next is { } target)
                        {
                            exits.Add(target);
                        }
                    }

                    var first = regions.Length > 0 ? regions[0].FirstBlockOrdinal : branch.Destination?.Ordinal;
                    if (first is { } successor)
                    {
                        successors[block.Ordinal].Add(successor);
                    }
                }
            }

            foreach (var block in blocks)
            {
                if (block.FallThroughSuccessor?.Semantics != ControlFlowBranchSemantics.StructuredExceptionHandling)
                {
                    continue;
                }

                var region = ControlFlowGraphs.RegionsWithin(block).FirstOrDefault(r => r.Kind == ControlFlowRegionKind.Finally || r.Kind == ControlFlowRegionKind.Catch
                                                                                       || r.Kind == ControlFlowRegionKind.Filter || r.Kind == ControlFlowRegionKind.FilterAndHandler);

                if (region != null && region.Kind == ControlFlowRegionKind.Finally)
                {
                    if (finallyExits.TryGetValue(region, out var exits))
                    {
                        successors[block.Ordinal].AddRange(exits);
                    }
                }
                else
                {
                    readsAll[block.Ordinal] = true;
                }
            }

            // Per block: the names read before any write (gen) and written before any read (kill).
            var gen = new ulong[blocks.Length][];
            var kill = new ulong[blocks.Length][];
            var liveIn = new ulong[blocks.Length][];
            for (var b = 0; b < blocks.Length; b++)
            {
                gen[b] = new ulong[words];
                kill[b] = new ulong[words];
                liveIn[b] = new ulong[words];
                _liveOut[b] = new ulong[words];
                foreach (var entry in _events[b])
                {
                    var (word, bit) = (entry.Key / 64, 1UL << (entry.Key % 64));
                    if (entry.Value[0].Read)
                    {
                        gen[b][word] |= bit;
                    }
                    else
                    {
                        kill[b][word] |= bit;
                    }
                }

                if (readsAll[b])
                {
                    for (var w = 0; w < words; w++)
                    {
                        _liveOut[b][w] = ulong.MaxValue;
                    }
                }
            }

            var changed = true;
            while (changed)
            {
                changed = false;
                for (var b = blocks.Length - 1; b >= 0; b--)
                {
                    var liveOut = _liveOut[b];
                    foreach (var successor in successors[b])
                    {
                        for (var w = 0; w < words; w++)
                        {
                            liveOut[w] |= liveIn[successor][w];
                        }
                    }

                    for (var w = 0; w < words; w++)
                    {
                        var value = gen[b][w] | (liveOut[w] & ~kill[b][w]);
                        if (value != liveIn[b][w])
                        {
                            liveIn[b][w] = value;
                            changed = true;
                        }
                    }
                }
            }
        }

        /// <summary>A point of the graph: a block and the index of a top-level operation in it (the branch value last).</summary>
        internal readonly struct Position
        {
            public Position(int block, int index)
            {
                Block = block;
                Index = index;
            }

            public int Block { get; }

            public int Index { get; }
        }

        /// <summary>The background solve's result: the state before each top-level operation, and at each block's entry.</summary>
        internal sealed class BackgroundStates
        {
            public BackgroundStates(Dictionary<int, OwnershipState> atEntry, Dictionary<IOperation, OwnershipState> before, bool gaveUp)
            {
                AtEntry = atEntry;
                Before = before;
                GaveUp = gaveUp;
            }

            public Dictionary<int, OwnershipState> AtEntry { get; }

            public Dictionary<IOperation, OwnershipState> Before { get; }

            public bool GaveUp { get; }
        }
    }

    /// <summary>What one top-level operation of a graph holds, walked once.</summary>
    internal sealed class OperationFacts
    {
        public OperationFacts(IOperation operation, GraphFacts.Position position)
        {
            Operation = operation;
            Position = position;
            Descendants = operation.DescendantsAndSelf().ToImmutableArray();
            var references = ImmutableArray.CreateBuilder<(IOperation, object)>();
            foreach (var descendant in Descendants)
            {
                switch (descendant)
                {
                    case ILocalReferenceOperation local:
                        if (!ReleaseOnAllPaths.IsAssignmentTarget(descendant))
                        {
                            references.Add((descendant, local.Local));
                        }

                        break;
                    case IFlowCaptureReferenceOperation capture:
                        references.Add((descendant, capture.Id));
                        break;
                }
            }

            References = references.ToImmutable();
            Invocations = Descendants.OfType<IInvocationOperation>().ToImmutableArray();
            AssignedVariables = ReleaseOnAllPaths.AssignedVariables(operation).ToImmutableArray();
            AssignedNames = ReleaseOnAllPaths.AssignedNames(operation).ToImmutableArray();
        }

        public IOperation Operation { get; }

        public GraphFacts.Position Position { get; }

        /// <summary><see cref="Operation"/> and its descendants, in pre-order.</summary>
        public ImmutableArray<IOperation> Descendants { get; }

        /// <summary>Reads of locals (not as assignment targets) and of flow captures, in pre-order, with the name read.</summary>
        public ImmutableArray<(IOperation Reference, object Name)> References { get; }

        public ImmutableArray<IInvocationOperation> Invocations { get; }

        public ImmutableArray<(ISymbol Symbol, bool? Constant)> AssignedVariables { get; }

        public ImmutableArray<object> AssignedNames { get; }
    }
}
