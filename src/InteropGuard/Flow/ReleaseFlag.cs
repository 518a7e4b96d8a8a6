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
            if (OperationTree.NearestBranch(operation, body) is not { } branch)
            {
                return null;
            }

            var condition = branch.Branch.Condition;
            var negated = false;
            if (condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
            {
                condition = not.Operand;
                negated = true;
            }

            return condition is IParameterReferenceOperation { Parameter: { Type.SpecialType: SpecialType.System_Boolean, RefKind: RefKind.None } flag }
                ? new ReleaseFlag(flag, branch.WhenTrue != negated)
                : null;
        }

        /// <summary>Does a call whose argument for the flag is <paramref name="argument"/> certainly not release?</summary>
        public bool SkipsReleaseWith(IOperation? argument)
            => argument?.ConstantValue is { HasValue: true, Value: bool value } && value != ReleasesWhen;
    }
}
