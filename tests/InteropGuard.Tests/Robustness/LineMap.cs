using System;
using System.Linq;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Robustness
{
    /// <summary>
    /// Where a line of a text went in the text a fix made of it: the lines the fix inserted or removed before it are
    /// counted, and a line the fix rewrote maps to its rewritten form. Lines compare without their indentation, because
    /// fixes that wrap code in <c>try</c>, <c>fixed</c> or <c>using</c> re-indent the line they are about.
    /// </summary>
    public sealed class LineMap
    {
        private readonly int[] map;

        private LineMap(int[] map)
        {
            this.map = map;
        }

        /// <summary>Zero-based line of the new text for a zero-based line of the old one.</summary>
        public int Map(int line) => map[Math.Clamp(line, 0, map.Length - 1)];

        public static LineMap Between(string before, string after)
        {
            var a = Lines(before);
            var b = Lines(after);

            // The common head and tail need no table; the changed middle of a fix is small.
            int head = 0;
            while (head < a.Length && head < b.Length && a[head] == b[head])
            {
                head++;
            }

            int tail = 0;
            while (tail < a.Length - head && tail < b.Length - head && a[a.Length - 1 - tail] == b[b.Length - 1 - tail])
            {
                tail++;
            }

            int n = a.Length - head - tail, m = b.Length - head - tail;
            var lcs = new int[n + 1, m + 1];
            for (int i = n - 1; i >= 0; i--)
            {
                for (int j = m - 1; j >= 0; j--)
                {
                    lcs[i, j] = a[head + i] == b[head + j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
                }
            }

            var map = new int[a.Length];
            for (int k = 0; k < head; k++)
            {
                map[k] = k;
            }

            for (int k = 0; k < tail; k++)
            {
                map[a.Length - 1 - k] = b.Length - 1 - k;
            }

            // A removed or rewritten line maps to where the walk stands in the new text: right after the lines inserted
            // before it, which is where its replacement, if any, starts.
            int x = 0, y = 0;
            while (x < n)
            {
                if (y < m && a[head + x] == b[head + y])
                {
                    map[head + x] = head + y;
                    x++;
                    y++;
                }
                else if (y == m || lcs[x + 1, y] >= lcs[x, y + 1])
                {
                    map[head + x] = head + Math.Min(y, Math.Max(0, m - 1));
                    x++;
                }
                else
                {
                    y++;
                }
            }

            return new LineMap(map);
        }

        private static string[] Lines(string text) => TextDiff.NormalizeLineEndings(text).Split('\n').Select(l => l.Trim()).ToArray();
    }
}
