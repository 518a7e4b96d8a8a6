using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Path questions about later uses of a value on a control-flow graph. "On every path from this operation, is the
    /// value used again?" (<see cref="OnEveryPath(IOperation, Func{IOperation, bool}, object?)"/>) is the question for
    /// "released on every path": paths that leave by an exception are not required to use it, but some path must reach
    /// a use. "Is the value read on some path?" (<see cref="OnSomePath(IOperation, Func{IOperation, bool}, Func{IOperation, bool}?, object?)"/>)
    /// is the question for "is the object alive during this call": optimized code reports a local or <c>this</c> to the
    /// GC at a call when a read of it is reachable from the call, on whichever path (standard liveness), so one read on
    /// an error branch keeps the object across the call even when that branch is not taken. In an iterator, a
    /// <c>yield return</c> ends the path: the consumer may never ask for the next element, so a use after it may never run.
    /// A reference to a flow capture the graph made of the value (an operand set aside before a branch,
    /// <see cref="CapturedValues"/>) is a read of the value, and so is an operand pending across the point in its own
    /// statement (<see cref="PendingOperands"/>).
    /// </summary>
    internal sealed class UsedAfter
    {
        private readonly ControlFlowGraph _graph;
        private readonly bool _isIterator;
        private readonly List<IOperation>[] _statements;
        private readonly Dictionary<object, bool[]> _solved = new Dictionary<object, bool[]>();
        private Dictionary<IOperation, (int Block, int Index)>? _locations;
        private CapturedValues? _captures;

        private UsedAfter(ControlFlowGraph graph, bool isIterator)
        {
            _graph = graph;
            _isIterator = isIterator;
            _statements = graph.Blocks.Select(Statements).ToArray();
        }

        /// <summary>
        /// The queries on one graph, sharing what they can: where each operation is, and one solve per kind of use
        /// (PERFORMANCE.md, cause 6: a solve per call was quadratic in a body with many calls).
        /// </summary>
        public static UsedAfter In(ControlFlowGraph graph) => new UsedAfter(graph, IsIterator(graph));

        /// <summary>
        /// The question for <paramref name="operation"/> of a body's operation tree (what an operation action sees), asked
        /// of the graph that runs it: <paramref name="body"/> (the driver's graph of the body), or the graph of the
        /// lambda or local function the operation is in. True (claim nothing) when the operation is not found.
        /// </summary>
        public static bool OnEveryPathInBody(ControlFlowGraph body, IOperation operation, Func<IOperation, bool> isUse, CancellationToken cancellationToken)
        {
            var running = ControlFlowGraphs.Running(body, operation, cancellationToken);
            return running == null || OnEveryPath(running.Value.Graph, running.Value.Operation, isUse, IsIterator(running.Value.Graph));
        }

        /// <summary>Is the graph's code an iterator (a <c>yield</c> of its own, not of a function inside it)?</summary>
        public static bool IsIterator(ControlFlowGraph graph)
            => OperationTree.Any(graph.OriginalOperation, o => o is IReturnOperation { Kind: OperationKind.YieldReturn or OperationKind.YieldBreak } && !OperationTree.IsInNestedFunction(o, graph.OriginalOperation));

        public static bool OnEveryPath(ControlFlowGraph graph, IOperation operation, Func<IOperation, bool> isUse, bool isIterator)
            => new UsedAfter(graph, isIterator).OnEveryPath(operation, isUse, useKey: null);

        /// <summary>
        /// Is the value <paramref name="isUse"/> recognizes used on every path after <paramref name="operation"/>, an
        /// operation of this graph? <paramref name="useKey"/> names the kind of use (the owner), so that queries with the
        /// same key share one solve; null solves afresh. The common case — a use later in the same block, such as a
        /// <c>GC.KeepAlive</c> after the call — is answered without a solve.
        /// </summary>
        public bool OnEveryPath(IOperation operation, Func<IOperation, bool> isUse, object? useKey)
        {
            if (!Locations().TryGetValue(operation, out var location))
            {
                // Not found in this graph: claim nothing.
                return true;
            }

            isUse = ThroughCaptures(isUse, holds: null);

            var block = _graph.Blocks[location.Block];
            var statements = _statements[location.Block];
            var index = location.Index;
            var enclosing = statements[index];
            if (LaterInSameOperation(enclosing, operation, isUse))
            {
                return true;
            }

            if (_isIterator && enclosing is IReturnOperation { Kind: OperationKind.YieldReturn })
            {
                return false;
            }

            for (var i = index + 1; i < statements.Count; i++)
            {
                var decided = Decide(statements[i], isUse, _isIterator);
                if (decided.HasValue)
                {
                    return decided.Value;
                }
            }

            bool[] covers;
            if (useKey == null || !_solved.TryGetValue(useKey, out covers!))
            {
                covers = Solve(_graph, isUse, _isIterator);
                if (useKey != null)
                {
                    _solved[useKey] = covers;
                }
            }

            return Leaves(_graph, block, covers, isUse) && ReachesUse(_graph, block, isUse);
        }

        /// <summary>
        /// The existential question, <see cref="OnSomePath(IOperation, Func{IOperation, bool}, Func{IOperation, bool}?, object?)"/>,
        /// for <paramref name="operation"/> of a body's operation tree, asked of the graph that runs it (see
        /// <see cref="OnEveryPathInBody"/>). True (claim nothing) when the operation is not found.
        /// </summary>
        public static bool OnSomePathInBody(ControlFlowGraph body, IOperation operation, Func<IOperation, bool> isRead, Func<IOperation, bool>? isOverwrite, CancellationToken cancellationToken)
        {
            var running = ControlFlowGraphs.Running(body, operation, cancellationToken);
            return running == null || new UsedAfter(running.Value.Graph, IsIterator(running.Value.Graph)).OnSomePath(running.Value.Operation, isRead, isOverwrite, useKey: null);
        }

        /// <summary>
        /// Is the value <paramref name="isRead"/> recognizes read on some path after <paramref name="operation"/>, before
        /// <paramref name="isOverwrite"/> (null: it cannot be overwritten, as <c>this</c>) replaces it? This is the
        /// liveness optimized code reports to the GC: a local or <c>this</c> is live at a call when some path from the
        /// call reaches a read of it, whichever path runs (a read on an error branch that is not taken still keeps the
        /// object reported across the call). Exceptions are followed generously, from anywhere in a try region to its
        /// handlers, as the JIT keeps values live into handlers. In an iterator a <c>yield return</c> ends the path: the
        /// consumer may never ask for the next element. <paramref name="useKey"/> shares one solve between queries about
        /// the same value; null solves afresh.
        /// </summary>
        public bool OnSomePath(IOperation operation, Func<IOperation, bool> isRead, Func<IOperation, bool>? isOverwrite, object? useKey)
            => OnSomePath(operation, isRead, isOverwrite, useKey, holds: null);

        /// <summary>
        /// <see cref="OnSomePath(IOperation, Func{IOperation, bool}, Func{IOperation, bool}?, object?)"/>, where
        /// <paramref name="holds"/> says which values hold the object asked about, read where a value stands for it:
        /// an operand evaluated before the call and taken by an operation after it returns (<see cref="PendingOperands"/>:
        /// <c>new Expr(owner, f(owner.Handle))</c>), and a value the graph captured (<see cref="CapturedValues"/>) whose
        /// reference is read after the call. Null: a value holds it when it is a plain reference that
        /// <paramref name="isRead"/> recognizes. <paramref name="useKey"/> must then name <paramref name="holds"/> too.
        /// </summary>
        public bool OnSomePath(IOperation operation, Func<IOperation, bool> isRead, Func<IOperation, bool>? isOverwrite, object? useKey, Func<IOperation, bool>? holds)
        {
            if (!Locations().TryGetValue(operation, out var location))
            {
                return true;
            }

            var held = Held(isRead, holds);
            isRead = ThroughCaptures(isRead, held);
            var block = _graph.Blocks[location.Block];
            var statements = _statements[location.Block];
            var enclosing = statements[location.Index];
            if (LaterInSameOperation(enclosing, operation, isRead) || PendingOperands.Hold(operation, held, Captured))
            {
                return true;
            }

            bool[] reaches;
            var key = useKey == null ? null : (object)("some", useKey);
            if (key == null || !_solved.TryGetValue(key, out reaches!))
            {
                reaches = SolveReaches(_graph, isRead, isOverwrite, _isIterator);
                if (key != null)
                {
                    _solved[key] = reaches;
                }
            }

            if (IntoHandlers(_graph, block, reaches))
            {
                return true;
            }

            // The statement of the call itself may overwrite the value once the call returns ('o = Wrap(f(o.Handle))').
            var inside = new HashSet<IOperation>(operation.DescendantsAndSelf());
            if ((isOverwrite != null && enclosing.DescendantsAndSelf().Any(o => !inside.Contains(o) && isOverwrite(o)))
                || (_isIterator && enclosing is IReturnOperation { Kind: OperationKind.YieldReturn }))
            {
                return false;
            }

            for (var i = location.Index + 1; i < statements.Count; i++)
            {
                var decided = Read(statements[i], isRead, isOverwrite, _isIterator);
                if (decided.HasValue)
                {
                    return decided.Value;
                }
            }

            return AlongBranches(_graph, block, reaches);
        }

        /// <summary>
        /// Can one run of the body pass both <paramref name="first"/> and <paramref name="second"/>, operations of a body's
        /// operation tree in the same function, in either order? False only when neither reaches the other on any path
        /// (the two branches of an <c>if</c>); true (claim nothing) when either is not found in the graph that runs it.
        /// </summary>
        public static bool OnOneRunInBody(ControlFlowGraph body, IOperation first, IOperation second, CancellationToken cancellationToken)
            => OnSomePathInBody(body, first, o => IsCounterpart(o, second), isOverwrite: null, cancellationToken)
               || OnSomePathInBody(body, second, o => IsCounterpart(o, first), isOverwrite: null, cancellationToken);

        // The graph rewrites operations but keeps their kind and syntax.
        private static bool IsCounterpart(IOperation flow, IOperation tree) => flow.Kind == tree.Kind && flow.Syntax == tree.Syntax;

        /// <summary>The graph's captures, read at the first question that needs them.</summary>
        private CapturedValues Captures() => _captures ??= new CapturedValues(_statements.SelectMany(statements => statements));

        /// <summary>
        /// The value written where <paramref name="value"/> (an operation of this graph) stands, when the graph moved it
        /// into a capture of its own (<see cref="CapturedValues.Resolve"/>); otherwise <paramref name="value"/>.
        /// </summary>
        public IOperation Captured(IOperation value) => value is IFlowCaptureReferenceOperation ? Captures().Resolve(value) : value;

        /// <summary>
        /// Which values hold the object asked about: <paramref name="holds"/>, or by default a plain reference (a local,
        /// a parameter, <c>this</c>, a field or a parameterless property) <paramref name="isRead"/> recognizes — never a
        /// computed value, whose capture read later says nothing of when it was computed. A reference to a capture all
        /// of whose values hold it holds it too.
        /// </summary>
        private Func<IOperation, bool> Held(Func<IOperation, bool> isRead, Func<IOperation, bool>? holds)
        {
            var own = holds ?? (value => IsPlainReference(OperationTree.SkipConversions(value)) && isRead(value));
            return value => own(value) || (value is IFlowCaptureReferenceOperation reference && Captures().AllHold(reference, own));
        }

        /// <summary>
        /// <paramref name="isRead"/>, and a reference to a capture whose values all hold the object: reading it after the
        /// point reads what was captured, which stayed on the evaluation stack from the capture to the read, as surely as
        /// the local it was read from (<c>g(owner, f(owner.Handle), c ? 1 : 0)</c> captures <c>owner</c> before <c>f</c>
        /// and passes the capture to <c>g</c> after it). Unchanged for a graph without captures.
        /// </summary>
        private Func<IOperation, bool> ThroughCaptures(Func<IOperation, bool> isRead, Func<IOperation, bool>? holds)
        {
            if (Captures().IsEmpty)
            {
                return isRead;
            }

            var held = holds ?? Held(isRead, null);
            return operation => isRead(operation)
                                || (operation is IFlowCaptureReferenceOperation reference && held(reference) && LiveReads.Keeps(reference));
        }

        private static bool IsPlainReference(IOperation value)
            => value is ILocalReferenceOperation || value is IParameterReferenceOperation || value is IInstanceReferenceOperation || value is IFieldReferenceOperation
               || value is IPropertyReferenceOperation { Arguments.IsEmpty: true };

        /// <summary>Each operation of the graph with the block and statement it is in, found by one walk.</summary>
        private Dictionary<IOperation, (int Block, int Index)> Locations()
        {
            if (_locations != null)
            {
                return _locations;
            }

            _locations = new Dictionary<IOperation, (int Block, int Index)>();
            for (var b = 0; b < _statements.Length; b++)
            {
                for (var i = 0; i < _statements[b].Count; i++)
                {
                    foreach (var operation in _statements[b][i].DescendantsAndSelf())
                    {
                        // The first statement containing it, as the source-order search found it.
                        if (!_locations.ContainsKey(operation))
                        {
                            _locations.Add(operation, (b, i));
                        }
                    }
                }
            }

            return _locations;
        }

        /// <summary>
        /// Is a use reachable at all from the end of <paramref name="from"/>? "Every path that reaches the exit" holds
        /// trivially when no path does (an unconditional throw after the call, an endless loop); then the value is dead
        /// during the call. Exceptions are followed generously — from anywhere in a try region to its catch, filter and
        /// finally handlers — so that a use there counts.
        /// </summary>
        private static bool ReachesUse(ControlFlowGraph graph, BasicBlock from, Func<IOperation, bool> isUse)
        {
            var seen = new HashSet<int>();
            var pending = new Stack<BasicBlock>();
            Follow(from);
            while (pending.Count > 0)
            {
                var block = pending.Pop();
                if (Statements(block).Any(s => OperationTree.Any(s, isUse)))
                {
                    return true;
                }

                Follow(block);
            }

            return false;

            void Enter(BasicBlock block)
            {
                if (seen.Add(block.Ordinal))
                {
                    pending.Push(block);
                }
            }

            void Follow(BasicBlock block)
            {
                foreach (var branch in new[] { block.FallThroughSuccessor, block.ConditionalSuccessor })
                {
                    if (branch == null)
                    {
                        continue;
                    }

                    foreach (var region in branch.FinallyRegions)
                    {
                        Enter(graph.Blocks[region.FirstBlockOrdinal]);
                    }

                    if (branch.Destination != null)
                    {
                        Enter(branch.Destination);
                    }
                }

                foreach (var region in ControlFlowGraphs.RegionsWithin(block))
                {
                    if (region.Kind != ControlFlowRegionKind.Try)
                    {
                        continue;
                    }

                    foreach (var handler in region.EnclosingRegion!.NestedRegions)
                    {
                        if (handler != region)
                        {
                            Enter(graph.Blocks[handler.FirstBlockOrdinal]);
                        }
                    }
                }
            }
        }

        private static List<IOperation> Statements(BasicBlock block)
        {
            var statements = block.Operations.ToList();
            if (block.BranchValue != null)
            {
                statements.Add(block.BranchValue);
            }

            return statements;
        }

        /// <summary>
        /// Within one operation, a use evaluated after the call: written after it, or the receiver of a call that
        /// consumes the call's result (<c>owner.Check(Native.f(h))</c> passes <c>owner</c> once <c>f</c> returns).
        /// </summary>
        private static bool LaterInSameOperation(IOperation enclosing, IOperation call, Func<IOperation, bool> isUse)
        {
            var inside = new HashSet<IOperation>(call.DescendantsAndSelf());
            foreach (var candidate in enclosing.DescendantsAndSelf())
            {
                if (inside.Contains(candidate) || !isUse(candidate))
                {
                    continue;
                }

                if (candidate.Syntax.SpanStart >= call.Syntax.Span.End)
                {
                    return true;
                }

                if (candidate.Parent is IInvocationOperation consumer && consumer.Instance == candidate && consumer.DescendantsAndSelf().Contains(call))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool? Decide(IOperation statement, Func<IOperation, bool> isUse, bool isIterator)
        {
            if (OperationTree.Any(statement, isUse))
            {
                return true;
            }

            if (isIterator && statement is IReturnOperation { Kind: OperationKind.YieldReturn })
            {
                return false;
            }

            return null;
        }

        private static bool Leaves(ControlFlowGraph graph, BasicBlock block, bool[] covers, Func<IOperation, bool> isUse)
        {
            if (block.Kind == BasicBlockKind.Exit)
            {
                return false;
            }

            var result = true;
            foreach (var branch in new[] { block.FallThroughSuccessor, block.ConditionalSuccessor })
            {
                if (branch != null)
                {
                    result &= Edge(graph, branch, covers, isUse);
                }
            }

            return result;
        }

        private static bool Edge(ControlFlowGraph graph, ControlFlowBranch branch, bool[] covers, Func<IOperation, bool> isUse)
        {
            foreach (var region in branch.FinallyRegions)
            {
                for (var ordinal = region.FirstBlockOrdinal; ordinal <= region.LastBlockOrdinal; ordinal++)
                {
                    if (Statements(graph.Blocks[ordinal]).Any(s => OperationTree.Any(s, isUse)))
                    {
                        return true;
                    }
                }
            }

            // No destination: a throw, or the end of a finally whose continuation the entering branch accounts for.
            return branch.Destination == null || covers[branch.Destination.Ordinal];
        }

        /// <summary>What one statement decides on a path: true, a read; false, an overwrite or a yield that ends it; null, neither.</summary>
        private static bool? Read(IOperation statement, Func<IOperation, bool> isRead, Func<IOperation, bool>? isOverwrite, bool isIterator)
        {
            // Within one statement a read comes first where both occur ('o = Wrap(o)').
            if (OperationTree.Any(statement, isRead))
            {
                return true;
            }

            if ((isOverwrite != null && OperationTree.Any(statement, isOverwrite))
                || (isIterator && statement is IReturnOperation { Kind: OperationKind.YieldReturn }))
            {
                return false;
            }

            return null;
        }

        /// <summary>Does an edge out of <paramref name="block"/> (through the finally regions it crosses) lead to a read?</summary>
        private static bool AlongBranches(ControlFlowGraph graph, BasicBlock block, bool[] reaches)
        {
            foreach (var branch in new[] { block.FallThroughSuccessor, block.ConditionalSuccessor })
            {
                if (branch == null)
                {
                    continue;
                }

                if (branch.FinallyRegions.Any(region => reaches[region.FirstBlockOrdinal]) || (branch.Destination != null && reaches[branch.Destination.Ordinal]))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Does an exception raised anywhere in <paramref name="block"/> lead to a read, in a handler of a try region around it?</summary>
        private static bool IntoHandlers(ControlFlowGraph graph, BasicBlock block, bool[] reaches)
        {
            foreach (var region in ControlFlowGraphs.RegionsWithin(block))
            {
                if (region.Kind != ControlFlowRegionKind.Try)
                {
                    continue;
                }

                foreach (var handler in region.EnclosingRegion!.NestedRegions)
                {
                    if (handler != region && reaches[handler.FirstBlockOrdinal])
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>Least fixed point of "some path from the start of the block reaches a read before an overwrite".</summary>
        private static bool[] SolveReaches(ControlFlowGraph graph, Func<IOperation, bool> isRead, Func<IOperation, bool>? isOverwrite, bool isIterator)
        {
            var blocks = graph.Blocks;
            var local = new bool?[blocks.Length];
            var reaches = new bool[blocks.Length];
            for (var i = 0; i < blocks.Length; i++)
            {
                foreach (var statement in Statements(blocks[i]))
                {
                    local[i] = Read(statement, isRead, isOverwrite, isIterator);
                    if (local[i].HasValue)
                    {
                        break;
                    }
                }

                reaches[i] = local[i] == true;
            }

            var changed = true;
            while (changed)
            {
                changed = false;
                for (var i = blocks.Length - 1; i >= 0; i--)
                {
                    if (reaches[i])
                    {
                        continue;
                    }

                    if (IntoHandlers(graph, blocks[i], reaches) || (local[i] == null && AlongBranches(graph, blocks[i], reaches)))
                    {
                        reaches[i] = true;
                        changed = true;
                    }
                }
            }

            return reaches;
        }

        /// <summary>Greatest fixed point of "every path from the start of the block reaches a use before the exit".</summary>
        private static bool[] Solve(ControlFlowGraph graph, Func<IOperation, bool> isUse, bool isIterator)
        {
            var blocks = graph.Blocks;
            var local = new bool?[blocks.Length];
            var covers = new bool[blocks.Length];
            for (var i = 0; i < blocks.Length; i++)
            {
                foreach (var statement in Statements(blocks[i]))
                {
                    local[i] = Decide(statement, isUse, isIterator);
                    if (local[i].HasValue)
                    {
                        break;
                    }
                }

                covers[i] = blocks[i].Kind != BasicBlockKind.Exit && (local[i] ?? true);
            }

            var changed = true;
            while (changed)
            {
                changed = false;
                for (var i = blocks.Length - 1; i >= 0; i--)
                {
                    if (local[i].HasValue || !covers[i])
                    {
                        continue;
                    }

                    if (!Leaves(graph, blocks[i], covers, isUse))
                    {
                        covers[i] = false;
                        changed = true;
                    }
                }
            }

            return covers;
        }
    }
}
