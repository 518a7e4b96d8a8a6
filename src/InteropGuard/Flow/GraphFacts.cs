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
    /// the variables it writes, where it stands in the graph; how far back a path from a point can lead; and the
    /// "background" states (what the solve holds before any tracked value exists), from which a solve for one value
    /// starts at the value's allocation instead of at the graph's entry.
    /// </summary>
    internal sealed class GraphFacts
    {
        private readonly Dictionary<IOperation, OperationFacts> _operations = new Dictionary<IOperation, OperationFacts>();
        private readonly Dictionary<object, Position> _lastReference = new Dictionary<object, Position>();
        private readonly int[] _low;
        private readonly bool[] _reentrant;

        public GraphFacts(ControlFlowGraph graph)
        {
            Graph = graph;
            var blocks = graph.Blocks;
            _low = new int[blocks.Length];
            _reentrant = new bool[blocks.Length];
            foreach (var block in blocks)
            {
                var index = 0;
                foreach (var operation in Operations(block))
                {
                    var facts = new OperationFacts(operation, new Position(block.Ordinal, index));
                    _operations[operation] = facts;
                    foreach (var name in facts.Mentioned)
                    {
                        if (!_lastReference.TryGetValue(name, out var last) || last.CompareTo(facts.Position) < 0)
                        {
                            _lastReference[name] = facts.Position;
                        }
                    }

                    foreach (var capture in facts.Descendants.OfType<IFlowCaptureOperation>())
                    {
                        Captures[capture.Id] = capture.Value;
                    }

                    index++;
                }
            }

            ComputeLoops(graph);
        }

        public ControlFlowGraph Graph { get; }

        /// <summary>The value of each flow capture of the graph.</summary>
        public Dictionary<CaptureId, IOperation> Captures { get; } = new Dictionary<CaptureId, IOperation>();

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
            var root = operation;
            while (root.Parent != null)
            {
                root = root.Parent;
            }

            return _operations.TryGetValue(root, out var facts) ? facts : null;
        }

        /// <summary>
        /// The earliest point a path from <paramref name="from"/> can lead to, in graph order (block ordinal, then
        /// operation): <paramref name="from"/> itself, or the head of a loop that contains it. Conservative: a point
        /// before it is never reached again.
        /// </summary>
        public Position EarliestReachable(Position from) => _reentrant[from.Block] ? new Position(_low[from.Block], 0) : from;

        /// <summary>Whether no operation a path from <paramref name="from"/> can reach mentions <paramref name="name"/> (a local or a capture id).</summary>
        public bool NotMentionedFrom(object name, Position from)
            => !_lastReference.TryGetValue(name, out var last) || last.CompareTo(EarliestReachable(from)) < 0;

        /// <summary>
        /// Back edges (to a block at or before the source, in ordinal order), including the ways a branch leaves
        /// through finally regions. Exception edges lead to handlers, which always follow their try blocks, so they
        /// are never back edges. A block is re-entered when a back edge from it or a later block leads to it or an
        /// earlier one; then everything from the earliest such target on can run again.
        /// </summary>
        private void ComputeLoops(ControlFlowGraph graph)
        {
            var blocks = graph.Blocks;
            var minTargetFrom = new int[blocks.Length];
            for (var i = 0; i < blocks.Length; i++)
            {
                minTargetFrom[i] = int.MaxValue;
            }

            void Edge(int source, int target)
            {
                if (target <= source && target < minTargetFrom[source])
                {
                    minTargetFrom[source] = target;
                }
            }

            foreach (var block in blocks)
            {
                foreach (var branch in new[] { block.FallThroughSuccessor, block.ConditionalSuccessor })
                {
                    if (branch == null)
                    {
                        continue;
                    }

                    var source = block.Ordinal;
                    foreach (var region in branch.FinallyRegions)
                    {
                        Edge(source, region.FirstBlockOrdinal);
                        source = region.LastBlockOrdinal;
                    }

                    if (branch.Destination != null)
                    {
                        Edge(source, branch.Destination.Ordinal);
                    }
                }
            }

            // Suffix minimum: the earliest block a back edge from this block or a later one leads to.
            var suffix = int.MaxValue;
            var suffixMin = new int[blocks.Length];
            for (var i = blocks.Length - 1; i >= 0; i--)
            {
                suffix = System.Math.Min(suffix, minTargetFrom[i]);
                suffixMin[i] = suffix;
            }

            for (var i = 0; i < blocks.Length; i++)
            {
                _reentrant[i] = suffixMin[i] <= i;
                _low[i] = !_reentrant[i] ? i : suffixMin[i] < i ? _low[suffixMin[i]] : i;
            }
        }

        /// <summary>A point of the graph: a block and the index of a top-level operation in it (the branch value last).</summary>
        internal readonly struct Position : System.IComparable<Position>
        {
            public Position(int block, int index)
            {
                Block = block;
                Index = index;
            }

            public int Block { get; }

            public int Index { get; }

            public int CompareTo(Position other) => Block != other.Block ? Block.CompareTo(other.Block) : Index.CompareTo(other.Index);
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
            var mentioned = new HashSet<object>();
            foreach (var descendant in Descendants)
            {
                switch (descendant)
                {
                    case ILocalReferenceOperation local:
                        mentioned.Add(local.Local);
                        if (!ReleaseOnAllPaths.IsAssignmentTarget(descendant))
                        {
                            references.Add((descendant, local.Local));
                        }

                        break;
                    case IFlowCaptureReferenceOperation capture:
                        mentioned.Add(capture.Id);
                        references.Add((descendant, capture.Id));
                        break;
                    case IFlowCaptureOperation captureDefinition:
                        mentioned.Add(captureDefinition.Id);
                        break;
                }
            }

            References = references.ToImmutable();
            Mentioned = mentioned;
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

        /// <summary>Every local and capture id the operation mentions, read, written or defined.</summary>
        public ISet<object> Mentioned { get; }

        public ImmutableArray<IInvocationOperation> Invocations { get; }

        public ImmutableArray<(ISymbol Symbol, bool? Constant)> AssignedVariables { get; }

        public ImmutableArray<object> AssignedNames { get; }
    }
}
