using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using InteropGuard.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace InteropGuard.CodeFixes
{
    /// <summary>IG3005 fix: dispose the SafeHandle with <c>using</c> (see <see cref="UsingRewrite"/>).</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(DisposeWithUsingCodeFix))]
    [Shared]
    public sealed class DisposeWithUsingCodeFix : DocumentRewriteCodeFix
    {
        internal const string EquivalenceKey = "IG3005.Using";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.SafeHandleNotDisposed.Id);

        internal override IEnumerable<FixAction> Describe(AnalyzedDocument document, Diagnostic diagnostic)
        {
            var root = document.AnnotatedRoot;
            if (FixRequest.From(document, root, diagnostic, OwnershipAnalyzer.UsingFixableProperty) is { } request && UsingRewrite.Rewrite(root, request) != null)
            {
                yield return new FixAction("Dispose '" + request.Variable + "' with using", EquivalenceKey);
            }
        }

        internal override Task<Document> RewriteAsync(AnalyzedDocument document, IReadOnlyList<Diagnostic> diagnostics, string? equivalenceKey)
            => AnnotatedRewrites.ApplyAsync(
                document,
                diagnostics,
                (root, diagnostic) => FixRequest.From(document, root, diagnostic, OwnershipAnalyzer.UsingFixableProperty),
                UsingRewrite.Rewrite);
    }
}
