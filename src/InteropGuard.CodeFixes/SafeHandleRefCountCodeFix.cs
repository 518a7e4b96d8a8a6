using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using InteropGuard.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

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
    public sealed class SafeHandleRefCountCodeFix : DocumentRewriteCodeFix
    {
        internal const string PassSafeHandleKey = "IG3006.PassSafeHandle";
        internal const string AddRefReleaseKey = "IG3006.AddRefRelease";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.SafeHandleRefCount.Id);

        internal override async Task<IEnumerable<FixAction>> DescribeAsync(AnalyzedDocument document, Diagnostic diagnostic)
        {
            var actions = new List<FixAction>();
            if (!IsGetHandleFinding(diagnostic) || document.Root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax getHandle
                || getHandle.Expression is not MemberAccessExpressionSyntax access)
            {
                return actions;
            }

            // Offered from what this document shows; the project's other callers are searched when the action is applied.
            if (IsPassSafeHandleCandidate(diagnostic)
                && await PassSafeHandle.OfferedForAsync(document, getHandle).ConfigureAwait(false) is { } function)
            {
                actions.Add(new FixAction("Pass '" + access.Expression + "' to '" + function.Name + "' and let the marshaller add and release the reference", PassSafeHandleKey));
            }

            if (AddRefRelease.IsReachable(document.Model, getHandle) && AddRefRelease.Rewrite(document.Root, document.Model, getHandle) != null)
            {
                actions.Add(new FixAction("Add and release a reference to '" + access.Expression + "' around the use", AddRefReleaseKey));
            }

            return actions;
        }

        // The P/Invoke may be declared in another document, and every call of it in the project must follow the retype.
        internal override IReadOnlyDictionary<string, string> ProjectWideActions { get; } = new Dictionary<string, string>
        {
            [PassSafeHandleKey] = "Pass the SafeHandle to native code",
        };

        internal override async Task<Solution> RewriteProjectAsync(Project project, IReadOnlyList<Diagnostic> diagnostics, string equivalenceKey, CancellationToken cancellationToken)
        {
            var plans = await PassSafeHandle.PlanAsync(project, diagnostics.Where(IsPassSafeHandleCandidate), cancellationToken).ConfigureAwait(false);
            return plans.Count == 0 ? project.Solution : await PassSafeHandle.ApplyAsync(project.Solution, plans, cancellationToken).ConfigureAwait(false);
        }

        internal override Task<Document> RewriteAsync(AnalyzedDocument document, IReadOnlyList<Diagnostic> diagnostics, string? equivalenceKey)
        {
            var (root, model) = (document.Root, document.Model);

            // Mark every reported call first, then rewrite on the evolving tree: two uses in one statement nest their
            // try statements instead of conflicting.
            var marks = new Dictionary<SyntaxNode, (SyntaxAnnotation Annotation, bool? VoidBody)>();
            foreach (var diagnostic in diagnostics.Where(IsGetHandleFinding).OrderBy(d => d.Location.SourceSpan.Start))
            {
                if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is InvocationExpressionSyntax call && !marks.ContainsKey(call)
                    && AddRefRelease.IsReachable(model, call))
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

            return document.WithRootAsync(current);
        }

        private static bool IsGetHandleFinding(Diagnostic diagnostic)
            => diagnostic.Properties.TryGetValue(SafeHandleRefCountAnalyzer.KindProperty, out var kind) && kind == SafeHandleRefCountAnalyzer.GetHandleKind;

        private static bool IsPassSafeHandleCandidate(Diagnostic diagnostic)
            => IsGetHandleFinding(diagnostic)
               && diagnostic.Properties.TryGetValue(SafeHandleRefCountAnalyzer.PassSafeHandleProperty, out var pass) && pass == "true";
    }
}
