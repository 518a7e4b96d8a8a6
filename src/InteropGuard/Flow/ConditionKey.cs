using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// A normalized, side-effect-free condition (over locals, parameters, fields, constants) that can be
    /// recognized again later in the method: <c>n &lt;= 256</c> is the negation of <c>n &gt; 256</c>.
    /// </summary>
    internal sealed class ConditionKey
    {
        private ConditionKey(string text, ImmutableHashSet<ISymbol> symbols)
        {
            Text = text;
            Symbols = symbols;
        }

        public string Text { get; }

        /// <summary>Locals and parameters the condition reads; assigning one makes the fact stale.</summary>
        public ImmutableHashSet<ISymbol> Symbols { get; }

        public static ConditionKey ForLocal(ILocalSymbol local)
            => new ConditionKey(local.Name, ImmutableHashSet.Create<ISymbol>(SymbolEqualityComparer.Default, local));

        /// <summary>
        /// Is this the key of a null test of <paramref name="local"/> (<c>h == IntPtr.Zero</c>, <c>h == 0</c>,
        /// <c>h == null</c>, or a negation, which the key normalizes to the test itself)? Spelled here, beside
        /// <see cref="Build"/>, so that the text's form has one author.
        /// </summary>
        public bool IsNullTestOf(ILocalSymbol local)
        {
            var prefix = "(" + local.Name + " " + BinaryOperatorKind.Equals + " ";
            return Text.StartsWith(prefix, System.StringComparison.Ordinal) && Symbols.Count == 1 && Symbols.Contains(local)
                   && Text.Substring(prefix.Length) is "IntPtr.Zero)" or "UIntPtr.Zero)" or "0)" or "null)";
        }

        /// <summary>The key of <paramref name="condition"/> and whether the condition is its negation; null when not stable.</summary>
        public static (ConditionKey Key, bool Negated)? Of(IOperation condition)
        {
            var symbols = ImmutableHashSet.CreateBuilder<ISymbol>(SymbolEqualityComparer.Default);
            var negated = false;
            var text = Build(condition, symbols, ref negated, top: true);
            return text == null ? null : (new ConditionKey(text, symbols.ToImmutable()), negated);
        }

        private static string? Build(IOperation operation, ImmutableHashSet<ISymbol>.Builder symbols, ref bool negated, bool top)
        {
            switch (operation)
            {
                case IConversionOperation conversion when conversion.OperatorMethod == null:
                    return Build(conversion.Operand, symbols, ref negated, top);
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not when top:
                    negated = !negated;
                    return Build(not.Operand, symbols, ref negated, top: true);
                case IBinaryOperation binary when binary.OperatorMethod == null:
                    var op = binary.OperatorKind;
                    if (top)
                    {
                        switch (op)
                        {
                            case BinaryOperatorKind.LessThanOrEqual: op = BinaryOperatorKind.GreaterThan; negated = !negated; break;
                            case BinaryOperatorKind.GreaterThanOrEqual: op = BinaryOperatorKind.LessThan; negated = !negated; break;
                            case BinaryOperatorKind.NotEquals: op = BinaryOperatorKind.Equals; negated = !negated; break;
                        }
                    }

                    if (op == BinaryOperatorKind.ConditionalAnd || op == BinaryOperatorKind.ConditionalOr)
                    {
                        return null;
                    }

                    var inner = false;
                    var left = Build(binary.LeftOperand, symbols, ref inner, top: false);
                    var right = Build(binary.RightOperand, symbols, ref inner, top: false);
                    return left == null || right == null ? null : "(" + left + " " + op + " " + right + ")";
                case ILocalReferenceOperation local:
                    symbols.Add(local.Local);
                    return local.Local.Name;
                case IParameterReferenceOperation parameter:
                    symbols.Add(parameter.Parameter);
                    return parameter.Parameter.Name;
                case IFieldReferenceOperation field when field.Field.IsReadOnly || field.Field.IsConst:
                    var instance = field.Instance == null ? field.Field.ContainingType?.Name : Build(field.Instance, symbols, ref negated, top: false);
                    return instance == null ? null : instance + "." + field.Field.Name;
                case IPropertyReferenceOperation property when property.Arguments.IsEmpty && property.Instance != null
                                                               && (property.Property.Name == "Length" || property.Property.Name == "Count"):
                    var owner = Build(property.Instance, symbols, ref negated, top: false);
                    return owner == null ? null : owner + "." + property.Property.Name;
                case IInstanceReferenceOperation:
                    return "this";
                default:
                    if (operation.ConstantValue.HasValue)
                    {
                        return System.Convert.ToString(operation.ConstantValue.Value, CultureInfo.InvariantCulture) ?? "null";
                    }

                    return null;
            }
        }
    }
}
