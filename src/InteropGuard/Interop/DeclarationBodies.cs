using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.Interop
{
    /// <summary>
    /// The body of a method-like declaration (method, constructor, operator, accessor, local function, or the arrow of an
    /// expression-bodied property), read from syntax: what the summaries of called methods look at before binding them.
    /// </summary>
    internal static class DeclarationBodies
    {
        /// <summary>
        /// The block body or the expression body of <paramref name="declaration"/> (both null for a declaration without a
        /// body); false when the node is not a method-like declaration at all.
        /// </summary>
        public static bool TryGet(SyntaxNode declaration, out BlockSyntax? body, out ExpressionSyntax? expressionBody)
        {
            switch (declaration)
            {
                case BaseMethodDeclarationSyntax method:
                    (body, expressionBody) = (method.Body, method.ExpressionBody?.Expression);
                    return true;
                case LocalFunctionStatementSyntax function:
                    (body, expressionBody) = (function.Body, function.ExpressionBody?.Expression);
                    return true;
                case AccessorDeclarationSyntax accessor:
                    (body, expressionBody) = (accessor.Body, accessor.ExpressionBody?.Expression);
                    return true;
                case ArrowExpressionClauseSyntax arrow:
                    (body, expressionBody) = (null, arrow.Expression);
                    return true;
                default:
                    (body, expressionBody) = (null, null);
                    return false;
            }
        }

        /// <summary>
        /// Is the method's body short enough for a summary to read: an expression body, or a block of at most
        /// <paramref name="maxStatements"/> statements? Summaries read only short callees, so that asking about every
        /// call does not bind most of a binding's methods a second time; a longer body gets the summary's safe answer.
        /// </summary>
        public static bool IsShort(IMethodSymbol method, int maxStatements)
        {
            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                if (TryGet(reference.GetSyntax(), out var body, out var expressionBody))
                {
                    if (expressionBody != null)
                    {
                        return true;
                    }

                    if (body != null)
                    {
                        return body.Statements.Count <= maxStatements;
                    }
                }
            }

            return false;
        }
    }
}
