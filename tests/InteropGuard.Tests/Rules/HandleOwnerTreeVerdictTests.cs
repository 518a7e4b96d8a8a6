using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Robustness;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001 answers bodies whose owners are either kept alive later in their statement list or certainly not referenced
    /// after the call (no later reference, no loop or goto) from the operation tree, without the control-flow graph. The
    /// findings must be the ones the graph gives: each case and every source of the repository is analyzed both ways.
    /// </summary>
    public class HandleOwnerTreeVerdictTests
    {
        [Theory]
        // Decided from the tree: nothing refers to the owner after the call.
        [InlineData("void M(Bitmap b) { Native.draw(b.Handle, 1); }")]
        [InlineData("int M(Bitmap b) { var w = b.Width; return Native.draw(b.Handle, w); }")]
        [InlineData("int M() { var b = new Bitmap(); if (b.Width > 0) { Native.draw(b.Handle, 1); } return 0; }")]
        [InlineData("int M() => Native.draw(Bitmap.Create().Handle, 1);")]
        // Left to the graph: a read on a branch after the call keeps the owner.
        [InlineData("int M(Bitmap b, bool c) { var r = Native.draw(b.Handle, 1); if (c) r += b.Width; return r; }")]
        // A read that comes back around a loop.
        [InlineData("void M(Bitmap b) { for (var i = 0; i < 3; i++) { var w = i > 0 ? b.Width : 0; Native.draw(b.Handle, w); } }")]
        // A backward goto.
        [InlineData("void M(Bitmap b) { var n = 0; again: var w = b.Width; Native.draw(b.Handle, w); if (++n < 2) goto again; }")]
        // A store into the owner's field completes after the call.
        [InlineData("void M(Holder h) { h.Count = Native.draw(h.Bitmap.Handle, 1); }")]
        // Read again later in the same statement.
        [InlineData("int M(Bitmap b) => Native.draw(b.Handle, 1) + b.Width;")]
        // A handle held in a local first: the local's origin is read by the tree and the graph differently.
        [InlineData("void M(Bitmap b) { var h = b.Handle; Native.draw(h, 1); }")]
        public async Task TheTreeAndTheGraphAgree(string member)
        {
            var (tree, graph, _, _) = await AnalyzeBoth(Member(member));
            Assert.Equal(graph, tree);
        }

        [Theory]
        // The Dispose of the using that declares the owner reads it after the call.
        [InlineData("void M() { using var b = new Bitmap(); Native.draw(b.Handle, 1); }")]
        [InlineData("void M() { using (var b = new Bitmap()) { if (b.Width > 0) { Native.draw(b.Handle, 1); } } }")]
        // A later statement reads the owner straight through.
        [InlineData("int M(Bitmap b) { var r = Native.draw(b.Handle, 1); Console.WriteLine(b.Width); return r; }")]
        [InlineData("Bitmap M() { var b = new Bitmap(); Native.draw(b.Handle, 1); return b; }")]
        // ... after the if, block or lock holding the call, or after a loop that can end.
        [InlineData("void M(Bitmap b, bool c) { if (c) { Native.draw(b.Handle, 1); } else { Native.draw(b.Handle, 2); } GC.KeepAlive(b); }")]
        [InlineData("void M(Bitmap b, object gate) { lock (gate) { { Native.draw(b.Handle, 1); } } Console.WriteLine(b.Width); }")]
        [InlineData("unsafe void M(Bitmap b, byte[] bytes) { fixed (byte* p = bytes) { Native.draw(b.Handle, p[0]); } GC.KeepAlive(b); }")]
        [InlineData("void M(Bitmap b, int[] xs) { Native.draw(b.Handle, 1); foreach (var x in xs) { if (x > 0) break; } GC.KeepAlive(b); }")]
        // 'this' read by a later statement.
        [InlineData("class Canvas : Bitmap { int M() { var r = Native.draw(Handle, 1); return r + Width; } }")]
        public async Task ReadAfterTheCallIsDecidedFromTheTree(string member)
        {
            var (tree, graph, decided, decidedWithoutTheShortcut) = await AnalyzeBoth(Member(member));
            Assert.Equal(graph, tree);
            Assert.Empty(tree);
            // The prelude's own bodies are decided either way; the member is decided only with the shortcut.
            Assert.Equal(decidedWithoutTheShortcut + 1, decided);
        }

        [Theory]
        // The owner's using ended before the call: nothing reads it after the call.
        [InlineData("void M() { IntPtr h; using (var b = new Bitmap()) { h = b.Handle; } Native.draw(h, 1); }", 1)]
        // A return that may leave before the later read.
        [InlineData("int M(Bitmap b, bool c) { Native.draw(b.Handle, 1); if (c) return 0; return b.Width; }", 0)]
        // The owner variable is given another object before the later read.
        [InlineData("void M(Bitmap b) { Native.draw(b.Handle, 1); b = new Bitmap(); Console.WriteLine(b.Width); }", 1)]
        // A loop that cannot end stands before the later read (the graph reports nothing either way).
        [InlineData("void M(Bitmap b) { Native.draw(b.Handle, 1); while (true) { } Console.WriteLine(b.Width); }", 0)]
        // The later read is on one branch of a conditional only (the graph still finds it).
        [InlineData("int M(Bitmap b, bool c) { Native.draw(b.Handle, 1); var w = c ? b.Width : 0; return w; }", 0)]
        // A break out of the loop around the call may skip the later read.
        [InlineData("void M(Bitmap b, int[] xs) { foreach (var x in xs) { Native.draw(b.Handle, x); if (x > 0) break; Console.WriteLine(b.Width); } }", 0)]
        // The later read is in a catch handler, which a normal path does not enter.
        [InlineData("void M(Bitmap b) { Native.draw(b.Handle, 1); try { Console.WriteLine(); } catch (Exception) { Console.WriteLine(b.Width); } }", 0)]
        public async Task ShapesTheTreeDoesNotVouchForAreLeftToTheGraph(string member, int findings)
        {
            var (tree, graph, decided, decidedWithoutTheShortcut) = await AnalyzeBoth(Member(member));
            Assert.Equal(graph, tree);
            Assert.Equal(findings, graph.Length);
            // A finding kept is IG1001's on the owner 'b' at the draw call, not some other diagnostic.
            Assert.All(graph, finding => Assert.Matches(@"^IG1001 \[\d+\.\.\d+\) 'b' is not used after 'Native\.draw' receives its handle", finding));
            Assert.Equal(decidedWithoutTheShortcut, decided);
        }

        [Theory]
        // The owner is read on a branch after the call, and a later argument branches: '??', '?:', '?.', '&&' inside a call.
        // The graph holds the handle in a capture and finds its owner through it; the tree, which cannot tell that branch
        // from the statement's own, leaves the body to the graph.
        [InlineData("int M(Bitmap b, int? n) { var r = Native.draw(b.Handle, n ?? 0); if (r > 0) r += b.Width; return r; }", 0)]
        [InlineData("int M(Bitmap b, bool c) { var r = Native.draw(b.Handle, c ? 1 : 2); if (c) r += b.Width; return r; }", 0)]
        [InlineData("int M(Bitmap b, string s) { var r = Native.draw(b.Handle, s?.Length ?? 0); if (r > 0) r += b.Width; return r; }", 0)]
        [InlineData("int M(Bitmap b, bool c, bool d) { var r = Native.draw(b.Handle, Convert.ToInt32(c && d)); if (c) r += b.Width; return r; }", 0)]
        // Nothing reads the owner after the call: found through the capture, and reported.
        [InlineData("int M(Bitmap b, int? n) => Native.draw(b.Handle, n ?? 0);", 1)]
        // A temporary's handle in a captured argument: found through the capture, and reported.
        [InlineData("void M(Bitmap b, int? n) { Native.draw(Bitmap.Create().Handle, n ?? 0); var r = Native.draw(b.Handle, n ?? 1); if (r > 0) r += b.Width; }", 1)]
        public async Task ArgumentsTheGraphHoldsInCapturesAreReadAsWritten(string member, int findings)
        {
            var (tree, graph, decided, decidedWithoutTheShortcut) = await AnalyzeBoth(Member(member));
            Assert.Equal(graph, tree);
            Assert.Equal(findings, graph.Length);
            Assert.All(graph, finding => Assert.StartsWith("IG1001 ", finding));
            Assert.Equal(decidedWithoutTheShortcut, decided);
        }

        [Theory]
        // The owner an enclosing operation evaluated before the native call and takes after it: pending in the tree, in
        // a capture of the graph when a later operand branches.
        [InlineData("int M(Bitmap b, bool c) { var r = Pair(b, Native.draw(b.Handle, 1), c ? 1 : 2); return r; } static int Pair(Bitmap b, int x, int y) => x;", 0)]
        [InlineData("int M(Bitmap b, bool c) => Pair(b, Native.draw(b.Handle, c ? 1 : 2), 0); static int Pair(Bitmap b, int x, int y) => x;", 0)]
        [InlineData("class Canvas : Bitmap { int _count; void M(bool c) { _count = Native.draw(Handle, c ? 1 : 2); } }", 0)]
        [InlineData("class Canvas : Bitmap { int Twice(int x) => 2 * x; static int M(Canvas k) => k?.Twice(Native.draw(k.Handle, 1)) ?? 0; }", 0)]
        // A capture of the owner read only before the call (the conditional access is an earlier operand), or holding
        // another object on one path: nothing holds the owner across the call on every path.
        [InlineData("int M(Holder h) => h?.Bitmap?.Width + Native.draw(h.Bitmap.Handle, 1) ?? 0;", 1)]
        [InlineData("int M(Bitmap b, Bitmap o, bool c) => Pair(c ? o : b, Native.draw(b.Handle, 1), 0); static int Pair(Bitmap b, int x, int y) => x;", 1)]
        public async Task CapturedOperandsAreReadAlikeByTheTreeAndTheGraph(string member, int findings)
        {
            var (tree, graph, _, _) = await AnalyzeBoth(Member(member));
            Assert.Equal(graph, tree);
            Assert.Equal(findings, graph.Length);
            Assert.All(graph, finding => Assert.StartsWith("IG1001 ", finding));
        }

        [Theory]
        // The branching argument comes before the handle: the graph reads the handle as written and finds its owner.
        [InlineData("class Canvas { [System.Runtime.InteropServices.DllImport(\"mylib\")] static extern int paint(int x, IntPtr bitmap); int M(Bitmap b, int? n) => paint(n ?? 0, b.Handle); }", 1)]
        [InlineData("class Canvas { [System.Runtime.InteropServices.DllImport(\"mylib\")] static extern int paint(int x, IntPtr bitmap); int M(Bitmap b, int? n) { var r = paint(n ?? 0, b.Handle); if (r > 0) r += b.Width; return r; } }", 0)]
        // The branch is inside a lambda among the later arguments: a graph of its own, nothing is spilled.
        [InlineData("int M(Bitmap b, int? n) { var r = Native.draw(b.Handle, Run(() => n ?? 0)); if (r > 0) r += b.Width; return r; } static int Run(Func<int> f) => f();", 0)]
        public async Task ArgumentsTheGraphReadsAsWrittenAreLeftToIt(string member, int findings)
        {
            var (tree, graph, decided, decidedWithoutTheShortcut) = await AnalyzeBoth(Member(member));
            Assert.Equal(graph, tree);
            Assert.Equal(findings, graph.Length);
            Assert.All(graph, finding => Assert.Matches(@"^IG1001 \[\d+\.\.\d+\) 'b' is not used after '[^']*paint' receives its handle", finding));
            Assert.Equal(decidedWithoutTheShortcut, decided);
        }

        [Theory]
        // The call is a whole branch of a conditional: the condition and the other branch (which may read the owner, or
        // branch again) are on no path after it, and nothing reads the owner after the statement.
        [InlineData("int M(Bitmap b, Bitmap o) { var r = o is null ? Native.draw(b.Handle, 1) : Native.draw(b.Handle, o.Width); return r; }", 2)]
        [InlineData("int M(Bitmap b, int? n) => n is null ? Native.draw(b.Handle, 0) : n.Value + b.Width;", 1)]
        [InlineData("int M(Bitmap b, bool c, bool d) { var r = c ? d ? Native.draw(b.Handle, 1) : 0 : b.Width; return r; }", 1)]
        [InlineData("void M(Bitmap b, bool c) { if (c && b.Width > 0) Native.draw(b.Handle, 1); else Console.WriteLine(b.Width); }", 1)]
        // A read of the owner after the statement keeps it, as before.
        [InlineData("int M(Bitmap b, Bitmap o) { var r = o is null ? Native.draw(b.Handle, 1) : Native.draw(b.Handle, o.Width); return r + b.Width; }", 0)]
        public async Task CallsThatAreAWholeBranchAreDecidedFromTheTree(string member, int findings)
        {
            var (tree, graph, decided, decidedWithoutTheShortcut) = await AnalyzeBoth(Member(member));
            Assert.Equal(graph, tree);
            Assert.Equal(findings, graph.Length);
            Assert.All(graph, finding => Assert.Matches(@"^IG1001 \[\d+\.\.\d+\) 'b' is not used after 'Native\.draw' receives its handle", finding));
            Assert.Equal(decidedWithoutTheShortcut + 1, decided);
        }

        [Theory]
        // The statement goes on after the call: the assignment's target is the owner, or the conditional is an operand.
        [InlineData("void M(Bitmap b, bool c) { var n = c ? Native.draw(b.Handle, 1) : 0; b = c ? new Bitmap() : b; Console.WriteLine(n); }")]
        [InlineData("int M(Bitmap b, bool c) { var r = (c ? Native.draw(b.Handle, 1) : 0) + b.Width; return r; }")]
        [InlineData("int M(Bitmap b, bool c) { int r; r = c ? (long)Native.draw(b.Handle, 1) > 0 ? 1 : 0 : b.Width; return r; }")]
        // A constant condition, and a second declarator.
        [InlineData("int M(Bitmap b) { var r = true ? Native.draw(b.Handle, 1) : 0; return r; }")]
        [InlineData("int M(Bitmap b, bool c) { int r = c ? Native.draw(b.Handle, 1) : 0, w = b.Width; return r + w; }")]
        public async Task OtherSplitStatementsAreLeftToTheGraph(string member)
        {
            var (tree, graph, decided, decidedWithoutTheShortcut) = await AnalyzeBoth(Member(member));
            Assert.Equal(graph, tree);
            Assert.Equal(decidedWithoutTheShortcut, decided);
        }

        [Theory]
        // The call at the bottom of a left-nested chain of 100 additions, far below the depth to which the body's walk
        // recurses: it is found all the same, and nothing reads the owner after it.
        [InlineData("int M(Bitmap b) => Native.draw(b.Handle, 1){0};", 1)]
        // The owner read at the bottom of such a chain in a later statement, below the depth to which the search for a
        // reference after the call recurses: the read keeps the owner.
        [InlineData("int M(Bitmap b) {{ var r = Native.draw(b.Handle, 1); return b.Width{0}; }}", 0)]
        // A reference as deep that comes before the call's statement does not.
        [InlineData("int M(Bitmap b) {{ var w = b.Width{0}; return Native.draw(b.Handle, w); }}", 1)]
        public async Task DeepExpressionsAreReadPastTheRecursionBound(string member, int findings)
        {
            var chain = string.Concat(Enumerable.Repeat(" + 1", 100));
            var (tree, graph, decided, decidedWithoutTheShortcut) = await AnalyzeBoth(Member(string.Format(System.Globalization.CultureInfo.InvariantCulture, member, chain)));
            Assert.Equal(graph, tree);
            Assert.Equal(findings, tree.Length);
            Assert.Equal(decidedWithoutTheShortcut + 1, decided);
        }

        [Fact]
        public async Task TheRestOfTheBodyIsReadFromItsReferences()
        {
            // The search for a reference after the call prunes subtrees by their full spans and asks the exact span of the
            // references alone: reads inside the call, before its statement or in its trivia never count, one just after does.
            // Statements on one line with no space between them: the read after the call has no trivia before it.
            await DecidedFromTheTree(InClass("int M(Bitmap b) {var r=Native.draw(b.Handle,1);return r+b.Width;}"), 0);
            // The owner is read inside the call only: no reference after it; also with a conversion around the call.
            await DecidedFromTheTree(InClass("void M(Bitmap b) { Native.draw(b.Handle, b.Width); }"), 1);
            await DecidedFromTheTree(InClass("long M(Bitmap b) { long r = Native.draw(b.Handle, b.Width); return r; }"), 1);
            // A read before the call's statement, then comments on the call's line.
            await DecidedFromTheTree(InClass("int M(Bitmap b) { var w = b.Width; /* a */ var r = Native.draw(b.Handle, w); // b.Width\n return r; }"), 1);
            // 'this' read inside the call only, and read after it on the same line.
            await DecidedFromTheTree(InClass("class Canvas : Bitmap { int M() => Native.draw(Handle, Width); }"), 1);
            await DecidedFromTheTree(InClass("class Canvas : Bitmap { int M() {var r=Native.draw(Handle,1);return r+Width;} }"), 0);
        }

        /// <summary>The member in a class after the rule tests' prelude, as one concatenation (the robustness harvest compiles it whole).</summary>
        private static RobustnessSource InClass(string member)
            => SourceHarvest.All[0] with { Text = HandleOwnerLifetimeTests.Prelude + "class C\n{\n    " + member + "\n}\n", Companions = System.Array.Empty<string>(), EditorConfig = null };

        private static async Task DecidedFromTheTree(RobustnessSource source, int findings)
        {
            var (tree, graph, decided, decidedWithoutTheShortcut) = await AnalyzeBoth(source);
            Assert.Equal(graph, tree);
            Assert.Equal(findings, tree.Length);
            Assert.Equal(decidedWithoutTheShortcut + 1, decided);
        }

        [Fact]
        public async Task ALocalGivenAnotherValueDeepInAChainHasNoSingleOrigin()
        {
            // The handle's local is given another value at the bottom of a 100-term chain, below the depth to which the
            // search for the locals' values recurses: it has no single value, so no owner, and the tree answers for the
            // body (were the second value missed, the owner would be found through the local and the graph asked).
            var chain = string.Concat(Enumerable.Repeat(" + 1", 100));
            var (tree, graph, decided, _) = await AnalyzeBoth(Member("int M(Bitmap b) { var h = b.Handle; var r = (h = IntPtr.Zero).ToInt32()" + chain + "; return Native.draw(h, r); }"));
            Assert.Equal(graph, tree);
            Assert.Empty(tree);
            Assert.Equal(1, decided);
        }

        [Fact]
        public async Task NoSourceOfTheRepositoryChangesItsFindings()
        {
            var differences = new ConcurrentQueue<string>();
            var findings = 0;
            await Parallel.ForEachAsync(SourceHarvest.All, new ParallelOptions { MaxDegreeOfParallelism = VariantSet.Parallelism }, async (source, _) =>
            {
                var (tree, graph, _, _) = await AnalyzeBoth(source);
                System.Threading.Interlocked.Add(ref findings, graph.Length);
                if (!tree.SequenceEqual(graph))
                {
                    differences.Enqueue(source.Name + ": from the tree [" + string.Join("; ", tree) + "], from the graph [" + string.Join("; ", graph) + "]");
                }
            });

            Assert.True(differences.IsEmpty, string.Join("\n", differences));
            Assert.True(findings >= 50, $"Only {findings} IG1001 findings over the repository's sources: the comparison means little.");
        }

        /// <summary>The member in a class of its own after the rule tests' prelude (a type declaration stands for itself).</summary>
        private static RobustnessSource Member(string member)
        {
            var source = HandleOwnerLifetimeTests.Prelude.Replace("public Bitmap Bitmap => _bitmap;", "public Bitmap Bitmap => _bitmap;\n    public int Count;")
                         + (member.StartsWith("class ", System.StringComparison.Ordinal) ? member + "\n" : "class C\n{\n    " + member + "\n}\n");
            return SourceHarvest.All[0] with { Text = source, Companions = System.Array.Empty<string>(), EditorConfig = null };
        }

        /// <summary>The findings with the tree verdicts and with the graph alone, and how many bodies each left without a graph.</summary>
        private static async Task<(string[] Tree, string[] Graph, long Decided, long DecidedWithoutTheShortcut)> AnalyzeBoth(RobustnessSource source)
        {
            var withTree = new HandleOwnerLifetimeAnalyzer();
            var graphOnly = new HandleOwnerLifetimeAnalyzer(readTreeVerdicts: false);
            var tree = await VariantCompiler.AnalyzeAsync(source, source.Text, ImmutableArray.Create<DiagnosticAnalyzer>(withTree));
            var graph = await VariantCompiler.AnalyzeAsync(source, source.Text, ImmutableArray.Create<DiagnosticAnalyzer>(graphOnly));
            Assert.Empty(tree.Exceptions);
            Assert.Empty(graph.Exceptions);
            return (Describe(tree.Diagnostics), Describe(graph.Diagnostics), withTree.TreeDecided, graphOnly.TreeDecided);
        }

        private static string[] Describe(ImmutableArray<Diagnostic> diagnostics)
            => diagnostics.Where(d => d.Id.StartsWith("IG", System.StringComparison.Ordinal))
                .Select(d => d.Id + " " + d.Location.SourceSpan + " " + d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)
                             + " " + string.Join(",", d.AdditionalLocations.Select(l => l.SourceSpan.ToString()))
                             + " " + string.Join(",", d.Properties.OrderBy(p => p.Key).Select(p => p.Key + "=" + p.Value)))
                .OrderBy(x => x, System.StringComparer.Ordinal)
                .ToArray();
    }
}
