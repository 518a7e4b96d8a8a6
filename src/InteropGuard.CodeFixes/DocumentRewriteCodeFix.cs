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
    /// how to rewrite a document for one action's equivalence key (<see cref="RewriteAsync"/>). An action whose change
    /// cannot stay in the diagnostic's document (a P/Invoke declared elsewhere and every call of it) is listed in
    /// <see cref="ProjectWideActions"/> and rewritten per project (<see cref="RewriteProjectAsync"/>).
    /// </summary>
    public abstract class DocumentRewriteCodeFix : CodeFixProvider
    {
        public sealed override FixAllProvider GetFixAllProvider() => new FixAll(this);

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
                    var key = action.EquivalenceKey;
                    context.RegisterCodeFix(
                        ProjectWideActions.ContainsKey(key)
                            ? CodeAction.Create(action.Title, cancellationToken => RewriteProjectKeepingLineEndingsAsync(context.Document.Project, new[] { diagnostic }, key, cancellationToken), key)
                            : CodeAction.Create(action.Title, cancellationToken => RewriteAsync(context.Document, new[] { diagnostic }, key, cancellationToken), key),
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

        /// <summary>
        /// The actions that change other documents of the project (see <see cref="RewriteProjectAsync"/>): equivalence key
        /// to the title of their Fix All.
        /// </summary>
        internal virtual IReadOnlyDictionary<string, string> ProjectWideActions { get; } = new Dictionary<string, string>();

        /// <summary>
        /// For the <see cref="ProjectWideActions"/>: the solution after fixing <paramref name="diagnostics"/>, all
        /// of them in <paramref name="project"/>, which is planned as a whole (a declaration is retyped only when every
        /// caller in the project can follow).
        /// </summary>
        internal virtual Task<Solution> RewriteProjectAsync(Project project, IReadOnlyList<Diagnostic> diagnostics, string equivalenceKey, CancellationToken cancellationToken)
            => Task.FromResult(project.Solution);

        private async Task<Document> RewriteAsync(Document document, IReadOnlyList<Diagnostic> diagnostics, string? equivalenceKey, CancellationToken cancellationToken)
        {
            var analyzed = await AnalyzedDocument.CreateAsync(document, cancellationToken).ConfigureAwait(false);
            return analyzed == null
                ? document
                : await FileLineEndings.KeepAsync(document, await RewriteAsync(analyzed, diagnostics, equivalenceKey).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }

        private async Task<Solution> RewriteProjectKeepingLineEndingsAsync(Project project, IReadOnlyList<Diagnostic> diagnostics, string equivalenceKey, CancellationToken cancellationToken)
            => await FileLineEndings.KeepAsync(
                project.Solution,
                await RewriteProjectAsync(project, diagnostics, equivalenceKey, cancellationToken).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);

        private async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
            => await RewriteAsync(document, diagnostics, context.CodeActionEquivalenceKey, context.CancellationToken).ConfigureAwait(false);

        /// <summary>
        /// Fix All in Document, Project and Solution scope: document actions go through Roslyn's document-based Fix All;
        /// project-wide actions get the scope's diagnostics grouped by project, one project after another.
        /// </summary>
        private sealed class FixAll : FixAllProvider
        {
            private readonly DocumentRewriteCodeFix _fix;
            private readonly FixAllProvider _byDocument;

            public FixAll(DocumentRewriteCodeFix fix)
            {
                _fix = fix;
                _byDocument = Create(fix.FixAllInDocumentAsync);
            }

            public override IEnumerable<FixAllScope> GetSupportedFixAllScopes()
                => new[] { FixAllScope.Document, FixAllScope.Project, FixAllScope.Solution };

            public override async Task<CodeAction?> GetFixAsync(FixAllContext context)
            {
                var key = context.CodeActionEquivalenceKey;
                if (key == null || !_fix.ProjectWideActions.TryGetValue(key, out var title))
                {
                    return await _byDocument.GetFixAsync(context).ConfigureAwait(false);
                }

                var byProject = new List<(ProjectId Project, List<Diagnostic> Diagnostics)>();
                var projects = context.Scope == FixAllScope.Solution ? context.Solution.Projects : new[] { context.Project };
                foreach (var project in projects)
                {
                    var documents = context.Scope == FixAllScope.Document && context.Document != null ? new[] { context.Document } : project.Documents;
                    var diagnostics = new List<Diagnostic>();
                    foreach (var document in documents)
                    {
                        diagnostics.AddRange(await context.GetDocumentDiagnosticsAsync(document).ConfigureAwait(false));
                    }

                    if (diagnostics.Count > 0)
                    {
                        byProject.Add((project.Id, diagnostics));
                    }
                }

                if (byProject.Count == 0)
                {
                    return null;
                }

                return CodeAction.Create(
                    title,
                    async cancellationToken =>
                    {
                        var solution = context.Solution;
                        foreach (var (project, diagnostics) in byProject)
                        {
                            solution = await _fix.RewriteProjectKeepingLineEndingsAsync(solution.GetProject(project)!, diagnostics, key, cancellationToken).ConfigureAwait(false);
                        }

                        return solution;
                    },
                    key);
            }
        }
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
