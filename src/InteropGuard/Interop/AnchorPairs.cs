using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace InteropGuard.Interop
{
    /// <summary>
    /// A set of pairs of adjacent ASCII characters such that every word of a fixed set contains one of them: a run of a
    /// text that is one of the words holds one of the pairs, so a text without any of them names none of the words, and
    /// only the runs around the pairs need a look (<see cref="AnchoredRunReader"/>). The pairs are also held as vectors of
    /// their codes, so that a text is searched for all of them a block of characters at a time.
    /// </summary>
    internal sealed class AnchorPairs
    {
        /// <summary>
        /// Pairs compared per block with each code in a register: the loop over an array of codes took twice as long (on
        /// FluentValidation's 141 files, 0.20 against 0.11 ms for the search alone). More pairs are searched by that loop.
        /// </summary>
        public const int Unrolled = 20;

        // Code of a pair: first * 128 + second, below 16384 for ASCII; a bit per code.
        private readonly ulong[] _bits = new ulong[16384 / 64];

        // Each pair's code in every lane; at least Unrolled of them, the first pair repeated.
        private readonly Vector<ushort>[] _codes;
        private readonly int _count;

        private AnchorPairs(List<string> pairs)
        {
            Pairs = pairs;
            _count = pairs.Count;
            foreach (var pair in pairs)
            {
                var code = Code(pair[0], pair[1]);
                _bits[code >> 6] |= 1UL << (code & 63);
            }

            _codes = new Vector<ushort>[Math.Max(pairs.Count, Unrolled)];
            for (var k = 0; k < _codes.Length; k++)
            {
                var pair = pairs[k < pairs.Count ? k : 0];
                _codes[k] = new Vector<ushort>((ushort)Code(pair[0], pair[1]));
            }
        }

        /// <summary>The pairs, each a two-character string.</summary>
        public IReadOnlyList<string> Pairs { get; }

        /// <summary>
        /// Pairs for <paramref name="words"/>: those of <paramref name="preferred"/> (separated by spaces, in the order they
        /// are taken) that some word not yet covered contains, and, for a word that contains none of them, its first two
        /// characters. Null when a word is shorter than two characters or not ASCII: no pair can stand for it.
        /// </summary>
        public static AnchorPairs? For(IEnumerable<string> words, string preferred)
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
                if (candidate.Length == 2 && uncovered.RemoveAll(word => word.IndexOf(candidate, StringComparison.Ordinal) >= 0) > 0)
                {
                    chosen.Add(candidate);
                }
            }

            foreach (var word in uncovered)
            {
                if (!chosen.Exists(pair => word.IndexOf(pair, StringComparison.Ordinal) >= 0))
                {
                    chosen.Add(word.Substring(0, 2));
                }
            }

            return new AnchorPairs(chosen);
        }

        /// <summary>Are the two characters one of the pairs?</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Holds(char first, char second)
        {
            if ((first | second) >= 128)
            {
                return false;
            }

            var code = Code(first, second);
            return (_bits[code >> 6] & (1UL << (code & 63))) != 0;
        }

        /// <summary>
        /// The first block from <paramref name="from"/> on in which some position may start a pair (never one in which none
        /// does); <paramref name="blocks"/> when none does. Block b holds the positions from b * <see cref="Vector{T}.Count"/>
        /// on, and its last pair ends one character after it: <paramref name="blocks"/> is at most (text.Length - 1) / Count.
        /// </summary>
        /// <remarks>
        /// A block's codes are first * 128 + second in sixteen-bit lanes: a pair's code where its characters are that pair,
        /// and sometimes where a character is outside ASCII, which the exact test (<see cref="Holds"/>) then rejects.
        /// </remarks>
        [MethodImpl(IdentifierRunReader.AggressiveOptimization)]
        public int FirstBlockWithPair(ReadOnlySpan<char> text, int from, int blocks)
        {
            var seconds = MemoryMarshal.Cast<char, Vector<ushort>>(text.Slice(1)).Slice(0, blocks);
            var firsts = MemoryMarshal.Cast<char, Vector<ushort>>(text).Slice(0, seconds.Length);
            var scale = new Vector<ushort>(128);
            var codes = _codes;
            if (_count > Unrolled)
            {
                for (var block = from; block < firsts.Length; block++)
                {
                    var code = (firsts[block] * scale) + seconds[block];
                    var hits = Vector<ushort>.Zero;
                    foreach (var pair in codes)
                    {
                        hits |= Vector.Equals(code, pair);
                    }

                    if (hits != Vector<ushort>.Zero)
                    {
                        return block;
                    }
                }

                return blocks;
            }

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
            for (var block = from; block < firsts.Length; block++)
            {
                var code = (firsts[block] * scale) + seconds[block];
                var hits = (Vector.Equals(code, c0) | Vector.Equals(code, c1)) | (Vector.Equals(code, c2) | Vector.Equals(code, c3))
                    | (Vector.Equals(code, c4) | Vector.Equals(code, c5)) | (Vector.Equals(code, c6) | Vector.Equals(code, c7))
                    | (Vector.Equals(code, c8) | Vector.Equals(code, c9)) | (Vector.Equals(code, c10) | Vector.Equals(code, c11))
                    | (Vector.Equals(code, c12) | Vector.Equals(code, c13)) | (Vector.Equals(code, c14) | Vector.Equals(code, c15))
                    | (Vector.Equals(code, c16) | Vector.Equals(code, c17)) | (Vector.Equals(code, c18) | Vector.Equals(code, c19));
                if (hits != Vector<ushort>.Zero)
                {
                    return block;
                }
            }

            return blocks;
        }

        private static int Code(char first, char second) => (first * 128) + second;
    }
}
