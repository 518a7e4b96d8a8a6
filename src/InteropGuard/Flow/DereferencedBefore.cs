using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// A value that cannot be null where a call uses it, because the code dereferenced it on every way there: the
    /// condition of an <c>if</c> around the call reads a member of it (<c>if (!o.GetType().IsValueType) map.Remove(o);</c>),
    /// the left operand of a <c>&amp;&amp;</c>/<c>||</c> whose right operand holds the call does
    /// (<c>!o.GetType().IsValueType &amp;&amp; map.TryGetValue(o, out id)</c>), or an earlier statement of an enclosing block
    /// always does. Had it been null, that dereference would have thrown
    /// first, and the model counts no null dereference; so the call's own null-argument check cannot be what fails.
    /// Only a stable value (<see cref="StableValues"/>) counts, read without <c>?.</c>, in a part of the condition that is
    /// always evaluated (the left operand of <c>&amp;&amp;</c>/<c>||</c>, not the right).
    /// A test of the value against null that the way to the call passes only when it is not null counts the same way:
    /// <c>if (context is null) return IntPtr.Zero;</c> earlier in an enclosing block (the <c>if</c> has no <c>else</c> and
    /// its branch leaves by <c>return</c>, <c>throw</c>, <c>break</c> or <c>continue</c>), or an <c>if</c> around the call
    /// whose condition is <c>x != null</c>, <c>x is not null</c>, <c>x is T</c> (also within <c>&amp;&amp;</c>, or
    /// <c>||</c> for the leaving branch). Comparisons through a user-defined <c>==</c> do not count. For an <c>IntPtr</c> or
    /// <c>UIntPtr</c> value the same tests against zero count (<c>p != IntPtr.Zero</c>, <c>p == default</c>, <c>!p.Equals(IntPtr.Zero)</c>,
    /// through IntPtr's own operators too): a helper's <c>if (p == IntPtr.Zero) throw ...</c> cannot fail there (gpgme-sharp's
    /// <c>new GenkeyResult(result_ptr)</c>); a dereference proves nothing of such a value.
    /// </summary>
    internal static class DereferencedBefore
    {
        /// <summary>Whether the value <paramref name="call"/> passes for the parameter at <paramref name="ordinal"/> holds (see above).</summary>
        public static bool HoldsForArgument(IInvocationOperation? call, int ordinal, StableValues stable)
            => call != null && OperationTree.ArgumentValue(call, ordinal) is { } value && Holds(value, call, stable);

        public static bool Holds(IOperation value, IOperation call, StableValues stable)
        {
            if (stable.SymbolOf(value) is not { } symbol)
            {
                return false;
            }

            var child = call;
            for (var parent = call.Parent; parent != null && !OperationTree.IsFunction(parent); child = parent, parent = parent.Parent)
            {
                switch (parent)
                {
                    case IConditionalOperation branch when (child == branch.WhenTrue || child == branch.WhenFalse) && Dereferences(branch.Condition, symbol, stable):
                        return true;
                    case IConditionalOperation branch when (child == branch.WhenTrue && ImpliesNotNull(branch.Condition, true, symbol, stable))
                                                           || (child == branch.WhenFalse && ImpliesNotNull(branch.Condition, false, symbol, stable)):
                        return true;
                    case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr } shortCircuit
                        when child == shortCircuit.RightOperand && Dereferences(shortCircuit.LeftOperand, symbol, stable):
                        return true;
                    case IBlockOperation block:
                        for (var i = block.Operations.IndexOf(child) - 1; i >= 0; i--)
                        {
                            if (block.Operations[i + 1] is ILabeledOperation)
                            {
                                break;
                            }

                            if (StatementDereferences(block.Operations[i], symbol, stable) || LeavesWhenNull(block.Operations[i], symbol, stable))
                            {
                                return true;
                            }
                        }

                        break;
                }
            }

            return false;
        }

        // 'o.Touch();' or 'var kind = o.GetType();': a statement that always evaluates a dereference.
        private static bool StatementDereferences(IOperation statement, ISymbol symbol, StableValues stable)
        {
            switch (statement)
            {
                case IExpressionStatementOperation expression:
                    return Dereferences(expression.Operation, symbol, stable);
                case IVariableDeclarationGroupOperation group:
                    foreach (var declaration in group.Declarations)
                    {
                        foreach (var declarator in declaration.Declarators)
                        {
                            if ((declarator.Initializer ?? declaration.Initializer) is { Value: var value } && Dereferences(value, symbol, stable))
                            {
                                return true;
                            }
                        }
                    }

                    return false;
                default:
                    return false;
            }
        }

        // Whether evaluating the expression always reads a member of the symbol's value.
        private static bool Dereferences(IOperation expression, ISymbol symbol, StableValues stable)
        {
            expression = OperationTree.SkipConversions(expression);
            switch (expression)
            {
                case IParenthesizedOperation parenthesized:
                    return Dereferences(parenthesized.Operand, symbol, stable);
                case IUnaryOperation unary:
                    return Dereferences(unary.Operand, symbol, stable);
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr } shortCircuit:
                    return Dereferences(shortCircuit.LeftOperand, symbol, stable);
                case IBinaryOperation binary:
                    return Dereferences(binary.LeftOperand, symbol, stable) || Dereferences(binary.RightOperand, symbol, stable);
                case IAssignmentOperation assignment:
                    // 'o.Count = n' stores through o: a null o fails as a read of it would.
                    return Dereferences(assignment.Target, symbol, stable) || Dereferences(assignment.Value, symbol, stable);
                case IIncrementOrDecrementOperation increment:
                    return Dereferences(increment.Target, symbol, stable);
                case IInvocationOperation { Instance: { } instance }:
                    return IsOrDereferences(instance, symbol, stable);
                case IMemberReferenceOperation { Instance: { } instance }:
                    return IsOrDereferences(instance, symbol, stable);
                default:
                    return false;
            }
        }

        // 'if (x is null) return;': an if without else whose branch always leaves, taken whenever the value is null.
        private static bool LeavesWhenNull(IOperation statement, ISymbol symbol, StableValues stable)
            => statement is IConditionalOperation { WhenFalse: null, WhenTrue: { } leaving } branch && Leaves(leaving)
               && ImpliesNotNull(branch.Condition, false, symbol, stable);

        private static bool Leaves(IOperation statement)
            => statement switch
            {
                IBlockOperation block => block.Operations.Length > 0 && Leaves(block.Operations[block.Operations.Length - 1]),
                IExpressionStatementOperation { Operation: IThrowOperation } => true,
                IThrowOperation or IReturnOperation => true,
                IBranchOperation { BranchKind: BranchKind.Break or BranchKind.Continue } => true,
                _ => false,
            };

        // Whether the condition evaluating to 'outcome' shows the symbol's value is not null.
        private static bool ImpliesNotNull(IOperation condition, bool outcome, ISymbol symbol, StableValues stable)
        {
            condition = OperationTree.SkipConversions(condition);
            switch (condition)
            {
                case IParenthesizedOperation parenthesized:
                    return ImpliesNotNull(parenthesized.Operand, outcome, symbol, stable);
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not, OperatorMethod: null } not:
                    return ImpliesNotNull(not.Operand, !outcome, symbol, stable);
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } both:
                    return outcome && (ImpliesNotNull(both.LeftOperand, true, symbol, stable) || ImpliesNotNull(both.RightOperand, true, symbol, stable));
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr } either:
                    return !outcome && (ImpliesNotNull(either.LeftOperand, false, symbol, stable) || ImpliesNotNull(either.RightOperand, false, symbol, stable));
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals, OperatorMethod: null } comparison:
                    var tested = OperationTree.IsNullConstant(comparison.RightOperand) ? comparison.LeftOperand : OperationTree.IsNullConstant(comparison.LeftOperand) ? comparison.RightOperand : null;
                    return (tested != null && Names(tested, symbol, stable) || IsZeroTest(comparison.LeftOperand, comparison.RightOperand, symbol, stable))
                           && outcome == (comparison.OperatorKind == BinaryOperatorKind.NotEquals);
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals, OperatorMethod.ContainingType: var declaring } comparison
                    when IsPointerSized(declaring):
                    // IntPtr's own '==' (before C# 11's numeric IntPtr) compares the values as the built-in one does.
                    return IsZeroTest(comparison.LeftOperand, comparison.RightOperand, symbol, stable)
                           && outcome == (comparison.OperatorKind == BinaryOperatorKind.NotEquals);
                case IInvocationOperation { TargetMethod.Name: "Equals", Instance: { } instance, Arguments.Length: 1 } equals
                    when IsPointerSized(equals.TargetMethod.ContainingType) || IsPointerSized(OperationTree.SkipConversions(instance).Type):
                    // 'p.Equals(IntPtr.Zero)' (gpgme-sharp's '!result_ptr.Equals(IntPtr.Zero)'): false only when p is not zero.
                    return !outcome && IsZeroTest(instance, equals.Arguments[0].Value, symbol, stable);
                case IIsPatternOperation { Pattern: var pattern } test when Names(test.Value, symbol, stable):
                    return pattern switch
                    {
                        IConstantPatternOperation constant when OperationTree.IsNullConstant(constant.Value) => !outcome,
                        INegatedPatternOperation { Pattern: IConstantPatternOperation constant } when OperationTree.IsNullConstant(constant.Value) => outcome,
                        ITypePatternOperation or IRecursivePatternOperation => outcome,
                        IDeclarationPatternOperation { MatchesNull: false } => outcome,
                        _ => false,
                    };
                default:
                    return false;
            }
        }


        // 'p == IntPtr.Zero' (either side): a pointer-sized value of the symbol compared with zero.
        private static bool IsZeroTest(IOperation left, IOperation right, ISymbol symbol, StableValues stable)
            => (IsPointerSized(OperationTree.SkipConversions(left).Type) && Names(left, symbol, stable) && Interop.HandleOwners.IsZero(right))
               || (IsPointerSized(OperationTree.SkipConversions(right).Type) && Names(right, symbol, stable) && Interop.HandleOwners.IsZero(left));

        private static bool IsPointerSized(ITypeSymbol? type)
            => type?.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr;

        private static bool Names(IOperation value, ISymbol symbol, StableValues stable)
            => SymbolEqualityComparer.Default.Equals(stable.SymbolOf(value), symbol);

        private static bool IsOrDereferences(IOperation instance, ISymbol symbol, StableValues stable)
            => (OperationTree.SkipConversions(instance).Type is { IsReferenceType: true } && SymbolEqualityComparer.Default.Equals(stable.SymbolOf(instance), symbol))
               || Dereferences(instance, symbol, stable);
    }
}
