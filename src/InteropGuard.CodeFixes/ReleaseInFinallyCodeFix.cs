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
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// IG3001 and IG3004 (GCHandle) fix: release in <c>finally</c>. The statements after the allocation go into a
    /// <c>try</c>; an existing straight-line release (or an <c>if (p != IntPtr.Zero)</c> guarded one) moves into the
    /// <c>finally</c>, otherwise the catalogue's matching release (<c>Marshal.FreeHGlobal(p)</c>, <c>h.Free()</c>) is
    /// generated there.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ReleaseInFinallyCodeFix))]
    [Shared]
    public sealed class ReleaseInFinallyCodeFix : DocumentRewriteCodeFix
    {
        internal const string EquivalenceKey = "IG3001.ReleaseInFinally";
        internal const string HandleEquivalenceKey = "IG3004.FreeInFinally";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.NativeMemoryLeak.Id, Descriptors.HandleNotReleased.Id);

        internal override (string Title, string EquivalenceKey)? Describe(SyntaxNode root, Diagnostic diagnostic)
        {
            var request = FixRequest.From(root, diagnostic);
            if (request == null || ReleaseInFinally.Rewrite(root, request) == null)
            {
                return null;
            }

            var isHandle = diagnostic.Id == Descriptors.HandleNotReleased.Id;
            return ((isHandle ? "Free '" : "Release '") + request.Variable + "' in finally", isHandle ? HandleEquivalenceKey : EquivalenceKey);
        }

        internal override async Task<Document> RewriteAsync(Document document, IReadOnlyList<Diagnostic> diagnostics, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            if (root == null)
            {
                return document;
            }

            // Mark every node the fixes need, then rewrite one diagnostic at a time on the evolving tree:
            // several allocations in one block nest their try statements instead of conflicting.
            var requests = new List<(SyntaxAnnotation Allocation, List<SyntaxAnnotation> Releases, FixRequest Request)>();
            var nodesToMark = new Dictionary<SyntaxNode, List<SyntaxAnnotation>>();
            foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
            {
                var request = FixRequest.From(root, diagnostic);
                if (request == null)
                {
                    continue;
                }

                var allocation = new SyntaxAnnotation();
                Mark(nodesToMark, request.Allocation, allocation);
                var releases = new List<SyntaxAnnotation>();
                foreach (var release in request.Releases)
                {
                    var annotation = new SyntaxAnnotation();
                    Mark(nodesToMark, release, annotation);
                    releases.Add(annotation);
                }

                requests.Add((allocation, releases, request));
            }

            var current = root.ReplaceNodes(nodesToMark.Keys, (original, rewritten) => rewritten.WithAdditionalAnnotations(nodesToMark[original]));
            foreach (var (allocation, releases, request) in requests)
            {
                var allocationNode = current.GetAnnotatedNodes(allocation).FirstOrDefault();
                if (allocationNode == null)
                {
                    continue;
                }

                var releaseNodes = releases.Select(a => current.GetAnnotatedNodes(a).FirstOrDefault()).ToList();
                if (releaseNodes.Any(n => n == null))
                {
                    continue;
                }

                var updated = ReleaseInFinally.Rewrite(current, request.With(allocationNode, releaseNodes!));
                if (updated != null)
                {
                    current = updated;
                }
            }

            var changed = document.WithSyntaxRoot(current);
            changed = await ImportAdder.AddImportsAsync(changed, Simplifier.AddImportsAnnotation, cancellationToken: cancellationToken).ConfigureAwait(false);
            changed = await Simplifier.ReduceAsync(changed, Simplifier.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
            changed = await Formatter.FormatAsync(changed, Formatter.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
            return changed;
        }

        private static void Mark(Dictionary<SyntaxNode, List<SyntaxAnnotation>> marks, SyntaxNode node, SyntaxAnnotation annotation)
        {
            if (!marks.TryGetValue(node, out var list))
            {
                marks[node] = list = new List<SyntaxAnnotation>();
            }

            list.Add(annotation);
        }
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
                if (location.SourceTree != root.SyntaxTree)
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
