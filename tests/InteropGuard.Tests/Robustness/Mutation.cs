using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Tests.Robustness
{
    public enum MutationKind
    {
        /// <summary>The file ends at the offset: code as it is being typed.</summary>
        Truncate,

        /// <summary>The token starting at the offset is removed.</summary>
        Delete,

        /// <summary>The token starting at the offset is written twice.</summary>
        Duplicate,

        /// <summary>The token starting at the offset trades places with the next one.</summary>
        Swap,

        /// <summary>The insertion is written at the offset, a token boundary.</summary>
        Insert,
    }

    /// <summary>
    /// One edit of a source, identified by its offset in the original text so that it replays from its printed form
    /// (<see cref="ToString"/>, read back by <see cref="Parse"/>) without the seed that chose it.
    /// </summary>
    public sealed record Mutation(MutationKind Kind, int Offset, string Insertion = "")
    {
        /// <summary>Text the suite inserts at token boundaries: what a half-typed edit or a bad merge leaves behind.</summary>
        public static readonly IReadOnlyList<string> Insertions = new[]
        {
            "ref ", "await ", "fixed (", "}", "{", "unsafe ", "static ", "out ", "in ", "(", ")", ";", ",", "=> ", "*", "&",
            "stackalloc ", "using ", "return ", "try { ", "finally { ", "catch { ", "new ", "?", "!", "default ", "yield return ",
            "async ", "delegate* unmanaged<", "[DllImport(\"x\")] ", "extern ", "partial ", "this.", "null", "#if X\n", "\"", "/*",
        };

        /// <summary><paramref name="tokens"/> are the spans (without trivia) of the original text's tokens, in order.</summary>
        public string Apply(string text, IReadOnlyList<TextSpan> tokens)
        {
            switch (Kind)
            {
                case MutationKind.Truncate:
                    return text.Substring(0, Offset);
                case MutationKind.Insert:
                    return text.Insert(Offset, Insertion);
            }

            int index = TokenAt(tokens, Offset);
            var token = tokens[index];
            switch (Kind)
            {
                case MutationKind.Delete:
                    return text.Remove(token.Start, token.Length);
                case MutationKind.Duplicate:
                    return text.Insert(token.End, " " + text.Substring(token.Start, token.Length));
                case MutationKind.Swap:
                    if (index + 1 >= tokens.Count)
                    {
                        return text;
                    }

                    var next = tokens[index + 1];
                    return text.Substring(0, token.Start)
                        + text.Substring(next.Start, next.Length)
                        + text.Substring(token.End, next.Start - token.End)
                        + text.Substring(token.Start, token.Length)
                        + text.Substring(next.End);
                default:
                    throw new InvalidOperationException($"Unknown mutation kind {Kind}.");
            }
        }

        /// <summary>The replay form: <c>Kind@offset</c>, or <c>Insert@offset:text</c> with the text escaped.</summary>
        public override string ToString() =>
            Kind + "@" + Offset.ToString(CultureInfo.InvariantCulture) + (Kind == MutationKind.Insert ? ":" + Escape(Insertion) : string.Empty);

        public static Mutation Parse(string text)
        {
            int at = text.IndexOf('@', StringComparison.Ordinal);
            int colon = text.IndexOf(':', StringComparison.Ordinal);
            var kind = Enum.Parse<MutationKind>(text.Substring(0, at));
            int offset = int.Parse(colon < 0 ? text.Substring(at + 1) : text.Substring(at + 1, colon - at - 1), CultureInfo.InvariantCulture);
            return new Mutation(kind, offset, colon < 0 ? string.Empty : Unescape(text.Substring(colon + 1)));
        }

        private static int TokenAt(IReadOnlyList<TextSpan> tokens, int offset)
        {
            for (int i = 0; i < tokens.Count; i++)
            {
                if (tokens[i].Start == offset)
                {
                    return i;
                }
            }

            throw new InvalidOperationException($"No token of the source starts at offset {offset}.");
        }

        private static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\n", "\\n");

        private static string Unescape(string s)
        {
            var result = new System.Text.StringBuilder(s.Length);
            for (int i = 0; i < s.Length; i++)
            {
                if (s[i] == '\\' && i + 1 < s.Length)
                {
                    i++;
                    result.Append(s[i] == 'n' ? '\n' : s[i]);
                }
                else
                {
                    result.Append(s[i]);
                }
            }

            return result.ToString();
        }
    }
}
