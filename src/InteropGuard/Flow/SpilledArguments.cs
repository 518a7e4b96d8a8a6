using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Arguments the control-flow graph holds in flow captures rather than as written. The graph evaluates a call's
    /// arguments left to right onto a stack; an argument that branches (<c>?.</c>, <c>??</c>, <c>?:</c>, <c>&amp;&amp;</c>,
    /// <c>||</c>) opens blocks of its own, and before it the graph moves every argument already evaluated into a capture.
    /// In the graph, such an argument is a <see cref="IFlowCaptureReferenceOperation"/>. A rule that follows the
    /// argument's value to a field or a property sees nothing there. A rule that answers from the tree can then skip
    /// the argument as the graph does.
    /// </summary>
    internal static class SpilledArguments
    {
        /// <summary>
        /// Does the graph see <paramref name="argument"/> of <paramref name="call"/> (an invocation or an object
        /// creation) only through a flow capture? That holds for a by-value argument that does not branch itself and
        /// is followed, among the call's arguments, by one that certainly branches.
        /// </summary>
        public static bool IsSpilled(IOperation call, IArgumentOperation argument)
        {
            var arguments = call switch
            {
                IInvocationOperation invocation => invocation.Arguments,
                IObjectCreationOperation creation => creation.Arguments,
                _ => ImmutableArray<IArgumentOperation>.Empty,
            };

            // A ref argument is captured as a reference, and an argument that branches is rewritten whole: neither is
            // the plain capture of the value as written.
            if (argument.Parameter is not { RefKind: RefKind.None } || Branches(argument.Value))
            {
                return false;
            }

            var index = arguments.IndexOf(argument);
            if (index < 0)
            {
                return false;
            }

            // IOperation lists arguments in evaluation order, the order the graph pushes them in.
            for (var i = index + 1; i < arguments.Length; i++)
            {
                if (Branches(arguments[i].Value))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Does evaluating <paramref name="value"/> branch, outside lambdas and local functions (graphs of their own)?
        /// Asked of every argument of the handle calls of a body the tree left to the graph: a recursion over the child
        /// lists allocates nothing, where a stack was made for each argument.
        /// </summary>
        private static bool Branches(IOperation value) => Branches(value, 0);

        private static bool Branches(IOperation operation, int depth)
        {
            if (IsBranching(operation))
            {
                return true;
            }

            if (OperationTree.IsFunction(operation))
            {
                return false;
            }

            if (depth >= OperationTree.MaxRecursion)
            {
                // Past the bound (a long chain of binary operators is as deep as it is long), a stack of its own.
                return BranchesDeep(operation);
            }

            foreach (var child in operation.ChildOperations)
            {
                if (Branches(child, depth + 1))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool BranchesDeep(IOperation value)
        {
            var pending = new Stack<IOperation>();
            pending.Push(value);
            while (pending.Count > 0)
            {
                var operation = pending.Pop();
                if (IsBranching(operation))
                {
                    return true;
                }

                if (OperationTree.IsFunction(operation))
                {
                    continue;
                }

                foreach (var child in operation.ChildOperations)
                {
                    pending.Push(child);
                }
            }

            return false;
        }

        /// <summary>
        /// The operations the graph always builds blocks for, spilling what is already evaluated. A narrower set than
        /// <see cref="StraightReads.SplitByTheGraph"/>: only those whose spill is certain may stand for the graph's view.
        /// </summary>
        private static bool IsBranching(IOperation operation)
            => operation is IConditionalAccessOperation || operation is ICoalesceOperation || operation is IConditionalOperation
               || operation is IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr };
    }
}
