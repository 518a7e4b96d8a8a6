using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace InteropGuard.Interop
{
    /// <summary>
    /// The words of a native or managed name, lower-cased: split at '_' and at lower-to-upper case changes
    /// (<c>igs_register_buffer</c>, <c>RegisterBuffer</c>, <c>CancelIOEx</c> → cancel, io, ex). Name heuristics read these.
    /// </summary>
    internal static class NameWords
    {
        private static readonly Regex Words = new Regex("[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", RegexOptions.CultureInvariant);

        public static List<string> Of(string name)
            => Words.Matches(name).Cast<Match>().Select(m => m.Value.ToLowerInvariant()).ToList();
    }
}
