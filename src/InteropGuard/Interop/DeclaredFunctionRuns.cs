using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Can a P/Invoke declaration of one tree hand out a resource, as far as the tree's identifier record
    /// (<see cref="InteropVocabulary.Identifiers"/>) shows? Every name the ownership gate's declaration reading decides on
    /// is one run of the record inside the declaration: the function's name, an entry-point string (each catalogued
    /// allocator name is one run), a handle type's name returned or passed out (a name ending in <c>Handle</c>, or a
    /// class derived from a handle type here). A declaration none of whose runs is one of those needs none of its syntax
    /// read; on a binding that is nearly every one of its thousands of P/Invokes, and reading their attributes, return
    /// types and parameters was most of the ownership gate's collection once the SDK's stubs were left out.
    /// </summary>
    /// <remarks>
    /// The record's reader knows comments but not strings: a <c>//</c> or <c>/*</c> inside a string hides the runs after
    /// it, and an escape or a non-ASCII character may spell a name otherwise. So "no" is given only when the tree has
    /// neither escapes nor such characters (<see cref="TreeIdentifiers.MaySpellOtherwise"/>), no <c>/</c> stands between
    /// the start of the declaration's first line and its end, and the function's own name is a run (what a <c>/*</c> in an
    /// earlier string hides would include it). Anything else is read from syntax, as before.
    /// </remarks>
    internal sealed class DeclaredFunctionRuns
    {
        private readonly TreeIdentifiers _identifiers;
        private readonly SourceText _text;
        private readonly HashSet<int> _wordHashes;

        private DeclaredFunctionRuns(TreeIdentifiers identifiers, SourceText text, HashSet<int> wordHashes)
        {
            _identifiers = identifiers;
            _text = text;
            _wordHashes = wordHashes;
        }

        /// <summary>
        /// The reading of <paramref name="tree"/> for the given words (the hashes, <see cref="IdentifierRuns.Hash(string)"/>,
        /// of the allocator names and of the handle types declared here); null when its record cannot vouch for any declaration.
        /// </summary>
        public static DeclaredFunctionRuns? For(SyntaxTree tree, InteropVocabulary vocabulary, HashSet<int> wordHashes)
        {
            var identifiers = vocabulary.Identifiers(tree);
            return identifiers.MaySpellOtherwise ? null : new DeclaredFunctionRuns(identifiers, tree.GetText(), wordHashes);
        }

        /// <summary>False only when the record shows that no name the declaration's reading decides on stands in it.</summary>
        public bool MayNameAResource(MethodDeclarationSyntax declaration)
        {
            var span = declaration.Span;
            if (HasSlashFromLineStart(span))
            {
                return true;
            }

            var name = declaration.Identifier.Span;
            var index = FirstRunAtOrAfter(span.Start);
            var sawName = false;
            for (; index < _identifiers.Count; index++)
            {
                var start = _identifiers.StartAt(index);
                if (start >= span.End)
                {
                    break;
                }

                if (_wordHashes.Contains(_identifiers.HashAt(index)))
                {
                    return true;
                }

                sawName |= start >= name.Start && start < name.End;
            }

            return !sawName || TreeTextPositions.AnyWithin(_identifiers.HandleNameStarts, span);
        }

        // From the start of the line the declaration begins on: a string earlier on that line may hold the '//' that hides it.
        private bool HasSlashFromLineStart(TextSpan span)
        {
            var lineStart = span.Start;
            while (lineStart > 0 && _text[lineStart - 1] != '\n' && _text[lineStart - 1] != '\r')
            {
                lineStart--;
            }

            for (var i = lineStart; i < span.End; i++)
            {
                if (_text[i] == '/')
                {
                    return true;
                }
            }

            return false;
        }

        private int FirstRunAtOrAfter(int position)
        {
            int low = 0, high = _identifiers.Count;
            while (low < high)
            {
                var middle = low + ((high - low) / 2);
                if (_identifiers.StartAt(middle) < position)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle;
                }
            }

            return low;
        }
    }
}
