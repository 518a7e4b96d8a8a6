using System.Collections.Generic;

namespace InteropGuard.Interop
{
    /// <summary>
    /// The interop vocabulary's words and their groups, in an open-addressed table of plain arrays keyed by
    /// <see cref="IdentifierRuns.Hash(System.ReadOnlySpan{char}, int, int)"/>: a run of a text is looked up without a substring.
    /// </summary>
    /// <remarks>
    /// Plain arrays rather than a dictionary keyed by the run's length and ends: every generic collection or query over this
    /// assembly's types is compiled anew in each process that loads the analyzer, and the vocabulary is the first thing every
    /// compilation start needs (in a scratch driver, the vocabulary's static tables cost 6-10 ms of a fresh process).
    /// </remarks>
    internal sealed class VocabularyTable
    {
        // Fewer than 256 words: a quarter full at most, so a miss ends after a probe or two.
        private const int Size = 1024;

        private readonly string?[] _words = new string?[Size];
        private readonly InteropWords[] _groups = new InteropWords[Size];
        private readonly List<string> _all = new List<string>();

        /// <summary>Every word added, once each.</summary>
        public IReadOnlyList<string> Words => _all;

        /// <summary>Adds <paramref name="word"/> to <paramref name="group"/> (a word may be in several).</summary>
        public void Add(string word, InteropWords group)
        {
            var slot = IdentifierRuns.Hash(word) & (Size - 1);
            while (_words[slot] is { } held)
            {
                if (held == word)
                {
                    _groups[slot] |= group;
                    return;
                }

                slot = (slot + 1) & (Size - 1);
            }

            if (_all.Count >= Size / 4)
            {
                throw new System.InvalidOperationException("The vocabulary table is too small for its words.");
            }

            _words[slot] = word;
            _groups[slot] = group;
            _all.Add(word);
        }

        /// <summary>
        /// The groups of the word that is the run at <paramref name="start"/> of <paramref name="text"/>, whose hash
        /// (<see cref="IdentifierRuns.Hash(System.ReadOnlySpan{char}, int, int)"/>) is <paramref name="hash"/>; none if it is no word.
        /// </summary>
        public InteropWords Find(System.ReadOnlySpan<char> text, int start, int length, int hash)
        {
            var slot = hash & (Size - 1);
            while (_words[slot] is { } held)
            {
                if (held.Length == length && IdentifierRuns.Matches(text, start, held))
                {
                    return _groups[slot];
                }

                slot = (slot + 1) & (Size - 1);
            }

            return InteropWords.None;
        }
    }
}
