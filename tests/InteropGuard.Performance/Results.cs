using System;
using System.Collections.Generic;

namespace InteropGuard.Performance
{
    /// <summary>Everything one harness invocation measured; written as JSON with <c>--json</c>.</summary>
    internal sealed class HarnessResult
    {
        public string StartedUtc { get; set; } = "";

        public int ProcessorCount { get; set; }

        public string Runtime { get; set; } = "";

        public string RoslynVersion { get; set; } = "";

        public string NetAnalyzersVersion { get; set; } = "";

        public string NetAnalyzersRules { get; set; } = "";

        public int NetAnalyzersRulesEnabled { get; set; }

        public int NetAnalyzersRulesTotal { get; set; }

        public int NetAnalyzersAnalyzerCount { get; set; }

        public List<string> InteropGuardAnalyzers { get; set; } = new List<string>();

        public bool ConcurrentAnalysis { get; set; }

        /// <summary>"cpu", "cpu (wall fallback)" where the OS has no thread processor clock, or "wall".</summary>
        public string Clock { get; set; } = "";

        /// <summary>What an empty charged callback costs in clock reads; subtracted from every callback's charge.</summary>
        public double CallbackFloorNanoseconds { get; set; }

        public int Runs { get; set; }

        public bool LibraryImportGenerator { get; set; }

        public List<WorkloadResult> Workloads { get; set; } = new List<WorkloadResult>();

        /// <summary>Per flavour: InteropGuard's time per 1,000 lines from the smallest to the largest size.</summary>
        public List<ScalingResult> Scaling { get; set; } = new List<ScalingResult>();
    }

    internal sealed class WorkloadResult
    {
        /// <summary>The last measured pass with both analyzer sets (its findings are what <c>--findings</c> writes).</summary>
        [System.Text.Json.Serialization.JsonIgnore]
        public AnalysisRun? LastBothRun { get; set; }

        public string Name { get; set; } = "";

        /// <summary>"interop", "plain" or "sources".</summary>
        public string Kind { get; set; } = "";

        /// <summary>"cpu": the budget figure is each set's own callback processor time; "wall": the driver's telemetry.</summary>
        public string Clock { get; set; } = "";

        public int Files { get; set; }

        public int Lines { get; set; }

        public int GeneratedFiles { get; set; }

        public int CompilerErrors { get; set; }

        /// <summary>Median wall-clock of the analysis with NetAnalyzers alone.</summary>
        public double NetAnalyzersAloneWallMs { get; set; }

        /// <summary>Median wall-clock of the analysis with NetAnalyzers and InteropGuard together.</summary>
        public double BothWallMs { get; set; }

        /// <summary>Median over runs of InteropGuard's summed analyzer telemetry (in the run with both sets).</summary>
        public double InteropGuardMs { get; set; }

        /// <summary>Median over runs of NetAnalyzers' summed analyzer telemetry (in the run with both sets).</summary>
        public double NetAnalyzersMs { get; set; }

        /// <summary>Median over runs of InteropGuard / NetAnalyzers, in percent, and the range over the runs.</summary>
        public double RatioPercent { get; set; }

        /// <summary>Processor time of the compiler alone (binding and compiler diagnostics), median over runs.</summary>
        public double CompilerOnlyCpuMs { get; set; }

        /// <summary>Processor time NetAnalyzers added to the compiler-only pass, median over runs.</summary>
        public double NetAnalyzersCpuMs { get; set; }

        /// <summary>Processor time InteropGuard added to the NetAnalyzers pass, median over runs (can be slightly negative when it is lost in noise).</summary>
        public double InteropGuardCpuMs { get; set; }

        /// <summary>InteropGuard's added processor time as a percentage of NetAnalyzers', median over runs.</summary>
        public double CpuRatioPercent { get; set; }

        public double CpuRatioMinPercent { get; set; }

        public double CpuRatioMaxPercent { get; set; }

        /// <summary>First and third quartiles of <see cref="CpuRatioPerRun"/>: each round's figure is a difference of two whole passes, so the middle half says more than the extremes.</summary>
        public double CpuRatioQ1Percent { get; set; }

        public double CpuRatioQ3Percent { get; set; }

        /// <summary>InteropGuard's added processor time as a percentage of NetAnalyzers', one value per measured round.</summary>
        public List<double> CpuRatioPerRun { get; set; } = new List<double>();

        /// <summary>
        /// Processor time InteropGuard alone adds to the compiler-only pass, median over runs: an upper bound of its cost,
        /// since it includes the operation trees and semantic-model work that NetAnalyzers would otherwise share.
        /// </summary>
        public double InteropGuardAloneCpuMs { get; set; }

        /// <summary><see cref="InteropGuardAloneCpuMs"/> as a percentage of NetAnalyzers' added processor time, median over runs.</summary>
        public double AloneCpuRatioPercent { get; set; }

        public double RatioMinPercent { get; set; }

        /// <summary>With the processor clock: NetAnalyzers' callbacks' own processor time in the pass with both sets, median over runs.</summary>
        public double NetAnalyzersChargedMs { get; set; }

        /// <summary>With the processor clock: InteropGuard's callbacks' own processor time in the same pass, median over runs.</summary>
        public double InteropGuardChargedMs { get; set; }

        /// <summary>With the processor clock: InteropGuard / NetAnalyzers processor time in the same pass, median over runs (the budget's figure).</summary>
        public double ChargedRatioPercent { get; set; }

        /// <summary>The first and third quartiles of <see cref="ChargedRatioPercent"/> over the runs.</summary>
        public double ChargedRatioQ1Percent { get; set; }

        public double ChargedRatioQ3Percent { get; set; }

        public double ChargedRatioMinPercent { get; set; }

        public double ChargedRatioMaxPercent { get; set; }

        public List<double> ChargedRatioPerRun { get; set; } = new List<double>();

        public List<double> NetAnalyzersChargedMsPerRun { get; set; } = new List<double>();

        public List<double> InteropGuardChargedMsPerRun { get; set; } = new List<double>();

        /// <summary>With the processor clock: each InteropGuard analyzer's own processor time, median over runs (ms).</summary>
        public Dictionary<string, double> InteropGuardChargedAnalyzerMs { get; set; } = new Dictionary<string, double>();

        /// <summary>
        /// With the processor clock, the collections shared out by allocation (<c>AnalysisRun.SharedCollectionsMilliseconds</c>):
        /// each set's time in the same pass, median over runs (ms), and the ratio per run and its median.
        /// </summary>
        public double NetAnalyzersSharedCollectionsMs { get; set; }

        public double InteropGuardSharedCollectionsMs { get; set; }

        public double SharedCollectionsRatioPercent { get; set; }

        public double SharedCollectionsRatioMinPercent { get; set; }

        public double SharedCollectionsRatioMaxPercent { get; set; }

        public List<double> SharedCollectionsRatioPerRun { get; set; } = new List<double>();

        /// <summary>Each InteropGuard analyzer's time with the collections shared out by allocation, median over runs (ms).</summary>
        public Dictionary<string, double> InteropGuardSharedCollectionsAnalyzerMs { get; set; } = new Dictionary<string, double>();

        /// <summary>The whole process's collection pauses in each measured pass (ms), and their median cost per allocated MB.</summary>
        public List<double> PauseMsPerRun { get; set; } = new List<double>();

        public double PauseMsPerMegabyte { get; set; }

        /// <summary>With the processor clock: the managed memory each InteropGuard analyzer's callbacks allocated, median over runs (KB).</summary>
        public Dictionary<string, double> InteropGuardChargedAnalyzerAllocatedKb { get; set; } = new Dictionary<string, double>();

        /// <summary>With the processor clock: the managed memory each set's callbacks allocated in the same pass, median over runs (KB).</summary>
        public double NetAnalyzersChargedAllocatedKb { get; set; }

        public double InteropGuardChargedAllocatedKb { get; set; }

        /// <summary>Callbacks each set ran in the last pass (each costs the wrapper a little; see --wrapper-overhead).</summary>
        public long NetAnalyzersCallbacks { get; set; }

        public long InteropGuardCallbacks { get; set; }

        /// <summary>
        /// Callbacks each InteropGuard analyzer ran in the last pass: how many actions the driver calls (each costs the
        /// driver its dispatch outside the charged time, and a callback of an analyzer whose gate says no still costs its entry).
        /// </summary>
        public Dictionary<string, long> InteropGuardAnalyzerCallbacks { get; set; } = new Dictionary<string, long>();

        public double RatioMaxPercent { get; set; }

        public double InteropGuardMsPerThousandLines { get; set; }

        /// <summary>Median time of each InteropGuard analyzer (ms).</summary>
        public Dictionary<string, double> InteropGuardAnalyzerMs { get; set; } = new Dictionary<string, double>();

        /// <summary>InteropGuard's findings by id, one dictionary per measured run.</summary>
        public List<SortedDictionary<string, int>> InteropGuardFindingsPerRun { get; set; } = new List<SortedDictionary<string, int>>();

        public bool FindingsStable { get; set; }

        public int NetAnalyzersFindings { get; set; }

        public List<string> AnalyzerExceptions { get; set; } = new List<string>();

        /// <summary>Peak resident memory (VmHWM) of a child process analyzing with NetAnalyzers alone / with both sets.</summary>
        public long? PeakKbNetAnalyzersAlone { get; set; }

        public long? PeakKbBoth { get; set; }

        /// <summary>The median over the memory pairs of each pair's added peak, and the pairs' lowest and highest.</summary>
        public double? AddedPeakMemoryPercent { get; set; }

        public double? AddedPeakMemoryMinPercent { get; set; }

        public double? AddedPeakMemoryMaxPercent { get; set; }

        public int MemoryPairs { get; set; }

        /// <summary>Managed bytes allocated by the child process analyzing with NetAnalyzers alone / with both sets.</summary>
        public long? AllocatedKbNetAnalyzersAlone { get; set; }

        public long? AllocatedKbBoth { get; set; }

        public double? AddedAllocationsPercent { get; set; }
    }

    internal sealed class ScalingResult
    {
        public string Kind { get; set; } = "";

        public double SmallestMsPerThousandLines { get; set; }

        public double LargestMsPerThousandLines { get; set; }

        /// <summary>Change of the per-1,000-lines time from the smallest size to the largest, in percent.</summary>
        public double ChangePercent { get; set; }

        /// <summary>Half the range of the per-1,000-lines times over all sizes, relative to their midpoint, in percent.</summary>
        public double SpreadPercent { get; set; }
    }

    internal static class Statistics
    {
        public static double Median(IEnumerable<double> values)
        {
            var sorted = new List<double>(values);
            if (sorted.Count == 0)
            {
                return double.NaN;
            }

            sorted.Sort();
            int middle = sorted.Count / 2;
            return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        }

        /// <summary>The q-quantile with linear interpolation between the two nearest ranks.</summary>
        public static double Quantile(IEnumerable<double> values, double q)
        {
            var sorted = new List<double>(values);
            if (sorted.Count == 0)
            {
                return double.NaN;
            }

            sorted.Sort();
            double position = q * (sorted.Count - 1);
            int lower = (int)Math.Floor(position);
            int upper = Math.Min(lower + 1, sorted.Count - 1);
            return sorted[lower] + ((position - lower) * (sorted[upper] - sorted[lower]));
        }

        public static double Percent(double part, double whole) => whole <= 0 ? double.NaN : 100.0 * part / whole;

        public static string Format(double value, string format) =>
            double.IsNaN(value) ? "n/a" : value.ToString(format, System.Globalization.CultureInfo.InvariantCulture);

        public static string FormatSigned(double value, string format) =>
            double.IsNaN(value) ? "n/a" : (value >= 0 ? "+" : "") + value.ToString(format, System.Globalization.CultureInfo.InvariantCulture);
    }
}
