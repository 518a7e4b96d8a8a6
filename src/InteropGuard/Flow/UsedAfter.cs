using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// "On every path from this operation to the end of the method, is the value used again?" on a control-flow graph.
    /// The GC treats an object as dead after its last use in optimized code, so a use on every path after a native
    /// call is what keeps the object alive during it. Paths that leave by an exception are not required to use it:
    /// they do not reach the method's exit. In an iterator, a <c>yield return</c> ends the path: the consumer may never
    /// ask for the next element, so a use after it may never run.
    /// </summary>
    internal static class UsedAfter
    {
        public static bool OnEveryPath(ControlFlowGraph graph, IOperation operation, Func<IOperation, bool> isUse, bool isIterator)
        {
            var (block, index) = Locate(graph, operation);
            if (block == null)
            {
                // Not found in this graph: claim nothing.
                return true;
            }

            var covers = Solve(graph, isUse, isIterator);
            var statements = Statements(block);
            var enclosing = statements[index];
            if (LaterInSameOperation(enclosing, operation, isUse))
            {
                return true;
            }

            if (isIterator && enclosing is IReturnOperation { Kind: OperationKind.YieldReturn })
            {
                return false;
            }

            for (var i = index + 1; i < statements.Count; i++)
            {
                var decided = Decide(statements[i], isUse, isIterator);
                if (decided.HasValue)
                {
                    return decided.Value;
                }
            }

            return Leaves(graph, block, covers, isUse);
        }

        private static (BasicBlock? Block, int Index) Locate(ControlFlowGraph graph, IOperation operation)
        {
            foreach (var block in graph.Blocks)
            {
                var statements = Statements(block);
                for (var i = 0; i < statements.Count; i++)
                {
                    if (statements[i] == operation || statements[i].Descendants().Contains(operation))
                    {
                        return (block, i);
                    }
                }
            }

            return (null, -1);
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
            if (statement.DescendantsAndSelf().Any(isUse))
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
                    if (Statements(graph.Blocks[ordinal]).Any(s => s.DescendantsAndSelf().Any(isUse)))
                    {
                        return true;
                    }
                }
            }

            // No destination: a throw, or the end of a finally whose continuation the entering branch accounts for.
            return branch.Destination == null || covers[branch.Destination.Ordinal];
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
