using System;
using System.Runtime.CompilerServices;

namespace InteropGuard.Interop
{
    /// <summary>
    /// The identifier-like runs of a text outside comments, one at a time, in text order: the reading every text gate
    /// shares (<see cref="IdentifierRuns"/>). A struct read in a loop, so a scan costs no delegate call per run; over a
    /// span, so that a large text can be read from a reused buffer instead of a string copy of it
    /// (<see cref="IdentifierRuns.TakeBuffer"/>).
    /// </summary>
    internal ref struct IdentifierRunReader
    {
        private readonly ReadOnlySpan<char> _text;
        private int _next;

        public IdentifierRunReader(string text)
            : this(text.AsSpan())
        {
        }

        public IdentifierRunReader(ReadOnlySpan<char> text)
        {
            _text = text;
            _next = 0;
            Start = 0;
            Length = 0;
        }

        /// <summary>Where the current run starts.</summary>
        public int Start { get; private set; }

        /// <summary>How long the current run is.</summary>
        public int Length { get; private set; }

        /// <summary>Moves to the next run; false at the end of the text.</summary>
        [MethodImpl(AggressiveOptimization)]
        public bool MoveNext() => Advance<WithoutHash>(EveryLength);

        /// <summary>
        /// Moves to the next run that may be a word of a fixed set: one whose first character is outside ASCII, whose
        /// length is 64 or more, or whose length's bit is set in <paramref name="lengthsByFirst"/> at its first character
        /// (128 masks); false at the end of the text. The runs passed over are those <see cref="MoveNext()"/> would give.
        /// </summary>
        /// <remarks>
        /// Why a filter inside the reader: a scan that looks for a few words rejects almost every run on its first character
        /// and length, and returning each run to the caller (a call, two properties) costs more than the test; in a fresh process
        /// the caller runs as unoptimized first-tier code for long, and this loop does not.
        /// </remarks>
        // Called once per run, it would stay unoptimized code for long in a fresh process (the first compilation's scans
        // took twice main's time): optimized at once. On the vocabulary's scan, whose loop reads static tables per run,
        // the attribute cost the profile-guided tier (2.7 ms against 1.1 ms a warm scan); here the one table is read into
        // a local once per call. Every character of every tree passes here, and the scan of code without interop is
        // little else: one table read per ASCII character instead of the range tests of IsWordStart/IsWordPart, and
        // bounds the JIT can see (2.6 -> 1.1 ms for the harness's 400 plain files in a scratch driver, with the same runs
        // on every file of the fetched code bases). Outside ASCII, the same char.IsLetter/IsLetterOrDigit as before.
        [MethodImpl(AggressiveOptimization)]
        public bool MoveNext(ulong[] lengthsByFirst) => Advance<WithoutHash>(lengthsByFirst);

        /// <summary>
        /// Moves to the next run, as <see cref="MoveNext()"/> does, and computes its <see cref="Hash"/> in the same read of
        /// its characters; false at the end of the text.
        /// </summary>
        /// <remarks>
        /// Why in the reader: the recording scan hashed every run after the reader had read it, a second pass over each
        /// identifier's characters with a multiplication chain per character (a third of the recording scan on
        /// OpenCvSharp's 5M characters, measured in a scratch driver). Mixed into the reader's own loop the chain overlaps the
        /// character tests.
        /// </remarks>
        [MethodImpl(AggressiveOptimization)]
        public bool MoveNextHashed() => Advance<WithHash>(EveryLength);

        /// <summary>
        /// The hash of the current run (<see cref="IdentifierRuns.Hash(ReadOnlySpan{char}, int, int)"/>), after <see cref="MoveNextHashed"/>.
        /// </summary>
        public int Hash { get; private set; }

        // One loop for both readings: the JIT compiles it once per value type argument, so the words-only reading carries no
        // hash and the hashed one no test for whether to hash.
        [MethodImpl(AggressiveOptimization)]
        private bool Advance<THash>(ulong[] lengthsByFirst)
            where THash : struct, IRunHash
        {
            var text = _text;
            var classes = CharacterClasses;
            var i = _next;
            while ((uint)i < (uint)text.Length)
            {
                var c = text[i];
                if (c < 128)
                {
                    var kind = classes[c];
                    if ((kind & StartsRun) == 0)
                    {
                        if (kind == MayOpenComment && i + 1 < text.Length)
                        {
                            var d = text[i + 1];
                            if (d == '/')
                            {
                                var lineFeed = text.Slice(i + 2).IndexOf('\n');
                                i = lineFeed < 0 ? text.Length : i + 2 + lineFeed;
                                continue;
                            }

                            if (d == '*')
                            {
                                var close = text.Slice(i + 2).IndexOf(CommentClose);
                                i = close < 0 ? text.Length + 1 : i + 2 + close + 2;
                                continue;
                            }
                        }

                        i++;
                        continue;
                    }
                }
                else if (!char.IsLetter(c))
                {
                    i++;
                    continue;
                }

                var start = i;
                var hash = default(THash).Mix(IdentifierRuns.HashSeed, c);
                i++;
                while ((uint)i < (uint)text.Length)
                {
                    var p = text[i];
                    if (p < 128 ? (classes[p] & ContinuesRun) == 0 : !char.IsLetterOrDigit(p))
                    {
                        break;
                    }

                    hash = default(THash).Mix(hash, p);
                    i++;
                }

                var length = i - start;
                if (c < 128 && length < 64 && (lengthsByFirst[c] & (1UL << length)) == 0)
                {
                    continue;
                }

                Start = start;
                Length = length;
                Hash = hash;
                _next = i;
                return true;
            }

            _next = i;
            return false;
        }

        private static ReadOnlySpan<char> CommentClose => "*/".AsSpan();

        private const byte StartsRun = 1;
        private const byte ContinuesRun = 2;
        private const byte MayOpenComment = 4;

        // Per ASCII character, what it is to the reader: letters and '_' start and continue a run, digits continue one,
        // '/' may open a comment (IdentifierRuns.IsWordStart/IsWordPart for ASCII).
        private static readonly byte[] CharacterClasses = BuildCharacterClasses();

        // Every length of every first character: the unfiltered reading.
        private static readonly ulong[] EveryLength = BuildEveryLength();

        private static ulong[] BuildEveryLength()
        {
            var lengths = new ulong[128];
            for (var c = 0; c < lengths.Length; c++)
            {
                lengths[c] = ulong.MaxValue;
            }

            return lengths;
        }

        private static byte[] BuildCharacterClasses()
        {
            var classes = new byte[128];
            for (var c = 0; c < classes.Length; c++)
            {
                var ch = (char)c;
                classes[c] = (byte)((IdentifierRuns.IsWordStart(ch) ? StartsRun : 0) | (IdentifierRuns.IsWordPart(ch) ? ContinuesRun : 0));
            }

            classes['/'] = MayOpenComment;
            return classes;
        }

        private interface IRunHash
        {
            int Mix(int hash, char c);
        }

        // The words-only reading: no hash (the JIT drops the calls and the variable).
        private struct WithoutHash : IRunHash
        {
            public int Mix(int hash, char c) => 0;
        }

        // The recording reading: IdentifierRuns' hash (FNV-1a), one character at a time.
        private struct WithHash : IRunHash
        {
            public int Mix(int hash, char c) => IdentifierRuns.MixHash(hash, c);
        }

        /// <summary>MethodImplOptions.AggressiveOptimization, which netstandard2.0 does not name; the runtime reads the flag.</summary>
        internal const MethodImplOptions AggressiveOptimization = (MethodImplOptions)512;
    }
}
