using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using InteropGuard.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// IG3004 (MemoryHandle) and IG3005 fix: dispose with <c>using</c>. A declaration with no release becomes a
    /// <c>using</c> declaration; otherwise (an existing straight-line Dispose, an out argument, an assignment, C# before 8)
    /// the statements up to the release are wrapped in a <c>using</c> statement and the release is removed.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(DisposeWithUsingCodeFix))]
    [Shared]
    public sealed class DisposeWithUsingCodeFix : DocumentRewriteCodeFix
    {
        internal const string EquivalenceKey = "IG3005.Using";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.HandleNotReleased.Id, Descriptors.SafeHandleNotDisposed.Id);

        internal override (string Title, string EquivalenceKey)? Describe(SyntaxNode root, Diagnostic diagnostic)
        {
            var request = FixRequest.From(root, diagnostic, OwnershipAnalyzer.UsingFixableProperty);
            if (request == null || Rewrite(root, request) == null)
            {
                return null;
            }

            return ("Dispose '" + request.Variable + "' with using", diagnostic.Id == Descriptors.HandleNotReleased.Id ? "IG3004.Using" : EquivalenceKey);
        }

        internal override async Task<Document> RewriteAsync(Document document, System.Collections.Generic.IReadOnlyList<Diagnostic> diagnostics, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            if (root == null)
            {
                return document;
            }

            // Later diagnostics first: each rewrite only touches its own statement and what follows it.
            foreach (var diagnostic in diagnostics.OrderByDescending(d => d.Location.SourceSpan.Start))
            {
                if (FixRequest.From(root, diagnostic, OwnershipAnalyzer.UsingFixableProperty) is not { } request)
                {
                    continue;
                }

                root = Rewrite(root, request) ?? root;
            }

            return await Formatter.FormatAsync(document.WithSyntaxRoot(root), Formatter.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        private static SyntaxNode? Rewrite(SyntaxNode root, FixRequest request)
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

            var usingStatement = SyntaxFactory.UsingStatement(null, SyntaxFactory.IdentifierName(request.Variable), SyntaxFactory.Block(range.Moved))
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
