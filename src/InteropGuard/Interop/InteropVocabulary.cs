using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
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

        /// <summary>Memory is pinned or lives on the stack: fixed, stackalloc, GCHandle, Pin, overlapped pin data.</summary>
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
        private static readonly Dictionary<string, InteropWords> Words = BuildWords();

        // Words by (length, first character, last character): a lookup that allocates nothing per identifier.
        private static readonly Dictionary<long, KeyValuePair<string, InteropWords>[]> Buckets = Words
            .GroupBy(w => BucketKey(w.Key.Length, w.Key[0], w.Key[w.Key.Length - 1]))
            .ToDictionary(g => g.Key, g => g.ToArray());

        // Per first character (ASCII), a bit per word length (below 64) that some word has: almost every identifier of a
        // text fails this test, which costs less than the bucket lookup it saves.
        private static readonly ulong[] LengthsByFirst = BuildLengthsByFirst();

        private readonly ConcurrentDictionary<SyntaxTree, InteropWords> _byTree = new ConcurrentDictionary<SyntaxTree, InteropWords>();
        private readonly ConcurrentDictionary<SyntaxTree, TreeIdentifiers> _identifiers = new ConcurrentDictionary<SyntaxTree, TreeIdentifiers>();
        private readonly CompilationWords _inCompilation;

        public InteropVocabulary(Compilation compilation)
        {
            _inCompilation = new CompilationWords(CompilationWords.TreesOf(compilation), ScanFromCursor, ScanWordsOnly);
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
            if (_byTree.TryGetValue(tree, out var words))
            {
                return words;
            }

            if ((_inCompilation.FoundSoFar & InteropWords.NativeDeclaration) != 0 && !_identifiers.ContainsKey(tree))
            {
                var (read, identifiers) = Record(tree);
                _identifiers.TryAdd(tree, identifiers);
                return read;
            }

            return _byTree.GetOrAdd(tree, ScanWordsOnly);
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
        /// Where the tree names a word (a whole identifier outside comments, one of <paramref name="wordHashes"/> for which
        /// <paramref name="isWord"/> holds), in text order, read from its identifiers and checked against its text.
        /// </summary>
        public List<int> PositionsOf(SyntaxTree tree, int[] wordHashes, Func<string, bool> isWord)
            => Identifiers(tree).PositionsOf(tree.GetText(), wordHashes, isWord);

        /// <summary>Does the tree name one of the words (<see cref="PositionsOf"/>)?</summary>
        public bool TreeNames(SyntaxTree tree, int[] wordHashes, Func<string, bool> isWord)
            => Identifiers(tree).PositionsOf(tree.GetText(), wordHashes, isWord, firstOnly: true).Count > 0;

        private (InteropWords Words, TreeIdentifiers Identifiers) Record(SyntaxTree tree)
        {
            if (TreeScans.Of(tree) is { Identifiers: { } kept } scans)
            {
                _byTree.TryAdd(tree, scans.Words);
                return (scans.Words, kept);
            }

            var text = IdentifierRuns.TextOf(tree.GetText());
            var recorder = TreeIdentifiers.Recorder.For(text.Length);
            var words = Scan(text, recorder);
            var identifiers = recorder.ToIdentifiers();
            TreeScans.Keep(tree, words, identifiers);
            _byTree.TryAdd(tree, words);
            return (words, identifiers);
        }

        // A tree taken from the gate's cursor. Once some tree has declared a native function, its identifiers are recorded in
        // the same pass: the gates of such a compilation ask for them tree by tree, and a second pass over the text (cold by
        // then) cost as much as the first.
        private InteropWords ScanFromCursor(SyntaxTree tree, InteropWords foundSoFar)
        {
            if (_byTree.TryGetValue(tree, out var words))
            {
                return words;
            }

            if ((foundSoFar & InteropWords.NativeDeclaration) != 0 && !_identifiers.ContainsKey(tree))
            {
                var (read, identifiers) = Record(tree);
                _identifiers.TryAdd(tree, identifiers);
                return read;
            }

            return _byTree.GetOrAdd(tree, ScanWordsOnly);
        }

        // Another compilation holding the same tree (a second start of one analysis pass, the IDE's next edit) read it already.
        private static InteropWords ScanWordsOnly(SyntaxTree tree)
            => TreeScans.Of(tree) is { } scans ? scans.Words : TreeScans.Keep(tree, Scan(IdentifierRuns.TextOf(tree.GetText()), null)).Words;

        /// <summary>One pass over the text (<see cref="IdentifierRuns"/>): identifiers and keywords are looked up.</summary>
        internal static InteropWords Scan(SourceText source) => Scan(IdentifierRuns.TextOf(source), null);

        /// <summary>The same, recording every run (<see cref="TreeIdentifiers"/>) when a recorder is given.</summary>
        private static InteropWords Scan(string text, TreeIdentifiers.Recorder? recorder)
        {
            var found = InteropWords.None;
            for (var runs = new IdentifierRunReader(text); runs.MoveNext();)
            {
                var start = runs.Start;
                var wordLength = runs.Length;
                var end = start + wordLength;
                recorder?.Add(text, start, wordLength);

                // Safe…Handle names the SafeHandle types of the BCL and of bindings (SafeFileHandle, SafeLibraryHandle);
                // one declared here derives from a SafeHandle base whose name the compilation then holds.
                if (wordLength >= 10 && text[start] == 'S' && text[start + 1] == 'a' && text[start + 2] == 'f' && text[start + 3] == 'e'
                    && text[end - 6] == 'H' && text[end - 5] == 'a' && text[end - 4] == 'n' && text[end - 3] == 'd' && text[end - 2] == 'l' && text[end - 1] == 'e')
                {
                    found |= InteropWords.HandleType;
                }

                var first = text[start];
                if (first < 128 && wordLength < 64 && (LengthsByFirst[first] & (1UL << wordLength)) == 0)
                {
                    continue;
                }

                if (Buckets.TryGetValue(BucketKey(wordLength, first, text[end - 1]), out var candidates))
                {
                    foreach (var candidate in candidates)
                    {
                        if (IdentifierRuns.Matches(text, start, candidate.Key))
                        {
                            found |= candidate.Value;
                        }
                    }
                }
            }

            return found;
        }

        private static ulong[] BuildLengthsByFirst()
        {
            var lengths = new ulong[128];
            foreach (var word in Words.Keys)
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

        private static long BucketKey(int length, char first, char last) => ((long)length << 32) | ((long)first << 16) | last;

        private static Dictionary<string, InteropWords> BuildWords()
        {
            var words = new Dictionary<string, InteropWords>(StringComparer.Ordinal);
            void Add(InteropWords group, IEnumerable<string> names)
            {
                foreach (var name in names)
                {
                    words[name] = words.TryGetValue(name, out var existing) ? existing | group : group;
                }
            }

            Add(InteropWords.NativeDeclaration, new[]
            {
                "DllImport", "DllImportAttribute", "LibraryImport", "LibraryImportAttribute", "extern", "unmanaged",
                "UnmanagedFunctionPointer", "UnmanagedFunctionPointerAttribute", "GetDelegateForFunctionPointer",
            });
            Add(InteropWords.NativeCallable, new[]
            {
                "GetFunctionPointerForDelegate", "UnmanagedCallersOnly", "UnmanagedCallersOnlyAttribute",
            });
            Add(InteropWords.Pinning, new[]
            {
                "fixed", "stackalloc", "GCHandle", "Pin", "MemoryHandle", "Pack", "UnsafePack", "AllocateNativeOverlapped",
                "UnsafeAllocateNativeOverlapped", "PreAllocatedOverlapped", "NativeOverlapped",
            });
            Add(InteropWords.AddressOf, new[]
            {
                "AsPointer", "GetArrayDataReference", "GetReference", "GetPinnableReference", "UnsafeAddrOfPinnedArrayElement",
                "AddrOfPinnedObject", "GetSpanDataReference",
            });
            Add(InteropWords.UnsafeCode, new[] { "unsafe" });
            // Load, Alloc and Pin are everyday words; they allocate only on receivers named here (NativeLibrary, GCHandle,
            // NativeMemory) or, for Pin, on a Memory<T>, which the Pin word itself stands for.
            Add(InteropWords.Allocation, AllocationCatalogue.KnownAllocatorNames.Where(name => name != "Load" && name != "Alloc")
                .Concat(new[] { "Marshal", "NativeMemory", "NativeLibrary", "GCHandle" }));
            Add(InteropWords.RefCount, new[] { "DangerousGetHandle", "DangerousAddRef", "DangerousRelease" });
            Add(InteropWords.HandleType, new[] { "SafeHandle", "CriticalHandle", "HandleRef" });
            Add(InteropWords.LastErrorRead, LastErrorCalls.ReadWords);
            return words;
        }
    }
}
