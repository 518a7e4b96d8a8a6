using System;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Tests.Robustness
{
    /// <summary>What the analyzers report on a source as written, and whether it compiles.</summary>
    public sealed record SourceFinding(RobustnessSource Source, bool Compiles, ImmutableArray<Diagnostic> Diagnostics)
    {
        /// <summary>Whether some code fix provider fixes one of the diagnostics' ids.</summary>
        public bool HasFixableDiagnostics => Diagnostics.Any(d => FixApplication.ProvidersFor(d.Id).Any());
    }

    /// <summary>The un-mutated sources analysed once per test run, for the fix tests to choose their inputs from.</summary>
    public static class SourceFindings
    {
        private static readonly Lazy<Task<ImmutableArray<SourceFinding>>> AllFindings =
            new Lazy<Task<ImmutableArray<SourceFinding>>>(ComputeAsync, LazyThreadSafetyMode.ExecutionAndPublication);

        public static Task<ImmutableArray<SourceFinding>> AllAsync() => AllFindings.Value;

        private static async Task<ImmutableArray<SourceFinding>> ComputeAsync()
        {
            var sources = SourceHarvest.All;
            var findings = new SourceFinding[sources.Count];
            await Parallel.ForEachAsync(
                Enumerable.Range(0, sources.Count),
                new ParallelOptions { MaxDegreeOfParallelism = VariantSet.Parallelism },
                async (i, cancellationToken) =>
                {
                    var analysis = await VariantCompiler.AnalyzeAsync(sources[i], sources[i].Text, VariantSet.Analyzers, cancellationToken).ConfigureAwait(false);
                    bool compiles = !analysis.Compilation.GetDiagnostics(cancellationToken).Any(d => d.Severity == DiagnosticSeverity.Error);
                    findings[i] = new SourceFinding(sources[i], compiles, analysis.Diagnostics);
                }).ConfigureAwait(false);
            return findings.ToImmutableArray();
        }
    }
}
