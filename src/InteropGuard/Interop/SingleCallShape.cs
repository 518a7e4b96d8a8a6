using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Can a method's declaration be a single-call wrapper (<see cref="WrapperSummaries"/>: a body that is one call,
    /// returned or not)? Answered from syntax, so that asking about every method a body calls does not bind the bodies
    /// of all those that plainly are not — binding them was most of what the last-error analysis cost on code with many
    /// helper calls. "No" only when the shape is certain; anything unusual is left to the bound body. The ownership
    /// gate (<see cref="AllocationCandidates"/>) reads wrapper names from the same shape (<see cref="OnlyCall(SyntaxNode)"/>).
    /// </summary>
    internal static class SingleCallShape
    {
        public static bool MayBeOneCall(SyntaxNode declaration)
            => !DeclarationBodies.TryGet(declaration, out var body, out var expressionBody) || (body == null && expressionBody == null) || OnlyCall(body, expressionBody) != null;

        /// <summary>
        /// The invocation a declaration's body consists of — returned or not, under parentheses, casts and null-forgiving
        /// operators — or null when the body is anything else (or there is none).
        /// </summary>
        public static InvocationExpressionSyntax? OnlyCall(SyntaxNode declaration)
            => DeclarationBodies.TryGet(declaration, out var body, out var expressionBody) ? OnlyCall(body, expressionBody) : null;

        private static InvocationExpressionSyntax? OnlyCall(BlockSyntax? body, ExpressionSyntax? expressionBody)
        {
            if (expressionBody != null)
            {
                return Call(expressionBody);
            }

            if (body == null || body.Statements.Count != 1)
            {
                return null;
            }

            switch (body.Statements[0])
            {
                case ReturnStatementSyntax { Expression: { } returned }:
                    return Call(returned);
                case ExpressionStatementSyntax statement:
                    return Call(statement.Expression);
                default:
                    return null;
            }
        }

        /// <summary>An invocation, under parentheses, casts and null-forgiving operators (which bind to conversions or to nothing).</summary>
        private static InvocationExpressionSyntax? Call(ExpressionSyntax expression)
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
                        return expression as InvocationExpressionSyntax;
                }
            }
        }
    }
}
