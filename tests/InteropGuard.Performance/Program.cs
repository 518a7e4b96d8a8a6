using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Performance
{
    /// <summary>
    /// InteropGuard's performance harness: analyzes synthetic (or given) code with the SDK's NetAnalyzers alone and
    /// together with InteropGuard, in one process, and reports InteropGuard's time relative to NetAnalyzers'.
    /// See docs/performance.md.
    /// </summary>
    internal static class Program
    {
        private const int CheckSize = 20;

        public static async Task<int> Main(string[] args)
        {
            HarnessOptions options;
            try
            {
                options = HarnessOptions.Parse(args);
            }
            catch (UsageException exception)
            {
                Console.Error.WriteLine("error: " + exception.Message);
                Console.Error.WriteLine(HarnessOptions.Usage);
                return 2;
            }

            if (options.Help)
            {
                Console.WriteLine(HarnessOptions.Usage);
                return 0;
            }

            if (options.DumpDirectory != null)
            {
                return Dump(options);
            }

            try
            {
                return options.MemoryChild ? await MemoryProbe.RunChildAsync(options) : await RunAsync(options);
            }
            catch (UsageException exception)
            {
                Console.Error.WriteLine("error: " + exception.Message);
                Console.Error.WriteLine(HarnessOptions.Usage);
                return 2;
            }
            catch (Exception exception) when (exception is InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine("error: " + exception.Message);
                return 2;
            }
        }

        private static int Dump(HarnessOptions options)
        {
            int size = options.Sizes.Max();
            foreach (Flavour flavour in options.Flavours)
            {
                for (int i = 0; i < size; i++)
                {
                    string name = flavour == Flavour.Interop ? Synthetic.InteropBindingCode.FileName(i) : Synthetic.BusinessCode.FileName(i);
                    string path = Path.Combine(options.DumpDirectory!, flavour.ToString().ToLowerInvariant(), name);
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    File.WriteAllText(path, flavour == Flavour.Interop ? Synthetic.InteropBindingCode.File(i, options.RunGenerators) : Synthetic.BusinessCode.File(i));
                }
            }

            Console.WriteLine($"Wrote {size} files per flavour under {options.DumpDirectory}");
            return 0;
        }

        private static async Task<int> RunAsync(HarnessOptions options)
        {
            AnalyzerSets sets = AnalyzerSets.Load(options.Analyzers);
            (int enabled, int total) = sets.NetAnalyzersRuleCount(options.NetAnalyzers);
            int runs = options.Check ? 1 : options.Runs;
            var result = new HarnessResult
            {
                StartedUtc = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
                ProcessorCount = Environment.ProcessorCount,
                Runtime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
                RoslynVersion = typeof(Compilation).Assembly.GetName().Version?.ToString() ?? "?",
                NetAnalyzersVersion = sets.NetAnalyzersVersion,
                NetAnalyzersRules = options.NetAnalyzers == NetAnalyzersRules.All ? "all" : "default",
                NetAnalyzersRulesEnabled = enabled,
                NetAnalyzersRulesTotal = total,
                NetAnalyzersAnalyzerCount = sets.NetAnalyzers.Length,
                InteropGuardAnalyzers = sets.InteropGuard.Select(a => a.GetType().Name).ToList(),
                ConcurrentAnalysis = options.Concurrent,
                Clock = options.Clock == Clock.Cpu ? (ThreadCpuClock.IsProcessorTime ? "cpu" : "cpu (wall fallback)") : "wall",
                Runs = runs,
                LibraryImportGenerator = options.RunGenerators,
            };

            Console.WriteLine(
                $"InteropGuard performance harness: {result.ProcessorCount} cores, {result.Runtime}, Roslyn {result.RoslynVersion}, " +
                $"concurrent analysis {(options.Concurrent ? "on" : "off")}, {(options.Check ? "check mode: 1 run, no warm-up, times not meaningful" : $"warm-up + median of {runs} runs")}");
            if (options.Clock == Clock.Cpu || options.Check || options.WrapperOverhead)
            {
                result.CallbackFloorNanoseconds = AnalyzerCharge.Calibrate();
            }

            Console.WriteLine(options.Clock == Clock.Cpu
                ? $"Clock: each analyzer's callbacks' own {ThreadCpuClock.Description}, one pass with both sets per round; " +
                  $"each callback's charge less the clock's own cost, {result.CallbackFloorNanoseconds:0} ns (calibrated at start)" +
                  (options.PreBind ? "; every body bound before the analyzers' per-body work (--prebind): binding is charged to no set" : "")
                : "Clock: the driver's wall-clock telemetry per analyzer, and process processor time over four passes per round (--clock wall)");
            Console.WriteLine(
                $"NetAnalyzers {sets.NetAnalyzersVersion} (NuGet package, {sets.NetAnalyzers.Length} analyzers), rules: " +
                $"{result.NetAnalyzersRules} ({enabled} of {total} rule ids enabled); " +
                $"InteropGuard: {sets.InteropGuard.Length} analyzers; LibraryImport generator {(options.RunGenerators ? "run" : "not run")}");
            Console.WriteLine();

            var workloads = new List<Func<Workload>>();
            if (options.SourcesMode)
            {
                workloads.Add(() => Workload.Sources(options).Fresh(options));
            }
            else
            {
                IReadOnlyList<int> sizes = options.Check ? new[] { CheckSize } : options.Sizes;
                IReadOnlyList<Flavour> flavours = options.Check ? new[] { Flavour.Interop, Flavour.Plain } : options.Flavours;
                foreach (Flavour flavour in flavours)
                {
                    foreach (int size in sizes)
                    {
                        workloads.Add(() => Workload.Synthetic(flavour, size, options).Fresh(options));
                    }
                }
            }

            var checkFailures = new List<string>();
            foreach (Func<Workload> create in workloads)
            {
                Workload workload = create();
                ImmutableArray<Diagnostic> errors = workload.CompilerErrors();
                if (errors.Length > 0 && workload.Kind != "sources")
                {
                    Console.Error.WriteLine($"error: the synthetic {workload.Name} code has {errors.Length} compiler errors:");
                    foreach (Diagnostic error in errors.Take(20))
                    {
                        Console.Error.WriteLine("  " + error);
                    }

                    return 2;
                }

                if (errors.Length > 0)
                {
                    Console.WriteLine(
                        $"{workload.Name}: {errors.Length} compiler errors (expected for code compiled without its package " +
                        $"references; analyzers still run), most common: " +
                        string.Join(", ", errors.GroupBy(e => e.Id).OrderByDescending(g => g.Count()).Take(4).Select(g => $"{g.Key} x{g.Count()}")));
                }

                if (options.WrapperOverhead)
                {
                    await WrapperOverhead.RunAsync(options, workload, sets.NetAnalyzersOptions(options.NetAnalyzers));
                    continue;
                }

                if (options.FindingsOnly)
                {
                    AnalysisRun pass = await AnalysisRun.RunAsync(
                        workload.Compile(sets.NetAnalyzersOptions(options.NetAnalyzers)), sets.InteropGuard, options.Concurrent,
                        configOptions: options.EditorConfigFile != null ? new ConfigFileOptions(options.EditorConfigFile, options.ConfigOptions)
                            : options.ConfigOptions.Count > 0 ? new EveryFileOptions(options.ConfigOptions) : null);
                    Findings.Write(options.FindingsFile!, workload, pass, sets);
                    continue;
                }

                WorkloadResult measured = await MeasureAsync(workload, sets, options, runs, errors.Length);
                if (options.FindingsFile != null)
                {
                    Findings.Write(options.FindingsFile, workload, measured.LastBothRun!, sets);
                }

                result.Workloads.Add(measured);
                Report.PrintWorkload(measured, sets);

                if (options.Check)
                {
                    if (measured.AnalyzerExceptions.Count > 0)
                    {
                        checkFailures.Add($"{workload.Name}: {measured.AnalyzerExceptions.Count} analyzer exceptions");
                    }

                    string? disagreement = await WrappedAndUnwrappedDisagreeAsync(workload, sets, options, measured.LastBothRun!);
                    if (disagreement != null)
                    {
                        checkFailures.Add($"{workload.Name}: {disagreement}");
                    }

                    // Sharing the collections out moves time between analyzers; it must not make or lose any.
                    AnalysisRun last = measured.LastBothRun!;
                    if (!last.Charges.IsEmpty)
                    {
                        double charged = last.ChargedTotalOf(last.Charges.Keys);
                        double shared = last.SharedCollectionsTotalOf(last.Charges.Keys);
                        if (Math.Abs(shared - charged) > 0.01 + (charged * 1e-6))
                        {
                            checkFailures.Add($"{workload.Name}: the collections shared out by allocation sum to {shared:N3} ms, the callbacks' own time to {charged:N3} ms");
                        }
                    }

                    int findings = measured.InteropGuardFindingsPerRun.Sum(run => run.Values.Sum());
                    if (workload.Kind == "plain" && findings > 0)
                    {
                        checkFailures.Add($"{workload.Name}: InteropGuard reported {findings} findings on code without interop");
                    }
                }
            }

            if (options.FindingsOnly || options.WrapperOverhead)
            {
                return 0;
            }

            result.Scaling = Report.Scaling(result.Workloads);
            Report.PrintSummary(result, sets);

            if (options.JsonFile != null)
            {
                File.WriteAllText(options.JsonFile, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
                Console.WriteLine($"JSON written to {options.JsonFile}");
            }

            if (options.Check)
            {
                foreach (string failure in checkFailures)
                {
                    Console.Error.WriteLine("check failed: " + failure);
                }

                Console.WriteLine(checkFailures.Count == 0 ? "check passed" : "check FAILED");
                return checkFailures.Count == 0 ? 0 : 1;
            }

            return 0;
        }

        /// <summary>
        /// The processor clock runs every analyzer inside a <see cref="ChargedAnalyzer"/>; it must not change what they
        /// report. One more pass with the other arrangement, compared diagnostic by diagnostic (both sets).
        /// </summary>
        private static async Task<string?> WrappedAndUnwrappedDisagreeAsync(Workload workload, AnalyzerSets sets, HarnessOptions options, AnalysisRun measured)
        {
            bool measuredWrapped = !measured.Charges.IsEmpty;
            AnalysisRun other = await AnalysisRun.RunAsync(
                workload.Compile(sets.NetAnalyzersOptions(options.NetAnalyzers)), sets.Both, options.Concurrent, charged: !measuredWrapped);
            List<string> wrapped = Findings.AllLines(measuredWrapped ? measured : other);
            List<string> unwrapped = Findings.AllLines(measuredWrapped ? other : measured);
            if (wrapped.SequenceEqual(unwrapped, StringComparer.Ordinal))
            {
                Console.WriteLine($"{workload.Name}: wrapped and unwrapped analyzers report the same {wrapped.Count} diagnostics");
                return null;
            }

            string firstDifference = wrapped.Except(unwrapped, StringComparer.Ordinal).Select(line => "only wrapped: " + line)
                .Concat(unwrapped.Except(wrapped, StringComparer.Ordinal).Select(line => "only unwrapped: " + line))
                .FirstOrDefault() ?? "same lines, different multiplicity";
            return $"wrapped analyzers report {wrapped.Count} diagnostics, unwrapped {unwrapped.Count} ({firstDifference})";
        }

        private static async Task<WorkloadResult> MeasureAsync(Workload workload, AnalyzerSets sets, HarnessOptions options, int runs, int compilerErrors)
        {
            ImmutableDictionary<string, ReportDiagnostic> severities = sets.NetAnalyzersOptions(options.NetAnalyzers);
            var alone = new List<AnalysisRun>();
            var both = new List<AnalysisRun>();
            var compilerOnlyCpu = new List<double>();
            var interopGuardAloneCpu = new List<double>();
            bool wall = options.Clock == Clock.Wall;
            int rounds = options.Check ? 1 : runs + 1;
            for (int round = 0; round < rounds; round++)
            {
                bool warmUp = !options.Check && round == 0;
                Console.Error.Write($"\r{workload.Name}: {(warmUp ? "warm-up" : $"run {(options.Check ? 1 : round)}/{runs}")}...   ");
                if (!wall)
                {
                    // Each analyzer's own processor time comes from one pass with both sets: the process-level passes
                    // below are what made a round four times as long.
                    AnalysisRun charged = await AnalysisRun.RunAsync(
                        workload.Compile(severities), options.PreBind ? sets.Both.Insert(0, PreBinder.Instance) : sets.Both, options.Concurrent, charged: true);
                    if (!warmUp)
                    {
                        both.Add(charged);
                    }

                    continue;
                }

                double compilerOnly = AnalysisRun.CompilerOnlyCpuMilliseconds(workload.Compile(severities));
                // The two passes whose difference is InteropGuard's marginal time swap places every round, so that
                // whatever the first pass leaves behind (a grown heap, code tiered up) is not charged to one side only.
                AnalysisRun naAlone, withBoth;
                if (round % 2 == 0)
                {
                    naAlone = await AnalysisRun.RunAsync(workload.Compile(severities), sets.NetAnalyzers, options.Concurrent);
                    withBoth = await AnalysisRun.RunAsync(workload.Compile(severities), sets.Both, options.Concurrent);
                }
                else
                {
                    withBoth = await AnalysisRun.RunAsync(workload.Compile(severities), sets.Both, options.Concurrent);
                    naAlone = await AnalysisRun.RunAsync(workload.Compile(severities), sets.NetAnalyzers, options.Concurrent);
                }

                AnalysisRun interopGuardAlone = await AnalysisRun.RunAsync(workload.Compile(severities), sets.InteropGuard, options.Concurrent);
                if (!warmUp)
                {
                    compilerOnlyCpu.Add(compilerOnly);
                    interopGuardAloneCpu.Add(interopGuardAlone.CpuMilliseconds - compilerOnly);
                    alone.Add(naAlone);
                    both.Add(withBoth);
                }
            }

            Console.Error.Write("\r" + new string(' ', 60) + "\r");

            // Per round: what NetAnalyzers added to the compiler, and what InteropGuard added to that.
            var netAnalyzersCpu = alone.Select((run, i) => run.CpuMilliseconds - compilerOnlyCpu[i]).ToList();
            var interopGuardCpu = both.Take(alone.Count).Select((run, i) => run.CpuMilliseconds - alone[i].CpuMilliseconds).ToList();
            var cpuRatios = interopGuardCpu.Select((cpu, i) => Statistics.Percent(cpu, netAnalyzersCpu[i])).ToList();

            // Per round, with the processor clock: both sets' own callback time in the same pass.
            var netAnalyzersCharged = wall ? new List<double>() : both.Select(run => run.ChargedTotalOf(sets.NetAnalyzers)).ToList();
            var interopGuardCharged = wall ? new List<double>() : both.Select(run => run.ChargedTotalOf(sets.InteropGuard)).ToList();
            var chargedRatios = interopGuardCharged.Select((cpu, i) => Statistics.Percent(cpu, netAnalyzersCharged[i])).ToList();

            // The same, with the collections shared out by what each analyzer allocated (AnalysisRun.SharedCollectionsMilliseconds).
            var netAnalyzersShared = wall ? new List<double>() : both.Select(run => run.SharedCollectionsTotalOf(sets.NetAnalyzers)).ToList();
            var interopGuardShared = wall ? new List<double>() : both.Select(run => run.SharedCollectionsTotalOf(sets.InteropGuard)).ToList();
            var sharedRatios = interopGuardShared.Select((cpu, i) => Statistics.Percent(cpu, netAnalyzersShared[i])).ToList();

            var ratios = both.Select(run => Statistics.Percent(run.TotalOf(sets.InteropGuard), run.TotalOf(sets.NetAnalyzers))).ToList();
            double interopGuardMs = Statistics.Median(both.Select(run => run.TotalOf(sets.InteropGuard)));
            var findings = both.Select(run => new SortedDictionary<string, int>(
                    run.Diagnostics.Where(d => sets.InteropGuardIds.Contains(d.Id))
                        .GroupBy(d => d.Id)
                        .ToDictionary(g => g.Key, g => g.Count()),
                    StringComparer.Ordinal))
                .ToList();

            var measured = new WorkloadResult
            {
                Name = workload.Name,
                Kind = workload.Kind,
                Clock = wall ? "wall" : "cpu",
                Files = workload.Files,
                Lines = workload.Lines,
                GeneratedFiles = workload.GeneratedTrees,
                CompilerErrors = compilerErrors,
                NetAnalyzersAloneWallMs = Statistics.Median(alone.Select(run => run.WallMilliseconds)),
                BothWallMs = Statistics.Median(both.Select(run => run.WallMilliseconds)),
                InteropGuardMs = interopGuardMs,
                NetAnalyzersMs = Statistics.Median(both.Select(run => run.TotalOf(sets.NetAnalyzers))),
                CompilerOnlyCpuMs = Statistics.Median(compilerOnlyCpu),
                NetAnalyzersCpuMs = Statistics.Median(netAnalyzersCpu),
                InteropGuardCpuMs = Statistics.Median(interopGuardCpu),
                CpuRatioPercent = Statistics.Median(cpuRatios),
                CpuRatioMinPercent = cpuRatios.DefaultIfEmpty(double.NaN).Min(),
                CpuRatioMaxPercent = cpuRatios.DefaultIfEmpty(double.NaN).Max(),
                CpuRatioQ1Percent = Statistics.Quantile(cpuRatios, 0.25),
                CpuRatioQ3Percent = Statistics.Quantile(cpuRatios, 0.75),
                CpuRatioPerRun = cpuRatios,
                NetAnalyzersChargedMs = Statistics.Median(netAnalyzersCharged),
                InteropGuardChargedMs = Statistics.Median(interopGuardCharged),
                ChargedRatioPercent = Statistics.Median(chargedRatios),
                ChargedRatioQ1Percent = Statistics.Quantile(chargedRatios, 0.25),
                ChargedRatioQ3Percent = Statistics.Quantile(chargedRatios, 0.75),
                ChargedRatioMinPercent = chargedRatios.DefaultIfEmpty(double.NaN).Min(),
                ChargedRatioMaxPercent = chargedRatios.DefaultIfEmpty(double.NaN).Max(),
                ChargedRatioPerRun = chargedRatios,
                NetAnalyzersChargedMsPerRun = netAnalyzersCharged,
                InteropGuardChargedMsPerRun = interopGuardCharged,
                InteropGuardChargedAnalyzerMs = wall ? new Dictionary<string, double>() : sets.InteropGuard.ToDictionary(
                    a => a.GetType().Name,
                    a => Statistics.Median(both.Select(run => run.Charges[a].Milliseconds))),
                NetAnalyzersSharedCollectionsMs = Statistics.Median(netAnalyzersShared),
                InteropGuardSharedCollectionsMs = Statistics.Median(interopGuardShared),
                SharedCollectionsRatioPercent = Statistics.Median(sharedRatios),
                SharedCollectionsRatioMinPercent = sharedRatios.DefaultIfEmpty(double.NaN).Min(),
                SharedCollectionsRatioMaxPercent = sharedRatios.DefaultIfEmpty(double.NaN).Max(),
                SharedCollectionsRatioPerRun = sharedRatios,
                PauseMsPerRun = both.Select(run => run.PauseMilliseconds).ToList(),
                PauseMsPerMegabyte = Statistics.Median(both.Select(run => run.PauseMillisecondsPerMegabyte)),
                InteropGuardSharedCollectionsAnalyzerMs = wall ? new Dictionary<string, double>() : sets.InteropGuard.ToDictionary(
                    a => a.GetType().Name,
                    a => Statistics.Median(both.Select(run => run.SharedCollectionsMilliseconds(a)))),
                InteropGuardChargedAnalyzerAllocatedKb = wall ? new Dictionary<string, double>() : sets.InteropGuard.ToDictionary(
                    a => a.GetType().Name,
                    a => Statistics.Median(both.Select(run => run.Charges[a].AllocatedBytes / 1024.0))),
                NetAnalyzersChargedAllocatedKb = wall ? 0 : Statistics.Median(both.Select(run => run.ChargedAllocatedKbOf(sets.NetAnalyzers))),
                InteropGuardChargedAllocatedKb = wall ? 0 : Statistics.Median(both.Select(run => run.ChargedAllocatedKbOf(sets.InteropGuard))),
                NetAnalyzersCallbacks = wall ? 0 : both[^1].Charges.Where(pair => !sets.InteropGuard.Contains(pair.Key)).Sum(pair => pair.Value.Callbacks),
                InteropGuardCallbacks = wall ? 0 : sets.InteropGuard.Sum(a => both[^1].Charges[a].Callbacks),
                InteropGuardAnalyzerCallbacks = wall ? new Dictionary<string, long>() : sets.InteropGuard.ToDictionary(a => a.GetType().Name, a => both[^1].Charges[a].Callbacks),
                InteropGuardAloneCpuMs = Statistics.Median(interopGuardAloneCpu),
                AloneCpuRatioPercent = Statistics.Median(interopGuardAloneCpu.Select((cpu, i) => Statistics.Percent(cpu, netAnalyzersCpu[i]))),
                RatioPercent = Statistics.Median(ratios),
                RatioMinPercent = ratios.Min(),
                RatioMaxPercent = ratios.Max(),
                InteropGuardMsPerThousandLines = (wall ? interopGuardMs : Statistics.Median(interopGuardCharged)) / (workload.Lines / 1000.0),
                InteropGuardAnalyzerMs = sets.InteropGuard.ToDictionary(
                    a => a.GetType().Name,
                    a => Statistics.Median(both.Select(run => run.AnalyzerMilliseconds[a]))),
                InteropGuardFindingsPerRun = findings,
                FindingsStable = findings.All(run => run.SequenceEqual(findings[0])),
                NetAnalyzersFindings = both[^1].Diagnostics.Count(d => !sets.InteropGuardIds.Contains(d.Id)),
                AnalyzerExceptions = both.Concat(alone).SelectMany(run => run.AnalyzerExceptions).Distinct().ToList(),
                LastBothRun = both[^1],
            };

            if (options.MeasureMemory && !options.Check)
            {
                Console.Error.Write($"\r{workload.Name}: peak memory (child processes)...   ");
                var peaks = new List<(long Alone, long Both)>();
                var allocations = new List<(long Alone, long Both)>();
                for (int pair = 0; pair < options.MemoryPairs; pair++)
                {
                    (long peakAlone, long allocatedAlone) = await MemoryProbe.MeasureAsync(workload, options, withInteropGuard: false);
                    (long peakBoth, long allocatedBoth) = await MemoryProbe.MeasureAsync(workload, options, withInteropGuard: true);
                    peaks.Add((peakAlone, peakBoth));
                    allocations.Add((allocatedAlone, allocatedBoth));
                }

                var addedPeaks = peaks.Select(p => Statistics.Percent(p.Both - p.Alone, p.Alone)).ToList();
                measured.MemoryPairs = peaks.Count;
                measured.PeakKbNetAnalyzersAlone = (long)Statistics.Median(peaks.Select(p => (double)p.Alone));
                measured.PeakKbBoth = (long)Statistics.Median(peaks.Select(p => (double)p.Both));
                measured.AddedPeakMemoryPercent = Statistics.Median(addedPeaks);
                measured.AddedPeakMemoryMinPercent = addedPeaks.Min();
                measured.AddedPeakMemoryMaxPercent = addedPeaks.Max();
                measured.AllocatedKbNetAnalyzersAlone = (long)Statistics.Median(allocations.Select(a => (double)a.Alone));
                measured.AllocatedKbBoth = (long)Statistics.Median(allocations.Select(a => (double)a.Both));
                measured.AddedAllocationsPercent = Statistics.Median(allocations.Select(a => Statistics.Percent(a.Both - a.Alone, a.Alone)));
                Console.Error.Write("\r" + new string(' ', 60) + "\r");
            }

            return measured;
        }
    }
}
