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
    /// front of it matches those words as substrings (and any backslash), so on a binding many blocks pass it for
    /// <c>AllocHGlobal</c>, <c>Pinned</c> or a <c>"\n"</c>. A token found there is what the walk finds, so a yes needs no
    /// trust in the record. A no does: the record's reader skips from <c>//</c> and <c>/*</c> without knowing strings,
    /// and the compiler may read a name otherwise than the text spells it. So a block is walked as before when its tree
    /// has an escape or a non-ASCII character next to a run, or when one of the reader's skips that overlaps the block
    /// holds one of the words as a substring, or a backslash (<see cref="ReaderSkips"/>): a token the record missed lies
    /// in such a skip, and its text is the word's (or an escape's). A check of the block's own span and the skips' text,
    /// where <see cref="SkippedComments"/> would parse every comment of the tree.
    /// </summary>
    /// <remarks>
    /// The text gate stays in front (own18 tried the record alone: reading every tree's runs for the words cost more than
    /// the gate's five substring passes, which let few trees' blocks through on a binding).
    /// </remarks>
    internal sealed class PinningScopeWords
    {
        private static readonly HashSet<string> Words = new HashSet<string>(StringComparer.Ordinal) { "fixed", "stackalloc", "Alloc", "Pin" };
        private static readonly int[] WordHashes = Words.Select(IdentifierRuns.Hash).ToArray();

        private readonly InteropVocabulary _vocabulary;
        private readonly ConcurrentDictionary<SyntaxTree, TreeWords> _byTree = ConcurrentTables.Create<SyntaxTree, TreeWords>();

        public PinningScopeWords(InteropVocabulary vocabulary)
        {
            _vocabulary = vocabulary;
        }

        /// <summary>The answer of <see cref="PinningScopes.MayContain"/> for <paramref name="node"/>.</summary>
        public bool MayContain(SyntaxNode node)
        {
            var tree = node.SyntaxTree;
            if (!_byTree.TryGetValue(tree, out var words))
            {
                words = _byTree.GetOrAdd(tree, Find(tree));
            }

            if (words.Positions == null)
            {
                return PinningScopes.MayContain(node);
            }

            // The walk reads the node's descendants: tokens inside its span, of which the node's own are left out.
            var span = node.Span;
            var positions = words.Positions;
            var index = Array.BinarySearch(positions, span.Start);
            for (index = index < 0 ? ~index : index; index < positions.Length && positions[index] < span.End; index++)
            {
                var token = node.FindToken(positions[index]);
                if (token.Parent != node && OpensScope(token))
                {
                    return true;
                }
            }

            return words.SkipOverlapsWithAWord(span) && PinningScopes.MayContain(node);
        }

        /// <summary>Is the token what the walk looks for: the keyword of a fixed statement or a stackalloc, or a name Alloc or Pin?</summary>
        private static bool OpensScope(SyntaxToken token) => token.Kind() switch
        {
            SyntaxKind.FixedKeyword => token.Parent is FixedStatementSyntax,
            SyntaxKind.StackAllocKeyword => token.Parent is StackAllocArrayCreationExpressionSyntax or ImplicitStackAllocArrayCreationExpressionSyntax,
            SyntaxKind.IdentifierToken => token.Parent is IdentifierNameSyntax && (token.ValueText == "Alloc" || token.ValueText == "Pin"),
            _ => false,
        };

        private TreeWords Find(SyntaxTree tree)
        {
            var identifiers = _vocabulary.Identifiers(tree);
            return identifiers.MaySpellOtherwise
                ? new TreeWords(tree, null)
                : new TreeWords(tree, identifiers.PositionsOf(tree.GetText(), WordHashes, Words).ToArray());
        }

        /// <summary>Where a tree's record names the words (null when the compiler may spell a name otherwise), and where its reader skipped text.</summary>
        private sealed class TreeWords
        {
            private readonly SyntaxTree _tree;
            // Read only for a tree where some block gets a no; a race computes the same twice.
            private ReaderSkips? _skips;
            private byte[]? _held;

            public TreeWords(SyntaxTree tree, int[]? positions)
            {
                _tree = tree;
                Positions = positions;
            }

            public int[]? Positions { get; }

            /// <summary>
            /// Does a stretch the record's reader skipped overlap <paramref name="span"/> and hold one of the words as a
            /// substring, or a backslash (an escape the record did not read may spell one)? Only there can a token the
            /// record missed stand.
            /// </summary>
            public bool SkipOverlapsWithAWord(Microsoft.CodeAnalysis.Text.TextSpan span)
            {
                var skips = _skips ??= ReaderSkips.Of(_tree);
                for (var index = skips.LastStartingBefore(span); index >= 0 && skips.Ends[index] > span.Start; index--)
                {
                    if (HoldsAWord(skips, index))
                    {
                        return true;
                    }
                }

                return false;
            }

            // Per skip: 0 not read yet, 1 no word, 2 a word (a race reads the same twice).
            private bool HoldsAWord(ReaderSkips skips, int index)
            {
                var held = _held ??= new byte[skips.Starts.Length];
                if (held[index] == 0)
                {
                    var text = _tree.GetText().ToString(Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(skips.Starts[index], skips.Ends[index]));
                    held[index] = text.IndexOf('\\') >= 0 || PinningScopes.GateText.Any(word => text.IndexOf(word, StringComparison.Ordinal) >= 0) ? (byte)2 : (byte)1;
                }

                return held[index] == 2;
            }
        }
    }
}
