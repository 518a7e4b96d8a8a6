using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// A fix that rewrites one document for any number of its diagnostics at once, so that the single fix and Fix All
    /// (Document, Project and Solution scopes, which <c>dotnet format</c> needs) run the same code. Subclasses say which
    /// actions a diagnostic gets (<see cref="Describe"/>, or <see cref="DescribeAsync"/> where planning is async) and
    /// how to rewrite a document for one action's equivalence key (<see cref="RewriteAsync"/>).
    /// </summary>
    public abstract class DocumentRewriteCodeFix : CodeFixProvider
    {
        public sealed override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(FixAllInDocumentAsync);

        public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var document = await AnalyzedDocument.CreateAsync(context.Document, context.CancellationToken).ConfigureAwait(false);
            if (document == null)
            {
                return;
            }

            foreach (var diagnostic in context.Diagnostics)
            {
                foreach (var action in await DescribeAsync(document, diagnostic).ConfigureAwait(false))
                {
                    context.RegisterCodeFix(
                        CodeAction.Create(
                            action.Title,
                            cancellationToken => RewriteAsync(context.Document, new[] { diagnostic }, action.EquivalenceKey, cancellationToken),
                            action.EquivalenceKey),
                        diagnostic);
                }
            }
        }

        /// <summary>
        /// The actions for <paramref name="diagnostic"/>, safest first; none where a rewrite would not be safe or would
        /// change nothing. Override this or <see cref="DescribeAsync"/>.
        /// </summary>
        internal virtual IEnumerable<FixAction> Describe(AnalyzedDocument document, Diagnostic diagnostic) => Enumerable.Empty<FixAction>();

        /// <summary><see cref="Describe"/> for fixes whose planning is asynchronous.</summary>
        internal virtual Task<IEnumerable<FixAction>> DescribeAsync(AnalyzedDocument document, Diagnostic diagnostic)
            => Task.FromResult(Describe(document, diagnostic));

        /// <summary>
        /// Rewrites the document for all of <paramref name="diagnostics"/> with the action of
        /// <paramref name="equivalenceKey"/> (null when a Fix All caller names none), skipping those it cannot fix.
        /// </summary>
        internal abstract Task<Document> RewriteAsync(AnalyzedDocument document, IReadOnlyList<Diagnostic> diagnostics, string? equivalenceKey);

        private async Task<Document> RewriteAsync(Document document, IReadOnlyList<Diagnostic> diagnostics, string? equivalenceKey, CancellationToken cancellationToken)
        {
            var analyzed = await AnalyzedDocument.CreateAsync(document, cancellationToken).ConfigureAwait(false);
            return analyzed == null ? document : await RewriteAsync(analyzed, diagnostics, equivalenceKey).ConfigureAwait(false);
        }

        private async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
            => await RewriteAsync(document, diagnostics, context.CodeActionEquivalenceKey, context.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>One action a fix offers: its title and the equivalence key Fix All groups it by ("IGxxxx.Name").</summary>
    internal readonly struct FixAction
    {
        public FixAction(string title, string equivalenceKey)
        {
            Title = title;
            EquivalenceKey = equivalenceKey;
        }

        public string Title { get; }

        public string EquivalenceKey { get; }
    }
}
