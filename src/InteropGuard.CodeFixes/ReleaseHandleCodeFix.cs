using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using InteropGuard.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// IG3004 fix, one provider for both kinds of handle (dotnet format applies one provider per id in a run): a
    /// GCHandle is freed in <c>finally</c>, a MemoryHandle is disposed with <c>using</c>.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ReleaseHandleCodeFix))]
    [Shared]
    public sealed class ReleaseHandleCodeFix : DocumentRewriteCodeFix
    {
        internal const string FreeEquivalenceKey = "IG3004.FreeInFinally";
        internal const string UsingEquivalenceKey = "IG3004.Using";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.HandleNotReleased.Id);

        internal override IEnumerable<FixAction> Describe(AnalyzedDocument document, Diagnostic diagnostic)
        {
            var root = document.AnnotatedRoot;
            if (FixRequest.From(document, root, diagnostic) is { } free && ReleaseInFinally.Rewrite(root, free) != null)
            {
                yield return new FixAction("Free '" + free.Variable + "' in finally", FreeEquivalenceKey);
            }
            else if (FixRequest.From(document, root, diagnostic, OwnershipAnalyzer.UsingFixableProperty) is { } pin && UsingRewrite.Rewrite(root, pin) != null)
            {
                yield return new FixAction("Dispose '" + pin.Variable + "' with using", UsingEquivalenceKey);
            }
        }

        internal override Task<Document> RewriteAsync(AnalyzedDocument document, IReadOnlyList<Diagnostic> diagnostics, string? equivalenceKey)
            => AnnotatedRewrites.ApplyAsync(
                document,
                diagnostics,
                (root, diagnostic) => FixRequest.From(document, root, diagnostic) ?? FixRequest.From(document, root, diagnostic, OwnershipAnalyzer.UsingFixableProperty),
                (root, request) => request.ByUsing ? UsingRewrite.Rewrite(root, request) : ReleaseInFinally.Rewrite(root, request));
    }
}
