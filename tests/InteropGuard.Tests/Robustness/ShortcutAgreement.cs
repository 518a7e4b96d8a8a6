using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using InteropGuard.Flow;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace InteropGuard.Tests.Robustness
{
    /// <summary>
    /// A tree shortcut of the path engine must give the findings the full solve gives: runs an analyzer over every source
    /// the repository holds with the shortcut on and off, and requires identical findings and a minimum number of answers
    /// from the shortcut (a comparison where it never fired would prove nothing).
    /// </summary>
    internal static class ShortcutAgreement
    {
        public static async Task OverTheRepositoryAsync(Func<FlowBudget, DiagnosticAnalyzer> analyzer, long minimumAnswers)
        {
            var sources = SourceHarvest.All;
            var differences = new ConcurrentQueue<string>();
            long answered = 0;
            await Parallel.ForEachAsync(sources, new ParallelOptions { MaxDegreeOfParallelism = VariantSet.Parallelism }, async (source, _) =>
            {
                var shortcut = new FlowBudget(64, count: true);
                var reference = new FlowBudget(64, count: false, readTreeReleases: false);
                var withShortcut = await VariantCompiler.AnalyzeAsync(source, source.Text, ImmutableArray.Create(analyzer(shortcut)));
                var solved = await VariantCompiler.AnalyzeAsync(source, source.Text, ImmutableArray.Create(analyzer(reference)));
                Assert.Empty(withShortcut.Exceptions);
                var a = Describe(withShortcut.Diagnostics);
                var b = Describe(solved.Diagnostics);
                if (!a.SequenceEqual(b))
                {
                    differences.Enqueue(source.Name + ": with the shortcut [" + string.Join("; ", a) + "], solved [" + string.Join("; ", b) + "]");
                }

                Interlocked.Add(ref answered, shortcut.GuaranteedSites);
            });

            Assert.True(differences.IsEmpty, string.Join("\n", differences));
            Assert.True(answered >= minimumAnswers, $"The shortcut answered only {answered} times over {sources.Count} sources.");
        }

        /// <summary>
        /// One analyzer over one source (which must compile), with a counting budget whose tree reading is on or off:
        /// how many answers the shortcut gave and the findings, for the shape-by-shape tests of each shortcut.
        /// </summary>
        public static async Task<(long Answered, string[] Findings)> AnalyzeAsync(string source, bool shortcut, Func<FlowBudget, DiagnosticAnalyzer> analyzer)
        {
            var budget = new FlowBudget(64, count: true, readTreeReleases: shortcut);
            var project = TestProject.Create(new[] { source }, TestProjectOptions.Default);
            var compilation = (await project.GetCompilationAsync())!;
            Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
            var exceptions = new List<Exception>();
            var options = new CompilationWithAnalyzersOptions(project.AnalyzerOptions, (exception, _, _) => exceptions.Add(exception), concurrentAnalysis: false, logAnalyzerExecutionTime: false);
            var diagnostics = await compilation.WithAnalyzers(ImmutableArray.Create(analyzer(budget)), options).GetAnalyzerDiagnosticsAsync();
            Assert.Empty(exceptions);
            return (budget.GuaranteedSites, Describe(diagnostics));
        }

        /// <summary>Id, span and message of each InteropGuard finding, in a stable order.</summary>
        public static string[] Describe(ImmutableArray<Diagnostic> diagnostics)
            => diagnostics.Where(d => d.Id.StartsWith("IG", StringComparison.Ordinal))
                .Select(d => d.Id + " " + d.Location.SourceSpan + " " + d.GetMessage(System.Globalization.CultureInfo.InvariantCulture))
                .OrderBy(x => x, StringComparer.Ordinal)
                .ToArray();
    }
}
