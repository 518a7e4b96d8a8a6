using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace InteropGuard.Performance
{
    /// <summary>The human-readable output: a block per workload as it finishes, then one summary table.</summary>
    internal static class Report
    {
        public static void PrintWorkload(WorkloadResult w, AnalyzerSets sets)
        {
            Console.WriteLine(
                $"{w.Name}: {w.Files:N0} files, {w.Lines:N0} lines" +
                (w.GeneratedFiles > 0 ? $" (+{w.GeneratedFiles} generated files)" : "") +
                $", {w.CompilerErrors} compiler errors");
            Console.WriteLine(w.Clock == "cpu"
                ? $"  wall-clock: with InteropGuard {w.BothWallMs:N0} ms (NetAnalyzers alone is measured with --clock wall)"
                : $"  wall-clock: NetAnalyzers alone {w.NetAnalyzersAloneWallMs:N0} ms, with InteropGuard {w.BothWallMs:N0} ms " +
                  $"({Statistics.FormatSigned(Statistics.Percent(w.BothWallMs - w.NetAnalyzersAloneWallMs, w.NetAnalyzersAloneWallMs), "0.0")}%)");
            Console.WriteLine(
                $"  telemetry:  InteropGuard {w.InteropGuardMs:N0} ms = {Statistics.Format(w.RatioPercent, "0.00")}% of NetAnalyzers " +
                $"{w.NetAnalyzersMs:N0} ms (runs {Statistics.Format(w.RatioMinPercent, "0.00")}–{Statistics.Format(w.RatioMaxPercent, "0.00")}%); " +
                $"InteropGuard {Statistics.Format(w.InteropGuardMsPerThousandLines, "0.00")} ms per 1,000 lines");
            if (w.Clock == "cpu")
            {
                Console.WriteLine(
                    $"  processor (each set's own callbacks, same pass): InteropGuard {w.InteropGuardChargedMs:N1} ms = " +
                    $"{Statistics.Format(w.ChargedRatioPercent, "0.00")}% of NetAnalyzers {w.NetAnalyzersChargedMs:N0} ms " +
                    $"(interquartile {Statistics.Format(w.ChargedRatioQ1Percent, "0.00")}–{Statistics.Format(w.ChargedRatioQ3Percent, "0.00")}%, " +
                    $"runs {Statistics.Format(w.ChargedRatioMinPercent, "0.00")}–{Statistics.Format(w.ChargedRatioMaxPercent, "0.00")}%); " +
                    $"callbacks: NetAnalyzers {w.NetAnalyzersCallbacks:N0}, InteropGuard {w.InteropGuardCallbacks:N0}");
            }
            else
            {
                Console.WriteLine(
                    $"  processor:  compiler alone {w.CompilerOnlyCpuMs:N0} ms, NetAnalyzers +{w.NetAnalyzersCpuMs:N0} ms, InteropGuard " +
                    $"{Statistics.FormatSigned(w.InteropGuardCpuMs, "N0")} ms = {Statistics.Format(w.CpuRatioPercent, "0.00")}% of NetAnalyzers " +
                    $"(interquartile {Statistics.Format(w.CpuRatioQ1Percent, "0.00")}–{Statistics.Format(w.CpuRatioQ3Percent, "0.00")}%, " +
                    $"runs {Statistics.Format(w.CpuRatioMinPercent, "0.00")}–{Statistics.Format(w.CpuRatioMaxPercent, "0.00")}%); " +
                    $"InteropGuard alone +{w.InteropGuardAloneCpuMs:N0} ms = {Statistics.Format(w.AloneCpuRatioPercent, "0.00")}% (upper bound)");
            }

            if (w.PeakKbBoth.HasValue && w.PeakKbNetAnalyzersAlone.HasValue)
            {
                Console.WriteLine(
                    $"  peak memory: NetAnalyzers alone {w.PeakKbNetAnalyzersAlone.Value / 1024.0:N0} MB, with InteropGuard " +
                    $"{w.PeakKbBoth.Value / 1024.0:N0} MB ({Statistics.FormatSigned(w.AddedPeakMemoryPercent ?? double.NaN, "0.0")}%{PairRange(w)}); " +
                    $"allocated {(w.AllocatedKbNetAnalyzersAlone ?? 0) / 1024.0:N0} MB → {(w.AllocatedKbBoth ?? 0) / 1024.0:N0} MB " +
                    $"({Statistics.FormatSigned(w.AddedAllocationsPercent ?? double.NaN, "0.0")}%)");
            }

            if (w.Clock == "cpu")
            {
                Console.WriteLine(
                    $"  allocated by the callbacks in the same pass: NetAnalyzers {w.NetAnalyzersChargedAllocatedKb / 1024.0:N1} MB, " +
                    $"InteropGuard {w.InteropGuardChargedAllocatedKb / 1024.0:N1} MB " +
                    $"({Statistics.Format(Statistics.Percent(w.InteropGuardChargedAllocatedKb, w.NetAnalyzersChargedAllocatedKb), "0.0")}%)");
                Console.WriteLine(
                    $"  collections shared out by allocation (each callback less the pauses inside it, plus its allocations at the pass's " +
                    $"{w.PauseMsPerMegabyte:N2} ms per MB): InteropGuard {w.InteropGuardSharedCollectionsMs:N1} ms = " +
                    $"{Statistics.Format(w.SharedCollectionsRatioPercent, "0.00")}% of NetAnalyzers {w.NetAnalyzersSharedCollectionsMs:N0} ms " +
                    $"(runs {Statistics.Format(w.SharedCollectionsRatioMinPercent, "0.00")}–{Statistics.Format(w.SharedCollectionsRatioMaxPercent, "0.00")}%)");
                Console.WriteLine("  InteropGuard analyzers (median processor ms, % of NetAnalyzers' processor time; collections shared ms; telemetry ms; allocated MB; callbacks in the last pass):");
                foreach (KeyValuePair<string, double> analyzer in w.InteropGuardChargedAnalyzerMs.OrderByDescending(pair => pair.Value).ThenBy(pair => pair.Key, StringComparer.Ordinal))
                {
                    Console.WriteLine(
                        $"    {analyzer.Key,-42} {analyzer.Value,10:N1} ms  {Statistics.Format(Statistics.Percent(analyzer.Value, w.NetAnalyzersChargedMs), "0.00"),6}%" +
                        $"  {w.InteropGuardSharedCollectionsAnalyzerMs.GetValueOrDefault(analyzer.Key),10:N1} ms" +
                        $"  {w.InteropGuardAnalyzerMs[analyzer.Key],10:N1} ms  {w.InteropGuardChargedAnalyzerAllocatedKb.GetValueOrDefault(analyzer.Key) / 1024.0,8:N2} MB" +
                        $"  {w.InteropGuardAnalyzerCallbacks.GetValueOrDefault(analyzer.Key),9:N0}");
                }
            }
            else
            {
                Console.WriteLine("  InteropGuard analyzers (median ms, % of NetAnalyzers):");
                foreach (KeyValuePair<string, double> analyzer in w.InteropGuardAnalyzerMs.OrderByDescending(pair => pair.Value).ThenBy(pair => pair.Key, StringComparer.Ordinal))
                {
                    Console.WriteLine(
                        $"    {analyzer.Key,-42} {analyzer.Value,10:N1} ms  {Statistics.Format(Statistics.Percent(analyzer.Value, w.NetAnalyzersMs), "0.00"),6}%");
                }
            }

            SortedDictionary<string, int> findings = w.InteropGuardFindingsPerRun[^1];
            Console.WriteLine(
                "  InteropGuard findings: " +
                (findings.Count == 0 ? "none" : string.Join(", ", findings.Select(pair => $"{pair.Key} x{pair.Value}"))) +
                (w.FindingsStable ? (w.InteropGuardFindingsPerRun.Count > 1 ? " (same in every run)" : "") : " (DIFFERENT between runs: see --json)") +
                $"; NetAnalyzers findings: {w.NetAnalyzersFindings:N0}");
            if (w.AnalyzerExceptions.Count > 0)
            {
                Console.WriteLine($"  ANALYZER EXCEPTIONS ({w.AnalyzerExceptions.Count}):");
                foreach (string exception in w.AnalyzerExceptions.Take(10))
                {
                    Console.WriteLine("    " + exception);
                }
            }

            Console.WriteLine();
        }

        public static List<ScalingResult> Scaling(IReadOnlyList<WorkloadResult> workloads)
        {
            var result = new List<ScalingResult>();
            foreach (IGrouping<string, WorkloadResult> kind in workloads.Where(w => w.Kind != "sources").GroupBy(w => w.Kind))
            {
                var bySize = kind.OrderBy(w => w.Lines).ToList();
                if (bySize.Count < 2)
                {
                    continue;
                }

                double smallest = bySize[0].InteropGuardMsPerThousandLines;
                double largest = bySize[^1].InteropGuardMsPerThousandLines;
                double min = bySize.Min(w => w.InteropGuardMsPerThousandLines);
                double max = bySize.Max(w => w.InteropGuardMsPerThousandLines);
                result.Add(new ScalingResult
                {
                    Kind = kind.Key,
                    SmallestMsPerThousandLines = smallest,
                    LargestMsPerThousandLines = largest,
                    ChangePercent = Statistics.Percent(largest - smallest, smallest),
                    SpreadPercent = Statistics.Percent((max - min) / 2, (max + min) / 2),
                });
            }

            return result;
        }

        public static void PrintSummary(HarnessResult result, AnalyzerSets sets)
        {
            Console.WriteLine(
                $"Summary ({result.ProcessorCount} cores; NetAnalyzers rules: {result.NetAnalyzersRules}; concurrent analysis " +
                $"{(result.ConcurrentAnalysis ? "on" : "off")}; clock {result.Clock}; medians of {result.Runs} run(s)):");
            Console.WriteLine();
            // The columns between the size and the memory figures depend on the clock.
            bool cpu = result.Clock != "wall";
            var rows = new List<string[]>
            {
                new[] { "code", "files", "lines" }
                    .Concat(cpu
                        ? new[] { "NetAnalyzers CPU ms", "InteropGuard CPU ms", "IG / NA (CPU)", "interquartile", "IG / NA (telemetry)", "IG CPU ms / 1k lines", "top InteropGuard analyzers (% of NA CPU)" }
                        : new[] { "NetAnalyzers ms", "InteropGuard ms", "IG / NA", "IG / NA (CPU)", "IG alone / NA (CPU)", "IG ms / 1k lines", "top InteropGuard analyzers (% of NA)" })
                    .Concat(new[] { "added peak memory", "added allocations", "IG findings" })
                    .ToArray(),
            };
            foreach (WorkloadResult w in result.Workloads)
            {
                rows.Add(new[]
                    {
                        w.Name,
                        w.Files.ToString("N0", CultureInfo.InvariantCulture),
                        w.Lines.ToString("N0", CultureInfo.InvariantCulture),
                    }
                    .Concat(cpu ? ProcessorCells(w) : TelemetryCells(w))
                    .Concat(new[]
                    {
                        w.AddedPeakMemoryPercent.HasValue ? Statistics.FormatSigned(w.AddedPeakMemoryPercent.Value, "0.0") + "%" + PairRange(w) : "-",
                        w.AddedAllocationsPercent.HasValue ? Statistics.FormatSigned(w.AddedAllocationsPercent.Value, "0.0") + "%" : "-",
                        w.InteropGuardFindingsPerRun[^1].Values.Sum().ToString(CultureInfo.InvariantCulture),
                    })
                    .ToArray());
            }

            PrintTable(rows);
            PrintScaling(result);
        }

        /// <summary>The budget's figure as each set's own processor time (<c>--clock cpu</c>).</summary>
        // The median's spread over the memory pairs (one pair has none to show).
        private static string PairRange(WorkloadResult w)
            => w.MemoryPairs > 1 && w.AddedPeakMemoryMinPercent.HasValue && w.AddedPeakMemoryMaxPercent.HasValue
                ? $", {w.MemoryPairs} pairs {Statistics.FormatSigned(w.AddedPeakMemoryMinPercent.Value, "0.0")} .. {Statistics.FormatSigned(w.AddedPeakMemoryMaxPercent.Value, "0.0")}%"
                : string.Empty;

        private static string[] ProcessorCells(WorkloadResult w) => new[]
        {
            w.NetAnalyzersChargedMs.ToString("N0", CultureInfo.InvariantCulture),
            w.InteropGuardChargedMs.ToString("N1", CultureInfo.InvariantCulture),
            Statistics.Format(w.ChargedRatioPercent, "0.00") + "%",
            Statistics.Format(w.ChargedRatioQ1Percent, "0.00") + "–" + Statistics.Format(w.ChargedRatioQ3Percent, "0.00") + "%",
            Statistics.Format(w.RatioPercent, "0.00") + "%",
            Statistics.Format(w.InteropGuardMsPerThousandLines, "0.00"),
            Top(w.InteropGuardChargedAnalyzerMs, w.NetAnalyzersChargedMs),
        };

        /// <summary>The budget's figure as the driver's telemetry, with the process-level processor ratios (<c>--clock wall</c>).</summary>
        private static string[] TelemetryCells(WorkloadResult w) => new[]
        {
            w.NetAnalyzersMs.ToString("N0", CultureInfo.InvariantCulture),
            w.InteropGuardMs.ToString("N0", CultureInfo.InvariantCulture),
            Statistics.Format(w.RatioPercent, "0.00") + "%",
            Statistics.Format(w.CpuRatioPercent, "0.00") + "%",
            Statistics.Format(w.AloneCpuRatioPercent, "0.00") + "%",
            Statistics.Format(w.InteropGuardMsPerThousandLines, "0.00"),
            Top(w.InteropGuardAnalyzerMs, w.NetAnalyzersMs),
        };

        private static string Top(Dictionary<string, double> analyzerMs, double netAnalyzersMs) =>
            string.Join(", ", analyzerMs.OrderByDescending(pair => pair.Value).Take(3)
                .Select(pair => $"{ShortName(pair.Key)} {Statistics.Format(Statistics.Percent(pair.Value, netAnalyzersMs), "0.00")}"));

        private static void PrintTable(List<string[]> rows)
        {
            int[] widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
            for (int r = 0; r < rows.Count; r++)
            {
                Console.WriteLine("| " + string.Join(" | ", rows[r].Select((cell, c) => cell.PadRight(widths[c]))) + " |");
                if (r == 0)
                {
                    Console.WriteLine("|" + string.Join("|", widths.Select(width => new string('-', width + 2))) + "|");
                }
            }

            Console.WriteLine();
        }

        private static void PrintScaling(HarnessResult result)
        {
            foreach (ScalingResult scaling in result.Scaling)
            {
                Console.WriteLine(
                    $"{scaling.Kind}: InteropGuard {(result.Clock == "wall" ? "telemetry" : "processor")} ms per 1,000 lines {Statistics.Format(scaling.SmallestMsPerThousandLines, "0.00")} (smallest) → " +
                    $"{Statistics.Format(scaling.LargestMsPerThousandLines, "0.00")} (largest), {Statistics.FormatSigned(scaling.ChangePercent, "0")}%; " +
                    $"spread over all sizes ±{Statistics.Format(scaling.SpreadPercent, "0")}%");
            }

            if (result.Scaling.Count > 0)
            {
                Console.WriteLine();
            }
        }

        private static string ShortName(string analyzer) =>
            analyzer.EndsWith("Analyzer", StringComparison.Ordinal) ? analyzer.Substring(0, analyzer.Length - "Analyzer".Length) : analyzer;
    }
}
