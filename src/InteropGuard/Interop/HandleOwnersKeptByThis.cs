using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>
    /// An owner the method has just stored into its own object: TensorFlowSharp's session constructor runs
    /// <c>Graph = graph;</c>, then <c>TF_NewSession(graph.Handle, …)</c>, then <c>handle = h;</c>. The write after the call
    /// keeps <c>this</c> live across it, and <c>this</c> holds the graph in its auto-property, so the graph cannot be
    /// collected during the call — the keep-alive the rule asks for, by another route. Asked only of a finding about to
    /// be reported. The reading, all in the statement list that holds the call (no loop or function between):
    /// <list type="bullet">
    /// <item>an earlier statement of the list is <c>member = owner;</c>, the owner a parameter or local read as such, the
    /// member an instance field or auto-property of <c>this</c> in a class;</item>
    /// <item>no statement from that store up to the call's writes the member or the variable again;</item>
    /// <item><c>this</c> is used after the call: by the call's own statement storing its result into a member of
    /// <c>this</c>, or by a later statement of the list that control reaches from the call (no statement between
    /// can leave the list).</item>
    /// </list>
    /// A store on one branch, a store into another object or a static, the member cleared before the call, or nothing of
    /// <c>this</c> used after the call leave the finding.
    /// </summary>
    internal static class HandleOwnersKeptByThis
    {
        /// <param name="call">The call, from the body's operation tree or from its control-flow graph.</param>
        /// <param name="root">The body's operation tree, where a call of the graph is found again by its syntax.</param>
        public static bool Keeps(HandleOwner owner, IOperation call, IMethodSymbol method, IOperation root)
        {
            if (owner.Kind != HandleOwnerKind.Variable || owner.Member != null || method.IsStatic || method.ContainingType?.TypeKind != TypeKind.Class
                || owner.Root is not (IParameterSymbol { RefKind: RefKind.None } or ILocalSymbol { IsRef: false })
                || !IsVariable(owner.Owner, owner.Root))
            {
                return false;
            }

            if (OperationTree.InTree(call, root) is not { } inTree || StatementInList(inTree) is not { } statement || statement.Parent is not IBlockOperation block)
            {
                return false;
            }

            var index = block.Operations.IndexOf(statement);
            ISymbol? member = null;
            for (var i = index - 1; i >= 0 && member == null; i--)
            {
                member = StoredMember(block.Operations[i], owner.Root);
                if (member == null && Writes(block.Operations[i], owner.Root, null))
                {
                    return false;
                }

                if (member != null && Enumerable.Range(i + 1, index - i - 1).Any(k => Writes(block.Operations[k], owner.Root, member)))
                {
                    return false;
                }
            }

            return member != null && !Writes(statement, owner.Root, member) && ThisUsedAfter(inTree, statement, block, index);
        }

        /// <summary>
        /// The statement of a statement list (a block) that holds <paramref name="operation"/>, with no loop or function
        /// between them; null otherwise.
        /// </summary>
        internal static IOperation? StatementInList(IOperation operation)
        {
            var statement = operation;
            while (statement.Parent is { } parent && parent is not IBlockOperation)
            {
                if (OperationTree.IsFunction(parent) || parent is ILoopOperation)
                {
                    return null;
                }

                statement = parent;
            }

            return statement.Parent is IBlockOperation && statement is not ILoopOperation ? statement : null;
        }

        /// <summary>The member of <c>this</c> a statement <c>member = variable;</c> stores the variable into, or null.</summary>
        private static ISymbol? StoredMember(IOperation statement, ISymbol variable)
            => statement is IExpressionStatementOperation { Operation: ISimpleAssignmentOperation assignment } && IsVariable(assignment.Value, variable)
                ? OwnMember(assignment.Target)
                : null;

        private static ISymbol? OwnMember(IOperation target)
            => target switch
            {
                IFieldReferenceOperation { Field: { IsStatic: false } field, Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } } => field,
                IPropertyReferenceOperation { Property: { IsStatic: false, IsIndexer: false } property, Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } }
                    when HandleOwners.IsAutoProperty(property) => property,
                _ => null,
            };

        private static bool IsVariable(IOperation value, ISymbol variable)
            => OperationTree.SkipConversions(value) switch
            {
                IParameterReferenceOperation reference => SymbolEqualityComparer.Default.Equals(reference.Parameter, variable),
                ILocalReferenceOperation reference => SymbolEqualityComparer.Default.Equals(reference.Local, variable),
                _ => false,
            };

        /// <summary>Does the statement give the variable, or the member of <c>this</c>, another value (or lend it by reference)?</summary>
        private static bool Writes(IOperation statement, ISymbol variable, ISymbol? member)
            => OperationTree.Any(statement, o =>
                (IsVariable(o, variable) || (member != null && OwnMember(o) is { } written && SymbolEqualityComparer.Default.Equals(written, member)))
                && ((o.Parent is IAssignmentOperation assignment && assignment.Target == o) || OperationTree.IsOtherWrite(o)));

        private static bool ThisUsedAfter(IOperation call, IOperation statement, IBlockOperation block, int index)
        {
            // 'member = Native(...)': the object is loaded before the call to be stored into after it.
            var result = OperationTree.WithConversions(call);
            if (result.Parent is ISimpleAssignmentOperation { Parent: IExpressionStatementOperation } assignment && assignment.Value == result
                && assignment.Parent == statement && OwnMember(assignment.Target) != null)
            {
                return true;
            }

            return !OperationTree.Any(statement, Leaves) && ThisReadLaterInList(block, index) == true;
        }

        /// <summary>
        /// The statements after <paramref name="index"/> of the list, in order: true at the first that reads <c>this</c>,
        /// false at the first before it that may leave the list, null when neither comes before the list ends.
        /// </summary>
        internal static bool? ThisReadLaterInList(IBlockOperation block, int index)
        {
            for (var i = index + 1; i < block.Operations.Length; i++)
            {
                var later = block.Operations[i];
                if (OperationTree.Any(later, o => o is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }))
                {
                    return true;
                }

                if (OperationTree.Any(later, Leaves))
                {
                    return false;
                }
            }

            return null;
        }

        internal static bool Leaves(IOperation operation)
            => operation.Kind is OperationKind.Return or OperationKind.YieldReturn or OperationKind.YieldBreak or OperationKind.Branch or OperationKind.Throw;
    }
}
