using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace InteropGuard.Interop
{
    /// <summary>
    /// The identifier-like runs of a text that hold one of a set of anchors (<see cref="Anchors"/>: character pairs and
    /// quadruples), in text order, each once: every run of <see cref="IdentifierRunReader"/> that holds an anchor is among them. Comments are not
    /// known here (a run inside one is given too), so a caller that finds a word in these runs asks the full reader.
    /// </summary>
    /// <remarks>
    /// Why: code without interop names none of the vocabulary's words, and the full reader's answer for it was a pass over
    /// every character (about 1 ns each; FluentValidation's 0.63M characters cost more than the 0.5% budget alone). Here
    /// sixteen characters at a time are compared with every anchor's codes (<c>System.Numerics.Vector</c>, which the runtime
    /// turns into SIMD instructions), and only the few blocks that hold an anchor are read character by character. The run
    /// around an anchor is found from the anchor outwards: the run the full reader would read there, when the anchor is
    /// outside comments (a comment ends before a character no run holds: a line feed, or the '/' of its close).
    /// </remarks>
    internal ref struct AnchoredRunReader
    {
        private readonly ReadOnlySpan<char> _text;
        private readonly Anchors _anchors;
        private readonly ulong[] _lengthsByFirst;
        private int _block;
        private int _position;
        private int _limit;

        /// <param name="text">The text.</param>
        /// <param name="anchors">The anchors.</param>
        /// <param name="lengthsByFirst">As <see cref="IdentifierRunReader.MoveNext(ulong[])"/>: a run whose first character is
        /// ASCII, shorter than 64, and whose length's bit is not set at that character is passed over.</param>
        public AnchoredRunReader(ReadOnlySpan<char> text, Anchors anchors, ulong[] lengthsByFirst)
        {
            _text = text;
            _anchors = anchors;
            _lengthsByFirst = lengthsByFirst;
            _block = 0;
            _position = 0;
            _limit = 0;
            Start = 0;
            Length = 0;
        }

        /// <summary>Can the search run on vectors here? Without hardware support it would be slower than the full reader.</summary>
        public static bool IsAccelerated => Vector.IsHardwareAccelerated;

        /// <summary>Where the current run starts.</summary>
        public int Start { get; private set; }

        /// <summary>How long the current run is.</summary>
        public int Length { get; private set; }

        /// <summary>Moves to the next run that holds an anchor; false at the end of the text.</summary>
        [MethodImpl(IdentifierRunReader.AggressiveOptimization)]
        public bool MoveNext()
        {
            var text = _text;
            var anchors = _anchors;
            var width = Vector<ushort>.Count;
            var blocks = Anchors.BlocksIn(text.Length);
            while (true)
            {
                // The positions of a block that may start an anchor, one by one.
                while (_position < _limit)
                {
                    var i = _position++;
                    if (anchors.StartsAt(text, i) && RunAround(i))
                    {
                        return true;
                    }
                }

                if (_block > blocks)
                {
                    return false;
                }

                var found = _block < blocks ? anchors.FirstBlockWithAnchor(text, _block, blocks) : blocks;
                if (found < blocks)
                {
                    _block = found + 1;
                    _position = Math.Max(_position, found * width);
                    _limit = (found * width) + width;
                }
                else
                {
                    // The last characters: those after the last block.
                    _block = blocks + 1;
                    _position = Math.Max(_position, blocks * width);
                    _limit = text.Length - 1;
                }
            }
        }

        // The run the full reader reads around the anchor at 'i' (when 'i' is outside comments): the longest stretch of run
        // characters around it, from its first character that may start a run (digits before it belong to no run). Reading
        // goes on after the stretch, which holds no other run. Optimized at once, as MoveNext is: called for every pair found,
        // it stayed unoptimized code for the first rounds of a fresh process (in a scratch driver, the search of FluentValidation
        // took 0.7-0.9 ms for eight rounds, then 0.3).
        [MethodImpl(IdentifierRunReader.AggressiveOptimization)]
        private bool RunAround(int i)
        {
            var text = _text;
            var first = i;
            while (first > 0 && IdentifierRuns.IsWordPart(text[first - 1]))
            {
                first--;
            }

            var end = i + 1;
            while (end < text.Length && IdentifierRuns.IsWordPart(text[end]))
            {
                end++;
            }

            _position = Math.Max(_position, end);
            while (first < end && !IdentifierRuns.IsWordStart(text[first]))
            {
                first++;
            }

            var length = end - first;
            if (length == 0)
            {
                return false;
            }

            var c = text[first];
            if (c < 128 && length < 64 && (_lengthsByFirst[c] & (1UL << length)) == 0)
            {
                return false;
            }

            Start = first;
            Length = length;
            return true;
        }
    }
}
