using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace InteropGuard.Tests.Robustness
{
    /// <summary>
    /// In the IDE the analyzers see mostly broken code: half-typed, mid-edit, mid-merge. An exception there is an
    /// AD0001 that silently switches the analyzer off for the session, so every analyzer runs on every variant.
    /// </summary>
    [Collection(RobustnessCollection.Name)]
    public class MutatedSourceAnalysisTests
    {
        private const int MinimumVariants = 10_000;

        private readonly ITestOutputHelper output;

        public MutatedSourceAnalysisTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        [Fact]
        public void TheSameSeedDrawsTheSameVariantsAndEachReplaysFromItsKey()
        {
            var source = SourceHarvest.All.First(s => s.Name.StartsWith("corpus/", StringComparison.Ordinal));
            var first = MutationPlan.For(source, 7, 40);
            var second = MutationPlan.For(source, 7, 40);
            var other = MutationPlan.For(source, 8, 40);
            Assert.Equal(first.Select(v => v.ReplayKey), second.Select(v => v.ReplayKey));
            Assert.NotEqual(first.Select(v => v.ReplayKey), other.Select(v => v.ReplayKey));
            Assert.Equal(40, first.Select(v => v.ReplayKey).Distinct().Count());
            foreach (var variant in first)
            {
                Assert.Equal(variant.Text, Variant.Parse(variant.ReplayKey).Text);
                Assert.NotEqual(source.Text, variant.Text);
            }

            Assert.Contains(first, v => v.Mutation.Kind == MutationKind.Truncate);
            Assert.Contains(first, v => v.Mutation.Kind == MutationKind.Insert);
        }

        [Fact]
        public async Task NoAnalyzerThrowsOnAnyVariant()
        {
            var variants = VariantSet.All;
            var failures = new ConcurrentBag<string>();
            int withDiagnostics = 0;
            var clock = Stopwatch.StartNew();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            await Parallel.ForEachAsync(
                variants,
                new ParallelOptions { MaxDegreeOfParallelism = VariantSet.Parallelism },
                async (variant, cancellationToken) =>
                {
                    string text = variant.Text;
                    try
                    {
                        var analysis = await VariantCompiler.AnalyzeAsync(variant.Source, text, VariantSet.Analyzers, cancellationToken).ConfigureAwait(false);
                        if (analysis.Exceptions.Count > 0)
                        {
                            failures.Add($"{variant.ReplayKey}: {string.Join(Environment.NewLine + "    ", analysis.Exceptions)}{Environment.NewLine}  ({VariantSet.HowToReplay(variant)})");
                        }

                        if (!analysis.Diagnostics.IsEmpty)
                        {
                            System.Threading.Interlocked.Increment(ref withDiagnostics);
                        }
                    }
                    catch (Exception exception)
                    {
                        failures.Add($"{variant.ReplayKey}: the analysis itself threw {exception}{Environment.NewLine}  ({VariantSet.HowToReplay(variant)})");
                    }
                });
            clock.Stop();
            var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;

            output.WriteLine(
                $"{variants.Count} variants of {SourceHarvest.All.Count} sources (seed {MutationPlan.Seed}) in {clock.Elapsed.TotalSeconds:F1} s "
                + $"({variants.Count / clock.Elapsed.TotalSeconds:F0}/s on {VariantSet.Parallelism} threads; {cpuSeconds:F1} s CPU, {1000 * cpuSeconds / variants.Count:F1} ms a variant); "
                + $"{withDiagnostics} with InteropGuard diagnostics.");
            Assert.True(failures.IsEmpty, $"Analyzers threw on {failures.Count} of {variants.Count} variants (seed {MutationPlan.Seed}):{Environment.NewLine}{string.Join(Environment.NewLine, failures.OrderBy(f => f, StringComparer.Ordinal).Take(20))}");
            if (VariantSet.Replay == null)
            {
                Assert.True(variants.Count >= MinimumVariants, $"Only {variants.Count} variants: the suite promises at least {MinimumVariants}.");
            }
        }
    }
}
