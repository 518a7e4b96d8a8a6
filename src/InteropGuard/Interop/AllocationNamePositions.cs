using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

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
        private readonly InteropVocabulary _vocabulary;
        private readonly ConcurrentDictionary<SyntaxTree, int[]?> _byTree = new ConcurrentDictionary<SyntaxTree, int[]?>();
        private readonly ConcurrentDictionary<InteropScope, WordHashes> _wordsByScope = new ConcurrentDictionary<InteropScope, WordHashes>();

        public AllocationNamePositions(AllocationCandidates candidates, InteropVocabulary vocabulary)
        {
            _candidates = candidates;
            _vocabulary = vocabulary;
        }

        /// <summary>False only when no candidate word stands in <paramref name="body"/>'s text (its full span).</summary>
        public bool MayName(SyntaxNode body, InteropScope scope)
            => In(body.SyntaxTree, scope) is not { } positions || TreeTextPositions.AnyWithin(positions, body.FullSpan);

        /// <summary>
        /// Where candidate words start in <paramref name="tree"/>, in text order; null when the tree cannot be read this
        /// way (then every body may name one).
        /// </summary>
        public int[]? In(SyntaxTree tree, InteropScope scope)
        {
            if (!_byTree.TryGetValue(tree, out var positions))
            {
                positions = _byTree.GetOrAdd(tree, Find(tree, scope));
            }

            return positions;
        }

        /// <summary>
        /// The start of every candidate word in the tree, in order, read from the identifiers the vocabulary recorded
        /// (a hash that is a word's counts: a collision only lets a body through); null when the compiler may read its
        /// identifiers otherwise than the text spells them (a <c>\u</c> escape, a non-ASCII formatting character next to
        /// a word): rare enough to give up on the whole tree.
        /// </summary>
        private int[]? Find(SyntaxTree tree, InteropScope scope)
        {
            var identifiers = _vocabulary.Identifiers(tree);
            if (identifiers.MaySpellOtherwise)
            {
                return null;
            }

            if (!_wordsByScope.TryGetValue(scope, out var words))
            {
                words = _wordsByScope.GetOrAdd(scope, new WordHashes(_candidates.Words(scope)));
            }

            // SafeHandle types are named ...Handle (AllocationCandidates reads any such 'new' as a candidate).
            var handleNames = identifiers.HandleNameStarts;
            var positions = new List<int>();
            var nextHandleName = 0;
            for (var i = 0; i < identifiers.Count; i++)
            {
                var start = identifiers.StartAt(i);
                if (nextHandleName < handleNames.Length && handleNames[nextHandleName] == start)
                {
                    nextHandleName++;
                    positions.Add(start);
                }
                else if (words.Contains(identifiers.HashAt(i)))
                {
                    positions.Add(start);
                }
            }

            return positions.ToArray();
        }

        /// <summary>The hashes of a set of words, with a bit table in front of the set: almost every identifier misses it.</summary>
        private sealed class WordHashes
        {
            private readonly HashSet<int> _hashes;
            private readonly ulong[] _bits = new ulong[(1 << 16) / 64];

            public WordHashes(IEnumerable<string> words)
            {
                _hashes = new HashSet<int>(words.Where(w => w.Length > 0).Select(IdentifierRuns.Hash));
                foreach (var hash in _hashes)
                {
                    _bits[(hash & 0xFFFF) >> 6] |= 1UL << (hash & 63);
                }
            }

            public bool Contains(int hash) => (_bits[(hash & 0xFFFF) >> 6] & (1UL << (hash & 63))) != 0 && _hashes.Contains(hash);
        }
    }
}
