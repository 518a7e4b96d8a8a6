using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// "Is the reference taken by this <c>DangerousAddRef</c> held at these sites?" answered from the operation tree for
    /// the textbook shapes, so that the common case costs no control-flow graph:
    /// <code>
    /// try { h.DangerousAddRef(ref ok); ...sites... } finally { if (ok) h.DangerousRelease(); }
    /// h.DangerousAddRef(ref ok); try { ...sites... } finally { ... }
    /// </code>
    /// A yes must be one the path engine (<see cref="ReleaseOnAllPaths.IsHeldAt"/>) gives too; anything else is "not
    /// shown here" and goes to the engine. A test compares both over every source of the repository.
    /// </summary>
    internal static class HeldReferences
    {
        /// <summary>
        /// True when every site lies in a statement of the try block that follows the acquisition, no release of the same
        /// receiver is in that block, nothing in it writes a symbol the receiver is named by, and nothing jumps into it.
        /// </summary>
        public static bool IsHeldAt(IInvocationOperation acquisition, IReadOnlyCollection<SyntaxNode> sites, ImmutableArray<ISymbol> path, Func<IInvocationOperation, bool> isRelease)
        {
            if (path.IsDefault || sites.Count == 0
                || acquisition.Parent is not IExpressionStatementOperation statement || statement.Parent is not IBlockOperation block)
            {
                return false;
            }

            var index = block.Operations.IndexOf(statement);
            IBlockOperation scope;
            int firstCovered;
            if (block.Parent is ITryOperation { Finally: not null } enclosing && enclosing.Body == block)
            {
                (scope, firstCovered) = (block, index + 1);
            }
            else if (index + 1 < block.Operations.Length && block.Operations[index + 1] is ITryOperation { Finally: not null } next)
            {
                (scope, firstCovered) = (next.Body, 0);
            }
            else
            {
                return false;
            }

            foreach (var site in sites)
            {
                var covered = false;
                for (var k = firstCovered; k < scope.Operations.Length && !covered; k++)
                {
                    covered = scope.Operations[k].Syntax.Span.Contains(site.Span);
                }

                // A site inside a lambda or local function runs whenever that is invoked, not where it is written.
                if (!covered || site.AncestorsAndSelf().TakeWhile(a => a != scope.Syntax).Any(OperationTree.IsFunctionSyntax))
                {
                    return false;
                }
            }

            var symbols = new HashSet<ISymbol>(path, SymbolEqualityComparer.Default);
            foreach (var operation in scope.Descendants())
            {
                switch (operation)
                {
                    case IInvocationOperation call when call.Instance != null && isRelease(call):
                    case ILabeledOperation:
                    case IBranchOperation { BranchKind: BranchKind.GoTo }:
                        return false;
                    case ILocalReferenceOperation local when symbols.Contains(local.Local) && IsWritten(local):
                    case IParameterReferenceOperation parameter when symbols.Contains(parameter.Parameter) && IsWritten(parameter):
                    case IFieldReferenceOperation field when symbols.Contains(field.Field) && IsWritten(field):
                    case IPropertyReferenceOperation property when symbols.Contains(property.Property) && IsWritten(property):
                        return false;
                }
            }

            return true;
        }

        private static bool IsWritten(IOperation reference)
            => reference.Parent switch
            {
                IAssignmentOperation assignment => assignment.Target == reference,
                IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } => true,
                IIncrementOrDecrementOperation => true,
                _ => reference.Parent is ITupleOperation,
            };
    }
}
