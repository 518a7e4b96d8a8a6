using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Branches a body cannot take when every call being judged fills its <c>bool</c> parameters with constants
    /// (<see cref="ThrowPoints.ConstantParameter"/>): a library's "throw or return the status" switch turned off
    /// (<c>if (throw_on_error) throw ...</c> called with <c>false</c>), a "run it now" path its callers leave off
    /// (<c>if (!forceScheduled &amp;&amp; IsMainThread) task();</c> called with the default <c>true</c>). Only a parameter
    /// never written in the body, the constants, <c>!</c>, <c>&amp;&amp;</c> and <c>||</c> are read; any other operand is
    /// unknown, and a condition with an unknown value leaves both branches taken.
    /// </summary>
    internal static class ConstantConditions
    {
        /// <summary>Whether <paramref name="child"/>, a child of <paramref name="parent"/>, cannot run under the calls being judged.</summary>
        public static bool IsUntaken(IOperation parent, IOperation child, ThrowPoints throwPoints)
            => parent switch
            {
                IConditionalOperation branch when child == branch.WhenTrue => ValueOf(branch.Condition, throwPoints) == false,
                IConditionalOperation branch when child == branch.WhenFalse => ValueOf(branch.Condition, throwPoints) == true,
                IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } both when child == both.RightOperand => ValueOf(both.LeftOperand, throwPoints) == false,
                IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr } either when child == either.RightOperand => ValueOf(either.LeftOperand, throwPoints) == true,
                _ => false,
            };

        /// <summary>The value <paramref name="condition"/> has under the calls being judged, or null when it is not known.</summary>
        public static bool? ValueOf(IOperation condition, ThrowPoints throwPoints)
        {
            condition = OperationTree.SkipConversions(condition);
            if (condition.ConstantValue is { HasValue: true, Value: bool constant })
            {
                return constant;
            }

            switch (condition)
            {
                case IParameterReferenceOperation reference:
                    return throwPoints.ConstantParameter(reference.Parameter) is { } value && throwPoints.Stable.SymbolOf(reference) != null ? value : null;
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not, OperatorMethod: null } negation:
                    return !ValueOf(negation.Operand, throwPoints);
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd, OperatorMethod: null } both:
                    return ValueOf(both.LeftOperand, throwPoints) is { } left
                        ? (left ? ValueOf(both.RightOperand, throwPoints) : false)
                        : ValueOf(both.RightOperand, throwPoints) == false ? false : null;
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr, OperatorMethod: null } either:
                    return ValueOf(either.LeftOperand, throwPoints) is { } first
                        ? (first ? true : ValueOf(either.RightOperand, throwPoints))
                        : ValueOf(either.RightOperand, throwPoints) == true ? true : null;
                default:
                    return null;
            }
        }
    }
}
