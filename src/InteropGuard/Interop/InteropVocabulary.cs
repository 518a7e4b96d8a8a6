using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Interop
{
    /// <summary>Groups of words interop code cannot be written without; each analyzer gates on the groups its rules need.</summary>
    [Flags]
    internal enum InteropWords
    {
        None = 0,

        /// <summary>A native function is declared or obtained here: DllImport, LibraryImport, extern, unmanaged function pointers.</summary>
        NativeDeclaration = 1 << 0,

        /// <summary>Managed code is made callable from native code: GetFunctionPointerForDelegate, UnmanagedCallersOnly.</summary>
        NativeCallable = 1 << 1,

        /// <summary>Memory is pinned: fixed, GCHandle, Pin, overlapped pin data (stack memory is <see cref="StackMemory"/>).</summary>
        Pinning = 1 << 2,

        /// <summary>The address of managed memory is taken by an API: Unsafe.AsPointer, GetArrayDataReference, AddrOfPinnedObject…</summary>
        AddressOf = 1 << 3,

        /// <summary>Unsafe code: pointers and the <c>&amp;</c> operator exist only inside it.</summary>
        UnsafeCode = 1 << 4,

        /// <summary>A native resource is allocated or released by a well-known API (Marshal, NativeMemory, libc, Win32, GCHandle).</summary>
        Allocation = 1 << 5,

        /// <summary>SafeHandle reference counting: DangerousGetHandle, DangerousAddRef.</summary>
        RefCount = 1 << 6,

        /// <summary>A SafeHandle type is named: Safe…Handle (SafeFileHandle), SafeHandle, CriticalHandle, HandleRef.</summary>
        HandleType = 1 << 7,

        /// <summary>The last error is read: GetLastWin32Error, GetLastPInvokeError, Win32Exception… (<see cref="LastErrorCalls.ReadWords"/>).</summary>
        LastErrorRead = 1 << 8,

        /// <summary>
        /// Memory lives on the stack: stackalloc. A pointer to it exists only in unsafe code (a tree that also names
        /// <see cref="UnsafeCode"/>); in safe code it is a span the compiler keeps from escaping (<c>Span&lt;char&gt; buffer =
        /// stackalloc char[64]</c>, common in code without interop).
        /// </summary>
        StackMemory = 1 << 9,
    }

    /// <summary>
    /// The cheapest gate there is (PERFORMANCE.md, causes 3, 4 and 7): which interop words each syntax tree uses,
    /// found by one pass over its text, outside comments, cached per tree and shared by every analyzer through the
    /// per-compilation context. A compilation none of whose trees names what a family needs registers nothing for it;
    /// a tree that does not is skipped before any operation tree is built. Words over-approximate (a word in a
    /// string literal counts): a gate may let code through, never keep a finding out, for the code of one tree —
    /// rules whose sites can be in a tree without these words (a call through a wrapper declared elsewhere) gate on
    /// the compilation instead.
    /// </summary>
    internal sealed class InteropVocabulary
    {
        // The words in an open-addressed table of plain arrays, keyed by IdentifierRuns.Hash: a lookup that allocates nothing
        // per identifier, and building it instantiates no generic collection or query over this assembly's types, each of
        // which is compiled anew in every process (the first compilation of a build pays for it).
        private static readonly VocabularyTable Table = BuildTable();

        // Per first character (ASCII), a bit per word length (below 64) that some word has, and for 'S' every length from
        // 10 on (Safe…Handle): the reader rejects almost every identifier of a text on this test, before the caller sees it.
        private static readonly ulong[] LengthsByFirst = BuildLengthsByFirst();

        // Pairs and quadruples of adjacent characters of which every word, and every Safe…Handle name (through "Safe"),
        // holds one (AnchoredRunReader): a tree none of whose runs around them is a word names none. Chosen as a cover of
        // the words that occurs least often in five libraries without interop (FluentValidation, Serilog, Polly.Core,
        // Newtonsoft.Json, AutoMapper: 4.7M characters, 3,100 occurrences, against 29,000 for the twenty pairs used before),
        // quadruples only where every pair of a word is common ("xter" of extern, "mmap", "Pack"); listed rarest first. A
        // word added later that holds none of them brings its first two characters.
        private const string PreferredAnchors =
            "Nati erou mmap 2E HG DL arsh pc Pack b_ e_ kM xter aR PI ST mE lloc nm rF sP Im ix Pi af ndle du tR";

        private static readonly Anchors? WordAnchorSet = Anchors.For(AnchoredWords(), PreferredAnchors);

        // Each tree's kept scan rather than its words: a dictionary over a value type of this assembly is compiled anew in every
        // process (about 2 ms of the first compilation's "no interop" answer), one over references shares the runtime's code.
        private readonly ConcurrentDictionary<SyntaxTree, TreeScans> _byTree = ConcurrentTables.Create<SyntaxTree, TreeScans>();
        private readonly ConcurrentDictionary<SyntaxTree, TreeIdentifiers> _identifiers = ConcurrentTables.Create<SyntaxTree, TreeIdentifiers>();
        private readonly CompilationWords _inCompilation;
        private readonly SyntaxTree[] _trees;

        private static readonly SourceText NoText = SourceText.From(string.Empty);

        // Each tree's index in _trees, built when a tree's own words are first asked (IsPublishedWithoutWords).
        private Dictionary<SyntaxTree, int>? _indexes;

        // The vocabulary of a set of trees, keyed by its first tree (For).
        private static readonly ConditionalWeakTable<SyntaxTree, InteropVocabulary> ByFirstTree = new ConditionalWeakTable<SyntaxTree, InteropVocabulary>();

        public InteropVocabulary(Compilation compilation)
            : this(CompilationWords.TreesOf(compilation))
        {
        }

        private InteropVocabulary(SyntaxTree[] trees)
        {
            _trees = trees;
            _inCompilation = new CompilationWords(trees, ScanFromCursor, tree => KeptWordsOnly(tree).Words);
        }

        /// <summary>
        /// The vocabulary of the compilation's trees: the one another compilation of the very same trees, in the same order,
        /// already has, or a new one.
        /// </summary>
        /// <remarks>
        /// Why: a host that analyzes through <c>CompilationWithAnalyzers</c> (the IDE, the performance harness) starts every
        /// analyzer on two compilation objects of one pass that share their trees, and each object's context scanned them all,
        /// the two often at once on the two threads. Each tree's words were shared through <see cref="TreeScans"/>, whose
        /// table takes a lock for every entry added: in a trace of the harness on FluentValidation (141 files without
        /// interop), adding the entries cost more processor time than scanning the trees. Shared here, the trees are
        /// scanned once per pass and a tree without words needs no entry of its own (<see cref="TreeScans.Keep(SyntaxTree, InteropWords)"/>).
        /// One entry per set of trees, replaced when the set changes (the IDE's next edit): it keeps the trees of the last
        /// set alive only as long as its first tree lives.
        /// </remarks>
        public static InteropVocabulary For(Compilation compilation)
        {
            var trees = CompilationWords.TreesOf(compilation);
            if (trees.Length == 0)
            {
                return new InteropVocabulary(trees);
            }

            if (ByFirstTree.TryGetValue(trees[0], out var kept) && kept.IsOver(trees))
            {
                return kept;
            }

            var fresh = new InteropVocabulary(trees);
            ByFirstTree.Remove(trees[0]);
            var shared = ByFirstTree.GetValue(trees[0], _ => fresh);
            return shared.IsOver(trees) ? shared : fresh;
        }

        // Are these the trees of this vocabulary, the same objects in the same order?
        private bool IsOver(SyntaxTree[] trees)
        {
            if (trees.Length != _trees.Length)
            {
                return false;
            }

            for (var k = 0; k < trees.Length; k++)
            {
                if (!ReferenceEquals(trees[k], _trees[k]))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>The groups named anywhere in the compilation (every tree is scanned).</summary>
        public InteropWords InCompilation => _inCompilation.All();

        /// <summary>
        /// Does the compilation name any of <paramref name="words"/>? The calling thread scans trees itself until the
        /// answer is known (<see cref="CompilationWords"/>): a "yes" comes with the first tree that has one of the words.
        /// </summary>
        public bool CompilationUses(InteropWords words) => _inCompilation.Uses(words);

        /// <summary>Does this tree name any of <paramref name="words"/>?</summary>
        public bool TreeUses(SyntaxTree tree, InteropWords words) => (Of(tree) & words) != 0;

        /// <summary>
        /// The words of one tree. A tree the compilation's gate has not reached yet (it stops at the first "yes") is scanned
        /// here; once a native declaration is known, its identifiers are recorded in the same pass, as the gate does.
        /// </summary>
        public InteropWords Of(SyntaxTree tree)
        {
            if (_byTree.TryGetValue(tree, out var kept))
            {
                return kept.Words;
            }

            // Read already, without words (as a tree found in _byTree is: neither is read again to record it here).
            if (IsPublishedWithoutWords(tree))
            {
                return InteropWords.None;
            }

            if ((_inCompilation.FoundSoFar & InteropWords.NativeDeclaration) != 0 && !_identifiers.ContainsKey(tree))
            {
                var (read, identifiers) = Record(tree);
                _identifiers.TryAdd(tree, identifiers);
                return read;
            }

            return _byTree.GetOrAdd(tree, KeptWordsOnly).Words;
        }

        /// <summary>
        /// The identifiers of a tree (<see cref="TreeIdentifiers"/>): what every gate that looks for names reads instead of
        /// the tree's text. The compilation-wide scan records them in its one pass over each tree's text, from the first
        /// tree that declares a native function on (code without interop records none, so its 0.5% budget pays nothing
        /// for them); a tree read before that, or outside the compilation, is read again on first use.
        /// </summary>
        public TreeIdentifiers Identifiers(SyntaxTree tree)
            => _identifiers.TryGetValue(tree, out var identifiers) ? identifiers : _identifiers.GetOrAdd(tree, t => Record(t).Identifiers);

        /// <summary>
        /// Can this tree name any of the identifiers whose hashes (<see cref="IdentifierRuns.Hash(string)"/>) are given,
        /// outside comments? False means it certainly does not; true may be a collision, so a caller that must know
        /// reads <see cref="PositionsOf"/>. For gates whose words are found at run time and asked about level after level
        /// (the last-error helper names).
        /// </summary>
        public bool TreeMayName(SyntaxTree tree, int[] wordHashes) => Identifiers(tree).MayName(wordHashes);

        /// <summary>
        /// Where the tree names a word (a whole identifier outside comments, one of <paramref name="words"/>, whose hashes
        /// are <paramref name="wordHashes"/>), in text order, read from its identifiers and checked against its text.
        /// </summary>
        public List<int> PositionsOf(SyntaxTree tree, int[] wordHashes, IReadOnlyCollection<string> words)
            => Identifiers(tree).PositionsOf(tree.GetText(), wordHashes, words);

        /// <summary>Does the tree name one of the words (<see cref="PositionsOf"/>)?</summary>
        public bool TreeNames(SyntaxTree tree, int[] wordHashes, IReadOnlyCollection<string> words)
            => Identifiers(tree).PositionsOf(tree.GetText(), wordHashes, words, firstOnly: true).Count > 0;

        private (InteropWords Words, TreeIdentifiers Identifiers) Record(SyntaxTree tree)
        {
            if (TreeScans.Of(tree) is { Identifiers: { } kept } scans)
            {
                _byTree.TryAdd(tree, scans);
                return (scans.Words, kept);
            }

            var text = TextRead(tree);
            var recorder = TreeIdentifiers.Recorder.For(text.Length);
            var words = Scan(text, recorder);
            var identifiers = recorder.ToIdentifiers();
            _byTree.TryAdd(tree, TreeScans.Keep(tree, words, identifiers));
            return (words, identifiers);
        }

        // A tree taken from the gate's cursor. Once some tree has declared a native function, its identifiers are recorded in
        // the same pass: the gates of such a compilation ask for them tree by tree, and a second pass over the text (cold by
        // then) cost as much as the first.
        private InteropWords ScanFromCursor(SyntaxTree tree, InteropWords foundSoFar)
        {
            if (_byTree.TryGetValue(tree, out var kept))
            {
                return kept.Words;
            }

            if ((foundSoFar & InteropWords.NativeDeclaration) != 0 && !_identifiers.ContainsKey(tree))
            {
                var (read, identifiers) = Record(tree);
                _identifiers.TryAdd(tree, identifiers);
                return read;
            }

            // A tree without words is known from its slot in the compilation's gate (IsPublishedWithoutWords), not from an
            // entry of its own: adding one takes the table's lock, and with both threads scanning, a lock whose holder the
            // machine has preempted is spun on (in a trace of the harness on FluentValidation, 15 of the 26 ms of this
            // method were Monitor.Enter's slow path).
            var scans = KeptWordsOnly(tree);
            if (scans.Words != InteropWords.None)
            {
                _byTree.TryAdd(tree, scans);
            }

            return scans.Words;
        }

        // Has the compilation's gate published this tree, without words?
        private bool IsPublishedWithoutWords(SyntaxTree tree)
        {
            var indexes = Volatile.Read(ref _indexes);
            if (indexes == null)
            {
                indexes = new Dictionary<SyntaxTree, int>(_trees.Length);
                for (var k = 0; k < _trees.Length; k++)
                {
                    indexes[_trees[k]] = k;
                }

                indexes = Interlocked.CompareExchange(ref _indexes, indexes, null) ?? indexes;
            }

            return indexes.TryGetValue(tree, out var index) && _inCompilation.TryGet(index, out var words) && words == InteropWords.None;
        }

        // Another compilation holding the same tree (a second start of one analysis pass, the IDE's next edit) read it already.
        private static TreeScans KeptWordsOnly(SyntaxTree tree)
            => TreeScans.Of(tree) ?? TreeScans.Keep(tree, Scan(TextRead(tree), null));

        // The text the vocabulary reads of a tree: none of the SDK's LibraryImport stubs (GeneratedCode.IsLibraryImportStubs),
        // which name every word of a binding's marshalling and hold nothing a rule asks about.
        private static SourceText TextRead(SyntaxTree tree) => GeneratedCode.IsLibraryImportStubs(tree) ? NoText : tree.GetText();

        /// <summary>The anchors every word and every Safe…Handle name holds one of; null when the words allow none.</summary>
        internal static Anchors? WordAnchors => WordAnchorSet;

        /// <summary>Every word of the vocabulary (Safe…Handle names aside, which are a shape).</summary>
        internal static IReadOnlyList<string> AllWords => Table.Words;

        /// <summary>One pass over the text (<see cref="IdentifierRuns"/>): identifiers and keywords are looked up.</summary>
        internal static InteropWords Scan(SourceText source) => Scan(source, null);

        /// <summary>The same, recording every run (<see cref="TreeIdentifiers"/>) when a recorder is given.</summary>
        private static InteropWords Scan(SourceText source, TreeIdentifiers.Recorder? recorder)
            => IdentifierRuns.Read(source, text => Scan(text, recorder, anchored: true));

        /// <summary>The words-only scan without the anchors' search in front of it: every run is read (for tests).</summary>
        internal static InteropWords ScanEveryRun(SourceText source)
            => IdentifierRuns.Read(source, text => Scan(text, null, anchored: false));

        private static InteropWords Scan(ReadOnlySpan<char> text, TreeIdentifiers.Recorder? recorder, bool anchored)
        {
            var found = InteropWords.None;
            if (recorder == null)
            {
                if (anchored && WordAnchorSet != null && AnchoredRunReader.IsAccelerated && !MayNameAWord(text, WordAnchorSet))
                {
                    return InteropWords.None;
                }

                for (var runs = new IdentifierRunReader(text); runs.MoveNext(LengthsByFirst);)
                {
                    found |= WordAt(text, runs.Start, runs.Length, IdentifierRuns.Hash(text, runs.Start, runs.Length));
                }

                return found;
            }

            for (var runs = new IdentifierRunReader(text); runs.MoveNextHashed();)
            {
                var start = runs.Start;
                var length = runs.Length;
                var hash = runs.Hash;
                recorder.Add(text, start, length, hash);
                var first = text[start];
                if (first >= 128 || length >= 64 || (LengthsByFirst[first] & (1UL << length)) != 0)
                {
                    found |= WordAt(text, start, length, hash);
                }
            }

            return found;
        }

        // False when no run of the text is a word or a Safe…Handle name, comments aside (the runs around the anchors hold
        // every such run); true when one of those runs is one, which may be inside a comment: the full reader decides.
        private static bool MayNameAWord(ReadOnlySpan<char> text, Anchors anchors)
        {
            for (var runs = new AnchoredRunReader(text, anchors, LengthsByFirst); runs.MoveNext();)
            {
                if (WordAt(text, runs.Start, runs.Length, IdentifierRuns.Hash(text, runs.Start, runs.Length)) != InteropWords.None)
                {
                    return true;
                }
            }

            return false;
        }

        private static IEnumerable<string> AnchoredWords()
        {
            foreach (var word in Table.Words)
            {
                yield return word;
            }

            yield return "Safe";
        }

        // The groups of the run at 'start': a word's, and HandleType for Safe…Handle, which names the SafeHandle types of the
        // BCL and of bindings (SafeFileHandle, SafeLibraryHandle); one declared here derives from a SafeHandle base whose name
        // the compilation then holds.
        private static InteropWords WordAt(ReadOnlySpan<char> text, int start, int length, int hash)
        {
            var end = start + length;
            var found = length >= 10 && text[start] == 'S' && text[start + 1] == 'a' && text[start + 2] == 'f' && text[start + 3] == 'e'
                && text[end - 6] == 'H' && text[end - 5] == 'a' && text[end - 4] == 'n' && text[end - 3] == 'd' && text[end - 2] == 'l' && text[end - 1] == 'e'
                ? InteropWords.HandleType
                : InteropWords.None;
            return found | Table.Find(text, start, length, hash);
        }

        private static ulong[] BuildLengthsByFirst()
        {
            var lengths = new ulong[128];
            lengths['S'] = ulong.MaxValue << 10;
            foreach (var word in Table.Words)
            {
                if (word[0] >= 128 || word.Length >= 64)
                {
                    // Such a word is looked up whatever its first character: every bit of every character is set.
                    for (var c = 0; c < lengths.Length; c++)
                    {
                        lengths[c] = ulong.MaxValue;
                    }

                    continue;
                }

                lengths[word[0]] |= 1UL << word.Length;
            }

            return lengths;
        }

        private static VocabularyTable BuildTable()
        {
            var words = new VocabularyTable();
            void Add(InteropWords group, IEnumerable<string> names)
            {
                foreach (var name in names)
                {
                    words.Add(name, group);
                }
            }

            Add(InteropWords.NativeDeclaration, new[]
            {
                "DllImport", "DllImportAttribute", "LibraryImport", "LibraryImportAttribute", "extern", "unmanaged",
                "UnmanagedFunctionPointer", "UnmanagedFunctionPointerAttribute", "GetDelegateForFunctionPointer",

                // InteropDotNet's imports implemented at run time (NativeFunction reads any attribute of that shape).
                "RuntimeDllImport", "RuntimeDllImportAttribute",
            });
            Add(InteropWords.NativeCallable, new[]
            {
                "GetFunctionPointerForDelegate", "UnmanagedCallersOnly", "UnmanagedCallersOnlyAttribute",
            });
            Add(InteropWords.Pinning, new[]
            {
                "fixed", "GCHandle", "Pin", "MemoryHandle", "Pack", "UnsafePack", "AllocateNativeOverlapped",
                "UnsafeAllocateNativeOverlapped", "PreAllocatedOverlapped", "NativeOverlapped",
            });
            Add(InteropWords.AddressOf, new[]
            {
                "AsPointer", "GetArrayDataReference", "GetReference", "GetPinnableReference", "UnsafeAddrOfPinnedArrayElement",
                "AddrOfPinnedObject", "GetSpanDataReference",
            });
            Add(InteropWords.StackMemory, new[] { "stackalloc" });
            Add(InteropWords.UnsafeCode, new[] { "unsafe" });
            // Load, Alloc and Pin are everyday words; they allocate only on receivers named here (NativeLibrary, GCHandle,
            // NativeMemory) or, for Pin, on a Memory<T>, which the Pin word itself stands for.
            foreach (var name in CataloguedAllocatorNames.All)
            {
                if (name != "Load" && name != "Alloc")
                {
                    words.Add(name, InteropWords.Allocation);
                }
            }

            Add(InteropWords.Allocation, new[] { "Marshal", "NativeMemory", "NativeLibrary", "GCHandle" });
            Add(InteropWords.RefCount, new[] { "DangerousGetHandle", "DangerousAddRef", "DangerousRelease" });
            Add(InteropWords.HandleType, new[] { "SafeHandle", "CriticalHandle", "HandleRef" });
            // LastErrorCalls.ReadWords, written out: reading that field would run LastErrorCalls' static constructor (about 1 ms
            // of a fresh process) for every compilation, interop or not. A test fails when the two differ.
            Add(InteropWords.LastErrorRead, new[] { "GetLastWin32Error", "GetLastPInvokeError", "GetLastSystemError", "GetHRForLastWin32Error", "Win32Exception" });
            return words;
        }
    }
}
