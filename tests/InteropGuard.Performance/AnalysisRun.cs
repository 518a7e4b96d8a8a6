using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Diagnostics.Telemetry;

namespace InteropGuard.Performance
{
    /// <summary>What one <c>CompilationWithAnalyzers</c> pass over a fresh compilation measured.</summary>
    internal sealed class AnalysisRun
    {
        private AnalysisRun(double wallMilliseconds, double cpuMilliseconds, ImmutableDictionary<DiagnosticAnalyzer, double> analyzerMilliseconds,
            ImmutableArray<Diagnostic> diagnostics, ImmutableArray<string> analyzerExceptions)
        {
            WallMilliseconds = wallMilliseconds;
            CpuMilliseconds = cpuMilliseconds;
            AnalyzerMilliseconds = analyzerMilliseconds;
            Diagnostics = diagnostics;
            AnalyzerExceptions = analyzerExceptions;
        }

        /// <summary>Wall-clock time of <c>GetAnalyzerDiagnosticsAsync</c> (includes binding the compilation).</summary>
        public double WallMilliseconds { get; }

        /// <summary>
        /// Processor time this process used during the pass, on all its threads (GC and JIT included). Unlike the
        /// telemetry and the wall clock it does not grow when other processes compete for the cores, and it is not
        /// charged to whichever analyzer happens to trigger shared work first (binding, graphs), so differences
        /// between passes are each analyzer set's own cost.
        /// </summary>
        public double CpuMilliseconds { get; }

        /// <summary>Each analyzer's execution time from the driver's telemetry (wall-clock per callback).</summary>
        public ImmutableDictionary<DiagnosticAnalyzer, double> AnalyzerMilliseconds { get; }

        public ImmutableArray<Diagnostic> Diagnostics { get; }

        public ImmutableArray<string> AnalyzerExceptions { get; }

        public double TotalOf(IEnumerable<DiagnosticAnalyzer> analyzers) => analyzers.Sum(a => AnalyzerMilliseconds[a]);

        public static async Task<AnalysisRun> RunAsync(Compilation compilation, ImmutableArray<DiagnosticAnalyzer> analyzers, bool concurrent)
        {
            var exceptions = new List<string>();
            var options = new CompilationWithAnalyzersOptions(
                new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
                onAnalyzerException: (exception, analyzer, _) =>
                {
                    lock (exceptions)
                    {
                        exceptions.Add($"{analyzer.GetType().Name}: {exception.GetType().Name}: {exception.Message}");
                    }
                },
                concurrentAnalysis: concurrent,
                logAnalyzerExecutionTime: true,
                reportSuppressedDiagnostics: false);

            // Start each measure from a collected heap, so one run's garbage is not charged to the next.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();

            var withAnalyzers = compilation.WithAnalyzers(analyzers, options);
            TimeSpan cpuBefore = ProcessorTime();
            var stopwatch = Stopwatch.StartNew();
            ImmutableArray<Diagnostic> diagnostics = await withAnalyzers.GetAnalyzerDiagnosticsAsync(CancellationToken.None).ConfigureAwait(false);
            stopwatch.Stop();
            TimeSpan cpu = ProcessorTime() - cpuBefore;

            var times = ImmutableDictionary.CreateBuilder<DiagnosticAnalyzer, double>();
            foreach (DiagnosticAnalyzer analyzer in analyzers)
            {
                AnalyzerTelemetryInfo telemetry = await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None).ConfigureAwait(false);
                times[analyzer] = telemetry.ExecutionTime.TotalMilliseconds;
            }

            return new AnalysisRun(stopwatch.Elapsed.TotalMilliseconds, cpu.TotalMilliseconds, times.ToImmutable(), diagnostics, exceptions.ToImmutableArray());
        }

        /// <summary>
        /// Processor time of the compiler alone binding every body and reporting its diagnostics: subtracted from a
        /// NetAnalyzers pass, it leaves what the analyzers (and the driver running them) cost.
        /// </summary>
        public static double CompilerOnlyCpuMilliseconds(Compilation compilation)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();

            TimeSpan before = ProcessorTime();
            compilation.GetDiagnostics(CancellationToken.None);
            return (ProcessorTime() - before).TotalMilliseconds;
        }

        private static TimeSpan ProcessorTime()
        {
            using Process process = Process.GetCurrentProcess();
            return process.TotalProcessorTime;
        }
    }
}
