using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Tests.Verification
{
    /// <summary>
    /// Writes diagnostics back into source text as <c>{|ID:…|}</c> markup, so a failure message shows where
    /// diagnostics are and the "actual" text can be pasted into the test once it is judged right.
    /// </summary>
    public static class MarkupRendering
    {
        public static string Render(string text, IEnumerable<(string Id, TextSpan Span)> spans)
        {
            // (position, group, key, text): at one position, closings come first (innermost first), then empty
            // spans, then openings (outermost first), which reproduces proper nesting.
            var insertions = new List<(int Position, int Group, long Key, string Text)>();
            int index = 0;
            foreach (var (id, span) in spans)
            {
                if (span.IsEmpty)
                {
                    insertions.Add((span.Start, 1, index, "{|" + id + ":|}"));
                }
                else
                {
                    insertions.Add((span.End, 0, (-(long)span.Start * 100000) - index, "|}"));
                    insertions.Add((span.Start, 2, (-(long)span.End * 100000) + index, "{|" + id + ":"));
                }

                index++;
            }

            var ordered = insertions.OrderBy(i => i.Position).ThenBy(i => i.Group).ThenBy(i => i.Key).ToList();
            var result = new StringBuilder(text.Length + (ordered.Count * 12));
            int copied = 0;
            foreach (var insertion in ordered)
            {
                int position = System.Math.Min(insertion.Position, text.Length);
                result.Append(text, copied, position - copied).Append(insertion.Text);
                copied = position;
            }

            result.Append(text, copied, text.Length - copied);
            return result.ToString();
        }
    }
}
