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
            else if (request.GeneratedRelease != null)
            {
                finallyStatement = request.GeneratedRelease;
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
    }
}
