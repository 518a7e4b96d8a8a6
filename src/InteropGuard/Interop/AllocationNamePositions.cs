using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Interop
{
    /// <summary>
    /// A text prefilter in front of <see cref="AllocationCandidates.MayAllocate"/>: where in each syntax tree an
    /// identifier stands that the candidate walk could read as (part of) a candidate, found by one pass over the tree's
    /// text (<see cref="IdentifierRuns"/>) and cached per tree. A body none of whose text holds such a word cannot pass
    /// the walk, which then need not visit its syntax nodes — in a binding, most bodies call native functions that
    /// allocate nothing, and walking each one was a fifth of the ownership analysis. Over-approximates: words in strings
    /// count, and a tree whose identifiers the scan may split or spell differently from the compiler (a <c>\u</c>
    /// escape, a non-ASCII formatting character next to a word) is not filtered at all.
    /// </summary>
    internal sealed class AllocationNamePositions
    {
        private readonly AllocationCandidates _candidates;
        private readonly InteropVocabulary _vocabulary;
        private readonly ConcurrentDictionary<SyntaxTree, WordPositions?> _byTree = ConcurrentTables.Create<SyntaxTree, WordPositions?>();
        private readonly ConcurrentDictionary<InteropScope, WordHashes> _wordsByScope = ConcurrentTables.Create<InteropScope, WordHashes>();

        public AllocationNamePositions(AllocationCandidates candidates, InteropVocabulary vocabulary)
        {
            _candidates = candidates;
            _vocabulary = vocabulary;
        }

        /// <summary>
        /// False only when no candidate word but <c>out</c> stands in <paramref name="body"/>'s text (its full span). An
        /// <c>out</c> argument is a candidate only together with a release the body calls, whose name is another
        /// candidate word; without one, <see cref="AllocationCandidates.MayAllocate(SyntaxNode, InteropScope, int[])"/>
        /// reads nothing at the <c>out</c> positions (in a binding that returns through <c>out</c> parameters, most bodies
        /// name <c>out</c> and nothing else).
        /// </summary>
        public bool MayName(SyntaxNode body, InteropScope scope)
            => Of(body.SyntaxTree, scope) is not { } positions || TreeTextPositions.AnyWithin(positions.NotOut, body.FullSpan);

        /// <summary>
        /// The same answer, with the tree's scope looked up only when the tree is read the first time (the scope is the
        /// tree's, so the positions are the same): the gate of every body, where the scope's lookup was a tenth of the
        /// ownership analysis on a binding whose bodies mostly stop here.
        /// </summary>
        public bool MayName(SyntaxNode body, InteropContext interop)
        {
            var tree = body.SyntaxTree;
            if (!_byTree.TryGetValue(tree, out var positions))
            {
                positions = _byTree.GetOrAdd(tree, Find(tree, interop.ForTree(tree)));
            }

            return positions is null || TreeTextPositions.AnyWithin(positions.NotOut, body.FullSpan);
        }

        /// <summary>
        /// Where candidate words start in <paramref name="tree"/>, in text order; null when the tree cannot be read this
        /// way (then every body may name one).
        /// </summary>
        public int[]? In(SyntaxTree tree, InteropScope scope) => Of(tree, scope)?.All;

        private WordPositions? Of(SyntaxTree tree, InteropScope scope)
        {
            if (!_byTree.TryGetValue(tree, out var positions))
            {
                positions = _byTree.GetOrAdd(tree, Find(tree, scope));
            }

            return positions;
        }

        /// <summary>
        /// The start of every candidate word in the tree, in order, read from the identifiers the vocabulary recorded
        /// (a hash that is a word's counts: a collision only lets a body through); null when the compiler may read its
        /// identifiers otherwise than the text spells them (a <c>\u</c> escape, a non-ASCII formatting character next to
        /// a word): rare enough to give up on the whole tree.
        /// </summary>
        private WordPositions? Find(SyntaxTree tree, InteropScope scope)
        {
            var identifiers = _vocabulary.Identifiers(tree);
            if (identifiers.MaySpellOtherwise)
            {
                return null;
            }

            if (!_wordsByScope.TryGetValue(scope, out var words))
            {
                words = _wordsByScope.GetOrAdd(scope, new WordHashes(_candidates.Words(scope)));
            }

            // SafeHandle types are named ...Handle (AllocationCandidates reads any such 'new' as a candidate).
            var handleNames = identifiers.HandleNameStarts;
            var directives = tree.GetRoot().ContainsDirectives;
            var positions = new List<int>();
            var notOut = new List<int>();
            // Read a character at a time: a large file's text is stored in chunks, and copying it whole into one string
            // for the few characters of each 'out' was the costliest part of this pass on bindings.
            SourceText? text = null;
            var nextHandleName = 0;
            for (var i = 0; i < identifiers.Count; i++)
            {
                var start = identifiers.StartAt(i);
                var handleName = nextHandleName < handleNames.Length && handleNames[nextHandleName] == start;
                if (handleName)
                {
                    nextHandleName++;
                }

                if (handleName && !words.Contains(identifiers.HashAt(i)) && MayBeCreatedType(text ??= tree.GetText(), identifiers, i, directives))
                {
                    positions.Add(start);
                    notOut.Add(start);
                }
                else if (words.Contains(identifiers.HashAt(i)))
                {
                    positions.Add(start);

                    // Only the run that is 'out' itself: a word whose hash is out's stays a candidate.
                    if (identifiers.HashAt(i) != OutHash || !words.OutIsOnlyTheKeyword || !IsOut(text ??= tree.GetText(), start))
                    {
                        notOut.Add(start);
                    }
                }
            }

            return new WordPositions(positions.ToArray(), notOut.ToArray());
        }

        private static readonly int OutHash = IdentifierRuns.Hash("out");

        /// <summary>
        /// Can run <paramref name="run"/> (a name ending in <c>Handle</c> that is none of the words) be the type of an
        /// object creation? Only there does <see cref="AllocationCandidates.MayAllocate(SyntaxNode, InteropScope, int[])"/>
        /// read such a name: a property read (<c>tensor.Handle</c>, thousands in a binding) or a parameter type is read
        /// only when its name is one of the words, and then it is kept as one. A creation's type follows <c>new</c> and
        /// its qualifiers (<c>A.B.</c>, <c>global::</c>), so the text between this run and the run before it is read back:
        /// a qualifier goes on to that run, <c>new</c> keeps the name, anything else a creation's type cannot follow
        /// (an operator, a bracket, another word) drops it. Whatever the record does not show keeps it: a comment or a
        /// string the comment skip cut short (a <c>/</c>), generic arguments (a <c>&gt;</c>), a verbatim <c>@</c>,
        /// a line break in a tree with directives, a character outside ASCII.
        /// </summary>
        private static bool MayBeCreatedType(SourceText text, TreeIdentifiers identifiers, int run, bool directives)
        {
            for (var j = run; j > 0; j--)
            {
                var gapEnd = identifiers.StartAt(j);
                var previous = identifiers.StartAt(j - 1);
                var gapStart = previous;
                while (gapStart < gapEnd && IdentifierRuns.IsWordPart(text[gapStart]))
                {
                    gapStart++;
                }

                int dots = 0, colons = 0, others = 0;
                for (var k = gapStart; k < gapEnd; k++)
                {
                    switch (text[k])
                    {
                        case ' ':
                        case '\t':
                            break;
                        case '\r':
                        case '\n':
                            if (directives)
                            {
                                return true;
                            }

                            break;
                        case '.':
                            dots++;
                            break;
                        case ':':
                            colons++;
                            break;
                        case '/':
                        case '#':
                        case '>':
                        case '@':
                        case '\\':
                            return true;
                        default:
                            if (text[k] >= 128)
                            {
                                return true;
                            }

                            others++;
                            break;
                    }
                }

                if (dots + colons + others == 0)
                {
                    // Only blanks: the run before is the word in front of the name (or of its qualifier).
                    return gapStart - previous == 3 && text[previous] == 'n' && text[previous + 1] == 'e' && text[previous + 2] == 'w';
                }

                if (others > 0 || !((dots == 1 && colons == 0) || (dots == 0 && colons == 2)))
                {
                    return false;
                }
            }

            // Nothing before the name in the record: keep it.
            return true;
        }

        private static bool IsOut(SourceText text, int start)
            => start + 3 <= text.Length && text[start] == 'o' && text[start + 1] == 'u' && text[start + 2] == 't'
               && (start + 3 == text.Length || !IdentifierRuns.IsWordPart(text[start + 3]));

        /// <summary>A tree's candidate-word starts, and those of words other than <c>out</c>, both in text order.</summary>
        private sealed class WordPositions
        {
            public WordPositions(int[] all, int[] notOut)
            {
                All = all;
                NotOut = notOut;
            }

            public int[] All { get; }

            public int[] NotOut { get; }
        }

        /// <summary>The hashes of a set of words, with a bit table in front of the set: almost every identifier misses it.</summary>
        private sealed class WordHashes
        {
            private readonly HashSet<int> _hashes;
            private readonly ulong[] _bits = new ulong[(1 << 16) / 64];

            public WordHashes(IEnumerable<string> words)
            {
                var list = words.Where(w => w.Length > 0).ToList();
                _hashes = new HashSet<int>(list.Select(IdentifierRuns.Hash));

                // A declared function, property or type may be called 'out' too (@out): then the word is a candidate of its own.
                OutIsOnlyTheKeyword = list.Count(w => w == "out") == 1;
                foreach (var hash in _hashes)
                {
                    _bits[(hash & 0xFFFF) >> 6] |= 1UL << (hash & 63);
                }
            }

            /// <summary>Is <c>out</c> a word only as the keyword of an out argument?</summary>
            public bool OutIsOnlyTheKeyword { get; }

            public bool Contains(int hash) => (_bits[(hash & 0xFFFF) >> 6] & (1UL << (hash & 63))) != 0 && _hashes.Contains(hash);
        }
    }
}
