using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Which reads of a reference (a local, a parameter, <c>this</c>) keep the object reported live to the GC up to the
    /// read, and which assignments end the old value's life. The JIT keeps a read whose value it needs: an argument of a
    /// call (<c>GC.KeepAlive</c> included), the receiver of a call, a store of the reference, a field read whose value
    /// is used. It may drop a read whose outcome it already knows or does not need: a null test of a reference it has
    /// dereferenced before (the handle was read from it), a field read whose value is discarded; and a call to a
    /// <c>[Conditional]</c> method (<c>Debug.Assert</c>) is not in a release build at all. Reads the rules cannot judge
    /// count as keeping: a rule stays silent where it cannot tell.
    /// </summary>
    internal static class LiveReads
    {
        /// <summary>Does this reference, read at run time, keep its object reported live up to the read?</summary>
        public static bool Keeps(IOperation reference)
        {
            var value = OperationTree.WithConversions(reference);

            switch (value.Parent)
            {
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } comparison
                    when OperationTree.IsNullConstant(comparison.LeftOperand == value ? comparison.RightOperand : comparison.LeftOperand):
                    return false;
                case IIsPatternOperation { Pattern: var pattern } when OperationTree.IsNullPattern(pattern):
                    return false;
                case IFieldReferenceOperation field when field.Instance == value && field.Parent is ISimpleAssignmentOperation { Target: IDiscardOperation } discard && discard.Value == field:
                    return false;
            }

            for (var current = value.Parent; current != null; current = current.Parent)
            {
                switch (current)
                {
                    case INameOfOperation _:
                    case ITypeOfOperation _:
                        return false;
                    case IInvocationOperation invocation when OmittedCalls.IsConditional(invocation.TargetMethod):
                        return false;
                }
            }

            return true;
        }

        /// <summary>
        /// Does <paramref name="operation"/> give <paramref name="variable"/> a new value: an assignment, an <c>out</c>
        /// argument or a deconstruction with a reference to it as target, or a pattern that declares it
        /// (<c>case Tensor t:</c>, which a loop runs again for each element)?
        /// </summary>
        public static bool Overwrites(IOperation operation, ISymbol variable)
        {
            switch (operation)
            {
                case IDeclarationPatternOperation pattern:
                    return SymbolEqualityComparer.Default.Equals(pattern.DeclaredSymbol, variable);
                case IRecursivePatternOperation pattern:
                    return SymbolEqualityComparer.Default.Equals(pattern.DeclaredSymbol, variable);
                case ILocalReferenceOperation local:
                    return SymbolEqualityComparer.Default.Equals(local.Local, variable) && Overwrites(operation);
                case IParameterReferenceOperation parameter:
                    return SymbolEqualityComparer.Default.Equals(parameter.Parameter, variable) && Overwrites(operation);
                default:
                    return false;
            }
        }

        private static bool Overwrites(IOperation reference)
        {
            var target = reference.Parent is IDeclarationExpressionOperation declaration ? declaration : reference;
            switch (target.Parent)
            {
                case ISimpleAssignmentOperation assignment when assignment.Target == target:
                    return true;
                case IArgumentOperation { Parameter.RefKind: RefKind.Out }:
                    return true;
                case ITupleOperation tuple:
                    IOperation outer = tuple;
                    while (outer.Parent is ITupleOperation)
                    {
                        outer = outer.Parent;
                    }

                    return outer.Parent is IDeconstructionAssignmentOperation deconstruction && deconstruction.Target == outer;
                default:
                    return false;
            }
        }
    }
}
