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
            ImmutableDictionary<DiagnosticAnalyzer, AnalyzerCharge> charges, ImmutableArray<Diagnostic> diagnostics, ImmutableArray<string> analyzerExceptions)
        {
            WallMilliseconds = wallMilliseconds;
            CpuMilliseconds = cpuMilliseconds;
            AnalyzerMilliseconds = analyzerMilliseconds;
            Charges = charges;
            Diagnostics = diagnostics;
            AnalyzerExceptions = analyzerExceptions;
            PauseMilliseconds = charges.Values.Sum(charge => charge.PauseMilliseconds);
            double megabytes = charges.Values.Sum(charge => charge.AllocatedBytes) / 1_048_576.0;
            PauseMillisecondsPerMegabyte = megabytes == 0 ? 0 : PauseMilliseconds / megabytes;
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

        /// <summary>
        /// Each analyzer's callbacks' own processor time (<see cref="ChargedAnalyzer"/>), keyed by the analyzer itself;
        /// empty when the pass ran the analyzers unwrapped.
        /// </summary>
        public ImmutableDictionary<DiagnosticAnalyzer, AnalyzerCharge> Charges { get; }

        public ImmutableArray<Diagnostic> Diagnostics { get; }

        /// <summary>The collections' pauses inside every charged callback of the pass (each capped at its callback's time).</summary>
        public double PauseMilliseconds { get; }

        /// <summary>
        /// What an allocated megabyte cost in collections in this pass: the pauses inside the callbacks over what the
        /// callbacks allocated. Taken from the callbacks alone (not the process's wall-clock pauses, which grow with
        /// the machine's load), so that sharing the pauses out keeps the callbacks' total as measured.
        /// </summary>
        public double PauseMillisecondsPerMegabyte { get; }

        public ImmutableArray<string> AnalyzerExceptions { get; }

        public double TotalOf(IEnumerable<DiagnosticAnalyzer> analyzers) => analyzers.Sum(a => AnalyzerMilliseconds[a]);

        public double ChargedTotalOf(IEnumerable<DiagnosticAnalyzer> analyzers) => analyzers.Sum(a => Charges[a].Milliseconds);

        /// <summary>
        /// An analyzer's processor time with the collections shared out by allocation: its callbacks' time less the
        /// pauses that fell inside them, plus what it allocated at the pass's cost per megabyte. Which callback a
        /// collection interrupts is chance; what each analyzer allocates is not, so this is the expected charge, and it
        /// moves far less between rounds than <see cref="AnalyzerCharge.Milliseconds"/>.
        /// </summary>
        public double SharedCollectionsMilliseconds(DiagnosticAnalyzer analyzer)
        {
            AnalyzerCharge charge = Charges[analyzer];
            return charge.Milliseconds - charge.PauseMilliseconds + (charge.AllocatedBytes / 1_048_576.0 * PauseMillisecondsPerMegabyte);
        }

        public double SharedCollectionsTotalOf(IEnumerable<DiagnosticAnalyzer> analyzers) => analyzers.Sum(SharedCollectionsMilliseconds);

        public double ChargedAllocatedKbOf(IEnumerable<DiagnosticAnalyzer> analyzers) => analyzers.Sum(a => Charges[a].AllocatedBytes / 1024.0);

        /// <param name="charged">Run each analyzer inside a <see cref="ChargedAnalyzer"/> (or <see cref="ChargedSuppressor"/>) to measure its own processor time.</param>
        /// <param name="configOptions">.editorconfig options every file sees; none when null.</param>
        public static async Task<AnalysisRun> RunAsync(Compilation compilation, ImmutableArray<DiagnosticAnalyzer> analyzers, bool concurrent, bool charged = false, AnalyzerConfigOptionsProvider? configOptions = null)
        {
            ImmutableArray<DiagnosticAnalyzer> unwrapped = analyzers;
            if (charged)
            {
                analyzers = analyzers.Select(ChargedAnalyzer.Wrap).ToImmutableArray();
            }

            var exceptions = new List<string>();
            var options = new CompilationWithAnalyzersOptions(
                configOptions == null ? new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty) : new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty, configOptions),
                onAnalyzerException: (exception, analyzer, _) =>
                {
                    lock (exceptions)
                    {
                        exceptions.Add($"{ChargedAnalyzer.NameOf(analyzer)}: {exception.GetType().Name}: {exception.Message}");
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
            var charges = ImmutableDictionary.CreateBuilder<DiagnosticAnalyzer, AnalyzerCharge>();
            for (int i = 0; i < analyzers.Length; i++)
            {
                AnalyzerTelemetryInfo telemetry = await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzers[i], CancellationToken.None).ConfigureAwait(false);
                times[unwrapped[i]] = telemetry.ExecutionTime.TotalMilliseconds;
                if (analyzers[i] is ICharged chargedAnalyzer)
                {
                    charges[unwrapped[i]] = chargedAnalyzer.Charge;
                }
            }

            return new AnalysisRun(stopwatch.Elapsed.TotalMilliseconds, cpu.TotalMilliseconds, times.ToImmutable(), charges.ToImmutable(), diagnostics, exceptions.ToImmutableArray());
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
