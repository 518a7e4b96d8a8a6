using System.Runtime.CompilerServices;

namespace InteropGuard.Interop
{
    /// <summary>
    /// The identifier-like runs of a text outside comments, one at a time, in text order: the reading every text gate
    /// shares (<see cref="IdentifierRuns"/>). A struct read in a loop, so a scan costs no delegate call per run.
    /// </summary>
    internal struct IdentifierRunReader
    {
        private readonly string _text;
        private int _next;

        public IdentifierRunReader(string text)
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
        // Called once per run, it would stay unoptimized code for long in a fresh process (the first compilation's scans
        // took twice main's time): optimized at once. Only here and in the recorder, which read no static tables; on the
        // vocabulary's scan, which does, the attribute cost the profile-guided tier (2.7 ms against 1.1 ms a warm scan).
        [MethodImpl(AggressiveOptimization)]
        public bool MoveNext()
        {
            var text = _text;
            var length = text.Length;
            var i = _next;
            while (i < length)
            {
                var c = text[i];
                if (c == '/' && i + 1 < length)
                {
                    var d = text[i + 1];
                    if (d == '/')
                    {
                        i = text.IndexOf('\n', i + 2);
                        if (i < 0)
                        {
                            i = length;
                        }

                        continue;
                    }

                    if (d == '*')
                    {
                        var close = text.IndexOf("*/", i + 2, System.StringComparison.Ordinal);
                        i = close < 0 ? length + 1 : close + 2;
                        continue;
                    }
                }

                if (!IdentifierRuns.IsWordStart(c))
                {
                    i++;
                    continue;
                }

                var start = i;
                i++;
                while (i < length && IdentifierRuns.IsWordPart(text[i]))
                {
                    i++;
                }

                Start = start;
                Length = i - start;
                _next = i;
                return true;
            }

            _next = i;
            return false;
        }

        /// <summary>MethodImplOptions.AggressiveOptimization, which netstandard2.0 does not name; the runtime reads the flag.</summary>
        internal const MethodImplOptions AggressiveOptimization = (MethodImplOptions)512;
    }
}
