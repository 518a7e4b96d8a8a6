using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Where the text of each tree holds one of a few fixed substrings (in comments and strings too), found once per tree
    /// and cached for the compilation: a syntax gate asks "can this block hold the node I look for?" with a binary search
    /// instead of walking the block's nodes or tokens. Every backslash counts as well, since a name written with a
    /// Unicode escape (<c>\u0041lloc</c>) is not its text: a block whose text holds none of them cannot name one of them.
    /// </summary>
    internal sealed class TreeTextPositions
    {
        private readonly string[] _substrings;
        private readonly ConcurrentDictionary<SyntaxTree, int[]> _byTree = ConcurrentTables.Create<SyntaxTree, int[]>();

        // The table's factory, made once: the method group was a new delegate at every ask (every block of a gated tree).
        private readonly Func<SyntaxTree, int[]> _find;

        public TreeTextPositions(params string[] substrings)
        {
            _substrings = substrings;
            _find = Find;
        }

        /// <summary>Can the text of <paramref name="span"/> in <paramref name="tree"/> hold one of the substrings (or an escape)?</summary>
        public bool SpanMayHold(SyntaxTree tree, TextSpan span)
            => AnyWithin(_byTree.GetOrAdd(tree, _find), span);

        /// <summary>Whether a sorted list of text positions has one inside <paramref name="span"/>: the question of every per-tree gate.</summary>
        public static bool AnyWithin(int[] sortedPositions, TextSpan span)
        {
            var index = FirstAtOrAfter(sortedPositions, span.Start);
            return index < sortedPositions.Length && sortedPositions[index] < span.End;
        }

        /// <summary>
        /// The index of the first of <paramref name="sortedPositions"/> at or after <paramref name="position"/> (their length
        /// when there is none): where the positions inside a span start.
        /// </summary>
        /// <remarks>
        /// Searched by hand: asked of every body by the per-tree gates, and <c>Array.BinarySearch</c>'s generic path (an
        /// interface call to the sort helper, then the comparer's) was most of the ask (twenty-sixth session, own27).
        /// </remarks>
        public static int FirstAtOrAfter(int[] sortedPositions, int position)
        {
            int low = 0, high = sortedPositions.Length;
            while (low < high)
            {
                var middle = low + ((high - low) >> 1);
                if (sortedPositions[middle] < position)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle;
                }
            }

            return low;
        }

        private int[] Find(SyntaxTree tree) => IdentifierRuns.Read(tree.GetText(), Find);

        private int[] Find(ReadOnlySpan<char> text)
        {
            var positions = new List<int>();
            foreach (var substring in _substrings)
            {
                Add(text, substring, positions);
            }

            Add(text, "\\", positions);
            positions.Sort();
            return positions.ToArray();
        }

        private static void Add(ReadOnlySpan<char> text, string substring, List<int> positions)
        {
            var wanted = substring.AsSpan();
            for (var from = 0; from < text.Length;)
            {
                var found = text.Slice(from).IndexOf(wanted);
                if (found < 0)
                {
                    return;
                }

                positions.Add(from + found);
                from += found + 1;
            }
        }
    }
}
