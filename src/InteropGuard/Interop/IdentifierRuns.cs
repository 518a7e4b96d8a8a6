using System;
using System.Threading;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Interop
{
    /// <summary>Receives one identifier-like run of a text; returns true to stop the scan.</summary>
    internal delegate bool IdentifierVisitor(char[] text, int start, int length);

    /// <summary>Reads a whole text at once (<see cref="IdentifierRuns.Read{T}"/>).</summary>
    internal delegate T TextReading<T>(ReadOnlySpan<char> text);

    /// <summary>
    /// The one text scanner behind the cheapest gates (the interop vocabulary, the last-error words): every
    /// identifier-like run of a text outside comments, found in one pass over an array copy of it (indexing a SourceText
    /// is a virtual call per character) with an ASCII fast path. Strings count: a gate may let code through, never keep
    /// a finding out.
    /// </summary>
    internal static class IdentifierRuns
    {
        /// <summary>Visits every run until <paramref name="visit"/> returns true; true when it did.</summary>
        public static bool Any(SourceText source, IdentifierVisitor visit)
        {
            var length = source.Length;
            // The visitor reads an array: the kept buffer, taken out while in use (a visitor may scan again), instead of a
            // new array the size of each file every time.
            var text = TakeBuffer(length);
            try
            {
                source.CopyTo(0, text, 0, length);
                for (var runs = new IdentifierRunReader(text.AsSpan(0, length)); runs.MoveNext();)
                {
                    if (visit(text, runs.Start, runs.Length))
                    {
                        return true;
                    }
                }

                return false;
            }
            finally
            {
                GiveBack(text);
            }
        }

        /// <summary>
        /// Is the text of <paramref name="source"/> better read from a buffer (<see cref="TakeBuffer"/>) than as a string? A
        /// text above the compiler's large-text size is held in chunks (a file read from disk: <c>SourceText.From(stream)</c>),
        /// so its <c>ToString()</c> is a new string on the large object heap on every call: 2.3 MB per compilation for
        /// OpenCvSharp's 13 such files, 4.7 MB for TorchSharp's 25. Smaller texts read from a file or a string hold one
        /// string and hand it out without a copy.
        /// </summary>
        public static bool IsLarge(SourceText source) => source.Length > LargeTextChars;

        /// <summary>
        /// A text made from one string whatever its size (a generator's output, <c>SourceText.From(string)</c>): its
        /// <c>ToString()</c> hands that string out, where a copy into the buffer would cost a pass over it (OpenCvSharp's
        /// LibraryImport stubs, one large generated file, were copied once per compilation). Roslyn's type is internal;
        /// any other type keeps the buffer.
        /// </summary>
        private static bool HoldsOneString(SourceText source)
        {
            // Asking Type.Name for every large text was 6.8% of BoolMarshalling's samples on FluentValidation (a trace of the
            // words-only scan): the last type asked about is remembered with its answer.
            var type = source.GetType();
            var last = s_lastTextType;
            if (last != null && last.Type == type)
            {
                return last.HoldsOneString;
            }

            var answer = type.Name == "StringText";
            s_lastTextType = new TextType(type, answer);
            return answer;
        }

        private static TextType? s_lastTextType;

        private sealed class TextType
        {
            public TextType(System.Type type, bool holdsOneString)
            {
                Type = type;
                HoldsOneString = holdsOneString;
            }

            public System.Type Type { get; }

            public bool HoldsOneString { get; }
        }

        /// <summary>
        /// A character buffer of at least <paramref name="length"/>: the one the process keeps when it is free and large
        /// enough; give it back with <see cref="GiveBack"/> when done. Taken out while in use, so a nested or concurrent scan
        /// gets another. One buffer per thread, sized to the largest text that thread had read, made each of the driver's
        /// threads grow its own one exact size after another (2.2 MB a pass on TorchSharp's 25 large files); the runtime's
        /// shared pool did no better (its per-thread slots, 3.9 MB). Sizes are rounded up to a power of two so that a run
        /// of ever larger texts regrows it a few times only.
        /// </summary>
        public static char[] TakeBuffer(int length)
        {
            var kept = Interlocked.Exchange(ref s_buffer, null);
            if (kept != null && kept.Length >= length)
            {
                return kept;
            }

            var size = MinBuffer;
            while (size < length && size < MaxKeptBuffer)
            {
                size <<= 1;
            }

            return new char[Math.Max(size, length)];
        }

        /// <summary>Keeps <paramref name="buffer"/> for the next scan unless it is huge (the compiler server lives long, and so would the buffer) or a larger one is kept.</summary>
        public static void GiveBack(char[] buffer)
        {
            if (buffer.Length > MaxKeptBuffer)
            {
                return;
            }

            var kept = Volatile.Read(ref s_buffer);
            if (kept == null || kept.Length < buffer.Length)
            {
                Interlocked.CompareExchange(ref s_buffer, buffer, kept);
            }
        }

        /// <summary>
        /// <paramref name="read"/> given the whole text: the string a small text holds (<see cref="TextOf"/>), or a chunked
        /// one copied into the thread's buffer (<see cref="IsLarge"/>) rather than into a new string on the large object heap.
        /// </summary>
        public static T Read<T>(SourceText source, TextReading<T> read)
        {
            if (!IsLarge(source) || HoldsOneString(source))
            {
                return read(TextOf(source).AsSpan());
            }

            var length = source.Length;
            var buffer = TakeBuffer(length);
            try
            {
                source.CopyTo(0, buffer, 0, length);
                return read(new ReadOnlySpan<char>(buffer, 0, length));
            }
            finally
            {
                GiveBack(buffer);
            }
        }

        /// <summary>
        /// The whole text as a string. A text parsed from a string (the compiler's texts below 40k characters, generators'
        /// output) holds one and hands it out without a copy; a larger text read from a file is copied once.
        /// </summary>
        public static string TextOf(SourceText source) => source.ToString();

        // Roslyn's own bound (LargeText), in characters: texts above it are chunked.
        private const int LargeTextChars = 40 * 1024;

        // The buffer serves texts above LargeTextChars (and the scans of smaller ones): start above it.
        private const int MinBuffer = 64 * 1024;

        // Large enough for all but the largest files of the bindings (TorchSharp's Tensor.cs: 360K characters), 1 MB.
        private const int MaxKeptBuffer = 512 * 1024;

        private static char[]? s_buffer;

        /// <summary>Is <paramref name="word"/> the run at <paramref name="start"/> (whose length the caller has checked)?</summary>
        public static bool Matches(ReadOnlySpan<char> text, int start, string word) => text.Slice(start, word.Length).SequenceEqual(word.AsSpan());

        /// <summary>
        /// A 32-bit hash (FNV-1a) of the run at <paramref name="start"/>, equal to <see cref="Hash(string)"/> of the same
        /// identifier: lets a per-tree set of hashes answer "can this tree name this word?" without its text.
        /// </summary>
        public static int Hash(ReadOnlySpan<char> text, int start, int length)
        {
            var hash = HashSeed;
            for (var k = start; k < start + length; k++)
            {
                hash = MixHash(hash, text[k]);
            }

            return hash;
        }

        /// <summary>The hash of an identifier, as <see cref="Hash(char[], int, int)"/> computes it from a text.</summary>
        public static int Hash(string word) => Hash(word.AsSpan(), 0, word.Length);

        /// <summary>The hash of the empty run, where every hash starts.</summary>
        internal const int HashSeed = unchecked((int)2166136261);

        /// <summary>One character mixed into a hash: every hash of a run is this, character by character, from <see cref="HashSeed"/>.</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        internal static int MixHash(int hash, char c) => unchecked((hash ^ c) * 16777619);

        internal static bool IsWordStart(char c) => c < 128 ? (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' : char.IsLetter(c);

        internal static bool IsWordPart(char c) => c < 128 ? (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' : char.IsLetterOrDigit(c);
    }
}

