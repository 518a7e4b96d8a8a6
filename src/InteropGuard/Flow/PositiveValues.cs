using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Whether an integer the code passes is known positive where it is passed: a positive constant, or a local or parameter
    /// that is never written (<see cref="StableValues.SymbolOf"/>) and that an earlier statement of an enclosing block
    /// rejected when not positive (<c>if (bytes &lt;= 0) return;</c>, also with <c>throw</c>, <c>break</c> or
    /// <c>continue</c>, or as one side of an <c>||</c>), or that an enclosing <c>if (bytes &gt; 0)</c> admits.
    /// Read on the operation tree as written, not on a graph's copy.
    /// </summary>
    internal static class PositiveValues
    {
        public static bool Holds(IOperation value, IOperation at, StableValues stable)
        {
            value = OperationTree.SkipConversions(value);
            if (value.ConstantValue is { HasValue: true, Value: var constant })
            {
                return constant is int i ? i > 0 : constant is long l && l > 0;
            }

            if (stable.SymbolOf(value) is not { } symbol || symbol is not (ILocalSymbol or IParameterSymbol))
            {
                return false;
            }

            var child = at;
            for (var parent = at.Parent; parent != null && !OperationTree.IsFunction(parent); child = parent, parent = parent.Parent)
            {
                if (parent is IConditionalOperation admitting && admitting.WhenTrue == child && Admits(admitting.Condition, symbol, positive: true))
                {
                    return true;
                }

                if (parent is IBlockOperation block)
                {
                    for (var index = block.Operations.IndexOf(child) - 1; index >= 0; index--)
                    {
                        if (block.Operations[index] is IConditionalOperation { WhenFalse: null } rejecting && OperationTree.Leaves(rejecting.WhenTrue)
                            && Admits(rejecting.Condition, symbol, positive: false))
                        {
                            return true;
                        }
                    }
                }
            }

            return false;
        }

        // When the condition holds, is the value shown positive (positive) or shown not positive (!positive)? A conjunction
        // shows what either side shows when true; a disjunction shows "not positive" of each side when false, so a rejecting
        // test may be one side of an '||'.
        private static bool Admits(IOperation condition, ISymbol symbol, bool positive)
        {
            condition = OperationTree.SkipConversions(condition);
            if (condition is not IBinaryOperation binary)
            {
                return false;
            }

            switch (binary.OperatorKind)
            {
                case BinaryOperatorKind.ConditionalAnd when positive:
                case BinaryOperatorKind.ConditionalOr when !positive:
                    return Admits(binary.LeftOperand, symbol, positive) || Admits(binary.RightOperand, symbol, positive);
            }

            var kind = binary.OperatorKind;
            IOperation bound;
            if (Names(binary.LeftOperand, symbol))
            {
                bound = binary.RightOperand;
            }
            else if (Names(binary.RightOperand, symbol))
            {
                bound = binary.LeftOperand;
                kind = kind switch
                {
                    BinaryOperatorKind.LessThan => BinaryOperatorKind.GreaterThan,
                    BinaryOperatorKind.LessThanOrEqual => BinaryOperatorKind.GreaterThanOrEqual,
                    BinaryOperatorKind.GreaterThan => BinaryOperatorKind.LessThan,
                    BinaryOperatorKind.GreaterThanOrEqual => BinaryOperatorKind.LessThanOrEqual,
                    _ => kind,
                };
            }
            else
            {
                return false;
            }

            if (OperationTree.SkipConversions(bound).ConstantValue is not { HasValue: true, Value: var value } || (value is not int && value is not long))
            {
                return false;
            }

            var limit = System.Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
            return positive
                ? (kind == BinaryOperatorKind.GreaterThan && limit >= 0) || (kind == BinaryOperatorKind.GreaterThanOrEqual && limit >= 1)
                : (kind == BinaryOperatorKind.LessThanOrEqual && limit >= 0) || (kind == BinaryOperatorKind.LessThan && limit >= 1);
        }

        // The value itself, or an address read as a number ('p.ToInt64()', 'p.ToInt32()').
        private static bool Names(IOperation operand, ISymbol symbol)
            => OperationTree.SkipConversions(operand) switch
            {
                ILocalReferenceOperation local => SymbolEqualityComparer.Default.Equals(local.Local, symbol),
                IParameterReferenceOperation parameter => SymbolEqualityComparer.Default.Equals(parameter.Parameter, symbol),
                IInvocationOperation { TargetMethod: { Name: "ToInt64" or "ToInt32", Parameters.Length: 0 }, Instance: { Type.SpecialType: SpecialType.System_IntPtr } address } => Names(address, symbol),
                _ => false,
            };
    }
}
