using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>A body's graph together with the graphs of its local functions and lambdas, which are analyzed on their own.</summary>
    internal static class ControlFlowGraphs
    {
        /// <summary>
        /// The regions around <paramref name="block"/>, innermost first, up to its own graph's root (left out): the root of a
        /// lambda's or local function's graph links to the region of the enclosing graph that holds the function, whose
        /// block ordinals are the other graph's. A walk past it read a <c>finally</c> of the enclosing method as if the
        /// lambda's exception ran it (an AD0001 on LLamaSharp's <c>LoadFromFileAsync</c>: a load inside <c>Task.Run</c>'s
        /// lambda, inside a <c>using</c>).
        /// </summary>
        public static IEnumerable<ControlFlowRegion> RegionsWithin(BasicBlock block)
        {
            for (var region = block.EnclosingRegion; region != null && region.Kind != ControlFlowRegionKind.Root; region = region.EnclosingRegion)
            {
                yield return region;
            }
        }

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

                // The lambdas of each block in the order of its operations, the branch value last. Every body of every
                // analyzer that reads graphs comes through here, so the walk copies no block's operations to append the
                // branch value and stacks no enumerators.
                foreach (var block in graph.Blocks)
                {
                    foreach (var operation in block.Operations)
                    {
                        PushLambdas(graph, operation, pending, cancellationToken);
                    }

                    if (block.BranchValue != null)
                    {
                        PushLambdas(graph, block.BranchValue, pending, cancellationToken);
                    }
                }
            }
        }

        private static void PushLambdas(ControlFlowGraph graph, IOperation operation, Stack<ControlFlowGraph> pending, CancellationToken cancellationToken)
        {
            foreach (var descendant in operation.DescendantsAndSelf())
            {
                if (descendant is IFlowAnonymousFunctionOperation lambda)
                {
                    pending.Push(graph.GetAnonymousFunctionControlFlowGraph(lambda, cancellationToken));
                }
            }
        }

        /// <summary>
        /// The graph of a method's, constructor's or block's body reached outside the driver's callback for it (a caller's
        /// body, a helper's); null for any other root, or one Roslyn refuses (incomplete code).
        /// </summary>
        public static ControlFlowGraph? OfBody(IOperation root, CancellationToken cancellationToken)
        {
            try
            {
                return root switch
                {
                    IMethodBodyOperation body when body.Parent == null => ControlFlowGraph.Create(body, cancellationToken),
                    IConstructorBodyOperation body when body.Parent == null => ControlFlowGraph.Create(body, cancellationToken),
                    IBlockOperation body when body.Parent == null => ControlFlowGraph.Create(body, cancellationToken),
                    _ => null,
                };
            }
            catch (System.ArgumentException)
            {
                // Not a body Roslyn builds graphs for: no answer.
                return null;
            }
        }

        /// <summary>
        /// Can a graph be built for this root of an operation tree? (A body, a block, an initializer; the driver throws
        /// for anything else, which incomplete code can produce.)
        /// </summary>
        public static bool HasGraph(IOperation root)
            => root.Parent == null
               && (root is IMethodBodyOperation || root is IConstructorBodyOperation || root is IBlockOperation
                   || root is IFieldInitializerOperation || root is IPropertyInitializerOperation || root is IParameterInitializerOperation);

        /// <summary>
        /// The graph that runs <paramref name="operation"/>, an operation of the body's own operation tree (what an
        /// operation action sees): <paramref name="body"/> itself, or the graph of the lambda or local function around
        /// the operation; with the operation's counterpart in that graph (the graph rewrites the tree, keeping each
        /// operation's syntax). Null when it cannot be found.
        /// </summary>
        public static (ControlFlowGraph Graph, IOperation Operation)? Running(ControlFlowGraph body, IOperation operation, CancellationToken cancellationToken)
        {
            var functions = new Stack<IOperation>();
            for (var current = operation.Parent; current != null; current = current.Parent)
            {
                if (OperationTree.IsFunction(current))
                {
                    functions.Push(current);
                }
            }

            // From the outermost function in: each one's graph is found in the graph of the one around it.
            var graph = body;
            while (functions.Count > 0)
            {
                var function = functions.Pop();
                if (function is ILocalFunctionOperation localFunction)
                {
                    if (!InScope(graph, localFunction.Symbol))
                    {
                        return null;
                    }

                    graph = graph.GetLocalFunctionControlFlowGraphInScope(localFunction.Symbol, cancellationToken);
                    continue;
                }

                var lambda = AllOperations(graph).OfType<IFlowAnonymousFunctionOperation>().FirstOrDefault(f => f.Syntax == function.Syntax);
                if (lambda == null)
                {
                    return null;
                }

                graph = graph.GetAnonymousFunctionControlFlowGraphInScope(lambda, cancellationToken);
            }

            var counterpart = AllOperations(graph).FirstOrDefault(o => o.Kind == operation.Kind && o.Syntax == operation.Syntax);
            return counterpart == null ? null : (graph, counterpart);
        }

        /// <summary>A block's operations, its branch value last.</summary>
        public static IEnumerable<IOperation> Operations(BasicBlock block)
            => block.BranchValue == null ? block.Operations : block.Operations.Add(block.BranchValue);

        private static IEnumerable<IOperation> AllOperations(ControlFlowGraph graph)
            => graph.Blocks.SelectMany(Operations).SelectMany(o => o.DescendantsAndSelf());

        private static bool InScope(ControlFlowGraph graph, IMethodSymbol localFunction)
        {
            for (var current = graph; current != null; current = current.Parent)
            {
                if (current.LocalFunctions.Contains(localFunction, SymbolEqualityComparer.Default))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
