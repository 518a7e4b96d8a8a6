using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Performance
{
    /// <summary>
    /// <c>--wrapper-overhead</c>: what <see cref="ChargedAnalyzer"/> itself costs, so that the per-analyzer processor
    /// figures can be read with their bias in mind. Two measures: a tight loop of empty callbacks (the added cost per
    /// callback, and what an empty callback is charged), and a do-nothing analyzer on the workload, unwrapped and
    /// wrapped alternately (the added processor time of a real pass, per callback).
    /// </summary>
    internal static class WrapperOverhead
    {
        private const int LoopCallbacks = 2_000_000;

        public static async Task<int> RunAsync(HarnessOptions options, Workload workload, ImmutableDictionary<string, ReportDiagnostic> severities)
        {
            (double directNs, double wrappedNs, double chargedNs) = Loop();
            Console.WriteLine(
                $"tight loop, {LoopCallbacks:N0} empty callbacks: direct {directNs:0.0} ns each, wrapped {wrappedNs:0.0} ns each " +
                $"(+{wrappedNs - directNs:0.0} ns); an empty callback is charged {chargedNs:0.0} ns before the floor " +
                $"({AnalyzerCharge.FloorNanoseconds:0.0} ns, calibrated at start) is subtracted");

            var plain = new List<double>();
            var wrapped = new List<double>();
            var charged = new List<double>();
            long callbacks = 0;
            for (int round = 0; round <= options.Runs; round++)
            {
                Console.Error.Write($"\r{workload.Name}: {(round == 0 ? "warm-up" : $"run {round}/{options.Runs}")}...   ");
                // Which pass goes first alternates: the second pass of a round tends to run on a warmer process.
                AnalysisRun unwrappedRun, wrappedRun;
                if (round % 2 == 0)
                {
                    unwrappedRun = await DoNothingPassAsync(workload, severities, options, charged: false);
                    wrappedRun = await DoNothingPassAsync(workload, severities, options, charged: true);
                }
                else
                {
                    wrappedRun = await DoNothingPassAsync(workload, severities, options, charged: true);
                    unwrappedRun = await DoNothingPassAsync(workload, severities, options, charged: false);
                }

                if (round > 0)
                {
                    plain.Add(unwrappedRun.CpuMilliseconds);
                    wrapped.Add(wrappedRun.CpuMilliseconds);
                    AnalyzerCharge charge = wrappedRun.Charges.Values.Single();
                    charged.Add(charge.Milliseconds);
                    callbacks = charge.Callbacks;
                }
            }

            Console.Error.Write("\r" + new string(' ', 60) + "\r");
            var differences = wrapped.Select((ms, i) => ms - plain[i]).ToList();
            double difference = Statistics.Median(differences);
            Console.WriteLine(
                $"{workload.Name}, a do-nothing operation analyzer ({callbacks:N0} callbacks a pass), process processor time of the pass, " +
                $"median of {options.Runs}: unwrapped {Statistics.Median(plain):N0} ms, wrapped {Statistics.Median(wrapped):N0} ms; paired difference " +
                $"{Statistics.FormatSigned(difference, "N0")} ms (runs {Statistics.FormatSigned(differences.Min(), "N0")} to {Statistics.FormatSigned(differences.Max(), "N0")}) = " +
                $"{Statistics.Format(difference * 1_000_000 / Math.Max(1, callbacks), "0")} ns per callback; charged to the do-nothing analyzer, " +
                $"floor subtracted: {Statistics.FormatSigned(Statistics.Median(charged), "N1")} ms = " +
                $"{Statistics.FormatSigned(Statistics.Median(charged) * 1_000_000 / Math.Max(1, callbacks), "0")} ns per callback (the bias left in every analyzer's figure)");
            return 0;
        }

        private static Task<AnalysisRun> DoNothingPassAsync(Workload workload, ImmutableDictionary<string, ReportDiagnostic> severities, HarnessOptions options, bool charged) =>
            AnalysisRun.RunAsync(workload.Compile(severities), ImmutableArray.Create<DiagnosticAnalyzer>(new DoNothingAnalyzer()), options.Concurrent, charged);

        private static (double DirectNs, double WrappedNs, double ChargedNs) Loop()
        {
            Action<int> empty = _ => { };
            var charge = new AnalyzerCharge();
            for (int i = 0; i < LoopCallbacks / 10; i++)
            {
                empty(i);
                charge.Run(empty, i);
            }

            charge = new AnalyzerCharge();
            long start = ThreadCpuClock.NowNanoseconds();
            for (int i = 0; i < LoopCallbacks; i++)
            {
                empty(i);
            }

            long direct = ThreadCpuClock.NowNanoseconds() - start;
            start = ThreadCpuClock.NowNanoseconds();
            for (int i = 0; i < LoopCallbacks; i++)
            {
                charge.Run(empty, i);
            }

            long wrapped = ThreadCpuClock.NowNanoseconds() - start;
            return ((double)direct / LoopCallbacks, (double)wrapped / LoopCallbacks, charge.RawMilliseconds * 1_000_000 / LoopCallbacks);
        }

        /// <summary>An operation action on every operation, doing nothing: the wrapper's cost is all there is to see.</summary>
        private sealed class DoNothingAnalyzer : DiagnosticAnalyzer
        {
#pragma warning disable RS2008 // A measuring aid that never reports and never ships: nothing to track.
            private static readonly DiagnosticDescriptor Never = new DiagnosticDescriptor(
                "PERF0001", "Never reported", "Never reported", "Performance", DiagnosticSeverity.Warning, isEnabledByDefault: true);
#pragma warning restore RS2008

            private static readonly ImmutableArray<OperationKind> EveryKind = Enum.GetValues<OperationKind>()
                .Where(kind => kind != OperationKind.None)
                .Distinct()
                .ToImmutableArray();

            public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Never);

            public override void Initialize(AnalysisContext context)
            {
                context.EnableConcurrentExecution();
                context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
                context.RegisterOperationAction(_ => { }, EveryKind);
            }
        }
    }
}
