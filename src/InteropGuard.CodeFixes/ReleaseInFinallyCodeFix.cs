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
    /// IG3001 fix: release in <c>finally</c>. The statements after the allocation go into a
    /// <c>try</c>; an existing straight-line release (or an <c>if (p != IntPtr.Zero)</c> guarded one) moves into the
    /// <c>finally</c>, otherwise the catalogue's matching release (<c>Marshal.FreeHGlobal(p)</c>, <c>h.Free()</c>) is
    /// generated there.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ReleaseInFinallyCodeFix))]
    [Shared]
    public sealed class ReleaseInFinallyCodeFix : DocumentRewriteCodeFix
    {
        internal const string EquivalenceKey = "IG3001.ReleaseInFinally";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.NativeMemoryLeak.Id);

        internal override IEnumerable<FixAction> Describe(AnalyzedDocument document, Diagnostic diagnostic)
        {
            var root = document.AnnotatedRoot;
            if (FixRequest.From(root, diagnostic) is { } request && ReleaseInFinally.Rewrite(root, request) != null)
            {
                yield return new FixAction("Release '" + request.Variable + "' in finally", EquivalenceKey);
            }
        }

        /// <summary>Releases in finally for every diagnostic, nesting the try statements of allocations in one block.</summary>
        internal override Task<Document> RewriteAsync(AnalyzedDocument document, IReadOnlyList<Diagnostic> diagnostics, string? equivalenceKey)
            => AnnotatedRewrites.ApplyAsync(document, diagnostics, (root, diagnostic) => FixRequest.From(root, diagnostic), ReleaseInFinally.Rewrite);
    }

    /// <summary>What one IG3001 fix needs, read from the diagnostic: the allocation, the releases, the variable.</summary>
    internal sealed class FixRequest
    {
        private FixRequest(SyntaxNode allocation, IReadOnlyList<SyntaxNode> releases, string variable, string? releaseMethod, string? releaseArgumentCast, string? receiverRelease)
        {
            ReceiverRelease = receiverRelease;
            Allocation = allocation;
            Releases = releases;
            Variable = variable;
            ReleaseMethod = releaseMethod;
            ReleaseArgumentCast = releaseArgumentCast;
        }

        public SyntaxNode Allocation { get; }
        public IReadOnlyList<SyntaxNode> Releases { get; }
        public string Variable { get; }
        public string? ReleaseMethod { get; }
        public string? ReleaseArgumentCast { get; }
        public string? ReceiverRelease { get; }

        public static FixRequest? From(SyntaxNode root, Diagnostic diagnostic, string fixableProperty = OwnershipAnalyzer.FixableProperty)
        {
            var properties = diagnostic.Properties;
            if (!properties.TryGetValue(fixableProperty, out var fixable) || fixable != "true"
                || !properties.TryGetValue(OwnershipAnalyzer.VariableProperty, out var variable) || variable == null)
            {
                return null;
            }

            properties.TryGetValue(OwnershipAnalyzer.ReleaseMethodProperty, out var releaseMethod);
            properties.TryGetValue(OwnershipAnalyzer.ReleaseArgumentCastProperty, out var releaseArgumentCast);
            properties.TryGetValue(OwnershipAnalyzer.ReceiverReleaseProperty, out var receiverRelease);
            var allocation = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            var releases = new List<SyntaxNode>();
            foreach (var location in diagnostic.AdditionalLocations)
            {
                if (location.SourceTree != diagnostic.Location.SourceTree)
                {
                    return null;
                }

                releases.Add(root.FindNode(location.SourceSpan, getInnermostNodeForTie: true));
            }

            return new FixRequest(allocation, releases, variable, releaseMethod, releaseArgumentCast, receiverRelease);
        }

        public FixRequest With(SyntaxNode allocation, IReadOnlyList<SyntaxNode> releases) => new FixRequest(allocation, releases, Variable, ReleaseMethod, ReleaseArgumentCast, ReceiverRelease);
    }
}
