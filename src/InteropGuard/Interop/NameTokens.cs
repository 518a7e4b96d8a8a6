using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace InteropGuard.Interop
{
    /// <summary>
    /// The identifier tokens inside a node that read as one name, found where the node's text spells the name instead of
    /// by a walk of every node under it: a search that asks about a few names in a large declaration (a field's stores
    /// in its type) reads a character per character rather than building a red node per node.
    /// </summary>
    internal static class NameTokens
    {
        /// <summary>
        /// Every identifier token of <paramref name="node"/> (outside trivia, as <c>DescendantTokens()</c> reads them) whose
        /// value text is <paramref name="name"/>, in text order; null when the text cannot be trusted to spell every
        /// one of them (a <c>\u</c> escape or a character the compiler drops: <see cref="TreeIdentifiers.MaySpellOtherwise"/>),
        /// and the caller walks instead. A spelling inside a comment, a string or a longer identifier lands in a token
        /// that is not one, and is passed over.
        /// </summary>
        public static List<SyntaxToken>? Of(SyntaxNode node, string name, TreeIdentifiers identifiers)
        {
            if (identifiers.MaySpellOtherwise || name.Length == 0)
            {
                return null;
            }

            var found = new List<SyntaxToken>();
            var text = node.SyntaxTree.GetText();
            var span = node.Span;
            var first = name[0];
            for (var at = span.Start; at <= span.End - name.Length; at++)
            {
                if (text[at] != first || !SpellsAt(text, at, name))
                {
                    continue;
                }

                var token = node.FindToken(at);
                if (token.IsKind(SyntaxKind.IdentifierToken) && token.Span.Contains(at) && token.ValueText == name)
                {
                    found.Add(token);
                    // The token spells the name once (or once after a verbatim '@'): go on after it.
                    at = token.Span.End - 1;
                }
            }

            return found;
        }

        private static bool SpellsAt(Microsoft.CodeAnalysis.Text.SourceText text, int at, string name)
        {
            for (var i = 1; i < name.Length; i++)
            {
                if (text[at + i] != name[i])
                {
                    return false;
                }
            }

            return true;
        }
    }
}
