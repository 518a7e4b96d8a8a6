using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace InteropGuard.Interop
{
    /// <summary>
    /// The identifier tokens inside a node that read as one name, found from the tree's identifier record (where the
    /// text spells the name as a whole identifier outside comments) instead of by a walk of every node under it: a search
    /// that asks about a few names in a large declaration (a field's stores in its type) reads the record's runs rather
    /// than building a red node per node.
    /// </summary>
    internal static class NameTokens
    {
        /// <summary>
        /// Every identifier token of <paramref name="node"/> (outside trivia, as <c>DescendantTokens()</c> reads them) whose
        /// value text is <paramref name="name"/>, in text order; null when the text cannot be trusted to spell every
        /// one of them (a <c>\u</c> escape or a character the compiler drops: <see cref="TreeIdentifiers.MaySpellOtherwise"/>),
        /// and the caller walks instead. A spelling inside a string lands in a token that is not an identifier, and is
        /// passed over.
        /// </summary>
        public static List<SyntaxToken>? Of(SyntaxNode node, string name, InteropVocabulary vocabulary)
        {
            var tree = node.SyntaxTree;
            if (vocabulary.Identifiers(tree).MaySpellOtherwise || name.Length == 0)
            {
                return null;
            }

            var found = new List<SyntaxToken>();
            var span = node.Span;
            foreach (var at in vocabulary.PositionsOf(tree, new[] { IdentifierRuns.Hash(name) }, new[] { name }))
            {
                if (!span.Contains(at))
                {
                    continue;
                }

                // The run starts after a verbatim '@': the token around it is still the one that spells the name.
                var token = node.FindToken(at);
                if (token.IsKind(SyntaxKind.IdentifierToken) && token.ValueText == name)
                {
                    found.Add(token);
                }
            }

            return found;
        }
    }
}
