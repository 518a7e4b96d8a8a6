using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace InteropGuard.Interop
{
    /// <summary>
    /// A set of short strings of adjacent ASCII characters — pairs and quadruples — such that every word of a fixed set
    /// contains one of them: a run of a text that is one of the words holds one of the anchors, so a text without any of
    /// them names none of the words, and only the runs around the anchors need a look (<see cref="AnchoredRunReader"/>).
    /// The anchors are also held as vectors of their codes, so that a text is searched for all of them a block of
    /// characters at a time.
    /// </summary>
    /// <remarks>
    /// Why quadruples: some words hold only pairs that everyday code is full of ("extern": <c>xt</c> of every
    /// <c>Next</c> and <c>Text</c>; "mmap": <c>ap</c> of <c>Map</c>; "Pack", "Marshal", the <c>…alloc</c> names). Each block
    /// holding a pair is read character by character, which cost more than the vector search itself on code without
    /// interop; four characters (<c>xter</c>, <c>mmap</c>) are rare there, at the price of a second code per block.
    /// </remarks>
    internal sealed class Anchors
    {
        /// <summary>
        /// Pairs compared per block with each code in a register: a loop over an array of codes took twice as long (on
        /// FluentValidation's 141 files, 0.20 against 0.11 ms for the pairs' search alone). More are searched by that loop.
        /// </summary>
        public const int UnrolledPairs = 20;

        /// <summary>Quadruples compared per block in registers, as <see cref="UnrolledPairs"/>.</summary>
        public const int UnrolledQuadruples = 8;

        // Code of two characters: first * 128 + second, below 16384 for ASCII; a bit per code. _pairBits holds the pairs,
        // _quadrupleStarts the first two characters of the quadruples.
        private readonly ulong[] _pairBits = new ulong[16384 / 64];
        private readonly ulong[] _quadrupleStarts = new ulong[16384 / 64];
        private readonly string[] _quadruples;

        // Each code in every lane, at least the unrolled number of them (the first repeated); for a quadruple the codes of
        // its first and of its last two characters.
        private readonly Vector<ushort>[] _pairCodes;
        private readonly Vector<ushort>[] _quadrupleHeads;
        private readonly Vector<ushort>[] _quadrupleTails;
        private readonly int _pairCount;

        private Anchors(List<string> anchors)
        {
            Strings = anchors;
            var pairs = anchors.FindAll(anchor => anchor.Length == 2);
            _quadruples = anchors.FindAll(anchor => anchor.Length == 4).ToArray();
            _pairCount = pairs.Count;
            foreach (var pair in pairs)
            {
                Set(_pairBits, Code(pair[0], pair[1]));
            }

            foreach (var quadruple in _quadruples)
            {
                Set(_quadrupleStarts, Code(quadruple[0], quadruple[1]));
            }

            _pairCodes = new Vector<ushort>[Math.Max(pairs.Count, UnrolledPairs)];
            for (var k = 0; k < _pairCodes.Length; k++)
            {
                // Without pairs every lane holds a code only a character outside ASCII makes, which the exact test rejects.
                _pairCodes[k] = pairs.Count == 0 ? new Vector<ushort>(ushort.MaxValue) : Codes(pairs[k < pairs.Count ? k : 0], 0);
            }

            var quadrupleSlots = _quadruples.Length <= UnrolledQuadruples ? UnrolledQuadruples : _quadruples.Length;
            _quadrupleHeads = new Vector<ushort>[quadrupleSlots];
            _quadrupleTails = new Vector<ushort>[quadrupleSlots];
            for (var k = 0; k < quadrupleSlots; k++)
            {
                var quadruple = _quadruples.Length == 0 ? null : _quadruples[k < _quadruples.Length ? k : 0];
                _quadrupleHeads[k] = quadruple == null ? new Vector<ushort>(ushort.MaxValue) : Codes(quadruple, 0);
                _quadrupleTails[k] = quadruple == null ? new Vector<ushort>(ushort.MaxValue) : Codes(quadruple, 2);
            }
        }

        /// <summary>The anchors, each a two- or four-character string.</summary>
        public IReadOnlyList<string> Strings { get; }

        /// <summary>How many of the anchors are pairs.</summary>
        public int PairCount => _pairCount;

        /// <summary>How many of the anchors are quadruples.</summary>
        public int QuadrupleCount => _quadruples.Length;

        /// <summary>
        /// Anchors for <paramref name="words"/>: those of <paramref name="preferred"/> (pairs and quadruples separated by
        /// spaces, in the order they are taken) that some word not yet covered contains, and, for a word that contains none
        /// of them, its first two characters. Null when a word is shorter than two characters or not ASCII: no anchor can
        /// stand for it.
        /// </summary>
        public static Anchors? For(IEnumerable<string> words, string preferred)
        {
            var uncovered = new List<string>();
            foreach (var word in words)
            {
                if (word.Length < 2)
                {
                    return null;
                }

                foreach (var c in word)
                {
                    if (c >= 128)
                    {
                        return null;
                    }
                }

                uncovered.Add(word);
            }

            var chosen = new List<string>();
            foreach (var candidate in preferred.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries))
            {
                if ((candidate.Length == 2 || candidate.Length == 4)
                    && uncovered.RemoveAll(word => word.IndexOf(candidate, StringComparison.Ordinal) >= 0) > 0)
                {
                    chosen.Add(candidate);
                }
            }

            foreach (var word in uncovered)
            {
                if (!chosen.Exists(anchor => word.IndexOf(anchor, StringComparison.Ordinal) >= 0))
                {
                    chosen.Add(word.Substring(0, 2));
                }
            }

            return new Anchors(chosen);
        }

        /// <summary>
        /// How many blocks of <see cref="Vector{T}.Count"/> positions the search reads in a text of
        /// <paramref name="length"/> characters: block b holds the positions from b * Count on, and an anchor starting at its
        /// last position ends three characters after it. The positions after the last block are read one by one.
        /// </summary>
        public static int BlocksIn(int length) => length < 4 ? 0 : (length - 3) / Vector<ushort>.Count;

        /// <summary>Does one of the anchors start at <paramref name="i"/>?</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool StartsAt(ReadOnlySpan<char> text, int i)
        {
            if (i + 1 >= text.Length)
            {
                return false;
            }

            var first = text[i];
            var second = text[i + 1];
            if ((first | second) >= 128)
            {
                return false;
            }

            var code = Code(first, second);
            if (IsSet(_pairBits, code))
            {
                return true;
            }

            if (!IsSet(_quadrupleStarts, code) || i + 3 >= text.Length)
            {
                return false;
            }

            foreach (var quadruple in _quadruples)
            {
                if (quadruple[0] == first && quadruple[1] == second && quadruple[2] == text[i + 2] && quadruple[3] == text[i + 3])
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// The first block from <paramref name="from"/> on in which some position may start an anchor (never one in which
        /// none does); <paramref name="blocks"/> (<see cref="BlocksIn"/> of the text's length) when none does.
        /// </summary>
        /// <remarks>
        /// A block's codes are first * 128 + second in sixteen-bit lanes, for the characters at each position and for the
        /// two after them: an anchor's codes where its characters are that anchor, and sometimes where a character is
        /// outside ASCII, which the exact test (<see cref="StartsAt"/>) then rejects.
        /// </remarks>
        [MethodImpl(IdentifierRunReader.AggressiveOptimization)]
        public int FirstBlockWithAnchor(ReadOnlySpan<char> text, int from, int blocks)
        {
            var fourths = MemoryMarshal.Cast<char, Vector<ushort>>(text.Slice(3)).Slice(0, blocks);
            var thirds = MemoryMarshal.Cast<char, Vector<ushort>>(text.Slice(2)).Slice(0, blocks);
            var seconds = MemoryMarshal.Cast<char, Vector<ushort>>(text.Slice(1)).Slice(0, blocks);
            var firsts = MemoryMarshal.Cast<char, Vector<ushort>>(text).Slice(0, blocks);
            var scale = new Vector<ushort>(128);
            if (_pairCount > UnrolledPairs || _quadruples.Length > UnrolledQuadruples)
            {
                for (var block = from; block < blocks; block++)
                {
                    var head = (firsts[block] * scale) + seconds[block];
                    var tail = (thirds[block] * scale) + fourths[block];
                    var hits = Vector<ushort>.Zero;
                    foreach (var pair in _pairCodes)
                    {
                        hits |= Vector.Equals(head, pair);
                    }

                    for (var k = 0; k < _quadrupleHeads.Length; k++)
                    {
                        hits |= Vector.Equals(head, _quadrupleHeads[k]) & Vector.Equals(tail, _quadrupleTails[k]);
                    }

                    if (hits != Vector<ushort>.Zero)
                    {
                        return block;
                    }
                }

                return blocks;
            }

            var codes = _pairCodes;
            var c0 = codes[0];
            var c1 = codes[1];
            var c2 = codes[2];
            var c3 = codes[3];
            var c4 = codes[4];
            var c5 = codes[5];
            var c6 = codes[6];
            var c7 = codes[7];
            var c8 = codes[8];
            var c9 = codes[9];
            var c10 = codes[10];
            var c11 = codes[11];
            var c12 = codes[12];
            var c13 = codes[13];
            var c14 = codes[14];
            var c15 = codes[15];
            var c16 = codes[16];
            var c17 = codes[17];
            var c18 = codes[18];
            var c19 = codes[19];
            var heads = _quadrupleHeads;
            var tails = _quadrupleTails;
            var h0 = heads[0];
            var h1 = heads[1];
            var h2 = heads[2];
            var h3 = heads[3];
            var h4 = heads[4];
            var h5 = heads[5];
            var h6 = heads[6];
            var h7 = heads[7];
            var t0 = tails[0];
            var t1 = tails[1];
            var t2 = tails[2];
            var t3 = tails[3];
            var t4 = tails[4];
            var t5 = tails[5];
            var t6 = tails[6];
            var t7 = tails[7];
            for (var block = from; block < blocks; block++)
            {
                var head = (firsts[block] * scale) + seconds[block];
                var hits = (Vector.Equals(head, c0) | Vector.Equals(head, c1)) | (Vector.Equals(head, c2) | Vector.Equals(head, c3))
                    | (Vector.Equals(head, c4) | Vector.Equals(head, c5)) | (Vector.Equals(head, c6) | Vector.Equals(head, c7))
                    | (Vector.Equals(head, c8) | Vector.Equals(head, c9)) | (Vector.Equals(head, c10) | Vector.Equals(head, c11))
                    | (Vector.Equals(head, c12) | Vector.Equals(head, c13)) | (Vector.Equals(head, c14) | Vector.Equals(head, c15))
                    | (Vector.Equals(head, c16) | Vector.Equals(head, c17)) | (Vector.Equals(head, c18) | Vector.Equals(head, c19));
                var tail = (thirds[block] * scale) + fourths[block];
                hits |= ((Vector.Equals(head, h0) & Vector.Equals(tail, t0)) | (Vector.Equals(head, h1) & Vector.Equals(tail, t1)))
                    | ((Vector.Equals(head, h2) & Vector.Equals(tail, t2)) | (Vector.Equals(head, h3) & Vector.Equals(tail, t3)))
                    | ((Vector.Equals(head, h4) & Vector.Equals(tail, t4)) | (Vector.Equals(head, h5) & Vector.Equals(tail, t5)))
                    | ((Vector.Equals(head, h6) & Vector.Equals(tail, t6)) | (Vector.Equals(head, h7) & Vector.Equals(tail, t7)));
                if (hits != Vector<ushort>.Zero)
                {
                    return block;
                }
            }

            return blocks;
        }

        private static Vector<ushort> Codes(string anchor, int at) => new Vector<ushort>((ushort)Code(anchor[at], anchor[at + 1]));

        private static int Code(char first, char second) => (first * 128) + second;

        private static void Set(ulong[] bits, int code) => bits[code >> 6] |= 1UL << (code & 63);

        private static bool IsSet(ulong[] bits, int code) => (bits[code >> 6] & (1UL << (code & 63))) != 0;
    }
}
