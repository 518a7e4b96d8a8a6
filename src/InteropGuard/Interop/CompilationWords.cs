using System;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Which interop words a compilation names, found by the threads that ask instead of by one scanner while the others
    /// wait. Every analyzer's compilation start asks at once (eleven of them on two cores); behind one <c>Lazy</c> the
    /// first scanned every tree and the rest blocked, so the whole start was serialized behind one thread. Here a thread
    /// that asks takes the next unscanned tree from a shared cursor, scans it and publishes its words in the tree's slot;
    /// it stops as soon as the words found so far answer its question (a gate that needs "any native declaration" is
    /// answered by the first tree that has one, not by the last tree of the compilation), and only a "no" needs every
    /// tree. Trees another thread is still scanning when the cursor runs out are scanned again (words only) rather than
    /// waited for: the answer is the same, and a thread that scans never blocks.
    /// </summary>
    internal sealed class CompilationWords
    {
        // A slot holds the tree's words with this bit set once they are known; zero while nobody has published them.
        private const int Known = 1 << 30;

        private readonly SyntaxTree[] _trees;
        private readonly Func<SyntaxTree, InteropWords, InteropWords> _scan;
        private readonly Func<SyntaxTree, InteropWords> _scanWordsOnly;
        private readonly int[] _slots;
        private int _cursor;
        private int _unknown;
        private int _found;

        /// <param name="trees">The compilation's trees, in its order.</param>
        /// <param name="scan">Scans one tree taken from the cursor, given the words found so far (the vocabulary records
        /// identifiers in the same pass once a native declaration is known), and returns its words.</param>
        /// <param name="scanWordsOnly">Scans a tree another thread holds: words only, nothing recorded.</param>
        public CompilationWords(SyntaxTree[] trees, Func<SyntaxTree, InteropWords, InteropWords> scan, Func<SyntaxTree, InteropWords> scanWordsOnly)
        {
            _trees = trees;
            _scan = scan;
            _scanWordsOnly = scanWordsOnly;
            _slots = new int[trees.Length];
            _unknown = trees.Length;
        }

        /// <summary>The words found so far: every tree's once <see cref="IsComplete"/>.</summary>
        public InteropWords FoundSoFar => (InteropWords)Volatile.Read(ref _found);

        /// <summary>Has every tree's slot been published?</summary>
        public bool IsComplete => Volatile.Read(ref _unknown) == 0;

        /// <summary>Does any tree name one of <paramref name="words"/>? Scans trees until one does or none is left.</summary>
        public bool Uses(InteropWords words)
        {
            if ((FoundSoFar & words) != 0)
            {
                return true;
            }

            ScanUntil(words);
            return (FoundSoFar & words) != 0;
        }

        /// <summary>Every word the compilation names (scans whatever is left).</summary>
        public InteropWords All()
        {
            ScanUntil(InteropWords.None);
            return FoundSoFar;
        }

        /// <summary>The words published for tree <paramref name="index"/>, if any.</summary>
        public bool TryGet(int index, out InteropWords words)
        {
            var slot = Volatile.Read(ref _slots[index]);
            words = (InteropWords)(slot & ~Known);
            return slot != 0;
        }

        // Takes trees from the cursor until the words found answer 'wanted' (None: until the cursor runs out), then makes
        // sure the slots still unpublished are filled, so that a "no" is a "no" for every tree.
        private void ScanUntil(InteropWords wanted)
        {
            if (IsComplete)
            {
                return;
            }

            while (true)
            {
                var index = Interlocked.Increment(ref _cursor) - 1;
                if (index >= _trees.Length)
                {
                    break;
                }

                Publish(index, _scan(_trees[index], FoundSoFar));
                if ((FoundSoFar & wanted) != 0)
                {
                    return;
                }
            }

            for (var index = 0; index < _slots.Length && !IsComplete; index++)
            {
                if (Volatile.Read(ref _slots[index]) == 0)
                {
                    Publish(index, _scanWordsOnly(_trees[index]));
                    if ((FoundSoFar & wanted) != 0)
                    {
                        return;
                    }
                }
            }
        }

        private void Publish(int index, InteropWords words)
        {
            // The words are added before the slot counts as known, so a thread that sees every slot known sees every word.
            AddFound((int)words);
            if (Interlocked.CompareExchange(ref _slots[index], (int)words | Known, 0) == 0)
            {
                Interlocked.Decrement(ref _unknown);
            }
        }

        private void AddFound(int words)
        {
            var found = Volatile.Read(ref _found);
            while ((found & words) != words)
            {
                var seen = Interlocked.CompareExchange(ref _found, found | words, found);
                if (seen == found)
                {
                    return;
                }

                found = seen;
            }
        }

        /// <summary>The trees of a compilation as an array, in its order.</summary>
        public static SyntaxTree[] TreesOf(Compilation compilation) => compilation.SyntaxTrees.ToArray();
    }
}
