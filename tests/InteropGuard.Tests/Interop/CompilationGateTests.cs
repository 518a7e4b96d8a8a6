using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using InteropGuard.Interop;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Interop
{
    /// <summary>
    /// The compilation gate every analyzer's start asks (<see cref="CompilationWords"/>): threads that ask scan trees
    /// themselves from a shared cursor. Whatever the order and the number of threads, its answers must be those of one
    /// thread reading every tree in turn.
    /// </summary>
    public class CompilationGateTests
    {
        // One group of words per source, and sources naming none; mixed by index into compilations of many trees.
        private static readonly string[] InteropSources =
        {
            "using System.Runtime.InteropServices; static class N{0} {{ [DllImport(\"lib\")] public static extern int f(); }}",
            "static class P{0} {{ static unsafe void M(byte[] b) {{ fixed (byte* p = b) {{ }} }} }}",
            "using System; using System.Runtime.InteropServices; static class A{0} {{ static void M() {{ var p = Marshal.AllocHGlobal(4); Marshal.FreeHGlobal(p); }} }}",
            "using System.Runtime.InteropServices; static class R{0} {{ static void M(SafeHandle h) {{ bool ok = false; h.DangerousAddRef(ref ok); h.DangerousRelease(); }} }}",
            "using System.Runtime.InteropServices; static class L{0} {{ static int M() => Marshal.GetLastPInvokeError(); }}",
            "using System.Runtime.CompilerServices; static class U{0} {{ static unsafe void* M(ref int x) => Unsafe.AsPointer(ref x); }}",
            "using System.Runtime.InteropServices; static class C{0} {{ [UnmanagedCallersOnly] static int M() => 0; }}",
        };

        private static readonly string PlainSource
            = "using System.Linq; // fixed, extern and unsafe only in a comment\nsealed record Item{0}(int Id) {{ public static int Sum(int[] a) => a.Where(x => x > 0).Sum(); }}";

        private static readonly InteropWords[] EveryGroup = Enum.GetValues(typeof(InteropWords)).Cast<InteropWords>().Where(w => w != InteropWords.None).ToArray();

        [Fact]
        public void TheGateAnswersAsASequentialScanOnMixedCompilations()
        {
            var random = new Random(8);
            for (var round = 0; round < 20; round++)
            {
                var sources = Enumerable.Range(0, 30)
                    .Select(i => random.Next(4) == 0 ? string.Format(InteropSources[random.Next(InteropSources.Length)], i) : string.Format(PlainSource, i))
                    .ToArray();
                var compilation = Compile(sources);
                var expected = SequentialScan(compilation);

                // Asked group by group in a random order (each early "yes" leaves trees unscanned for the next question).
                var vocabulary = new InteropVocabulary(compilation);
                foreach (var group in EveryGroup.OrderBy(_ => random.Next()))
                {
                    Assert.Equal((expected & group) != 0, vocabulary.CompilationUses(group));
                }

                Assert.Equal(expected, vocabulary.InCompilation);
                foreach (var tree in compilation.SyntaxTrees)
                {
                    Assert.Equal(InteropVocabulary.Scan(tree.GetText()), vocabulary.Of(tree));
                }
            }
        }

        [Fact]
        public async Task ManyThreadsAskingAtOnceGetTheSequentialAnswers()
        {
            var sources = Enumerable.Range(0, 200)
                .Select(i => i % 9 == 0 ? string.Format(InteropSources[(i / 9) % InteropSources.Length], i) : string.Format(PlainSource, i))
                .ToArray();
            var compilation = Compile(sources);
            var expected = SequentialScan(compilation);
            Assert.NotEqual(InteropWords.None, expected);

            for (var round = 0; round < 10; round++)
            {
                var vocabulary = new InteropVocabulary(compilation);
                const int threads = 16;
                using var ready = new Barrier(threads);
                var answers = new bool[threads][];
                var workers = Enumerable.Range(0, threads).Select(t => Task.Factory.StartNew(
                    () =>
                    {
                        ready.SignalAndWait();
                        answers[t] = EveryGroup.Skip(t % EveryGroup.Length).Concat(EveryGroup.Take(t % EveryGroup.Length))
                            .Select(group => vocabulary.CompilationUses(group)).ToArray();
                    },
                    TaskCreationOptions.LongRunning)).ToArray();
                await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));

                for (var t = 0; t < threads; t++)
                {
                    var asked = EveryGroup.Skip(t % EveryGroup.Length).Concat(EveryGroup.Take(t % EveryGroup.Length)).ToArray();
                    Assert.Equal(asked.Select(group => (expected & group) != 0), answers[t]);
                }

                Assert.Equal(expected, vocabulary.InCompilation);
                foreach (var tree in compilation.SyntaxTrees)
                {
                    Assert.Equal(InteropVocabulary.Scan(tree.GetText()), vocabulary.Of(tree));
                }
            }
        }

        [Fact]
        public async Task OnlyTheLastTreeHasInterop()
        {
            var sources = Enumerable.Range(0, 60).Select(i => string.Format(PlainSource, i))
                .Append(string.Format(InteropSources[0], 60)).ToArray();
            var compilation = Compile(sources);

            var alone = new InteropVocabulary(compilation);
            Assert.True(alone.CompilationUses(InteropWords.NativeDeclaration));
            Assert.False(alone.CompilationUses(InteropWords.Pinning | InteropWords.RefCount));
            Assert.True(alone.TreeUses(compilation.SyntaxTrees.Last(), InteropWords.NativeDeclaration));
            Assert.False(alone.TreeUses(compilation.SyntaxTrees.First(), InteropWords.NativeDeclaration));

            // The same question from many threads at once: every one of them must find the last tree's words.
            var shared = new InteropVocabulary(compilation);
            var answers = Enumerable.Range(0, 8)
                .Select(_ => Task.Run(() => shared.CompilationUses(InteropWords.NativeDeclaration) && !shared.CompilationUses(InteropWords.Pinning)))
                .ToArray();
            Assert.All(await Task.WhenAll(answers).WaitAsync(TimeSpan.FromSeconds(60)), Assert.True);
        }

        [Fact]
        public void AnEarlyYesLeavesTheOtherTreesUnscanned()
        {
            var sources = new[] { string.Format(InteropSources[0], 0) }.Concat(Enumerable.Range(1, 40).Select(i => string.Format(PlainSource, i))).ToArray();
            var trees = Compile(sources).SyntaxTrees.ToArray();
            var scanned = 0;
            var words = new CompilationWords(
                trees,
                (tree, _) => { Interlocked.Increment(ref scanned); return InteropVocabulary.Scan(tree.GetText()); },
                tree => { Interlocked.Increment(ref scanned); return InteropVocabulary.Scan(tree.GetText()); });

            Assert.True(words.Uses(InteropWords.NativeDeclaration));
            Assert.Equal(1, scanned);
            Assert.False(words.IsComplete);

            // A "no" needs every tree, each scanned once.
            Assert.False(words.Uses(InteropWords.Pinning));
            Assert.Equal(trees.Length, scanned);
            Assert.True(words.IsComplete);
        }

        [Fact]
        public async Task AThreadDoesNotWaitForATreeAnotherThreadIsScanning()
        {
            // The first tree's scan is held until the test lets it go; meanwhile another thread asks a question only every
            // tree can answer. It scans the held tree itself (words only) and answers, instead of waiting.
            var sources = new[] { string.Format(InteropSources[1], 0) }.Concat(Enumerable.Range(1, 10).Select(i => string.Format(PlainSource, i))).ToArray();
            var trees = Compile(sources).SyntaxTrees.ToArray();
            using var holding = new ManualResetEventSlim(false);
            using var release = new ManualResetEventSlim(false);
            var words = new CompilationWords(
                trees,
                (tree, _) =>
                {
                    if (tree == trees[0])
                    {
                        holding.Set();
                        release.Wait(TimeSpan.FromSeconds(60));
                    }

                    return InteropVocabulary.Scan(tree.GetText());
                },
                tree => InteropVocabulary.Scan(tree.GetText()));

            var holder = Task.Factory.StartNew(() => words.Uses(InteropWords.Pinning), TaskCreationOptions.LongRunning);
            Assert.True(holding.Wait(TimeSpan.FromSeconds(60)));
            var asker = Task.Factory.StartNew(() => (words.Uses(InteropWords.Pinning), words.Uses(InteropWords.NativeDeclaration)), TaskCreationOptions.LongRunning);
            // A timeout here means the second thread waited for the first one's tree.
            Assert.Equal((true, false), await asker.WaitAsync(TimeSpan.FromSeconds(60)));
            Assert.True(words.IsComplete);

            release.Set();
            Assert.True(await holder.WaitAsync(TimeSpan.FromSeconds(60)));
            Assert.Equal(InteropWords.Pinning | InteropWords.UnsafeCode, words.All());
        }

        [Fact]
        public async Task ManyTreesWithoutInteropRegisterNothing()
        {
            var compilation = Compile(Enumerable.Range(0, 50).Select(i => string.Format(PlainSource, i)).ToArray());
            Assert.Equal(InteropWords.None, SequentialScan(compilation));
            Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

            var analyzers = ProductAssemblies.Analyzers.ToImmutableArray();
            var withAnalyzers = compilation.WithAnalyzers(
                analyzers,
                new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: true, logAnalyzerExecutionTime: true));
            Assert.Empty(await withAnalyzers.GetAnalyzerDiagnosticsAsync());
            foreach (var analyzer in analyzers)
            {
                InteropVocabularyTests.AssertRegistersNothing(analyzer, await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, default));
            }
        }

        [Fact]
        public async Task WellKnownTypesResolvedOnFirstUseAreTheCompilationsTypes()
        {
            var compilation = Compile("class C { }");
            var expected = new Dictionary<string, string>
            {
                [nameof(WellKnownTypes.Marshal)] = "System.Runtime.InteropServices.Marshal",
                [nameof(WellKnownTypes.SafeHandle)] = "System.Runtime.InteropServices.SafeHandle",
                [nameof(WellKnownTypes.GCHandle)] = "System.Runtime.InteropServices.GCHandle",
                [nameof(WellKnownTypes.Span)] = "System.Span`1",
                [nameof(WellKnownTypes.Pinnable)] = "System.Buffers.IPinnable",
                [nameof(WellKnownTypes.ThreadingTimer)] = "System.Threading.Timer",
                [nameof(WellKnownTypes.UnmanagedFunctionPointerAttribute)] = "System.Runtime.InteropServices.UnmanagedFunctionPointerAttribute",
            };

            // Every property names its own type: read from many threads at once, each gets the compilation's symbol.
            var types = WellKnownTypes.Create(compilation);
            var properties = typeof(WellKnownTypes).GetProperties().Where(p => p.PropertyType == typeof(INamedTypeSymbol)).ToArray();
            var reads = Enumerable.Range(0, 8)
                .Select(_ => Task.Run(() => properties.ToDictionary(p => p.Name, p => (INamedTypeSymbol?)p.GetValue(types))))
                .ToArray();

            var namedOtherwise = new Dictionary<string, string>
            {
                [nameof(WellKnownTypes.Pinnable)] = "IPinnable", [nameof(WellKnownTypes.ThreadingTimer)] = "Timer", [nameof(WellKnownTypes.GenericWeakReference)] = "WeakReference",
            };
            foreach (var read in await Task.WhenAll(reads).WaitAsync(TimeSpan.FromSeconds(60)))
            {
                Assert.Equal(properties.Length, read.Values.Distinct(SymbolEqualityComparer.Default).Count());
                foreach (var property in properties)
                {
                    Assert.Equal(namedOtherwise.TryGetValue(property.Name, out var name) ? name : property.Name, read[property.Name]?.Name);
                }

                foreach (var (name, metadataName) in expected)
                {
                    Assert.Same(compilation.GetTypeByMetadataName(metadataName), read[name]);
                }
            }

            Assert.Equal("Dispose", types.DisposeMethod?.Name);
        }

        [Fact]
        public void ACompilationSharingTreesReusesWhatTheFirstRead()
        {
            // Two compilation objects over the same trees, as CompilationWithAnalyzers hands to the starts of one pass.
            var sources = Enumerable.Range(0, 30).Select(i => i % 5 == 0 ? string.Format(InteropSources[i % InteropSources.Length], i) : string.Format(PlainSource, i)).ToArray();
            var first = Compile(sources);
            var second = first.WithAssemblyName("Clone");
            var expected = SequentialScan(first);

            var before = new InteropVocabulary(first);
            Assert.Equal(expected, before.InCompilation);
            var after = new InteropVocabulary(second);
            Assert.Equal(expected, after.InCompilation);
            foreach (var tree in first.SyntaxTrees)
            {
                Assert.Equal(InteropVocabulary.Scan(tree.GetText()), after.Of(tree));

                // Identifiers recorded for one compilation are the other's: the same object, not a second pass.
                Assert.Same(before.Identifiers(tree), after.Identifiers(tree));
            }
        }

        [Fact]
        public void AnEditedTreeIsReadAgainWhileTheOthersAreReused()
        {
            var plain = Compile(Enumerable.Range(0, 10).Select(i => string.Format(PlainSource, i)).ToArray());
            Assert.False(new InteropVocabulary(plain).CompilationUses(InteropWords.NativeDeclaration));

            // The IDE's next edit: one tree replaced, the other nine the same objects.
            var edited = plain.SyntaxTrees.ElementAt(4);
            var withInterop = edited.WithChangedText(edited.GetText().WithChanges(
                new Microsoft.CodeAnalysis.Text.TextChange(new Microsoft.CodeAnalysis.Text.TextSpan(edited.Length, 0), "\nstatic class N { [System.Runtime.InteropServices.DllImport(\"lib\")] static extern void f(); }")));
            var next = plain.ReplaceSyntaxTree(edited, withInterop);
            var vocabulary = new InteropVocabulary(next);
            Assert.True(vocabulary.CompilationUses(InteropWords.NativeDeclaration));
            Assert.Equal(InteropWords.NativeDeclaration, vocabulary.Of(withInterop));
            Assert.Equal(InteropWords.None, vocabulary.Of(next.SyntaxTrees.First()));
            Assert.False(new InteropVocabulary(plain).CompilationUses(InteropWords.NativeDeclaration));
        }

        private static InteropWords SequentialScan(Compilation compilation)
            => compilation.SyntaxTrees.Aggregate(InteropWords.None, (words, tree) => words | InteropVocabulary.Scan(tree.GetText()));

        private static CSharpCompilation Compile(params string[] sources)
            => CSharpCompilation.Create(
                "Gate",
                sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, new CSharpParseOptions(LanguageVersion.Latest), path: "File" + i + ".cs")),
                ReferenceAssemblies.Framework,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
    }
}
