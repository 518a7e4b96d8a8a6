using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Can a method's declaration be a single-call wrapper (<see cref="WrapperSummaries"/>: a body that is one call,
    /// returned or not)? Answered from syntax, so that asking about every method a body calls does not bind the bodies
    /// of all those that plainly are not — binding them was most of what the last-error analysis cost on code with many
    /// helper calls. "No" only when the shape is certain; anything unusual is left to the bound body.
    /// </summary>
    internal static class SingleCallShape
    {
        public static bool MayBeOneCall(SyntaxNode declaration)
        {
            switch (declaration)
            {
                case BaseMethodDeclarationSyntax method:
                    return MayBeOneCall(method.Body, method.ExpressionBody);
                case LocalFunctionStatementSyntax function:
                    return MayBeOneCall(function.Body, function.ExpressionBody);
                case AccessorDeclarationSyntax accessor:
                    return MayBeOneCall(accessor.Body, accessor.ExpressionBody);
                case ArrowExpressionClauseSyntax arrow:
                    return MayBeCall(arrow.Expression);
                default:
                    return true;
            }
        }

        private static bool MayBeOneCall(BlockSyntax? body, ArrowExpressionClauseSyntax? expressionBody)
        {
            if (expressionBody != null)
            {
                return MayBeCall(expressionBody.Expression);
            }

            if (body == null || body.Statements.Count != 1)
            {
                return body == null;
            }

            switch (body.Statements[0])
            {
                case ReturnStatementSyntax { Expression: { } returned }:
                    return MayBeCall(returned);
                case ExpressionStatementSyntax statement:
                    return MayBeCall(statement.Expression);
                default:
                    return false;
            }
        }

        /// <summary>An invocation, under parentheses, casts and null-forgiving operators (which bind to conversions or to nothing).</summary>
        private static bool MayBeCall(ExpressionSyntax expression)
        {
            while (true)
            {
                switch (expression)
                {
                    case ParenthesizedExpressionSyntax parenthesized:
                        expression = parenthesized.Expression;
                        continue;
                    case CastExpressionSyntax cast:
                        expression = cast.Expression;
                        continue;
                    case PostfixUnaryExpressionSyntax postfix when postfix.IsKind(SyntaxKind.SuppressNullableWarningExpression):
                        expression = postfix.Operand;
                        continue;
                    default:
                        return expression is InvocationExpressionSyntax;
                }
            }
        }
    }
}
