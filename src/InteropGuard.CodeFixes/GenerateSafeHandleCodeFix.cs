using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using InteropGuard.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// IG3007 fix: generate a sealed SafeHandle subclass whose ReleaseHandle calls the release P/Invoke and move the
    /// class's handle onto it (see <see cref="SafeHandleRewrite"/>). Offered only when the whole rewrite is safe.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(GenerateSafeHandleCodeFix))]
    [Shared]
    public sealed class GenerateSafeHandleCodeFix : DocumentRewriteCodeFix
    {
        internal const string EquivalenceKey = "IG3007.GenerateSafeHandle";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.RawHandleField.Id);

        internal override async Task<IEnumerable<FixAction>> DescribeAsync(AnalyzedDocument document, Diagnostic diagnostic)
        {
            if (FixTarget.From(document, diagnostic) is { } target
                && await target.PlanAsync(document.Document, document.CancellationToken).ConfigureAwait(false) is { } plan)
            {
                return new[] { new FixAction("Generate '" + plan.HandleName + " : SafeHandle' and use it", EquivalenceKey) };
            }

            return Enumerable.Empty<FixAction>();
        }

        // One rewrite at a time on the evolving document: each one re-resolves its symbols, so a field another
        // rewrite already moved (same acquire function) is skipped instead of rewritten twice.
        internal override async Task<Document> RewriteAsync(AnalyzedDocument document, IReadOnlyList<Diagnostic> diagnostics, string? equivalenceKey)
        {
            var current = document.Document;
            foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
            {
                if (FixTarget.From(document, diagnostic) is not { } target
                    || await target.PlanAsync(current, document.CancellationToken).ConfigureAwait(false) is not { } plan)
                {
                    continue;
                }

                current = await plan.ApplyAsync(document.CancellationToken).ConfigureAwait(false);
                current = await AnalyzedDocument.CleanUpAsync(current, document.CancellationToken).ConfigureAwait(false);
            }

            return current;
        }

        /// <summary>The field, acquire and release of one diagnostic, by documentation id so that they survive earlier rewrites.</summary>
        private sealed class FixTarget
        {
            private FixTarget(string field, string acquire, string release)
            {
                Field = field;
                Acquire = acquire;
                Release = release;
            }

            private string Field { get; }
            private string Acquire { get; }
            private string Release { get; }

            public static FixTarget? From(AnalyzedDocument document, Diagnostic diagnostic)
            {
                if (!diagnostic.Properties.TryGetValue(RawHandleFieldAnalyzer.AcquireProperty, out var acquire) || acquire == null
                    || !diagnostic.Properties.TryGetValue(RawHandleFieldAnalyzer.ReleaseProperty, out var release) || release == null)
                {
                    return null;
                }

                if (diagnostic.Location.SourceTree != document.Root.SyntaxTree)
                {
                    return null;
                }

                var declarator = document.Root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
                if (document.Model.GetDeclaredSymbol(declarator, document.CancellationToken) is not IFieldSymbol field)
                {
                    return null;
                }

                var id = DocumentationCommentId.CreateDeclarationId(field);
                return id == null ? null : new FixTarget(id, acquire, release);
            }

            public async Task<SafeHandleRewrite?> PlanAsync(Document document, CancellationToken cancellationToken)
            {
                var compilation = await document.Project.GetCompilationAsync(cancellationToken).ConfigureAwait(false);
                if (compilation == null
                    || DocumentationCommentId.GetFirstSymbolForDeclarationId(Field, compilation) is not IFieldSymbol field
                    || DocumentationCommentId.GetFirstSymbolForDeclarationId(Acquire, compilation) is not IMethodSymbol acquire
                    || DocumentationCommentId.GetFirstSymbolForDeclarationId(Release, compilation) is not IMethodSymbol release
                    || !Interop.HandleFunctionPairs.IsRawHandle(field.Type))
                {
                    return null;
                }

                return await SafeHandleRewrite.PlanAsync(document, field, acquire, release, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
