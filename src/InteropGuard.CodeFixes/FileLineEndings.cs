using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// Keeps a fixed file in the line ending it was written in. New code reaches a document through the formatter
    /// (which ends lines with the workspace's new-line option: Environment.NewLine under <c>dotnet format</c>, not the
    /// file's) and through syntax factories (elastic and <c>NormalizeWhitespace</c> line ends are "\r\n"), so a fix
    /// could leave a "\n" file with "\r\n" lines, or the reverse, and every later diff shows them. A file whose lines
    /// all end alike is given that ending throughout; a file that already mixes them is left as the fix wrote it.
    /// </summary>
    internal static class FileLineEndings
    {
        public static async Task<Solution> KeepAsync(Solution original, Solution changed, CancellationToken cancellationToken)
        {
            foreach (var projectChanges in changed.GetChanges(original).GetProjectChanges())
            {
                foreach (var id in projectChanges.GetChangedDocuments(onlyGetDocumentsWithTextChanges: true))
                {
                    var before = await original.GetDocument(id)!.GetTextAsync(cancellationToken).ConfigureAwait(false);
                    changed = (await KeepAsync(before, changed.GetDocument(id)!, cancellationToken).ConfigureAwait(false)).Project.Solution;
                }
            }

            return changed;
        }

        public static async Task<Document> KeepAsync(Document original, Document changed, CancellationToken cancellationToken)
            => ReferenceEquals(original, changed)
                ? changed
                : await KeepAsync(await original.GetTextAsync(cancellationToken).ConfigureAwait(false), changed, cancellationToken).ConfigureAwait(false);

        private static async Task<Document> KeepAsync(SourceText before, Document changed, CancellationToken cancellationToken)
        {
            string? ending = SingleEnding(before.ToString());
            if (ending == null || !Foreign(ending, (await changed.GetTextAsync(cancellationToken).ConfigureAwait(false)).ToString()))
            {
                return changed;
            }

            // The code action's clean-up formats the nodes marked for formatting and the elastic trivia once more after
            // the fix returns, with the workspace's new line. The text set here carries neither mark, so that clean-up
            // is done now, before the line ends are set. Both passes matter: the second pass over the marked nodes is
            // what moves a converted lambda's brace off the arrow's line ("=> {"), as it does in a file whose ending
            // is already the workspace's.
            changed = await Formatter.FormatAsync(changed, Formatter.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
            changed = await Formatter.FormatAsync(changed, SyntaxAnnotation.ElasticAnnotation, cancellationToken: cancellationToken).ConfigureAwait(false);
            var after = await changed.GetTextAsync(cancellationToken).ConfigureAwait(false);
            string normalised = after.ToString().Replace("\r\n", "\n").Replace('\r', '\n');
            if (ending != "\n")
            {
                normalised = normalised.Replace("\n", ending);
            }

            return changed.WithText(SourceText.From(normalised, after.Encoding, after.ChecksumAlgorithm));
        }

        /// <summary>
        /// The line end a fix writes where new code needs a hard line break: the file's first one ("\n" in a file of one
        /// line). <see cref="KeepAsync"/> then gives every line the file's ending, whichever the formatter wrote.
        /// </summary>
        public static string Of(SyntaxNode root)
            => root.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia)).ToString() is { Length: > 0 } ending ? ending : "\n";

        private static bool Foreign(string ending, string text) => ending == "\n" ? text.IndexOf('\r') >= 0 : HasBareLineFeed(text);

        /// <summary>"\r\n" or "\n" when every line of <paramref name="text"/> ends so; null when it mixes them or has one line.</summary>
        private static string? SingleEnding(string text)
        {
            int crlf = 0, lf = 0;
            for (int i = 0; i < text.Length; i++)
            {
                if (text[i] == '\r')
                {
                    if (i + 1 < text.Length && text[i + 1] == '\n')
                    {
                        crlf++;
                        i++;
                    }
                    else
                    {
                        return null;
                    }
                }
                else if (text[i] == '\n')
                {
                    lf++;
                }
            }

            return crlf > 0 && lf == 0 ? "\r\n" : lf > 0 && crlf == 0 ? "\n" : null;
        }

        private static bool HasBareLineFeed(string text)
        {
            for (int i = 0; i < text.Length; i++)
            {
                if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
                {
                    return true;
                }

                if (text[i] == '\r' && (i + 1 == text.Length || text[i + 1] != '\n'))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
