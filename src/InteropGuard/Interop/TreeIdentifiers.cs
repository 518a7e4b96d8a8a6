using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Interop
{
    /// <summary>
    /// What the text gates need to know of one tree's identifiers, recorded by the vocabulary's one pass over its text
    /// (<see cref="InteropVocabulary.Identifiers"/>) and kept for the compilation: the hash
    /// (<see cref="IdentifierRuns.Hash(string)"/>) and start of every identifier-like run outside comments, in text order,
    /// where runs ending in <c>Handle</c> start, whether the compiler may read an identifier differently from the text,
    /// and a filter of the hashes. The allocation-word prefilter, the identifier filter and the name searches answer
    /// from it instead of reading the text again. Hashes over-approximate: a caller that must know a word is there
    /// compares the text at the position (<see cref="PositionsOf"/> does).
    /// </summary>
    internal sealed class TreeIdentifiers
    {
        // The first Count entries are the runs; the arrays of the largest trees are the recorder's own, a little longer.
        private readonly int[] _hashes;
        private readonly int[] _starts;
        private readonly ulong[] _filter;

        private TreeIdentifiers(int[] hashes, int[] starts, int count, int[] handleNameStarts, ulong[] filter, bool maySpellOtherwise)
        {
            _hashes = hashes;
            _starts = starts;
            Count = count;
            HandleNameStarts = handleNameStarts;
            _filter = filter;
            MaySpellOtherwise = maySpellOtherwise;
        }

        /// <summary>How many runs the text holds.</summary>
        public int Count { get; }

        /// <summary>The hash of run <paramref name="index"/>.</summary>
        public int HashAt(int index) => _hashes[index];

        /// <summary>Where run <paramref name="index"/> starts.</summary>
        public int StartAt(int index) => _starts[index];

        /// <summary>The starts of the runs ending in <c>Handle</c> (SafeHandle types are named so), in text order.</summary>
        public int[] HandleNameStarts { get; }

        /// <summary>
        /// True when the compiler may read an identifier other than the text spells it: a run right after a backslash
        /// (<c>\u0041lloc</c> is <c>Alloc</c>), or next to a non-ASCII character (formatting characters inside an
        /// identifier are dropped). A gate that needs every occurrence of a name does not trust the runs of such a tree.
        /// </summary>
        public bool MaySpellOtherwise { get; }

        /// <summary>
        /// Can the text name one of the identifiers whose hashes are given, outside comments? False means it certainly
        /// does not; true may be a collision. A two-probe Bloom filter, half a bit per character of source: under 1% of
        /// false positives per word asked.
        /// </summary>
        public bool MayName(int[] wordHashes)
        {
            var mask = (_filter.Length * 64) - 1;
            foreach (var hash in wordHashes)
            {
                if (Has(_filter, hash & mask) && Has(_filter, Second(hash) & mask))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Where a word for which <paramref name="isWord"/> holds stands as a whole identifier outside comments, in text
        /// order: the runs whose hash is one of <paramref name="wordHashes"/>, checked against <paramref name="text"/>
        /// (the tree's text), so a collision adds nothing.
        /// </summary>
        public List<int> PositionsOf(SourceText text, int[] wordHashes, IReadOnlyCollection<string> words, bool firstOnly = false)
        {
            var positions = new List<int>();
            if (!MayName(wordHashes))
            {
                return positions;
            }

            // One word (a callback's name, a field's) is the common question: its hash compared in place, where a set's
            // lookup for every run of a large tree was most of the search for the members using the name.
            var single = wordHashes.Length == 1;
            var only = single ? wordHashes[0] : 0;
            var wanted = single ? null : new HashSet<int>(wordHashes);
            for (var i = 0; i < Count; i++)
            {
                if ((single ? _hashes[i] == only : wanted!.Contains(_hashes[i])) && IsWordAt(text, _starts[i], words))
                {
                    positions.Add(_starts[i]);
                    if (firstOnly)
                    {
                        break;
                    }
                }
            }

            return positions;
        }

        // Is the run at 'start' one of the words? Compared in place: a string per hit (every 'fixed' of a binding) cost
        // more than the comparison.
        private static bool IsWordAt(SourceText text, int start, IReadOnlyCollection<string> words)
        {
            var end = start + 1;
            while (end < text.Length && IdentifierRuns.IsWordPart(text[end]))
            {
                end++;
            }

            var length = end - start;
            foreach (var word in words)
            {
                if (word.Length == length && SameChars(text, start, word))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool SameChars(SourceText text, int start, string word)
        {
            for (var i = 0; i < word.Length; i++)
            {
                if (text[start + i] != word[i])
                {
                    return false;
                }
            }

            return true;
        }

        // The second probe: the hash's bits mixed (Fibonacci hashing), so that both probes use every bit of it.
        private static int Second(int hash) => unchecked((int)(((uint)hash * 2654435769u) >> 7));

        private static bool Has(ulong[] bits, int bit) => (bits[bit >> 6] & (1UL << (bit & 63))) != 0;

        private static void Set(ulong[] bits, int bit) => bits[bit >> 6] |= 1UL << (bit & 63);

        /// <summary>
        /// Collects the runs of one text as the vocabulary's pass reads them; one per thread, reused, so that recording
        /// costs the final arrays only.
        /// </summary>
        internal sealed class Recorder
        {
            [ThreadStatic]
            private static Recorder? t_recorder;

            // Large enough for the largest trees of real bindings, read again on every compilation: with a smaller bound each
            // such tree re-allocated and regrew both arrays from 1024 runs. Two int arrays of 256K runs keep 2 MB per thread
            // at most. A larger tree gets arrays of its own, sized from its text: the LibraryImport generator's one output
            // file of a binding is one (OpenCvSharp's: 8.6M characters and 500K runs, more than its 850 sources together).
            private const int MaxKeptRuns = 256 * 1024;

            // Characters per run in code: OpenCvSharp's sources hold one run per 20, its generated stubs one per 17. Arrays
            // this long for a text hold its runs in one allocation (doubling from 1024 to the generated file's runs allocated
            // and copied twice their size); denser code regrows them once.
            private const int CharactersPerRun = 16;

            private int[] _hashes = new int[1024];
            private int[] _starts = new int[1024];
            private readonly List<int> _handleNameStarts = new List<int>();
            private ulong[] _filter = Array.Empty<ulong>();
            private int _count;
            private bool _maySpellOtherwise;

            /// <summary>The thread's recorder, emptied for a text of <paramref name="textLength"/> characters.</summary>
            public static Recorder For(int textLength)
            {
                var recorder = t_recorder ??= new Recorder();
                recorder._count = 0;
                recorder._handleNameStarts.Clear();
                recorder._maySpellOtherwise = false;
                var size = 1024;
                while (size < textLength / 2 && size < (1 << 24))
                {
                    size <<= 1;
                }

                recorder._filter = new ulong[size / 64];

                // Doubling from 1024 to a large tree's runs allocated and copied about twice their size.
                var expected = textLength / CharactersPerRun;
                if (expected > recorder._hashes.Length)
                {
                    // At least doubled, so that a run of ever larger trees allocates as often as doubling would.
                    var capacity = Math.Max(expected, recorder._hashes.Length * 2);
                    recorder._hashes = new int[capacity];
                    recorder._starts = new int[capacity];
                }

                return recorder;
            }

            [System.Runtime.CompilerServices.MethodImpl(IdentifierRunReader.AggressiveOptimization)] // see IdentifierRunReader.MoveNext
            public void Add(ReadOnlySpan<char> text, int start, int length, int hash)
            {
                var end = start + length;
                if ((start > 0 && (text[start - 1] == '\\' || text[start - 1] >= 128)) || (end < text.Length && text[end] >= 128))
                {
                    _maySpellOtherwise = true;
                }

                if (length >= 6 && text[end - 1] == 'e' && text[end - 6] == 'H' && IdentifierRuns.Matches(text, end - 6, "Handle"))
                {
                    _handleNameStarts.Add(start);
                }

                if (_count == _hashes.Length)
                {
                    Array.Resize(ref _hashes, _count * 2);
                    Array.Resize(ref _starts, _count * 2);
                }

                _hashes[_count] = hash;
                _starts[_count] = start;
                _count++;
                var mask = (_filter.Length * 64) - 1;
                Set(_filter, hash & mask);
                Set(_filter, Second(hash) & mask);
            }

            public TreeIdentifiers ToIdentifiers()
            {
                var filter = _filter;
                _filter = Array.Empty<ulong>();
                var handleNameStarts = _handleNameStarts.ToArray();
                if (_hashes.Length > MaxKeptRuns)
                {
                    // The compiler server lives long, and so would the arrays of the largest file it ever read: they are not
                    // kept here. Mostly filled, they are the tree's own (copying them cost as much as recording the runs).
                    int[] hashes = _hashes, starts = _starts;
                    _hashes = new int[1024];
                    _starts = new int[1024];
                    return _count >= hashes.Length / 4 * 3
                        ? new TreeIdentifiers(hashes, starts, _count, handleNameStarts, filter, _maySpellOtherwise)
                        : new TreeIdentifiers(Copy(hashes, _count), Copy(starts, _count), _count, handleNameStarts, filter, _maySpellOtherwise);
                }

                return new TreeIdentifiers(Copy(_hashes, _count), Copy(_starts, _count), _count, handleNameStarts, filter, _maySpellOtherwise);
            }

            private static int[] Copy(int[] array, int count)
            {
                var copy = new int[count];
                Array.Copy(array, copy, count);
                return copy;
            }
        }
    }
}
