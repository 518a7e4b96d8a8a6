using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// What the vocabulary's pass read from one syntax tree — its words and, once recorded, its identifiers — kept for as
    /// long as the tree lives, whatever compilation holds it. Both are a function of the tree's text alone, and a tree is
    /// immutable, so any compilation that holds the same tree object may reuse them.
    /// </summary>
    /// <remarks>
    /// Why a second static cache (DESIGN.md allows one, the per-compilation context): hosts that analyze through
    /// <c>CompilationWithAnalyzers</c> (the IDE, the performance harness) run every compilation-start action on two
    /// compilation objects of one analysis pass that share the same trees (measured: two <c>InteropContext</c>s per pass,
    /// each scanning all 400 trees of the plain harness code), and the IDE builds a new compilation on every edit that
    /// reuses every tree but the edited one. Keyed by the tree in a <see cref="ConditionalWeakTable{TKey, TValue}"/>, an
    /// entry lives exactly as long as its tree and keeps nothing else alive: no compilation, no semantic model.
    /// </remarks>
    internal sealed class TreeScans
    {
        private static readonly ConditionalWeakTable<SyntaxTree, TreeScans> ByTree = new ConditionalWeakTable<SyntaxTree, TreeScans>();

        private TreeIdentifiers? _identifiers;

        private TreeScans(InteropWords words, TreeIdentifiers? identifiers)
        {
            Words = words;
            _identifiers = identifiers;
        }

        /// <summary>The interop words the tree names (<see cref="InteropVocabulary.Scan(Microsoft.CodeAnalysis.Text.SourceText)"/>).</summary>
        public InteropWords Words { get; }

        /// <summary>The tree's identifiers, when some pass has recorded them; null otherwise.</summary>
        public TreeIdentifiers? Identifiers => Volatile.Read(ref _identifiers);

        /// <summary>What an earlier pass read from this tree, if any.</summary>
        public static TreeScans? Of(SyntaxTree tree) => ByTree.TryGetValue(tree, out var scans) ? scans : null;

        /// <summary>
        /// Keeps the words of a tree read without recording; returns what is kept (an earlier entry wins). A tree without
        /// words is not kept: reading it again costs less than the table's entry (<see cref="InteropVocabulary.For"/>).
        /// </summary>
        public static TreeScans Keep(SyntaxTree tree, InteropWords words)
            => words == InteropWords.None ? NoWords : ByTree.GetValue(tree, _ => new TreeScans(words, null));

        // The words of every tree that has none, kept nowhere.
        private static readonly TreeScans NoWords = new TreeScans(InteropWords.None, null);

        /// <summary>Keeps the words and identifiers of a tree read with recording; returns what is kept.</summary>
        public static TreeScans Keep(SyntaxTree tree, InteropWords words, TreeIdentifiers identifiers)
        {
            var kept = ByTree.GetValue(tree, _ => new TreeScans(words, identifiers));

            // Two passes over one text record the same identifiers: whichever lands first is kept.
            Interlocked.CompareExchange(ref kept._identifiers, identifiers, null);
            return kept;
        }
    }
}
