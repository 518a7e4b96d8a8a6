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
    /// has an escape or a non-ASCII character next to a run, or when one of the reader's skips overlaps the block: a
    /// check of the block's own span, where <see cref="SkippedComments"/> would parse every comment of the tree.
    /// </summary>
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
        public bool MayContain(SyntaxNode node) => MayContain(node, textGate: null);

        /// <summary>
        /// <paramref name="textGate"/>'s answer for the node's span and <see cref="MayContain(SyntaxNode)"/>'s, together:
        /// the text gate is read only where the record cannot answer alone (the walk's cases). A word the record finds in
        /// the span is one of the gate's substrings inside it, so there the text gate says yes anyway; asked first, it
        /// searched the whole text of every tree for the substrings, most of which the record answers without it.
        /// </summary>
        public bool MayContain(SyntaxNode node, TreeTextPositions? textGate)
        {
            var tree = node.SyntaxTree;
            if (!_byTree.TryGetValue(tree, out var words))
            {
                words = _byTree.GetOrAdd(tree, Find(tree));
            }

            if (words.Positions == null)
            {
                return TextMayHold(textGate, node) && PinningScopes.MayContain(node);
            }

            // The walk reads the node's descendants: tokens inside its span, of which the node's own are left out.
            var span = node.Span;
            var positions = words.Positions;
            for (var index = TreeTextPositions.FirstAtOrAfter(positions, span.Start); index < positions.Length && positions[index] < span.End; index++)
            {
                var token = node.FindToken(positions[index]);
                if (token.Parent != node && OpensScope(token))
                {
                    return true;
                }
            }

            return words.SkipsOverlap(span) && TextMayHold(textGate, node) && PinningScopes.MayContain(node);
        }

        private static bool TextMayHold(TreeTextPositions? textGate, SyntaxNode node) => textGate == null || textGate.SpanMayHold(node.SyntaxTree, node.Span);

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
            // The starts and the ends of the skips, set together (a race computes the same twice).
            private int[][]? _skips;

            public TreeWords(SyntaxTree tree, int[]? positions)
            {
                _tree = tree;
                Positions = positions;
            }

            public int[]? Positions { get; }

            /// <summary>Does a stretch the record's reader skipped (<see cref="IdentifierRunReader"/>) overlap <paramref name="span"/>?</summary>
            public bool SkipsOverlap(Microsoft.CodeAnalysis.Text.TextSpan span)
            {
                var skips = _skips ??= ReadSkips(_tree);
                var starts = skips[0];

                // Skips are disjoint and in text order: the last one starting before the span's end is the only candidate.
                var index = Array.BinarySearch(starts, span.End - 1);
                index = index < 0 ? ~index - 1 : index;
                return index >= 0 && skips[1][index] > span.Start;
            }

            // The reader's skips replayed: from every '/' it meets outside a skip, '//' to the next line feed and '/*' past
            // the next '*/' (to the end when there is none). Read only for a tree where some block gets a no.
            private static int[][] ReadSkips(SyntaxTree tree) => IdentifierRuns.Read(tree.GetText(), ReadSkips);

            private static int[][] ReadSkips(ReadOnlySpan<char> text)
            {
                var starts = new List<int>();
                var ends = new List<int>();
                for (var i = IndexOf(text, '/', 0); i >= 0 && i + 1 < text.Length; i = i < text.Length ? IndexOf(text, '/', i) : -1)
                {
                    var next = text[i + 1];
                    int end;
                    if (next == '/')
                    {
                        var lineFeed = IndexOf(text, '\n', i + 2);
                        end = lineFeed < 0 ? text.Length : lineFeed;
                    }
                    else if (next == '*')
                    {
                        var close = text.Slice(i + 2).IndexOf("*/".AsSpan());
                        end = close < 0 ? text.Length : i + 2 + close + 2;
                    }
                    else
                    {
                        i++;
                        continue;
                    }

                    starts.Add(i);
                    ends.Add(end);
                    i = end;
                }

                return new[] { starts.ToArray(), ends.ToArray() };
            }

            private static int IndexOf(ReadOnlySpan<char> text, char c, int from)
            {
                if (from >= text.Length)
                {
                    return -1;
                }

                var found = text.Slice(from).IndexOf(c);
                return found < 0 ? -1 : from + found;
            }
        }
    }
}
