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

        internal override IEnumerable<FixAction> Describe(AnalyzedDocument document, Diagnostic diagnostic)
        {
            if (Target(document, diagnostic) is { } target)
            {
                yield return new FixAction("Release with '" + target.Release.ContainingType.Name + "." + target.Release.Name + "'", EquivalenceKey);
            }
        }

        internal override Task<Document> RewriteAsync(AnalyzedDocument document, IReadOnlyList<Diagnostic> diagnostics, string? equivalenceKey)
        {
            var root = document.Root;
            var generator = SyntaxGenerator.GetGenerator(document.Document);
            var targets = diagnostics.Select(d => Target(document, d)).Where(t => t != null).Select(t => t!.Value).ToList();
            var rewritten = root.ReplaceNodes(
                targets.Select(t => t.Call.Expression),
                (original, _) =>
                {
                    var release = targets.First(t => t.Call.Expression == original).Release;
                    var type = ((ExpressionSyntax)generator.TypeExpression(release.ContainingType)).WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
                    return SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, type, SyntaxFactory.IdentifierName(release.Name))
                        .WithTriviaFrom(original)
                        .WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
                });
            return document.WithRootAsync(rewritten);
        }

        // Only a call that passes nothing but the pointer can be redirected to a one-parameter release unchanged. The
        // matching release is the one the analyzer names by documentation id; the call is the one at the diagnostic.
        private static (InvocationExpressionSyntax Call, IMethodSymbol Release)? Target(AnalyzedDocument document, Diagnostic diagnostic)
        {
            if (!diagnostic.Properties.TryGetValue(OwnershipAnalyzer.ReleaseMethodProperty, out var id) || id == null
                || DocumentationCommentId.GetFirstSymbolForDeclarationId(id, document.Model.Compilation) is not IMethodSymbol { IsStatic: true, Parameters.Length: 1 } release)
            {
                return null;
            }

            var node = document.Root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            var call = node as InvocationExpressionSyntax ?? node.FirstAncestorOrSelf<InvocationExpressionSyntax>();
            return call != null && call.ArgumentList.Arguments.Count == 1 ? (call, release) : null;
        }
    }
}
