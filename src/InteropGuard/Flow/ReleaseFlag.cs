using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>A <c>bool</c> parameter whose value decides whether a method releases another parameter.</summary>
    internal sealed class ReleaseFlag
    {
        public ReleaseFlag(IParameterSymbol flag, bool releasesWhen)
        {
            Flag = flag;
            ReleasesWhen = releasesWhen;
        }

        public IParameterSymbol Flag { get; }

        public bool ReleasesWhen { get; }

        /// <summary>
        /// The flag test that guards <paramref name="operation"/> inside <paramref name="body"/>: the nearest enclosing
        /// <c>if</c> whose condition is a <c>bool</c> parameter or its negation, or null.
        /// </summary>
        public static ReleaseFlag? Guarding(IOperation operation, IOperation body)
        {
            for (IOperation? child = operation, current = operation.Parent; current != null && child != body; child = current, current = current.Parent)
            {
                if (current is not IConditionalOperation conditional || child == conditional.Condition)
                {
                    continue;
                }

                var condition = conditional.Condition;
                var negated = false;
                if (condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
                {
                    condition = not.Operand;
                    negated = true;
                }

                if (condition is not IParameterReferenceOperation { Parameter: { Type.SpecialType: SpecialType.System_Boolean, RefKind: RefKind.None } flag })
                {
                    return null;
                }

                return new ReleaseFlag(flag, (child == conditional.WhenTrue) != negated);
            }

            return null;
        }

        /// <summary>Does a call whose argument for the flag is <paramref name="argument"/> certainly not release?</summary>
        public bool SkipsReleaseWith(IOperation? argument)
            => argument?.ConstantValue is { HasValue: true, Value: bool value } && value != ReleasesWhen;
    }
}
