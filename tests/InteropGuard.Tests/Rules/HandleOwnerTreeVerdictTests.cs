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
            var source = HandleOwnerLifetimeTests.Prelude.Replace("public Bitmap Bitmap => _bitmap;", "public Bitmap Bitmap => _bitmap;\n    public int Count;") + "class C\n{\n    " + member + "\n}\n";
            var (tree, graph) = await AnalyzeBoth(SourceHarvest.All[0] with { Text = source, Companions = System.Array.Empty<string>(), EditorConfig = null });
            Assert.Equal(graph, tree);
        }

        [Fact]
        public async Task NoSourceOfTheRepositoryChangesItsFindings()
        {
            var differences = new ConcurrentQueue<string>();
            var findings = 0;
            await Parallel.ForEachAsync(SourceHarvest.All, new ParallelOptions { MaxDegreeOfParallelism = VariantSet.Parallelism }, async (source, _) =>
            {
                var (tree, graph) = await AnalyzeBoth(source);
                System.Threading.Interlocked.Add(ref findings, graph.Length);
                if (!tree.SequenceEqual(graph))
                {
                    differences.Enqueue(source.Name + ": from the tree [" + string.Join("; ", tree) + "], from the graph [" + string.Join("; ", graph) + "]");
                }
            });

            Assert.True(differences.IsEmpty, string.Join("\n", differences));
            Assert.True(findings >= 50, $"Only {findings} IG1001 findings over the repository's sources: the comparison means little.");
        }

        private static async Task<(string[] Tree, string[] Graph)> AnalyzeBoth(RobustnessSource source)
        {
            var tree = await VariantCompiler.AnalyzeAsync(source, source.Text, ImmutableArray.Create<DiagnosticAnalyzer>(new HandleOwnerLifetimeAnalyzer()));
            var graph = await VariantCompiler.AnalyzeAsync(source, source.Text, ImmutableArray.Create<DiagnosticAnalyzer>(new HandleOwnerLifetimeAnalyzer(readTreeVerdicts: false)));
            Assert.Empty(tree.Exceptions);
            Assert.Empty(graph.Exceptions);
            return (Describe(tree.Diagnostics), Describe(graph.Diagnostics));
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
