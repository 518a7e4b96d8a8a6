using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// Applies one syntax rewrite per diagnostic to a document: the nodes each rewrite needs are annotated first, then
    /// the rewrites run one after another on the evolving tree, so that several fixes in one block nest instead of
    /// conflicting. Imports, simplification and formatting run once at the end (<see cref="AnalyzedDocument.WithRootAsync"/>).
    /// </summary>
    internal static class AnnotatedRewrites
    {
        public static Task<Document> ApplyAsync(
            AnalyzedDocument document,
            IReadOnlyList<Diagnostic> diagnostics,
            Func<SyntaxNode, Diagnostic, FixRequest?> requestFor,
            Func<SyntaxNode, FixRequest, SyntaxNode?> rewrite)
        {
            var root = document.AnnotatedRoot;

            // Mark every node the fixes need, then rewrite one diagnostic at a time on the evolving tree:
            // several allocations in one block nest their try statements instead of conflicting.
            var requests = new List<(SyntaxAnnotation Allocation, List<SyntaxAnnotation> Releases, FixRequest Request)>();
            var nodesToMark = new Dictionary<SyntaxNode, List<SyntaxAnnotation>>();
            foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
            {
                var request = requestFor(root, diagnostic);
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

                var updated = rewrite(current, request.With(allocationNode, releaseNodes!));
                if (updated != null)
                {
                    current = updated;
                }
            }

            return document.WithRootAsync(current);
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
}
