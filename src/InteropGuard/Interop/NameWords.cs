using System.Collections.Generic;

namespace InteropGuard.Interop
{
    /// <summary>
    /// The words of a native or managed name, lower-cased: split at '_' and at lower-to-upper case changes
    /// (<c>igs_register_buffer</c>, <c>RegisterBuffer</c>, <c>CancelIOEx</c> → cancel, io, ex). Name heuristics read these.
    /// </summary>
    internal static class NameWords
    {
        /// <summary>
        /// The matches of <c>[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])</c>, lower-cased, read by hand: the retaining reading asks
        /// this of every native function a delegate or buffer is given, and the regular expression was most of
        /// CallbackLifetime's samples (NameWordsTests holds the two readings equal).
        /// </summary>
        public static List<string> Of(string name)
        {
            var words = new List<string>();
            var i = 0;
            while (i < name.Length)
            {
                var c = name[i];
                int end;
                if (IsLowerOrDigit(c) || (IsUpper(c) && i + 1 < name.Length && IsLowerOrDigit(name[i + 1])))
                {
                    // An optional capital, then lower-case letters and digits.
                    end = i + 1;
                    while (end < name.Length && IsLowerOrDigit(name[end]))
                    {
                        end++;
                    }
                }
                else if (IsUpper(c))
                {
                    // A run of capitals not followed by a lower-case letter: the last capital before one starts the next word.
                    end = i + 1;
                    while (end < name.Length && IsUpper(name[end]))
                    {
                        end++;
                    }

                    if (end < name.Length && IsLower(name[end]))
                    {
                        end--;
                    }
                }
                else
                {
                    i++;
                    continue;
                }

                words.Add(Lower(name, i, end));
                i = end;
            }

            return words;
        }

        private static bool IsUpper(char c) => c >= 'A' && c <= 'Z';

        private static bool IsLower(char c) => c >= 'a' && c <= 'z';

        private static bool IsLowerOrDigit(char c) => IsLower(c) || (c >= '0' && c <= '9');

        private static string Lower(string name, int start, int end)
        {
            var chars = new char[end - start];
            for (var k = start; k < end; k++)
            {
                var c = name[k];
                chars[k - start] = IsUpper(c) ? (char)(c + ('a' - 'A')) : c;
            }

            return new string(chars);
        }
    }
}
