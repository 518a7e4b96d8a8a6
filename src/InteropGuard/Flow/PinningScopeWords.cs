using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.Flow
{
    /// <summary>
    /// <see cref="PinningScopes.MayContain"/> answered from the tree's identifier record
    /// (<see cref="InteropVocabulary.Identifiers"/>): only the tokens where the record names <c>fixed</c>,
    /// <c>stackalloc</c>, <c>Alloc</c> or <c>Pin</c> are read, instead of every syntax node of the block. The text gate in
    /// front of it matches those words as substrings (and any backslash), so on a binding most blocks pass it for
    /// <c>AllocHGlobal</c>, <c>Pinned</c> or a <c>"\n"</c>, and the node walk behind it was a quarter of IG2001's time on
    /// TorchSharp. A tree whose record may miss a name the compiler reads (an escape or a non-ASCII character next to a
    /// run, a comment marker the record's reader skips but the parser does not) is walked as before.
    /// </summary>
    internal sealed class PinningScopeWords
    {
        private static readonly HashSet<string> Words = new HashSet<string>(StringComparer.Ordinal) { "fixed", "stackalloc", "Alloc", "Pin" };
        private static readonly int[] WordHashes = Words.Select(IdentifierRuns.Hash).ToArray();
        private static readonly Func<string, bool> IsWord = Words.Contains;

        private readonly InteropVocabulary _vocabulary;
        private readonly ConcurrentDictionary<SyntaxTree, int[]?> _byTree = new ConcurrentDictionary<SyntaxTree, int[]?>();

        public PinningScopeWords(InteropVocabulary vocabulary)
        {
            _vocabulary = vocabulary;
        }

        /// <summary>The answer of <see cref="PinningScopes.MayContain"/> for <paramref name="node"/>.</summary>
        public bool MayContain(SyntaxNode node)
        {
            var tree = node.SyntaxTree;
            if (!_byTree.TryGetValue(tree, out var positions))
            {
                positions = _byTree.GetOrAdd(tree, Find(tree));
            }

            if (positions == null)
            {
                return PinningScopes.MayContain(node);
            }

            // The walk reads the node's descendants: tokens inside its span, of which the node's own are left out.
            var span = node.Span;
            var index = Array.BinarySearch(positions, span.Start);
            for (index = index < 0 ? ~index : index; index < positions.Length && positions[index] < span.End; index++)
            {
                var token = node.FindToken(positions[index]);
                if (token.Parent != node && OpensScope(token))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Is the token what the walk looks for: the keyword of a fixed statement or a stackalloc, or a name Alloc or Pin?</summary>
        private static bool OpensScope(SyntaxToken token) => token.Kind() switch
        {
            SyntaxKind.FixedKeyword => token.Parent is FixedStatementSyntax,
            SyntaxKind.StackAllocKeyword => token.Parent is StackAllocArrayCreationExpressionSyntax or ImplicitStackAllocArrayCreationExpressionSyntax,
            SyntaxKind.IdentifierToken => token.Parent is IdentifierNameSyntax && (token.ValueText == "Alloc" || token.ValueText == "Pin"),
            _ => false,
        };

        /// <summary>Where the tree's record names one of the words, in text order; null when the record cannot vouch for the tree.</summary>
        private int[]? Find(SyntaxTree tree)
        {
            var identifiers = _vocabulary.Identifiers(tree);
            if (identifiers.MaySpellOtherwise || !SkippedComments.AreTheTreesComments(tree))
            {
                return null;
            }

            return identifiers.PositionsOf(tree.GetText(), WordHashes, IsWord).ToArray();
        }
    }
}
