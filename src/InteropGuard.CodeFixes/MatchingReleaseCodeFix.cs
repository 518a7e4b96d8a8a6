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
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Simplification;

namespace InteropGuard.CodeFixes
{
    /// <summary>IG3002 fix: call the release that matches the allocator, passing the same pointer.</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MatchingReleaseCodeFix))]
    [Shared]
    public sealed class MatchingReleaseCodeFix : DocumentRewriteCodeFix
    {
        internal const string EquivalenceKey = "IG3002.MatchingRelease";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.WrongDeallocator.Id);

        internal override (string Title, string EquivalenceKey)? Describe(SyntaxNode root, Diagnostic diagnostic)
            => Target(root, diagnostic) is { } target ? ("Release with '" + ShortName(target.Release) + "'", EquivalenceKey) : null;

        internal override async Task<Document> RewriteAsync(Document document, System.Collections.Generic.IReadOnlyList<Diagnostic> diagnostics, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            if (root == null)
            {
                return document;
            }

            var targets = diagnostics.Select(d => Target(root, d)).Where(t => t != null).Select(t => t!.Value).ToList();
            var rewritten = root.ReplaceNodes(
                targets.Select(t => t.Call.Expression),
                (original, _) =>
                {
                    var release = targets.First(t => t.Call.Expression == original).Release;
                    return SyntaxFactory.ParseExpression("global::" + release)
                        .WithTriviaFrom(original)
                        .WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
                });
            var changed = document.WithSyntaxRoot(rewritten);
            changed = await ImportAdder.AddImportsAsync(changed, Simplifier.AddImportsAnnotation, cancellationToken: cancellationToken).ConfigureAwait(false);
            return await Simplifier.ReduceAsync(changed, Simplifier.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        // Only a call that passes nothing but the pointer can be redirected to a one-parameter release unchanged.
        private static (InvocationExpressionSyntax Call, string Release)? Target(SyntaxNode root, Diagnostic diagnostic)
        {
            if (!diagnostic.Properties.TryGetValue(OwnershipAnalyzer.ReleaseMethodProperty, out var release) || release == null)
            {
                return null;
            }

            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            var call = node as InvocationExpressionSyntax ?? node.FirstAncestorOrSelf<InvocationExpressionSyntax>();
            return call != null && call.ArgumentList.Arguments.Count == 1 ? (call, release) : null;
        }

        private static string ShortName(string qualified)
        {
            var parts = qualified.Split('.');
            return parts.Length >= 2 ? parts[parts.Length - 2] + "." + parts[parts.Length - 1] : qualified;
        }
    }
}
