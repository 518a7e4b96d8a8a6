using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using InteropGuard.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// IG3007 fix: generate a sealed SafeHandle subclass whose ReleaseHandle calls the release P/Invoke and move the
    /// class's handle onto it (see <see cref="SafeHandleRewrite"/>). Offered only when the whole rewrite is safe.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(GenerateSafeHandleCodeFix))]
    [Shared]
    public sealed class GenerateSafeHandleCodeFix : CodeFixProvider
    {
        internal const string EquivalenceKey = "IG3007.GenerateSafeHandle";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.RawHandleField.Id);

        public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(FixAllInDocumentAsync);

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            foreach (var diagnostic in context.Diagnostics)
            {
                var target = await FixTarget.FromAsync(context.Document, diagnostic, context.CancellationToken).ConfigureAwait(false);
                if (target == null)
                {
                    continue;
                }

                var plan = await target.PlanAsync(context.Document, context.CancellationToken).ConfigureAwait(false);
                if (plan == null)
                {
                    continue;
                }

                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Generate '" + plan.HandleName + " : SafeHandle' and use it",
                        cancellationToken => ApplyAsync(context.Document, new[] { target }, cancellationToken),
                        EquivalenceKey),
                    diagnostic);
            }
        }

        private static async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
        {
            var targets = new List<FixTarget>();
            foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
            {
                var target = await FixTarget.FromAsync(document, diagnostic, context.CancellationToken).ConfigureAwait(false);
                if (target != null)
                {
                    targets.Add(target);
                }
            }

            return await ApplyAsync(document, targets, context.CancellationToken).ConfigureAwait(false);
        }

        // One rewrite at a time on the evolving document: each one re-resolves its symbols, so a field another
        // rewrite already moved (same acquire function) is skipped instead of rewritten twice.
        private static async Task<Document> ApplyAsync(Document document, IReadOnlyList<FixTarget> targets, CancellationToken cancellationToken)
        {
            var current = document;
            foreach (var target in targets)
            {
                var plan = await target.PlanAsync(current, cancellationToken).ConfigureAwait(false);
                if (plan == null)
                {
                    continue;
                }

                current = await plan.ApplyAsync(cancellationToken).ConfigureAwait(false);
                current = await ImportAdder.AddImportsAsync(current, Simplifier.AddImportsAnnotation, cancellationToken: cancellationToken).ConfigureAwait(false);
                current = await Simplifier.ReduceAsync(current, Simplifier.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
                current = await Formatter.FormatAsync(current, Formatter.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
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

            public static async Task<FixTarget?> FromAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
            {
                if (!diagnostic.Properties.TryGetValue(RawHandleFieldAnalyzer.AcquireProperty, out var acquire) || acquire == null
                    || !diagnostic.Properties.TryGetValue(RawHandleFieldAnalyzer.ReleaseProperty, out var release) || release == null)
                {
                    return null;
                }

                var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
                if (root == null || model == null || diagnostic.Location.SourceTree != root.SyntaxTree)
                {
                    return null;
                }

                var declarator = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
                if (model.GetDeclaredSymbol(declarator, cancellationToken) is not IFieldSymbol field)
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
