using System.Collections.Generic;
using System.Text;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Tests.Verification
{
    /// <summary>One marked span of a markup source.</summary>
    /// <param name="Name">null for <c>[|…|]</c>; a diagnostic id for <c>{|IG3001:…|}</c>; <c>#n</c> for a location marker.</param>
    public sealed record MarkupSpan(string? Name, TextSpan Span)
    {
        public bool IsLocationMarker => Name != null && Name.StartsWith('#');

        public int LocationKey => int.Parse(Name!.Substring(1), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Source text with the markup of Microsoft.CodeAnalysis.Testing: <c>[|…|]</c>, <c>{|ID:…|}</c>, <c>{|#0:…|}</c>,
    /// nested and zero-length spans. Parsing is a single left-to-right pass with a stack so nesting is exact.
    /// </summary>
    public sealed class Markup
    {
        private Markup(string text, IReadOnlyList<MarkupSpan> spans)
        {
            Text = text;
            Spans = spans;
        }

        /// <summary>The source with all markup removed.</summary>
        public string Text { get; }

        public IReadOnlyList<MarkupSpan> Spans { get; }

        public static Markup Parse(string markup)
        {
            var text = new StringBuilder(markup.Length);
            var spans = new List<MarkupSpan>();
            var open = new Stack<(string? Name, int Start, int MarkupOffset)>();
            int i = 0;
            while (i < markup.Length)
            {
                if (At(markup, i, "[|"))
                {
                    open.Push((null, text.Length, i));
                    i += 2;
                }
                else if (At(markup, i, "{|"))
                {
                    int colon = markup.IndexOf(':', i + 2);
                    string name = colon < 0 ? string.Empty : markup.Substring(i + 2, colon - i - 2);
                    if (!IsValidName(name))
                    {
                        throw new VerificationException($"Invalid markup at offset {i}: '{{|' must be followed by a diagnostic id or #number and ':' (found '{Excerpt(markup, i)}').");
                    }

                    open.Push((name, text.Length, i));
                    i = colon + 1;
                }
                else if (At(markup, i, "|]") || At(markup, i, "|}"))
                {
                    bool bracket = markup[i + 1] == ']';
                    if (open.Count == 0 || (open.Peek().Name == null) != bracket)
                    {
                        throw new VerificationException($"Invalid markup at offset {i}: '{markup.Substring(i, 2)}' does not close the innermost open span (near '{Excerpt(markup, i)}').");
                    }

                    var (name, start, _) = open.Pop();
                    spans.Add(new MarkupSpan(name, TextSpan.FromBounds(start, text.Length)));
                    i += 2;
                }
                else
                {
                    text.Append(markup[i]);
                    i++;
                }
            }

            if (open.Count > 0)
            {
                var (_, _, offset) = open.Peek();
                throw new VerificationException($"Invalid markup: span opened at offset {offset} is never closed (near '{Excerpt(markup, offset)}').");
            }

            spans.Sort((a, b) => a.Span.Start != b.Span.Start ? a.Span.Start.CompareTo(b.Span.Start) : b.Span.End.CompareTo(a.Span.End));
            return new Markup(text.ToString(), spans);
        }

        private static bool At(string s, int i, string token) => string.CompareOrdinal(s, i, token, 0, token.Length) == 0;

        private static bool IsValidName(string name)
        {
            if (name.Length == 0)
            {
                return false;
            }

            if (name[0] == '#')
            {
                if (name.Length == 1)
                {
                    return false;
                }

                for (int k = 1; k < name.Length; k++)
                {
                    if (!char.IsAsciiDigit(name[k]))
                    {
                        return false;
                    }
                }

                return true;
            }

            if (!char.IsAsciiLetter(name[0]))
            {
                return false;
            }

            foreach (char c in name)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '_')
                {
                    return false;
                }
            }

            return true;
        }

        private static string Excerpt(string s, int i) => s.Substring(i, System.Math.Min(30, s.Length - i)).Replace("\n", "\\n");
    }
}
