using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// The bool arguments a finalizer passes down (<c>~T() =&gt; Dispose(false)</c>) and the branches they rule out: the
    /// work under <c>if (disposing)</c> never runs on the finalizer thread, so what it releases is not released there.
    /// Only a parameter read directly, negated, or as one side of <c>&amp;&amp;</c> is taken; any other condition keeps its branch.
    /// </summary>
    internal static class DisposingFlags
    {
        /// <summary>No flag known: what a finalizer itself starts with.</summary>
        public static readonly IReadOnlyDictionary<IParameterSymbol, bool> None = new Dictionary<IParameterSymbol, bool>(SymbolEqualityComparer.Default);

        /// <summary>The constant bool arguments of <paramref name="call"/>, by parameter of its (original) target, with the caller's own known flags passed through.</summary>
        public static IReadOnlyDictionary<IParameterSymbol, bool> Of(IInvocationOperation call, IReadOnlyDictionary<IParameterSymbol, bool> callerFlags)
        {
            var flags = new Dictionary<IParameterSymbol, bool>(SymbolEqualityComparer.Default);
            foreach (var argument in call.Arguments)
            {
                if (argument.Parameter is { Type.SpecialType: SpecialType.System_Boolean } parameter && Value(argument.Value, callerFlags) is { } known)
                {
                    flags[parameter.OriginalDefinition] = known;
                }
            }

            return flags;
        }

        /// <summary>Whether <paramref name="operation"/> sits in a branch of <paramref name="body"/> that the known flags rule out.</summary>
        public static bool Excludes(IOperation operation, IOperation body, IReadOnlyDictionary<IParameterSymbol, bool> flags)
        {
            if (flags.Count == 0)
            {
                return false;
            }

            for (var child = operation; child.Parent is { } parent && child != body; child = parent)
            {
                if (parent is IConditionalOperation conditional && child != conditional.Condition && Value(conditional.Condition, flags) is { } value
                    && (child == conditional.WhenTrue ? !value : value))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The value <paramref name="condition"/> has under the known flags, or null when it is not known.</summary>
        public static bool? ValueOf(IOperation condition, IReadOnlyDictionary<IParameterSymbol, bool> flags) => Value(condition, flags);

        private static bool? Value(IOperation condition, IReadOnlyDictionary<IParameterSymbol, bool> flags)
        {
            condition = OperationTree.SkipConversions(condition);
            switch (condition)
            {
                case ILiteralOperation { ConstantValue: { HasValue: true, Value: bool constant } }:
                    return constant;
                case IParameterReferenceOperation reference when flags.TryGetValue(reference.Parameter.OriginalDefinition, out var known):
                    return known;
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                    return Value(not.Operand, flags) is { } inner ? !inner : null;
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } and:
                    return Value(and.LeftOperand, flags) == false || Value(and.RightOperand, flags) == false ? false : null;
                default:
                    return null;
            }
        }
    }
}
