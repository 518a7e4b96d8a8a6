using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>A body's graph together with the graphs of its local functions and lambdas, which are analyzed on their own.</summary>
    internal static class ControlFlowGraphs
    {
        public static IEnumerable<ControlFlowGraph> AllIn(ControlFlowGraph root, CancellationToken cancellationToken)
        {
            var pending = new Stack<ControlFlowGraph>();
            pending.Push(root);
            while (pending.Count > 0)
            {
                var graph = pending.Pop();
                yield return graph;

                foreach (var localFunction in graph.LocalFunctions)
                {
                    pending.Push(graph.GetLocalFunctionControlFlowGraph(localFunction, cancellationToken));
                }

                foreach (var block in graph.Blocks)
                {
                    var operations = block.BranchValue == null ? block.Operations : block.Operations.Add(block.BranchValue);
                    foreach (var lambda in operations.SelectMany(o => o.DescendantsAndSelf()).OfType<IFlowAnonymousFunctionOperation>())
                    {
                        pending.Push(graph.GetAnonymousFunctionControlFlowGraph(lambda, cancellationToken));
                    }
                }
            }
        }
    }
}
