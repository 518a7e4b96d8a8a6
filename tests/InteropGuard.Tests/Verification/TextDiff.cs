using System;
using System.Collections.Generic;
using System.Text;

namespace InteropGuard.Tests.Verification
{
    /// <summary>A line diff for failure messages: "- expected" / "+ actual" with a few lines of context.</summary>
    public static class TextDiff
    {
        public static string NormalizeLineEndings(string text) => text.Replace("\r\n", "\n").Replace('\r', '\n');

        public static string Unified(string expected, string actual, int context = 3)
        {
            var a = NormalizeLineEndings(expected).Split('\n');
            var b = NormalizeLineEndings(actual).Split('\n');

            // Longest common subsequence table, filled from the end so the walk below goes forwards.
            var lcs = new int[a.Length + 1, b.Length + 1];
            for (int i = a.Length - 1; i >= 0; i--)
            {
                for (int j = b.Length - 1; j >= 0; j--)
                {
                    lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
                }
            }

            var lines = new List<(char Kind, string Text, int Line)>();
            int x = 0, y = 0;
            while (x < a.Length || y < b.Length)
            {
                if (x < a.Length && y < b.Length && a[x] == b[y])
                {
                    lines.Add((' ', a[x], x + 1));
                    x++;
                    y++;
                }
                else if (x < a.Length && (y == b.Length || lcs[x + 1, y] >= lcs[x, y + 1]))
                {
                    lines.Add(('-', a[x], x + 1));
                    x++;
                }
                else
                {
                    lines.Add(('+', b[y], x + 1));
                    y++;
                }
            }

            bool whitespaceOnly = NormalizeWhitespace(expected) == NormalizeWhitespace(actual);
            var result = new StringBuilder("(- expected, + actual)\n");
            int lastPrinted = -1;
            for (int k = 0; k < lines.Count; k++)
            {
                bool near = false;
                for (int d = Math.Max(0, k - context); d <= Math.Min(lines.Count - 1, k + context) && !near; d++)
                {
                    near = lines[d].Kind != ' ';
                }

                if (!near)
                {
                    continue;
                }

                if (k != lastPrinted + 1)
                {
                    result.Append("@@ expected line ").Append(lines[k].Line).Append(" @@\n");
                }

                string text = lines[k].Kind != ' ' && whitespaceOnly ? Visible(lines[k].Text) : lines[k].Text;
                result.Append(lines[k].Kind).Append(' ').Append(text).Append('\n');
                lastPrinted = k;
            }

            return result.ToString();
        }

        private static string NormalizeWhitespace(string s)
        {
            var result = new StringBuilder();
            foreach (char c in s)
            {
                if (!char.IsWhiteSpace(c))
                {
                    result.Append(c);
                }
            }

            return result.ToString();
        }

        private static string Visible(string s) => s.Replace(' ', '·').Replace("\t", "→") + "¶";
    }
}
