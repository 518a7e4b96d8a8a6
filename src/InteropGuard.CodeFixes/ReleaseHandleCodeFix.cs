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
    /// IG3004 fix, one provider for every kind of finding (dotnet format applies one provider per id in a run): a
    /// GCHandle local is freed in <c>finally</c>, a MemoryHandle is disposed with <c>using</c>, and a GCHandle field its
    /// class never frees is freed in the class's Dispose (<see cref="FreeFieldInDispose"/>).
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ReleaseHandleCodeFix))]
    [Shared]
    public sealed class ReleaseHandleCodeFix : DocumentRewriteCodeFix
    {
        internal const string FreeEquivalenceKey = "IG3004.FreeInFinally";
        internal const string UsingEquivalenceKey = "IG3004.Using";
        internal const string FreeFieldEquivalenceKey = "IG3004.FreeFieldInDispose";

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
            else if (FreeFieldInDispose.Plan(document, diagnostic) is { } field)
            {
                yield return new FixAction("Free '" + field.Field + "' in Dispose", FreeFieldEquivalenceKey);
            }
        }

        /// <summary>
        /// Every kind in one pass whatever the key (Fix All and dotnet format pass the first action's key for all of the
        /// id's diagnostics): the method-level rewrites first, then the fields' frees, found again by symbol in the result.
        /// </summary>
        internal override async Task<Document> RewriteAsync(AnalyzedDocument document, IReadOnlyList<Diagnostic> diagnostics, string? equivalenceKey)
        {
            var fields = new List<FieldRelease>();
            var inMethods = new List<Diagnostic>();
            foreach (var diagnostic in diagnostics)
            {
                if (FreeFieldInDispose.Plan(document, diagnostic) is { } field)
                {
                    fields.Add(field);
                }
                else
                {
                    inMethods.Add(diagnostic);
                }
            }

            var changed = inMethods.Count == 0
                ? document.Document
                : await AnnotatedRewrites.ApplyAsync(
                    document,
                    inMethods,
                    (root, diagnostic) => FixRequest.From(document, root, diagnostic) ?? FixRequest.From(document, root, diagnostic, OwnershipAnalyzer.UsingFixableProperty),
                    (root, request) => request.ByUsing ? UsingRewrite.Rewrite(root, request) : ReleaseInFinally.Rewrite(root, request)).ConfigureAwait(false);
            if (fields.Count == 0)
            {
                return changed;
            }

            var rewritten = changed == document.Document ? document : await AnalyzedDocument.CreateAsync(changed, document.CancellationToken).ConfigureAwait(false);
            return rewritten == null ? changed : await FreeFieldInDispose.ApplyAsync(rewritten, fields).ConfigureAwait(false);
        }
    }
}
