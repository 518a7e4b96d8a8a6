using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Interop
{
    /// <summary>
    /// A text prefilter in front of <see cref="AllocationCandidates.MayAllocate"/>: where in each syntax tree an
    /// identifier stands that the candidate walk could read as (part of) a candidate, found by one pass over the tree's
    /// text (<see cref="IdentifierRuns"/>) and cached per tree. A body none of whose text holds such a word cannot pass
    /// the walk, which then need not visit its syntax nodes — in a binding, most bodies call native functions that
    /// allocate nothing, and walking each one was a fifth of the ownership analysis. Over-approximates: words in strings
    /// count, and a tree whose identifiers the scan may split or spell differently from the compiler (a <c>\u</c>
    /// escape, a non-ASCII formatting character next to a word) is not filtered at all.
    /// </summary>
    internal sealed class AllocationNamePositions
    {
        private readonly AllocationCandidates _candidates;
        private readonly ConcurrentDictionary<SyntaxTree, int[]?> _byTree = new ConcurrentDictionary<SyntaxTree, int[]?>();
        private readonly ConcurrentDictionary<InteropScope, Dictionary<long, string[]>> _wordsByScope = new ConcurrentDictionary<InteropScope, Dictionary<long, string[]>>();

        public AllocationNamePositions(AllocationCandidates candidates)
        {
            _candidates = candidates;
        }

        /// <summary>False only when no candidate word stands in <paramref name="body"/>'s text (its full span).</summary>
        public bool MayName(SyntaxNode body, InteropScope scope)
        {
            var positions = _byTree.GetOrAdd(body.SyntaxTree, tree => Scan(tree.GetText(), _wordsByScope.GetOrAdd(scope, s => Buckets(_candidates.Words(s)))));
            if (positions == null)
            {
                return true;
            }

            // The first position at or after the body's start, then: is it inside the body?
            return TreeTextPositions.AnyWithin(positions, body.FullSpan);
        }

        /// <summary>The start of every candidate word in the text, in order; null when the text cannot be read this way.</summary>
        private static int[]? Scan(SourceText source, Dictionary<long, string[]> words)
        {
            var positions = new List<int>();
            var textLength = source.Length;
            var unreadable = IdentifierRuns.Any(source, (text, start, length) =>
            {
                var end = start + length;

                // The compiler reads '\u0041lloc' as 'Alloc', and drops formatting characters inside an identifier; the
                // scan sees other runs there. Rare enough to give up on the whole tree.
                if ((start > 0 && (text[start - 1] == '\\' || text[start - 1] >= 128)) || (end < textLength && text[end] >= 128))
                {
                    return true;
                }

                if (EndsWithHandle(text, start, length)
                    || (words.TryGetValue(Key(length, text[start], text[end - 1]), out var candidates) && candidates.Any(word => IdentifierRuns.Matches(text, start, word))))
                {
                    positions.Add(start);
                }

                return false;
            });
            return unreadable ? null : positions.ToArray();
        }

        // SafeHandle types are named ...Handle (AllocationCandidates reads any such 'new' as a candidate).
        private static bool EndsWithHandle(char[] text, int start, int length)
            => length >= 6 && text[start + length - 6] == 'H' && text[start + length - 5] == 'a' && text[start + length - 4] == 'n'
               && text[start + length - 3] == 'd' && text[start + length - 2] == 'l' && text[start + length - 1] == 'e';

        private static Dictionary<long, string[]> Buckets(IEnumerable<string> words)
            => words.Where(w => w.Length > 0).Distinct(StringComparer.Ordinal)
                .GroupBy(w => Key(w.Length, w[0], w[w.Length - 1]))
                .ToDictionary(g => g.Key, g => g.ToArray());

        private static long Key(int length, char first, char last) => ((long)length << 32) | ((long)first << 16) | last;
    }
}
