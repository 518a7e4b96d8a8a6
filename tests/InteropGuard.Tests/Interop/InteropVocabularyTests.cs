using System;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using InteropGuard.Interop;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Diagnostics.Telemetry;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Tests.Interop
{
    /// <summary>
    /// The cheapest gate: which interop words a tree uses, and what the analyzers register when a compilation uses none.
    /// </summary>
    public class InteropVocabularyTests
    {
        private static InteropWords Scan(string text) => InteropVocabulary.Scan(SourceText.From(text));

        [Fact]
        public void WordsAreFoundByTheirGroup()
        {
            Assert.Equal(InteropWords.NativeDeclaration, Scan("[DllImport(\"lib\")] static extern int f();") & InteropWords.NativeDeclaration);
            Assert.Equal(InteropWords.NativeCallable, Scan("var p = Marshal.GetFunctionPointerForDelegate(d);") & InteropWords.NativeCallable);
            Assert.Equal(InteropWords.Pinning, Scan("fixed (byte* p = buffer) { }") & InteropWords.Pinning);
            Assert.Equal(InteropWords.AddressOf, Scan("var p = Unsafe.AsPointer(ref x);") & InteropWords.AddressOf);
            Assert.Equal(InteropWords.UnsafeCode, Scan("unsafe class C { }"));
            Assert.Equal(InteropWords.RefCount, Scan("h.DangerousAddRef(ref ok);") & InteropWords.RefCount);
            Assert.Equal(InteropWords.Allocation, Scan("var p = AllocHGlobal(16);") & InteropWords.Allocation);
        }

        [Fact]
        public void EveryLastErrorReadWordIsFound()
        {
            // The last-error rules register nothing when no tree names one of these: each must be found on its own, and
            // not when only a comment or a longer name holds it.
            foreach (var word in LastErrorCalls.ReadWords)
            {
                Assert.Equal(InteropWords.LastErrorRead, Scan("var e = Marshal." + word + "();") & InteropWords.LastErrorRead);
                Assert.Equal(InteropWords.LastErrorRead, Scan("throw new " + word + "(\"x\");") & InteropWords.LastErrorRead);
            }

            Assert.Equal(InteropWords.None, Scan("// GetLastWin32Error\nint MyGetLastWin32Error() => 0; Win32ExceptionLike x;") & InteropWords.LastErrorRead);
        }

        [Fact]
        public void TheVocabularysCopiesOfTheCatalogueNamesAreTheCataloguesOwn()
        {
            // The vocabulary reads copies so that a compilation without interop runs neither static constructor; the
            // catalogue and LastErrorCalls stay the source of truth, and a name added to one of them must reach the copy.
            Assert.Equal(
                AllocationCatalogue.KnownAllocatorNames.OrderBy(n => n, System.StringComparer.Ordinal),
                CataloguedAllocatorNames.All.OrderBy(n => n, System.StringComparer.Ordinal));

            var lastErrorWords = InteropVocabulary.AllWords.Where(w => (Scan(w) & InteropWords.LastErrorRead) != 0);
            Assert.Equal(LastErrorCalls.ReadWords.OrderBy(n => n, System.StringComparer.Ordinal), lastErrorWords.OrderBy(n => n, System.StringComparer.Ordinal));

            // Every allocator name but the everyday Load and Alloc is an Allocation word, and no other name is one
            // besides the receivers that make Load and Alloc allocations.
            var allocationWords = InteropVocabulary.AllWords.Where(w => (Scan(w) & InteropWords.Allocation) != 0);
            var expected = AllocationCatalogue.KnownAllocatorNames.Where(n => n != "Load" && n != "Alloc")
                .Concat(new[] { "Marshal", "NativeMemory", "NativeLibrary", "GCHandle" });
            Assert.Equal(expected.OrderBy(n => n, System.StringComparer.Ordinal), allocationWords.OrderBy(n => n, System.StringComparer.Ordinal));
        }

        [Fact]
        public void CompilationsOfTheSameTreesShareOneVocabulary()
        {
            // A host that analyzes through CompilationWithAnalyzers starts the analyzers on two compilation objects of the
            // same trees: one vocabulary serves both, so each tree is read once; any other set of trees gets its own.
            var plain = CSharpSyntaxTree.ParseText("class A { }");
            var interop = CSharpSyntaxTree.ParseText("class B { [System.Runtime.InteropServices.DllImport(\"x\")] static extern void F(); }");
            var first = CSharpCompilation.Create("one", new[] { plain, interop });
            var vocabulary = InteropVocabulary.For(first);
            Assert.Same(vocabulary, InteropVocabulary.For(first.WithAssemblyName("two")));
            Assert.True(vocabulary.CompilationUses(InteropWords.NativeDeclaration));

            // A tree without words is kept by the vocabulary only; one with words for every compilation that holds it.
            Assert.Null(TreeScans.Of(plain));
            Assert.Equal(InteropWords.NativeDeclaration, TreeScans.Of(interop)!.Words & InteropWords.NativeDeclaration);
            Assert.Equal(InteropWords.None, vocabulary.Of(plain));
            Assert.Equal(InteropWords.UnsafeCode, vocabulary.Of(CSharpSyntaxTree.ParseText("unsafe class Elsewhere { }")));

            var edited = InteropVocabulary.For(first.ReplaceSyntaxTree(interop, CSharpSyntaxTree.ParseText("class B { }")));
            Assert.NotSame(vocabulary, edited);
            Assert.False(edited.CompilationUses(InteropWords.NativeDeclaration));
            var reordered = InteropVocabulary.For(CSharpCompilation.Create("three", new[] { interop, plain }));
            Assert.NotSame(vocabulary, reordered);
            Assert.True(reordered.CompilationUses(InteropWords.NativeDeclaration));
            Assert.Equal(InteropWords.None, InteropVocabulary.For(CSharpCompilation.Create("none")).InCompilation);
        }

        [Fact]
        public void TheIdentifierFilterNeverMissesANamedWord()
        {
            // Thousands of distinct identifiers in one tree (a generated P/Invoke table): every one of them must pass the
            // filter (a miss would silently drop a last-error helper), and a word in a comment only is not named.
            var names = Enumerable.Range(0, 4000).Select(i => "sy" + i.ToString("x") + "_native_call" + (i % 7)).ToArray();
            var text = "// OnlyInAComment\nstatic class N {\n" + string.Join("\n", names.Select(n => "static extern int " + n + "();")) + "\n}";
            var tree = CSharpSyntaxTree.ParseText(text);
            var vocabulary = new InteropVocabulary(Compile(text));
            foreach (var name in names)
            {
                Assert.True(vocabulary.TreeMayName(tree, new[] { IdentifierRuns.Hash(name) }), name);
            }

            Assert.True(vocabulary.TreeMayName(tree, new[] { IdentifierRuns.Hash("Absent"), IdentifierRuns.Hash("extern") }));
            var misses = Enumerable.Range(0, 1000).Count(i => vocabulary.TreeMayName(tree, new[] { IdentifierRuns.Hash("Absent" + i) }));
            Assert.True(misses < 50, misses + " of 1000 absent words passed the filter");
            Assert.False(vocabulary.TreeMayName(tree, new[] { IdentifierRuns.Hash("OnlyInAComment") }));
        }

        [Fact]
        public void PositionsOfANameAreItsWholeIdentifiersOutsideComments()
        {
            const string text = "// Open here\nclass C { void Open() { } void OpenAll() { Open(); /* Open */ } string s = \"Open\"; }";
            var compilation = Compile(text);
            var tree = compilation.SyntaxTrees.Single();
            var vocabulary = new InteropVocabulary(compilation);
            var hashes = new[] { IdentifierRuns.Hash("Open") };

            // The declaration, the call and the string (a gate may let code through); not the comments, not OpenAll.
            var expected = new[] { text.IndexOf("Open()"), text.IndexOf("Open();"), text.IndexOf("\"Open\"") + 1 };
            Assert.Equal(expected, vocabulary.PositionsOf(tree, hashes, new[] { "Open" }));
            Assert.True(vocabulary.TreeNames(tree, hashes, new[] { "Open" }));

            // A hash is only a candidate: the text at the position decides (a word of the same hash but other letters, or
            // of another length, is not there).
            Assert.Empty(vocabulary.PositionsOf(tree, hashes, new[] { "Opxn", "OpenAl" }));
            Assert.False(vocabulary.TreeNames(tree, new[] { IdentifierRuns.Hash("Close") }, new[] { "Close", "Open" }));
        }

        [Fact]
        public void TheRecordedIdentifiersSayWhenTheCompilerMayReadANameOtherwise()
        {
            var vocabulary = new InteropVocabulary(Compile("class C { }"));
            TreeIdentifiers Read(string text) => vocabulary.Identifiers(CSharpSyntaxTree.ParseText(text));

            Assert.False(Read("class C { int a = 1; }").MaySpellOtherwise);
            Assert.True(Read("class C { void M() { Marshal.\\u0041llocHGlobal(1); } }").MaySpellOtherwise);
            Assert.True(Read("class C { int a\u00AD1 = 1; }").MaySpellOtherwise);

            // Names ending in Handle are where a SafeHandle may be created; 'handle' and 'Handler' are not.
            const string handles = "class C { SafeFileHandle h; object handle; EventHandler e; BufferHandle b; }";
            var identifiers = Read(handles);
            Assert.Equal(new[] { handles.IndexOf("SafeFileHandle"), handles.IndexOf("BufferHandle") }, identifiers.HandleNameStarts);
        }

        [Theory]
        [InlineData("Microsoft.Interop.LibraryImportGenerator/Microsoft.Interop.LibraryImportGenerator/LibraryImports.g.cs", false)]
        [InlineData("/obj/generated/Microsoft.Interop.LibraryImportGenerator/Microsoft.Interop.LibraryImportGenerator/LibraryImports.g.cs", false)]
        [InlineData("MyGenerator/MyGenerator.Stubs/LibraryImports.g.cs", true)]
        [InlineData("Microsoft.Interop.LibraryImportGenerator/Microsoft.Interop.LibraryImportGenerator/MoreImports.g.cs", true)]
        [InlineData("Microsoft.Interop.LibraryImportGenerator/Microsoft.Interop.LibraryImportGenerator/MyLibraryImports.g.cs", true)]
        public void TheSdksLibraryImportStubsAreNotRead(string path, bool read)
        {
            // The SDK's one stub file is the marshalling of the declarations, read as declarations: its words (a last-error
            // read, a pin) are not the compilation's. Another generator's file of the same name, or another file of the
            // SDK's generator folder, is read as any tree.
            const string stubs = "unsafe partial class Native { public static partial int Read(byte[] b) { int r; fixed (byte* p = b) { r = __PInvoke(p); } "
                + "Marshal.SetLastPInvokeError(Marshal.GetLastSystemError()); return r; static extern int __PInvoke(byte* p); } }";
            var user = CSharpSyntaxTree.ParseText("partial class Native { [LibraryImport(\"lib\")] public static partial int Read(byte[] b); }");
            var generated = CSharpSyntaxTree.ParseText(stubs, path: path);
            var vocabulary = new InteropVocabulary(CSharpCompilation.Create("Stubs", new[] { user, generated }));

            Assert.Equal(read, vocabulary.Of(generated) != InteropWords.None);
            Assert.Equal(read, vocabulary.CompilationUses(InteropWords.LastErrorRead));
            Assert.Equal(read, vocabulary.Identifiers(generated).Count > 0);
            Assert.True(vocabulary.CompilationUses(InteropWords.NativeDeclaration));
        }

        [Fact]
        public void TreesLargerThanARecorderKeepsAreRecordedWholeAndInOrder()
        {
            // A generated stub file can hold more runs than a thread's recorder keeps between trees; its arrays are sized
            // from the text (sparse code: fewer runs than sized for) or regrown (dense code: more). Either way the record
            // holds every run and no more, and a small tree read next by the same thread is recorded from a clean start.
            var vocabulary = new InteropVocabulary(Compile("class C { }"));
            foreach (var separator in new[] { ";\n" + new string(' ', 14), ";" })
            {
                var text = new StringBuilder("class Big { void M() { ");
                const int runs = 300_000;
                for (var k = 0; k < runs; k++)
                {
                    text.Append(k % 2 == 0 ? "a" : "b").Append(separator);
                }

                text.Append("Last(); } }");
                var source = text.ToString();
                var identifiers = vocabulary.Identifiers(CSharpSyntaxTree.ParseText(source));
                Assert.Equal(runs + 5, identifiers.Count);
                Assert.Equal(source.IndexOf("Last()", StringComparison.Ordinal), identifiers.StartAt(identifiers.Count - 1));
                Assert.Equal(IdentifierRuns.Hash("Last"), identifiers.HashAt(identifiers.Count - 1));

                var small = vocabulary.Identifiers(CSharpSyntaxTree.ParseText("class S { int x; }"));
                Assert.Equal(4, small.Count);
                Assert.Equal(new[] { 10 }, small.PositionsOf(SourceText.From("class S { int x; }"), new[] { IdentifierRuns.Hash("int") }, new[] { "int" }));
            }
        }

        [Fact]
        public void EveryWordCountsInCodeAndStringsAndNotInCommentsOrLongerNames()
        {
            // The scan of code without interop takes runs from a filtered reader and looks them up in its own table; the
            // scan that records identifiers reads every run. Both must give, for each word, its groups in code and in a
            // string, nothing in a comment, and nothing for the word inside a longer name.
            Assert.True(InteropVocabulary.AllWords.Count > 50);
            foreach (var word in InteropVocabulary.AllWords)
            {
                var groups = Scan("x = " + word + ";");
                Assert.NotEqual(InteropWords.None, groups);
                Assert.Equal(groups, Scan("var s = \"a " + word + " b\";"));
                Assert.Equal(groups, Scan("/* " + word + " */ M(" + word + ");"));
                Assert.Equal(groups, ScanRecording("x = " + word + ";"));
                Assert.Equal(InteropWords.None, Scan("// " + word + "\nint a;"));
                Assert.Equal(InteropWords.None, Scan("/* " + word + " */ int a;"));
                Assert.Equal(InteropWords.None, ScanRecording("// " + word + "\nint a;"));
                Assert.Equal(InteropWords.None, Scan("int My" + word + "1;"));
            }
        }

        [Fact]
        public void TheWordsOnlyScanAndTheRecordingScanAgree()
        {
            // Safe…Handle names, words beside everyday identifiers, non-ASCII names and a run longer than 64 characters.
            var texts = new[]
            {
                "class SafeLibraryHandle : SafeHandleZeroOrMinusOneIsInvalid { } SafeXHandle a; SafeHandle b;",
                "Safe Handle SafeHandl SafeHandles aSafeFileHandle", "Größe = naïve; static extern int f(); Pin p;",
                new string('x', 70) + " fixed Safe" + new string('x', 62) + "Handle",
                "var p = Marshal.AllocHGlobal(8); GCHandle.Alloc(o); h.DangerousRelease(); Marshal.GetLastPInvokeError();",
            };
            foreach (var text in texts)
            {
                Assert.Equal(Scan(text), ScanRecording(text));
            }

            Assert.Equal(InteropWords.HandleType, Scan(texts[0]));
            Assert.Equal(InteropWords.None, Scan(texts[1]));
            Assert.Equal(InteropWords.NativeDeclaration | InteropWords.Pinning | InteropWords.Allocation, Scan(texts[2]));
            Assert.Equal(InteropWords.Pinning | InteropWords.HandleType, Scan(texts[3]));
        }

        // The words of a text as the scan that records its identifiers finds them (the vocabulary of a compilation whose
        // first tree declares a native function records every later tree).
        private static InteropWords ScanRecording(string text)
        {
            var tree = CSharpSyntaxTree.ParseText(text);
            var vocabulary = new InteropVocabulary(Compile("class C { }"));
            vocabulary.Identifiers(tree);
            return vocabulary.Of(tree);
        }

        [Fact]
        public void WordsAreWholeIdentifiers()
        {
            // 'external', 'fixedSize', 'unsafely', 'Marshaller' and 'MyPinned' contain interop words but are not them.
            Assert.Equal(InteropWords.None, Scan("var external = fixedSize + unsafely; Marshaller m; MyPinned p;"));
        }

        [Fact]
        public void CommentsAreSkippedAndCodeAfterThemIsRead()
        {
            Assert.Equal(InteropWords.None, Scan("// fixed extern unsafe\n/* stackalloc GCHandle */ int x = 1;\n/// <summary>DllImport</summary>"));
            Assert.Equal(InteropWords.Pinning, Scan("/* a comment */ fixed (byte* p = b) { } // fixed") & InteropWords.Pinning);
            Assert.Equal(InteropWords.UnsafeCode, Scan("// first line\nunsafe struct S { }"));
        }

        [Fact]
        public void OnlySafeHandleShapedNamesNameAHandleType()
        {
            Assert.Equal(InteropWords.HandleType, Scan("SafeFileHandle h = null;"));
            Assert.Equal(InteropWords.HandleType, Scan("class MyHandle : SafeHandle { }") & InteropWords.HandleType);

            // Everyday names ending in Handle: a wait handle, a runtime type handle, an event handle.
            Assert.Equal(InteropWords.None, Scan("WaitHandle w; RuntimeTypeHandle t; EventHandle e; Handle h;"));
        }

        [Fact]
        public void EverydayWordsAmongAllocatorNamesDoNotCount()
        {
            // Assembly.Load and pool.Alloc are not allocations; NativeLibrary.Load and GCHandle.Alloc are, by their receivers.
            Assert.Equal(InteropWords.None, Scan("var a = Assembly.Load(name); var b = pool.Alloc(4);"));
            Assert.Equal(InteropWords.Allocation, Scan("var lib = NativeLibrary.Load(name);") & InteropWords.Allocation);
            Assert.Equal(InteropWords.Allocation, Scan("var h = GCHandle.Alloc(o);") & InteropWords.Allocation);
        }

        [Fact]
        public void TheCompilationUsesWhatAnyOfItsTreesUses()
        {
            var compilation = Compile("class A { }", "class B { unsafe void M() { } }");
            var vocabulary = new InteropVocabulary(compilation);
            Assert.True(vocabulary.CompilationUses(InteropWords.UnsafeCode));
            Assert.False(vocabulary.CompilationUses(InteropWords.NativeDeclaration));
            Assert.False(vocabulary.TreeUses(compilation.SyntaxTrees.First(), InteropWords.UnsafeCode));
            Assert.True(vocabulary.TreeUses(compilation.SyntaxTrees.Last(), InteropWords.UnsafeCode));
        }

        [Fact]
        public async Task CodeWithoutInteropRegistersNothing()
        {
            // Business code: LINQ, async, collections, formatting; and everyday words that look like interop
            // (a Load method, a WaitHandle, 'fixed' and 'extern' in comments).
            const string plain = @"
using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;

public sealed record Order(int Id, decimal Total);

public class Orders
{
    // The price is fixed once the order is placed; the external service is not called.
    private readonly List<Order> _orders = new List<Order>();
    private readonly ManualResetEvent _ready = new ManualResetEvent(false);

    public WaitHandle Ready => _ready;

    public void Load(IEnumerable<Order> orders) => _orders.AddRange(orders.Where(o => o.Total > 0));

    public async Task<string> SummaryAsync()
    {
        await Task.Yield();
        return string.Join("", "", _orders.Select(o => $""{o.Id}: {o.Total:C}""));
    }

    public Assembly Plugin(string name) => Assembly.Load(name);
}";
            var telemetry = await TelemetryAsync(plain);
            foreach (var (analyzer, info) in telemetry)
            {
                AssertRegistersNothing(analyzer, info);
            }
        }

        /// <summary>
        /// No code, operation, symbol or syntax action registered; ConfigurationAnalyzer is exempt because it reads every
        /// tree's options to report malformed ones, interop or not.
        /// </summary>
        internal static void AssertRegistersNothing(DiagnosticAnalyzer analyzer, AnalyzerTelemetryInfo info)
        {
            if (analyzer is ConfigurationAnalyzer)
            {
                return;
            }

            Assert.True(
                info.CodeBlockActionsCount + info.CodeBlockStartActionsCount + info.OperationActionsCount + info.OperationBlockActionsCount
                + info.OperationBlockStartActionsCount + info.SymbolActionsCount + info.SymbolStartActionsCount + info.SyntaxNodeActionsCount == 0,
                analyzer.GetType().Name + " registered actions on code without interop");
        }

        [Fact]
        public async Task StackMemoryInSafeCodeRegistersNoPinningFamily()
        {
            // Span<char> buffer = stackalloc char[64] is everyday code (a formatter's scratch buffer): no pointer to it
            // exists without unsafe code, so neither the escaping-pointer rule nor the managed-references rule looks at it.
            const string safe = @"
using System;

public static class Formatter
{
    public static string Hex(int value)
    {
        Span<char> buffer = stackalloc char[16];
        return value.TryFormat(buffer, out var written, ""x"") ? new string(buffer.Slice(0, written)) : """";
    }
}";
            Assert.Equal(InteropWords.StackMemory, Scan(safe));
            var telemetry = (await TelemetryAsync(safe)).ToDictionary(t => t.Analyzer.GetType().Name, t => t.Info);
            Assert.Equal(0, telemetry[nameof(EscapingPinnedPointerAnalyzer)].CodeBlockActionsCount);
            Assert.Equal(0, telemetry[nameof(ManagedReferencesInNativeMemoryAnalyzer)].OperationBlockStartActionsCount);

            // The same stack memory in unsafe code is a pinning scope again.
            var withPointer = (await TelemetryAsync(safe.Replace("public static string Hex", "public static unsafe string Hex").Replace(
                "Span<char> buffer = stackalloc char[16];", "char* p = stackalloc char[16]; Span<char> buffer = new Span<char>(p, 16);")))
                .ToDictionary(t => t.Analyzer.GetType().Name, t => t.Info);
            Assert.True(withPointer[nameof(EscapingPinnedPointerAnalyzer)].CodeBlockActionsCount > 0);
        }

        [Fact]
        public async Task InteropCodeRegistersTheFamiliesItNeeds()
        {
            const string interop = @"
using System;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""mylib"")] public static extern int draw(IntPtr bitmap);
}";
            var telemetry = (await TelemetryAsync(interop)).ToDictionary(t => t.Analyzer.GetType().Name, t => t.Info);
            Assert.True(telemetry[nameof(HandleOwnerLifetimeAnalyzer)].OperationBlockActionsCount > 0);
            Assert.True(telemetry[nameof(OwnershipAnalyzer)].OperationBlockActionsCount > 0);

            // No pinning word, no SafeHandle reference counting: those families stay out.
            Assert.Equal(0, telemetry[nameof(EscapingPinnedPointerAnalyzer)].CodeBlockActionsCount);
            Assert.Equal(0, telemetry[nameof(SafeHandleRefCountAnalyzer)].OperationBlockActionsCount);
        }

        private static CSharpCompilation Compile(params string[] sources)
            => CSharpCompilation.Create(
                "Vocabulary",
                sources.Select(s => CSharpSyntaxTree.ParseText(s, new CSharpParseOptions(LanguageVersion.Latest))),
                ReferenceAssemblies.Framework,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));

        private static async Task<ImmutableArray<(DiagnosticAnalyzer Analyzer, AnalyzerTelemetryInfo Info)>> TelemetryAsync(string source)
        {
            var compilation = Compile(source);
            Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
            var analyzers = ProductAssemblies.Analyzers.ToImmutableArray();
            var withAnalyzers = compilation.WithAnalyzers(
                analyzers,
                new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: false, logAnalyzerExecutionTime: true));
            await withAnalyzers.GetAnalyzerDiagnosticsAsync();
            var result = ImmutableArray.CreateBuilder<(DiagnosticAnalyzer, AnalyzerTelemetryInfo)>();
            foreach (var analyzer in analyzers)
            {
                result.Add((analyzer, await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, default)));
            }

            return result.ToImmutable();
        }
    }
}
