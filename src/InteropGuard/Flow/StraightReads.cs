using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// A read of a variable after an operation that the operation tree alone shows to be on a path from it: the Dispose a
    /// <c>using</c> adds at its scope's end, or a later statement that runs straight through. Where this says yes, the
    /// graph's "used after this point on some path" (<see cref="UsedAfter"/>) says yes too, so a rule may skip the graph;
    /// where it says no, the graph decides. Held to the graph by IG1001's agreement tests (HandleOwnerTreeVerdictTests).
    /// The caller says what a use and an overwrite of its tracked value are.
    /// </summary>
    internal static class StraightReads
    {
        /// <summary>
        /// Is the variable a local that a <c>using</c> declares, with the call inside the <c>using</c>'s scope? The Dispose the
        /// compiler adds at the scope's end (in a finally) reads the local after the call on every path. A call in a lambda
        /// or local function runs in a graph of its own, without that finally: no answer.
        /// </summary>
        public static bool DisposedAfter(IOperation call, ISymbol? variable)
        {
            // A local's declarations are a new array at every read: read once.
            if (variable is not ILocalSymbol local || local.DeclaringSyntaxReferences is not { Length: 1 } declarations || OperationTree.IsInNestedFunction(call, OperationTree.Root(call)))
            {
                return false;
            }

            var span = call.Syntax.Span;
            switch (declarations[0].GetSyntax())
            {
                case VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Parent: UsingStatementSyntax { Statement: { } scope } } }:
                    return scope.Span.Contains(span);
                case VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Parent: LocalDeclarationStatementSyntax { Parent: BlockSyntax block } declaration } }
                    when !declaration.UsingKeyword.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.None):
                    return span.Start >= declaration.Span.End && block.Span.Contains(span);
                default:
                    return false;
            }
        }

        /// <summary>
        /// Is the variable certainly read after the call: by a statement after the call's statement that runs straight through
        /// (no branch, loop, pattern, conditional, lambda) and reads it — later in the call's statement list, or, when the
        /// list ends, after the block, <c>if</c>, <c>using</c>, <c>lock</c>, <c>fixed</c> or <c>try</c> holding the list — with the call's
        /// statement and every statement between able to complete and unable to leave otherwise (no return, throw, goto,
        /// break or continue out of them, no loop that cannot end) or to give it another value? The graph's
        /// "read on some path" then finds that read.
        /// </summary>
        public static bool ReadLater(IOperation call, Func<IOperation, bool> isUse, Func<IOperation, bool> overwrites)
        {
            var statement = call;
            while (statement.Parent is { } parent && parent is not IBlockOperation)
            {
                if (OperationTree.IsFunction(parent))
                {
                    return false;
                }

                statement = parent;
            }

            if (statement.Parent is not IBlockOperation || statement is ILoopOperation || !CompletesKeeping(statement, overwrites))
            {
                return false;
            }

            while (statement.Parent is IBlockOperation block)
            {
                for (var i = block.Operations.IndexOf(statement) + 1; i < block.Operations.Length; i++)
                {
                    var later = block.Operations[i];
                    if (later is IExpressionStatementOperation or IVariableDeclarationGroupOperation or IReturnOperation { Kind: OperationKind.Return }
                        && ReadsStraight(later, isUse, overwrites))
                    {
                        return true;
                    }

                    if (!CompletesKeeping(later, overwrites))
                    {
                        return false;
                    }
                }

                // The list ran to its end: control goes on after the statement that holds it, where that is certain.
                IOperation node = block;
                while (true)
                {
                    var parent = node.Parent;
                    if (parent is IBlockOperation)
                    {
                        break;
                    }

                    var completes = parent switch
                    {
                        IConditionalOperation { Type: null } conditional => node == conditional.WhenTrue || node == conditional.WhenFalse,
                        IUsingOperation usingStatement => node == usingStatement.Body,
                        ILockOperation lockStatement => node == lockStatement.Body,
                        { Kind: OperationKind.None, Syntax: FixedStatementSyntax fixedStatement } => node.Syntax == fixedStatement.Statement,
                        ITryOperation tryStatement => node == tryStatement.Body && (tryStatement.Finally == null || CompletesKeeping(tryStatement.Finally, overwrites)),
                        _ => false,
                    };
                    if (!completes)
                    {
                        return false;
                    }

                    node = parent!;
                }

                statement = node;
            }

            return false;
        }

        /// <summary>
        /// Can the statement complete, and does nothing in it leave it other than by completing (return, throw, goto, a
        /// break or continue to a loop around it), loop without end or give the tracked variable another value? A loop
        /// whose condition can be false, or a foreach, can complete.
        /// </summary>
        private static bool CompletesKeeping(IOperation statement, Func<IOperation, bool> overwrites)
            => !OperationTree.Any(statement, operation => operation switch
            {
                IReturnOperation => true,
                IThrowOperation => true,
                IAnonymousFunctionOperation => true,
                ILocalFunctionOperation => true,
                IBranchOperation { BranchKind: not (BranchKind.Break or BranchKind.Continue) } => true,
                IBranchOperation branch when !TargetsWithin(branch, statement) => true,
                ILoopOperation loop when !MayEnd(loop) => true,
                _ => overwrites(operation),
            });

        /// <summary>Does the break or continue jump to a loop (or, for break, a switch) inside <paramref name="statement"/>?</summary>
        private static bool TargetsWithin(IBranchOperation branch, IOperation statement)
        {
            for (IOperation? current = branch.Parent; current != null; current = current.Parent)
            {
                if (current is ILoopOperation || (branch.BranchKind == BranchKind.Break && current is ISwitchOperation))
                {
                    return true;
                }

                if (current == statement)
                {
                    return false;
                }
            }

            return false;
        }

        /// <summary>A foreach, or a loop with a condition that is not constant: the graph has an edge out of it.</summary>
        private static bool MayEnd(ILoopOperation loop)
            => loop switch
            {
                IForEachLoopOperation => true,
                IWhileLoopOperation { Condition: { } condition } => !condition.ConstantValue.HasValue,
                IForLoopOperation { Condition: { } condition } => !condition.ConstantValue.HasValue,
                _ => false,
            };

        /// <summary>Does the statement, evaluated straight through (nothing the graph splits into branches), read the tracked variable and not overwrite it?</summary>
        private static bool ReadsStraight(IOperation statement, Func<IOperation, bool> isUse, Func<IOperation, bool> overwrites)
        {
            // One walk without an iterator: it stops at the first operation that spoils the straight read.
            var reads = false;
            var spoiled = OperationTree.Any(statement, operation =>
            {
                if (SplitByTheGraph(operation) || OperationTree.IsFunction(operation) || overwrites(operation))
                {
                    return true;
                }

                reads |= isUse(operation) && LiveReads.Keeps(operation);
                return false;
            });
            return !spoiled && reads;
        }

        /// <summary>An operation the graph splits into branches or blocks of its own: a read inside it is not on every path.</summary>
        /// <remarks>
        /// By kind, one virtual call, where a test per interface was a cast each (IG1001 asks it of every operation of a
        /// handle call's statement, for every owner). Each of these kinds is the one kind of its interface.
        /// </remarks>
        public static bool SplitByTheGraph(IOperation operation)
            => operation.Kind switch
            {
                OperationKind.ConditionalAccess or OperationKind.Coalesce or OperationKind.CoalesceAssignment or OperationKind.Conditional
                    or OperationKind.SwitchExpression or OperationKind.Throw or OperationKind.ObjectOrCollectionInitializer or OperationKind.With
                    or OperationKind.AnonymousObjectCreation or OperationKind.ArrayInitializer or OperationKind.InterpolatedStringHandlerCreation
                    or OperationKind.IsPattern or OperationKind.DeconstructionAssignment or OperationKind.Await => true,
                OperationKind.Binary => ((IBinaryOperation)operation).OperatorKind is BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr,
                _ => false,
            };
    }
}
