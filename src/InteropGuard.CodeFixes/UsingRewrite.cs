using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// Dispose with <c>using</c>: a declaration with no release becomes a <c>using</c> declaration; otherwise (an
    /// existing straight-line Dispose, an out argument, an assignment, C# before 8) the statements up to the release are
    /// wrapped in a <c>using</c> statement and the release is removed. Null whenever that would not be safe.
    /// </summary>
    internal static class UsingRewrite
    {
        public static SyntaxNode? Rewrite(SyntaxNode root, FixRequest request)
        {
            var statement = request.Allocation.FirstAncestorOrSelf<StatementSyntax>();
            var supportsDeclaration = ((CSharpParseOptions)root.SyntaxTree.Options).LanguageVersion >= LanguageVersion.CSharp8;
            if (request.Releases.Count == 0 && supportsDeclaration
                && statement is LocalDeclarationStatementSyntax declaration && declaration.Parent is BlockSyntax
                && ProtectedRange.StoresInto(declaration, request.Variable))
            {
                var usingDeclaration = declaration
                    .WithUsingKeyword(SyntaxFactory.Token(SyntaxKind.UsingKeyword).WithLeadingTrivia(declaration.GetLeadingTrivia()).WithTrailingTrivia(SyntaxFactory.Space))
                    .WithDeclaration(declaration.Declaration.WithoutLeadingTrivia());
                return root.ReplaceNode(declaration, usingDeclaration.WithLeadingTrivia(declaration.GetLeadingTrivia()));
            }

            if (ProtectedRange.Find(request) is not { } range || (range.Release != null && !IsDispose(range.Release, request.Variable)))
            {
                return null;
            }

            var usingStatement = SyntaxFactory.UsingStatement(null, request.VariableName, SyntaxFactory.Block(range.Moved))
                .WithAdditionalAnnotations(Formatter.Annotation);
            return range.ReplaceWith(root, usingStatement);
        }

        // The release being replaced must be the variable's own Dispose/Close: using calls exactly that.
        private static bool IsDispose(StatementSyntax release, string variable)
        {
            var call = release.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault();
            return call?.Expression is MemberAccessExpressionSyntax member
                   && member.Expression is IdentifierNameSyntax target && target.Identifier.ValueText == variable
                   && (member.Name.Identifier.ValueText == "Dispose" || member.Name.Identifier.ValueText == "Close");
        }
    }
}
