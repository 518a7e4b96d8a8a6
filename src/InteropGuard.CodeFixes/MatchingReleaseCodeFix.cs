using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using InteropGuard.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
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

        internal override IEnumerable<FixAction> Describe(AnalyzedDocument document, Diagnostic diagnostic)
        {
            if (Target(document.Root, diagnostic) is { } target)
            {
                yield return new FixAction("Release with '" + ShortName(target.Release) + "'", EquivalenceKey);
            }
        }

        internal override Task<Document> RewriteAsync(AnalyzedDocument document, IReadOnlyList<Diagnostic> diagnostics, string? equivalenceKey)
        {
            var root = document.Root;
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
            return document.WithRootAsync(rewritten);
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
