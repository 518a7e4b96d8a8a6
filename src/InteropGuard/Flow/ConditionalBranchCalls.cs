using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Flow
{
    /// <summary>
    /// A call that is a whole branch of a conditional (<c>var r = c ? f(a.Handle) : g(a.Handle, b.Handle);</c>, or the
    /// statement of an <c>if</c> without braces). The graph evaluates it in a block of its own, its receiver and arguments
    /// as written; the conditions come before it and the other branches lie on no path through it. So in a statement the
    /// graph splits, those parts can be passed over by a tree reading that asks what is evaluated after the call.
    /// </summary>
    internal static class ConditionalBranchCalls
    {
        // Most statements with a handle call do not branch: one empty answer for all of them (callers only read it).
        private static readonly IReadOnlyList<IOperation> None = new IOperation[0];

        /// <summary>
        /// The parts of <paramref name="statement"/> that are evaluated before <paramref name="call"/> or on no path through
        /// it: empty when the statement does not branch at all; null when it branches anywhere else (the call's own
        /// evaluation, or a part evaluated after it), or when a condition is a constant (the graph may drop a branch).
        /// </summary>
        public static IReadOnlyList<IOperation>? PassedParts(IOperation statement, IOperation call)
        {
            if (!OperationTree.Any(statement, StraightReads.SplitByTheGraph))
            {
                return None;
            }

            if (OperationTree.Any(call, StraightReads.SplitByTheGraph))
            {
                return null;
            }

            // From the call up to the statement, each step must be one that adds nothing evaluated after the call.
            var passed = new List<IOperation>();
            for (var current = call; current != statement; current = current.Parent!)
            {
                switch (current.Parent)
                {
                    case IConditionalOperation conditional when current == conditional.WhenTrue || current == conditional.WhenFalse:
                        if (conditional.Condition.ConstantValue.HasValue)
                        {
                            return null;
                        }

                        passed.Add(conditional.Condition);
                        if ((current == conditional.WhenTrue ? conditional.WhenFalse : conditional.WhenTrue) is { } other)
                        {
                            passed.Add(other);
                        }

                        break;
                    case IConversionOperation { OperatorMethod: null }:
                    case IVariableInitializerOperation:
                    case IVariableDeclaratorOperation:
                    case IVariableDeclarationOperation { Declarators.Length: 1, Initializer: null }:
                    case IVariableDeclarationGroupOperation { Declarations.Length: 1 }:
                    case IReturnOperation:
                    case IExpressionStatementOperation:
                    case ISimpleAssignmentOperation { Target: ILocalReferenceOperation } assignment when current == assignment.Value:
                        break;
                    default:
                        return null;
                }
            }

            return passed;
        }
    }
}
