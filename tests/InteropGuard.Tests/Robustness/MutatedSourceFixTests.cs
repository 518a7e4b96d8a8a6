using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace InteropGuard.Tests.Robustness
{
    /// <summary>
    /// The light bulb is computed on broken code as often as analyzers run on it. On a sample of the variants of the
    /// sources that have fixable findings, every fix for every finding is computed and must not throw; a variant that
    /// still compiles (a duplicated statement, a swapped pair of arguments) is held to the well-formed standard.
    /// </summary>
    [Collection(RobustnessCollection.Name)]
    public class MutatedSourceFixTests
    {
        /// <summary>Workspaces, fixes and re-analysis cost several times an analysis: a sample keeps the run short.</summary>
        private const int Sample = 500;

        private readonly ITestOutputHelper output;

        public MutatedSourceFixTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        [Fact]
        public async Task NoFixThrowsOnAVariantAndFixesOnCompilingVariantsWork()
        {
            var variants = await SampleAsync();
            var results = new ConcurrentBag<(Variant Variant, FixSweepResult Result)>();
            var clock = Stopwatch.StartNew();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            await Parallel.ForEachAsync(
                variants,
                new ParallelOptions { MaxDegreeOfParallelism = VariantSet.Parallelism },
                async (variant, cancellationToken) =>
                    results.Add((variant, await FixSweep.RunAsync(variant.ReplayKey, FixApplication.CreateProject(variant.Source, variant.Text), cancellationToken))));
            var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;

            var failures = results.Where(r => r.Result.Failures.Count > 0)
                .OrderBy(r => r.Variant.ReplayKey, StringComparer.Ordinal)
                .Select(r => string.Join(Environment.NewLine, r.Result.Failures) + Environment.NewLine + "  (" + VariantSet.HowToReplay(r.Variant) + ")")
                .ToList();
            output.WriteLine(
                $"{variants.Count} variants (seed {MutationPlan.Seed}): {results.Sum(r => r.Result.Diagnostics)} fixable diagnostics, "
                + $"{results.Sum(r => r.Result.Applied)} fix actions computed in {clock.Elapsed.TotalSeconds:F1} s ({cpuSeconds:F1} s CPU).");
            Assert.True(failures.Count == 0, $"Fixes fail on {failures.Count} variant(s):{Environment.NewLine}{string.Join(Environment.NewLine + Environment.NewLine, failures.Take(10))}");
            Assert.True(VariantSet.Replay != null || results.Sum(r => r.Result.Applied) >= 100, "Fewer than 100 fixes were computed on variants: the sample lost its findings.");
        }

        /// <summary>Evenly spread over the variants of the analyzer test whose source has fixable findings.</summary>
        private static async Task<IReadOnlyList<Variant>> SampleAsync()
        {
            if (VariantSet.Replay != null)
            {
                return VariantSet.All;
            }

            var fixable = (await SourceFindings.AllAsync()).Where(f => f.HasFixableDiagnostics).Select(f => f.Source).ToHashSet();
            var candidates = VariantSet.All.Where(v => fixable.Contains(v.Source)).ToList();
            int stride = Math.Max(1, candidates.Count / Sample);
            return candidates.Where((_, i) => i % stride == 0).Take(Sample).ToList();
        }
    }
}
