using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// A fix that rewrites one document for any number of its diagnostics at once, so that the single fix and Fix All
    /// (Document, Project and Solution scopes, which <c>dotnet format</c> needs) run the same code. Subclasses say
    /// whether a diagnostic can be fixed (with what title and key) and how to rewrite a document.
    /// </summary>
    public abstract class DocumentRewriteCodeFix : CodeFixProvider
    {
        public sealed override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(FixAllInDocumentAsync);

        public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
            if (root == null || model == null)
            {
                return;
            }

            root = LocalTypes.Annotate(root, model, context.CancellationToken);

            foreach (var diagnostic in context.Diagnostics)
            {
                if (Describe(root, diagnostic) is not { } action)
                {
                    continue;
                }

                context.RegisterCodeFix(
                    CodeAction.Create(
                        action.Title,
                        cancellationToken => RewriteAsync(context.Document, new[] { diagnostic }, cancellationToken),
                        action.EquivalenceKey),
                    diagnostic);
            }
        }

        /// <summary>The action for <paramref name="diagnostic"/>, or null when the rewrite would not be safe or would change nothing.</summary>
        internal abstract (string Title, string EquivalenceKey)? Describe(SyntaxNode root, Diagnostic diagnostic);

        /// <summary>Rewrites <paramref name="document"/> for all of <paramref name="diagnostics"/>, skipping those that cannot be fixed.</summary>
        internal abstract Task<Document> RewriteAsync(Document document, IReadOnlyList<Diagnostic> diagnostics, CancellationToken cancellationToken);

        private async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
            => await RewriteAsync(document, diagnostics, context.CancellationToken).ConfigureAwait(false);
    }
}
