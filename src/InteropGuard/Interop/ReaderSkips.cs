using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Interop
{
    /// <summary>
    /// The stretches of a tree's text that the identifier record's reader (<see cref="IdentifierRunReader"/>) skipped:
    /// from every <c>//</c> it meets outside a skip to the next line feed, from every <c>/*</c> past the next <c>*/</c> (to
    /// the end when there is none). It does not know strings, so a skip may hide code (<c>"http://x"; Call();</c>): a gate
    /// that answers "no name here" from the record trusts it only for spans no skip overlaps, or looks inside the skips.
    /// A check of one span, where <see cref="SkippedComments"/> would parse every comment of the tree.
    /// </summary>
    internal sealed class ReaderSkips
    {
        private ReaderSkips(int[] starts, int[] ends)
        {
            Starts = starts;
            Ends = ends;
        }

        /// <summary>Where each skip starts, in text order (skips are disjoint).</summary>
        public int[] Starts { get; }

        /// <summary>Where each skip ends (exclusive).</summary>
        public int[] Ends { get; }

        public static ReaderSkips Of(SyntaxTree tree) => IdentifierRuns.Read(tree.GetText(), Read);

        /// <summary>The last skip that starts before <paramref name="span"/> ends (-1 when none): the overlapping ones are it and those before it that end after the span starts.</summary>
        public int LastStartingBefore(TextSpan span)
        {
            var index = Array.BinarySearch(Starts, span.End - 1);
            return index < 0 ? ~index - 1 : index;
        }

        /// <summary>Does a skip overlap <paramref name="span"/>?</summary>
        public bool Overlap(TextSpan span)
        {
            // Disjoint and in order: if any overlaps, the last one starting before the span's end does.
            var index = LastStartingBefore(span);
            return index >= 0 && Ends[index] > span.Start;
        }

        private static ReaderSkips Read(ReadOnlySpan<char> text)
        {
            var starts = new List<int>();
            var ends = new List<int>();
            for (var i = IndexOf(text, '/', 0); i >= 0 && i + 1 < text.Length; i = i < text.Length ? IndexOf(text, '/', i) : -1)
            {
                var next = text[i + 1];
                int end;
                if (next == '/')
                {
                    var lineFeed = IndexOf(text, '\n', i + 2);
                    end = lineFeed < 0 ? text.Length : lineFeed;
                }
                else if (next == '*')
                {
                    var close = text.Slice(i + 2).IndexOf("*/".AsSpan());
                    end = close < 0 ? text.Length : i + 2 + close + 2;
                }
                else
                {
                    i++;
                    continue;
                }

                starts.Add(i);
                ends.Add(end);
                i = end;
            }

            return new ReaderSkips(starts.ToArray(), ends.ToArray());
        }

        private static int IndexOf(ReadOnlySpan<char> text, char c, int from)
        {
            if (from >= text.Length)
            {
                return -1;
            }

            var found = text.Slice(from).IndexOf(c);
            return found < 0 ? -1 : from + found;
        }
    }
}
