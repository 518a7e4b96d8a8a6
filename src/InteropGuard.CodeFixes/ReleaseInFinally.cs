using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace InteropGuard.CodeFixes
{
    /// <summary>The syntax rewrite behind "release in finally"; null whenever the rewrite would not be safe.</summary>
    internal static class ReleaseInFinally
    {
        public static SyntaxNode? Rewrite(SyntaxNode root, FixRequest request)
        {
            if (ProtectedRange.Find(request) is not { } range)
            {
                return null;
            }

            StatementSyntax finallyStatement;
            if (range.Release != null)
            {
                finallyStatement = range.Release.WithoutLeadingTrivia().WithTrailingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed);
            }
            else if (request.ReceiverRelease != null)
            {
                finallyStatement = SyntaxFactory.ExpressionStatement(SyntaxFactory.InvocationExpression(
                    SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, SyntaxFactory.IdentifierName(request.Variable), SyntaxFactory.IdentifierName(request.ReceiverRelease))));
            }
            else if (request.ReleaseMethod != null)
            {
                finallyStatement = GenerateRelease(request.ReleaseMethod, request.Variable, request.ReleaseArgumentCast);
            }
            else
            {
                return null;
            }

            var tryStatement = SyntaxFactory.TryStatement(
                    SyntaxFactory.Block(range.Moved),
                    default,
                    SyntaxFactory.FinallyClause(SyntaxFactory.Block(finallyStatement)))
                .WithAdditionalAnnotations(Formatter.Annotation);

            return range.ReplaceWith(root, tryStatement);
        }

        private static StatementSyntax GenerateRelease(string releaseMethod, string variable, string? argumentCast)
        {
            ExpressionSyntax argument = SyntaxFactory.IdentifierName(variable);
            if (argumentCast != null)
            {
                argument = SyntaxFactory.CastExpression(
                    SyntaxFactory.ParseTypeName("global::" + argumentCast).WithAdditionalAnnotations(Simplifier.Annotation),
                    argument);
            }

            var lastDot = releaseMethod.LastIndexOf('.');
            var typeName = SyntaxFactory.ParseTypeName("global::" + releaseMethod.Substring(0, lastDot))
                .WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
            var call = SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, (ExpressionSyntax)typeName, SyntaxFactory.IdentifierName(releaseMethod.Substring(lastDot + 1))),
                SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(argument))));
            return SyntaxFactory.ExpressionStatement(call);
        }
    }
}
