using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace InteropGuard.Tests.Robustness
{
    /// <summary>
    /// What <c>dotnet format</c> promises: on every source of the suite that compiles, every action of every fix for
    /// every diagnostic produces code with no compiler error, and the diagnostic is gone from its line.
    /// </summary>
    [Collection(RobustnessCollection.Name)]
    public class WellFormedFixTests
    {
        private readonly ITestOutputHelper output;

        public WellFormedFixTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        [Fact]
        public async Task EveryFixCompilesAndRemovesItsDiagnostic()
        {
            var findings = await SourceFindings.AllAsync();
            var sources = findings.Where(f => f.Compiles && f.HasFixableDiagnostics).Select(f => f.Source)
                .Where(s => VariantSet.Replay == null || Variant.Parse(VariantSet.Replay).Source == s)
                .ToList();
            var results = new ConcurrentBag<FixSweepResult>();
            var clock = Stopwatch.StartNew();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            await Parallel.ForEachAsync(
                sources,
                new ParallelOptions { MaxDegreeOfParallelism = VariantSet.Parallelism },
                async (source, cancellationToken) => results.Add(await FixSweep.RunAsync(source.Name, FixApplication.CreateProject(source, source.Text), cancellationToken)));
            var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;

            var failures = results.SelectMany(r => r.Failures).OrderBy(f => f, StringComparer.Ordinal).ToList();
            var stale = results.SelectMany(r => r.Stale).ToList();
            output.WriteLine(
                $"{findings.Count(f => f.Compiles)} of {findings.Length} sources compile, {sources.Count} of them with fixable diagnostics: "
                + $"{results.Sum(r => r.Diagnostics)} diagnostics, {results.Sum(r => r.Applied)} fix actions checked ({results.Sum(r => r.Known)} known to fail) "
                + $"in {clock.Elapsed.TotalSeconds:F1} s ({cpuSeconds:F1} s CPU).");
            Assert.True(failures.Count == 0, $"{failures.Count} fix(es) fail on well-formed sources:{Environment.NewLine}{string.Join(Environment.NewLine + Environment.NewLine, failures.Take(10))}");
            Assert.True(stale.Count == 0, $"Known fix failures that now pass (take them off KnownFixFailures): {string.Join("; ", stale.Select(s => $"{s.Source} {s.DiagnosticId} {s.EquivalenceKey}"))}");
            Assert.True(VariantSet.Replay != null || results.Sum(r => r.Applied) >= 100, "Fewer than 100 fixes were checked: the harvest lost the fix tests' sources.");
        }
    }
}
