using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using InteropGuard.Interop;
using InteropGuard.Tests.Robustness;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Interop
{
    /// <summary>
    /// The text prefilter in front of the ownership analysis' candidate walk may only skip bodies the walk would skip:
    /// a body the walk lets through must always hold a candidate word. A miss here would silently drop findings.
    /// </summary>
    public class AllocationNamePositionsTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
sealed class BufferHandle : SafeHandle
{
    public BufferHandle() : base(IntPtr.Zero, true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => true;
}
static class Native
{
    [DllImport(""mylib"")] public static extern BufferHandle buffer_open(int size);
    [DllImport(""mylib"")] public static extern int buffer_size(IntPtr buffer);
    [DllImport(""mylib"")] public static extern void query(out IntPtr text);
    [DllImport(""mylib"")] public static extern IntPtr my_alloc(int n);
    [DllImport(""mylib"")] public static extern void my_free(IntPtr p);
}
static class Holder
{
    public static IntPtr Buffer { get { return Marshal.AllocHGlobal(16); } }
}
sealed class Api
{
    public BufferHandle Open() => Native.buffer_open(4);
}
sealed class Pool
{
    public IntPtr Alloc(int n) => IntPtr.Zero;
}
";

        [Theory]
        [InlineData("IntPtr p = Marshal.AllocHGlobal(8); Marshal.FreeHGlobal(p);")]
        [InlineData("using var h = Native.buffer_open(4);")]
        [InlineData("var h = new BufferHandle(); h.Dispose();")]
        [InlineData("Native.query(out var text); Marshal.FreeCoTaskMem(text);")]
        [InlineData("IntPtr p = Native.my_alloc(4); Native.my_free(p);")]
        // The compiler reads '\u0041llocHGlobal' as AllocHGlobal; the text scan cannot, so it gives up on the tree.
        [InlineData("IntPtr p = Marshal.\\u0041llocHGlobal(8); Marshal.FreeHGlobal(p);")]
        public void BodiesTheWalkLetsThroughAreNamed(string body)
        {
            var (candidates, positions, scope, method) = Compile(body, "interopguard.allocator_pairs = my_alloc:my_free");
            Assert.True(candidates.MayAllocate(method, scope));
            Assert.True(positions.MayName(method, scope));
            Assert.True(candidates.MayAllocate(method, scope, positions.In(method.SyntaxTree, scope)));
        }

        [Theory]
        // The nodes around the candidate words decide as the walk does: a qualified handle type, a conditional call, a
        // property read, an out argument whose value the body releases.
        [InlineData("using var h = new global::Microsoft.Win32.SafeHandles.SafeFileHandle(IntPtr.Zero, true);", true)]
        [InlineData("Native.query(out var text); var copy = text; Marshal.FreeCoTaskMem(copy);", true)]
        [InlineData("Api api = new Api(); var h = api?.Open(); h?.Dispose();", true)]
        [InlineData("var p = Holder.Buffer;", true)]
        // Look-alikes: an out argument without a release, a release without an out argument, a Handle-named local,
        // the allocator's name as a method group, an allocator name on an everyday receiver.
        [InlineData("Native.query(out var text);", false)]
        [InlineData("Marshal.FreeHGlobal(IntPtr.Zero);", false)]
        [InlineData("var handle = 0; var myHandle = handle + 1; Console.WriteLine(myHandle);", false)]
        [InlineData("Func<int, IntPtr> f = Marshal.AllocHGlobal; Console.WriteLine(f);", false)]
        [InlineData("var o = new Pool(); o.Alloc(4);", false)]
        public void TheWordPositionsDecideAsTheWalkDoes(string body, bool mayAllocate)
        {
            var (candidates, positions, scope, method) = Compile(body, editorConfig: null);
            Assert.Equal(mayAllocate, candidates.MayAllocate(method, scope));
            Assert.NotNull(positions.In(method.SyntaxTree, scope));
            Assert.Equal(mayAllocate, candidates.MayAllocate(method, scope, positions.In(method.SyntaxTree, scope)));
        }

        [Theory]
        // A name ending in Handle that is none of the candidate words counts only where it can be the type of a 'new':
        // after 'new' and its qualifiers, also with a comment, a directive, a verbatim '@' or blanks on the way.
        [InlineData("using var h = new Microsoft.Win32.SafeHandles.SafeFileHandle(IntPtr.Zero, true);", true)]
        [InlineData("using var h = new /* owned */ Microsoft.Win32.SafeHandles.SafeFileHandle(IntPtr.Zero, true);", true)]
        [InlineData("using var h = new // owned\n Microsoft.Win32.SafeHandles.SafeFileHandle(IntPtr.Zero, true);", true)]
        [InlineData("using var h = new\n#if DEBUG\n Microsoft.Win32.SafeHandles.SafeFileHandle(IntPtr.Zero, true);\n#else\n Microsoft.Win32.SafeHandles.SafeFileHandle(IntPtr.Zero, false);\n#endif", true)]
        [InlineData("using var h = new @Microsoft.Win32.SafeHandles.@SafeFileHandle(IntPtr.Zero, true);", true)]
        [InlineData("using var h = new Microsoft . Win32 . SafeHandles . SafeFileHandle(IntPtr.Zero, true);", true)]
        // Look-alikes: the same names read, cast, typed or asked for, never created.
        [InlineData("Microsoft.Win32.SafeHandles.SafeFileHandle h = null; Console.WriteLine(h?.DangerousGetHandle());", false)]
        [InlineData("object o = null; var h = (Microsoft.Win32.SafeHandles.SafeFileHandle)o; Console.WriteLine(h.DangerousGetHandle());", false)]
        [InlineData("var t = typeof(Microsoft.Win32.SafeHandles.SafeFileHandle); Console.WriteLine(t.Name);", false)]
        [InlineData("object o = null; if (o is Microsoft.Win32.SafeHandles.SafeFileHandle h) { Console.WriteLine(h.IsInvalid); }", false)]
        public void AHandleNameCountsOnlyWhereItMayBeCreated(string body, bool mayName)
        {
            TheWordPositionsDecideAsTheWalkDoes(body, mayName);
            var (_, positions, scope, method) = Compile(body, editorConfig: null);
            Assert.Equal(mayName, positions.MayName(method, scope));
        }

        [Theory]
        // Calls that hand out nothing, and words that only contain a candidate's name.
        [InlineData("Native.buffer_size(IntPtr.Zero);")]
        [InlineData("var AllocHGlobalCount = 3; Console.WriteLine(AllocHGlobalCount);")]
        [InlineData("// Marshal.AllocHGlobal(8) in a comment only\nConsole.WriteLine(1);")]
        public void BodiesWithoutACandidateWordAreSkipped(string body)
        {
            var (candidates, positions, scope, method) = Compile(body, editorConfig: null);
            Assert.False(candidates.MayAllocate(method, scope));
            Assert.False(positions.MayName(method, scope));
        }

        [Theory]
        // An out argument is a candidate only with a release the body calls: alone, the text filter skips the body.
        [InlineData("Native.query(out var text);", false)]
        [InlineData("int.TryParse(\"1\", out var n); Console.WriteLine(n);", false)]
        [InlineData("Native.query(out var text); Marshal.FreeCoTaskMem(text);", true)]
        public void AnOutArgumentAloneDoesNotPassTheTextFilter(string body, bool mayName)
        {
            var (candidates, positions, scope, method) = Compile(body, editorConfig: null);
            Assert.Equal(mayName, positions.MayName(method, scope));
            Assert.Equal(mayName, candidates.MayAllocate(method, scope));
        }

        [Fact]
        public void AFunctionCalledOutIsACandidateOfItsOwn()
        {
            // '@out' is the identifier 'out': a P/Invoke so named that returns a handle makes the word a candidate.
            var prelude = Prelude.Replace("static class Native\n{", "static class Native\n{\n    [DllImport(\"mylib\")] public static extern BufferHandle @out(int size);");
            Assert.NotEqual(Prelude, prelude);
            var (candidates, positions, scope, method) = Compile("using var h = Native.@out(4);", editorConfig: null, prelude);
            Assert.True(candidates.MayAllocate(method, scope));
            Assert.True(positions.MayName(method, scope));
        }

        [Fact]
        public void NoBodyOfTheRepositoryIsSkippedThatTheWalkLetsThrough()
        {
            var misses = new List<string>();
            int walked = 0, allocating = 0, skipped = 0;
            foreach (var (name, candidates, names, scope, _, body) in RepositoryBodies())
            {
                walked++;
                var mayAllocate = candidates.MayAllocate(body, scope);
                var mayName = names.MayName(body, scope);
                allocating += mayAllocate ? 1 : 0;
                skipped += mayName ? 0 : 1;
                if (mayAllocate && !mayName)
                {
                    misses.Add(name + ": " + body.ToString().Split('\n')[0]);
                }
            }

            Assert.True(misses.Count == 0, string.Join("\n", misses));
            // The comparison means something only if both answers were often given.
            Assert.True(allocating >= 200, $"Only {allocating} of {walked} bodies pass the candidate walk.");
            Assert.True(skipped >= 1000, $"The prefilter skipped only {skipped} of {walked} bodies.");
        }

        [Fact]
        public void ReadingTheWordPositionsGivesTheWalksAnswerOnEveryBodyOfTheRepository()
        {
            var disagreements = new List<string>();
            int allocating = 0, readFromPositions = 0;
            foreach (var (name, candidates, _, scope, positions, body) in RepositoryBodies())
            {
                var walked = candidates.MayAllocate(body, scope);
                var read = candidates.MayAllocate(body, scope, positions);
                allocating += walked ? 1 : 0;
                readFromPositions += positions != null && walked ? 1 : 0;
                if (walked != read)
                {
                    disagreements.Add($"{name}: walk {walked}, positions {read}: " + body.ToString().Split('\n')[0]);
                }
            }

            Assert.True(disagreements.Count == 0, string.Join("\n", disagreements.Take(20)));
            Assert.True(readFromPositions >= 200, $"Only {readFromPositions} of {allocating} allocating bodies were read from word positions.");
        }

        /// <summary>Every body of the repository's harvested sources, with its tree's gates and candidate-word positions.</summary>
        private static IEnumerable<(string Source, AllocationCandidates Candidates, AllocationNamePositions Names, InteropScope Scope, int[]? Positions, SyntaxNode Body)> RepositoryBodies()
        {
            foreach (var source in SourceHarvest.All)
            {
                var compilation = VariantCompiler.Compile(source, source.Text);
                var context = InteropContext.Create(compilation, VariantCompiler.OptionsFor(source));
                var candidates = new AllocationCandidates(compilation, context.Vocabulary);
                var names = new AllocationNamePositions(candidates, context.Vocabulary);
                foreach (var tree in compilation.SyntaxTrees)
                {
                    var scope = context.ForTree(tree);
                    var positions = names.In(tree, scope);
                    foreach (var body in Bodies(tree.GetRoot()))
                    {
                        yield return (source.Name, candidates, names, scope, positions, body);
                    }
                }
            }
        }

        /// <summary>What the driver hands the ownership analysis as a body root, and the functions inside them.</summary>
        private static IEnumerable<SyntaxNode> Bodies(SyntaxNode root)
            => new[] { root }.Concat(root.DescendantNodes().Where(n => n is BaseMethodDeclarationSyntax || n is AccessorDeclarationSyntax
                                                                     || n is LocalFunctionStatementSyntax || n is AnonymousFunctionExpressionSyntax
                                                                     || n is ArrowExpressionClauseSyntax || n is BlockSyntax));

        private static (AllocationCandidates, AllocationNamePositions, InteropScope, SyntaxNode) Compile(string body, string? editorConfig, string prelude = Prelude)
        {
            var source = prelude + "static class C\n{\n    static void M()\n    {\n        " + body + "\n    }\n}\n";
            var tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest), TestProject.SourcePath(0));
            var compilation = CSharpCompilation.Create(
                "NamePositions",
                new[] { tree },
                ReferenceAssemblies.Framework,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
            Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
            var provider = editorConfig == null ? EditorConfigOptions.Empty : EditorConfigOptions.Parse(editorConfig);
            var context = InteropContext.Create(compilation, new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty, provider));
            var candidates = new AllocationCandidates(compilation, context.Vocabulary);
            var method = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single(m => m.Identifier.ValueText == "M");
            return (candidates, new AllocationNamePositions(candidates, context.Vocabulary), context.ForTree(tree), method);
        }
    }
}
