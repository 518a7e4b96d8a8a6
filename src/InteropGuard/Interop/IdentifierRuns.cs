using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Interop
{
    /// <summary>Receives one identifier-like run of a text; returns true to stop the scan.</summary>
    internal delegate bool IdentifierVisitor(char[] text, int start, int length);

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
            var whole = TextOf(source);
            var length = whole.Length;
            // The visitor reads an array: one buffer per thread, taken out while in use (a visitor may scan again), instead
            // of a new array the size of each file every time.
            var text = t_buffer != null && t_buffer.Length >= length ? t_buffer : new char[length];
            t_buffer = null;
            try
            {
                whole.CopyTo(0, text, 0, length);
                for (var runs = new IdentifierRunReader(whole); runs.MoveNext();)
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
                // Kept for the next scan unless it is huge: the compiler server lives long, and so would the buffer.
                t_buffer = text.Length <= MaxKeptBuffer ? text : null;
            }
        }

        /// <summary>
        /// The whole text as a string. A text parsed from a string (the compiler's texts below 40k characters, generators'
        /// output) holds one and hands it out without a copy; a larger text read from a file is copied once.
        /// </summary>
        public static string TextOf(SourceText source) => source.ToString();

        private const int MaxKeptBuffer = 256 * 1024;

        [System.ThreadStatic]
        private static char[]? t_buffer;

        /// <summary>Is <paramref name="word"/> the run at <paramref name="start"/> (whose length the caller has checked)?</summary>
        public static bool Matches(char[] text, int start, string word)
        {
            for (var k = 0; k < word.Length; k++)
            {
                if (text[start + k] != word[k])
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// A 32-bit hash (FNV-1a) of the run at <paramref name="start"/>, equal to <see cref="Hash(string)"/> of the same
        /// identifier: lets a per-tree set of hashes answer "can this tree name this word?" without its text.
        /// </summary>
        public static int Hash(char[] text, int start, int length)
        {
            var hash = HashSeed;
            for (var k = start; k < start + length; k++)
            {
                hash = MixHash(hash, text[k]);
            }

            return hash;
        }

        /// <summary>The hash of the run at <paramref name="start"/> of a string, as <see cref="Hash(char[], int, int)"/> computes it.</summary>
        public static int Hash(string text, int start, int length)
        {
            var hash = HashSeed;
            for (var k = start; k < start + length; k++)
            {
                hash = MixHash(hash, text[k]);
            }

            return hash;
        }

        /// <summary>Is <paramref name="word"/> the run at <paramref name="start"/> of a string (whose length the caller has checked)?</summary>
        public static bool Matches(string text, int start, string word) => string.CompareOrdinal(text, start, word, 0, word.Length) == 0;

        /// <summary>The hash of an identifier, as <see cref="Hash(char[], int, int)"/> computes it from a text.</summary>
        public static int Hash(string word) => Hash(word, 0, word.Length);

        /// <summary>The hash of the empty run, where every hash starts.</summary>
        internal const int HashSeed = unchecked((int)2166136261);

        /// <summary>One character mixed into a hash: every hash of a run is this, character by character, from <see cref="HashSeed"/>.</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        internal static int MixHash(int hash, char c) => unchecked((hash ^ c) * 16777619);

        internal static bool IsWordStart(char c) => c < 128 ? (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' : char.IsLetter(c);

        internal static bool IsWordPart(char c) => c < 128 ? (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' : char.IsLetterOrDigit(c);
    }
}

