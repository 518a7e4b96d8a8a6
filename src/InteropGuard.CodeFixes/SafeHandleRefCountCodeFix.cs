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
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// IG3006 fixes for a raw <c>DangerousGetHandle()</c> value. First (what <c>dotnet format</c> applies), where the
    /// value only feeds a DllImport parameter of this project: pass the SafeHandle and retype the parameter, so the
    /// marshaller adds and releases the reference (<see cref="PassSafeHandle"/>). Second: bracket the use with
    /// DangerousAddRef/DangerousRelease in try/finally (<see cref="AddRefRelease"/>).
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SafeHandleRefCountCodeFix))]
    [Shared]
    public sealed class SafeHandleRefCountCodeFix : CodeFixProvider
    {
        internal const string PassSafeHandleKey = "IG3006.PassSafeHandle";
        internal const string AddRefReleaseKey = "IG3006.AddRefRelease";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.SafeHandleRefCount.Id);

        public override FixAllProvider GetFixAllProvider() => new FixAll();

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
            if (root == null || model == null)
            {
                return;
            }

            foreach (var diagnostic in context.Diagnostics)
            {
                if (!IsGetHandleFinding(diagnostic) || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax getHandle
                    || getHandle.Expression is not MemberAccessExpressionSyntax access)
                {
                    continue;
                }

                if (IsPassSafeHandleCandidate(diagnostic))
                {
                    var plan = await PassSafeHandle.PlanAsync(context.Document.Project, new[] { diagnostic }, context.CancellationToken).ConfigureAwait(false);
                    if (plan.Count > 0)
                    {
                        var function = plan.Single().Method.Name;
                        context.RegisterCodeFix(
                            CodeAction.Create(
                                "Pass '" + access.Expression + "' to '" + function + "' and let the marshaller add and release the reference",
                                cancellationToken => PassSafeHandle.ApplyAsync(context.Document.Project.Solution, plan, cancellationToken),
                                PassSafeHandleKey),
                            diagnostic);
                    }
                }

                if (AddRefRelease.Rewrite(root, model, getHandle) != null)
                {
                    context.RegisterCodeFix(
                        CodeAction.Create(
                            "Add and release a reference to '" + access.Expression + "' around the use",
                            cancellationToken => ApplyAddRefReleaseAsync(context.Document, new[] { diagnostic }, cancellationToken),
                            AddRefReleaseKey),
                        diagnostic);
                }
            }
        }

        internal static bool IsGetHandleFinding(Diagnostic diagnostic)
            => diagnostic.Properties.TryGetValue(SafeHandleRefCountAnalyzer.KindProperty, out var kind) && kind == SafeHandleRefCountAnalyzer.GetHandleKind;

        internal static bool IsPassSafeHandleCandidate(Diagnostic diagnostic)
            => IsGetHandleFinding(diagnostic)
               && diagnostic.Properties.TryGetValue(SafeHandleRefCountAnalyzer.PassSafeHandleProperty, out var pass) && pass == "true";

        internal static async Task<Document> ApplyAddRefReleaseAsync(Document document, IReadOnlyList<Diagnostic> diagnostics, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (root == null || model == null)
            {
                return document;
            }

            // Mark every reported call first, then rewrite on the evolving tree: two uses in one statement nest their
            // try statements instead of conflicting.
            var marks = new Dictionary<SyntaxNode, (SyntaxAnnotation Annotation, bool? VoidBody)>();
            foreach (var diagnostic in diagnostics.Where(IsGetHandleFinding).OrderBy(d => d.Location.SourceSpan.Start))
            {
                if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is InvocationExpressionSyntax call && !marks.ContainsKey(call))
                {
                    marks[call] = (new SyntaxAnnotation(), AddRefRelease.VoidBody(model, call));
                }
            }

            var current = root.ReplaceNodes(marks.Keys, (original, rewritten) => rewritten.WithAdditionalAnnotations(marks[original].Annotation));
            foreach (var (annotation, voidBody) in marks.Values)
            {
                if (current.GetAnnotatedNodes(annotation).FirstOrDefault() is InvocationExpressionSyntax call)
                {
                    var updated = AddRefRelease.Rewrite(current, model, call, voidBody);
                    if (updated != null)
                    {
                        current = updated;
                    }
                }
            }

            var changed = document.WithSyntaxRoot(current);
            changed = await Simplifier.ReduceAsync(changed, Simplifier.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
            return await Formatter.FormatAsync(changed, Formatter.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Fix All over documents, projects or the solution; the P/Invoke retyping is planned per project, across its documents.</summary>
        private sealed class FixAll : FixAllProvider
        {
            public override IEnumerable<FixAllScope> GetSupportedFixAllScopes()
                => new[] { FixAllScope.Document, FixAllScope.Project, FixAllScope.Solution };

            public override async Task<CodeAction?> GetFixAsync(FixAllContext context)
            {
                var key = context.CodeActionEquivalenceKey;
                if (key != PassSafeHandleKey && key != AddRefReleaseKey)
                {
                    return null;
                }

                var projects = context.Scope == FixAllScope.Solution ? context.Solution.Projects : new[] { context.Project };
                var byDocument = new List<(Document Document, ImmutableArray<Diagnostic> Diagnostics)>();
                foreach (var project in projects)
                {
                    var documents = context.Scope == FixAllScope.Document && context.Document != null ? new[] { context.Document } : project.Documents;
                    foreach (var document in documents)
                    {
                        var diagnostics = await context.GetDocumentDiagnosticsAsync(document).ConfigureAwait(false);
                        if (!diagnostics.IsEmpty)
                        {
                            byDocument.Add((document, diagnostics));
                        }
                    }
                }

                return CodeAction.Create(
                    key == PassSafeHandleKey ? "Pass the SafeHandle to native code" : "Add and release references around uses",
                    cancellationToken => key == PassSafeHandleKey
                        ? FixAllPassSafeHandleAsync(context.Solution, byDocument, cancellationToken)
                        : FixAllAddRefReleaseAsync(context.Solution, byDocument, cancellationToken),
                    key);
            }

            private static async Task<Solution> FixAllPassSafeHandleAsync(Solution solution, List<(Document Document, ImmutableArray<Diagnostic> Diagnostics)> byDocument, CancellationToken cancellationToken)
            {
                var plans = new List<PassSafeHandle.Retype>();
                foreach (var group in byDocument.GroupBy(d => d.Document.Project.Id))
                {
                    var project = solution.GetProject(group.Key)!;
                    var diagnostics = group.SelectMany(d => d.Diagnostics).Where(IsPassSafeHandleCandidate).ToList();
                    plans.AddRange(await PassSafeHandle.PlanAsync(project, diagnostics, cancellationToken).ConfigureAwait(false));
                }

                return plans.Count == 0 ? solution : await PassSafeHandle.ApplyAsync(solution, plans, cancellationToken).ConfigureAwait(false);
            }

            private static async Task<Solution> FixAllAddRefReleaseAsync(Solution solution, List<(Document Document, ImmutableArray<Diagnostic> Diagnostics)> byDocument, CancellationToken cancellationToken)
            {
                foreach (var (document, diagnostics) in byDocument)
                {
                    var fixedDocument = await ApplyAddRefReleaseAsync(solution.GetDocument(document.Id)!, diagnostics, cancellationToken).ConfigureAwait(false);
                    solution = fixedDocument.Project.Solution;
                }

                return solution;
            }
        }
    }
}
