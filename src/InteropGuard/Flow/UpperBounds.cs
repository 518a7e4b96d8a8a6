using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Size helpers of this compilation that compute an upper bound on a string's encoded length:
    /// <c>static int Utf8Size(string s) =&gt; s.Length * 4 + 1;</c>, optionally with <c>if (s == null) return 0;</c> first
    /// (the caller encodes nothing for null). Read from the declaration's syntax alone: the helper takes one string, and
    /// every return is <c>k * s.Length + c</c> with <c>k</c> at least <see cref="BytesPerUnit"/> and <c>c</c> at least the
    /// bytes asked for beyond the string's own, or a constant under a null test of <c>s</c>.
    /// </summary>
    internal static class UpperBounds
    {
        /// <summary>The most bytes UTF-8, ASCII or Latin-1 write for one UTF-16 code unit.</summary>
        public const int BytesPerUnit = 3;

        public static bool Returns(IMethodSymbol helper, int needed)
        {
            if (helper.Parameters.Length != 1 || helper.Parameters[0].Type.SpecialType != SpecialType.System_String || !WrapperSummaries.IsSourceMethodWithBody(helper))
            {
                return false;
            }

            var name = helper.Parameters[0].Name;
            foreach (var reference in helper.DeclaringSyntaxReferences)
            {
                if (!DeclarationBodies.TryGet(reference.GetSyntax(), out var body, out var expressionBody))
                {
                    continue;
                }

                if (expressionBody != null)
                {
                    return IsBound(expressionBody, name, needed);
                }

                if (body == null)
                {
                    return false;
                }

                var returns = body.DescendantNodes().OfType<ReturnStatementSyntax>().ToList();
                return returns.Count > 0 && returns.Any(r => r.Expression != null && IsBound(r.Expression, name, needed))
                       && returns.All(r => r.Expression != null && (IsBound(r.Expression, name, needed) || (r.Expression is LiteralExpressionSyntax && IsUnderNullTest(r, name))));
            }

            return false;
        }

        private static bool IsBound(ExpressionSyntax expression, string name, int needed)
        {
            expression = Unparenthesized(expression);
            var constant = 0;
            if (expression is BinaryExpressionSyntax add && add.IsKind(SyntaxKind.AddExpression))
            {
                if (Literal(add.Right) is { } right)
                {
                    (constant, expression) = (right, Unparenthesized(add.Left));
                }
                else if (Literal(add.Left) is { } left)
                {
                    (constant, expression) = (left, Unparenthesized(add.Right));
                }
                else
                {
                    return false;
                }
            }

            if (constant < needed || expression is not BinaryExpressionSyntax multiply || !multiply.IsKind(SyntaxKind.MultiplyExpression))
            {
                return false;
            }

            var (factor, length) = Literal(multiply.Right) is { } k ? (k, multiply.Left) : (Literal(multiply.Left) ?? 0, multiply.Right);
            return factor >= BytesPerUnit
                   && Unparenthesized(length) is MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax owner, Name.Identifier.ValueText: "Length" }
                   && owner.Identifier.ValueText == name;
        }

        private static bool IsUnderNullTest(SyntaxNode node, string name)
        {
            for (var current = node; current.Parent != null; current = current.Parent)
            {
                if (current.Parent is IfStatementSyntax test && test.Statement == current)
                {
                    var condition = Unparenthesized(test.Condition);
                    return (condition is BinaryExpressionSyntax equals && equals.IsKind(SyntaxKind.EqualsExpression)
                            && ((Names(equals.Left, name) && equals.Right.IsKind(SyntaxKind.NullLiteralExpression))
                                || (Names(equals.Right, name) && equals.Left.IsKind(SyntaxKind.NullLiteralExpression))))
                           || (condition is IsPatternExpressionSyntax { Pattern: ConstantPatternSyntax { Expression: { } constant } } pattern
                               && Names(pattern.Expression, name) && constant.IsKind(SyntaxKind.NullLiteralExpression));
                }
            }

            return false;
        }

        private static bool Names(ExpressionSyntax expression, string name)
            => Unparenthesized(expression) is IdentifierNameSyntax identifier && identifier.Identifier.ValueText == name;

        private static int? Literal(ExpressionSyntax expression)
            => Unparenthesized(expression) is LiteralExpressionSyntax { Token.Value: int value } ? value : null;

        private static ExpressionSyntax Unparenthesized(ExpressionSyntax expression) => OperationTree.SkipParentheses(expression);
    }
}
