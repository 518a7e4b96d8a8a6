using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Does the identifier record of a tree (<see cref="TreeIdentifiers"/>) hold every identifier the compiler reads? Its
    /// reader (<see cref="IdentifierRunReader"/>) skips from every <c>//</c> to the next line feed and from every
    /// <c>/*</c> to the next <c>*/</c> without knowing strings, so <c>"http://x"; Marshal.GetLastWin32Error();</c> on
    /// one line hides the read, and a bare carriage return ends a comment for the compiler but not for the reader. A gate
    /// that answers "does this body name the word?" from the record instead of the body's tokens asks this first: it
    /// replays the reader's skips and checks each one against the compiler's comment trivia.
    /// </summary>
    internal static class SkippedComments
    {
        private static readonly char[] OtherLineBreaks = { '\r', '\u0085', '\u2028', '\u2029' };

        /// <summary>True when every stretch the reader skips is exactly a comment of the parsed tree.</summary>
        public static bool AreTheTreesComments(SyntaxTree tree)
        {
            var text = IdentifierRuns.TextOf(tree.GetText());
            var length = text.Length;
            SyntaxNode? root = null;
            var i = 0;
            while (i < length)
            {
                i = text.IndexOf('/', i);
                if (i < 0 || i + 1 >= length)
                {
                    return true;
                }

                var next = text[i + 1];
                if (next != '/' && next != '*')
                {
                    i++;
                    continue;
                }

                root ??= tree.GetRoot();

                // A line of a /// documentation comment: the comment trivia holds every line up to and including its line
                // feed, so the reader's skip to the line feed stays inside it. Read from the trivia itself: looking inside
                // it builds the comment's structure (its XML), which was most of what this check cost on code that
                // documents its members, and a continued line's exterior trivia starts at the line's indentation, not at
                // the '///' the reader stops at.
                var trivia = root.FindTrivia(i, findInsideTrivia: false);
                var inDocumentationComment = next == '/' && trivia.IsKind(SyntaxKind.SingleLineDocumentationCommentTrivia);
                if (!inDocumentationComment)
                {
                    // Inside trivia: a comment after a directive (#endif // X) is trivia of the directive.
                    if (trivia.HasStructure)
                    {
                        trivia = root.FindTrivia(i, findInsideTrivia: true);
                    }

                    if (trivia.SpanStart != i)
                    {
                        return false;
                    }
                }

                if (next == '/')
                {
                    var lineFeed = text.IndexOf('\n', i + 2);
                    var end = lineFeed < 0 ? length : lineFeed;
                    if (inDocumentationComment ? !trivia.FullSpan.Contains(new TextSpan(i, end - i)) : !trivia.IsKind(SyntaxKind.SingleLineCommentTrivia))
                    {
                        return false;
                    }

                    // The compiler ends the comment at the first line break; the reader at the line feed only.
                    var otherBreak = text.IndexOfAny(OtherLineBreaks, i, end - i);
                    if (otherBreak >= 0 && !(otherBreak == end - 1 && text[otherBreak] == '\r' && lineFeed >= 0))
                    {
                        return false;
                    }

                    i = end;
                }
                else
                {
                    var close = text.IndexOf("*/", i + 2, System.StringComparison.Ordinal);
                    var end = close < 0 ? length : close + 2;
                    if (!trivia.IsKind(SyntaxKind.MultiLineCommentTrivia) || trivia.Span.End != end)
                    {
                        return false;
                    }

                    i = end;
                }
            }

            return true;
        }
    }
}
