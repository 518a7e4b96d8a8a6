using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;

namespace InteropGuard.Performance
{
    /// <summary>
    /// Peak memory is a per-process figure, so each measure runs in a child process of the harness itself
    /// (<c>--memory-child</c>): it builds the same workload, analyzes it once and prints its peak resident set.
    /// </summary>
    internal static class MemoryProbe
    {
        private const string Marker = "PEAK_KB ";

        private const string AllocatedMarker = "ALLOCATED_KB ";

        /// <summary>Peak resident kilobytes and kilobytes allocated on the managed heap by the whole child process.</summary>
        public static async Task<(long PeakKb, long AllocatedKb)> MeasureAsync(Workload workload, HarnessOptions options, bool withInteropGuard)
        {
            var arguments = new List<string> { "--memory-child" };
            if (withInteropGuard)
            {
                arguments.Add("--with-interopguard");
            }

            if (workload.Kind != "sources")
            {
                arguments.AddRange(new[] { "--flavour", workload.Kind, "--sizes", workload.Files.ToString(CultureInfo.InvariantCulture) });
            }

            arguments.AddRange(options.WorkloadArguments());

            var start = new ProcessStartInfo
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            string host = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot locate the harness executable.");
            start.FileName = host;
            if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            {
                // Started as `dotnet InteropGuard.Performance.dll`: the child needs the assembly path too.
                start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
            }

            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            using Process child = Process.Start(start) ?? throw new InvalidOperationException("Cannot start the memory probe.");
            Task<string> output = child.StandardOutput.ReadToEndAsync();
            Task<string> errors = child.StandardError.ReadToEndAsync();
            await child.WaitForExitAsync();
            string text = await output;
            string line = text.Split('\n').FirstOrDefault(l => l.StartsWith(Marker, StringComparison.Ordinal))
                ?? throw new InvalidOperationException($"The memory probe failed (exit {child.ExitCode}): {(await errors).Trim()}");
            string allocated = text.Split('\n').First(l => l.StartsWith(AllocatedMarker, StringComparison.Ordinal));
            return (
                long.Parse(line.Substring(Marker.Length).Trim(), CultureInfo.InvariantCulture),
                long.Parse(allocated.Substring(AllocatedMarker.Length).Trim(), CultureInfo.InvariantCulture));
        }

        public static async Task<int> RunChildAsync(HarnessOptions options)
        {
            AnalyzerSets sets = AnalyzerSets.Load(options.Analyzers);
            Workload workload = options.SourcesMode
                ? Workload.Sources(options).Fresh(options)
                : Workload.Synthetic(options.Flavours[0], options.Sizes[0], options).Fresh(options);
            AnalysisRun run = await AnalysisRun.RunAsync(
                workload.Compile(sets.NetAnalyzersOptions(options.NetAnalyzers)),
                options.ChildWithInteropGuard ? sets.Both : sets.NetAnalyzers,
                options.Concurrent);
            GC.KeepAlive(run);
            Console.WriteLine(Marker + PeakResidentKilobytes().ToString(CultureInfo.InvariantCulture));
            Console.WriteLine(AllocatedMarker + (GC.GetTotalAllocatedBytes(precise: true) / 1024).ToString(CultureInfo.InvariantCulture));
            return 0;
        }

        /// <summary>VmHWM from /proc/self/status on Linux; the process's peak working set elsewhere.</summary>
        private static long PeakResidentKilobytes()
        {
            const string StatusFile = "/proc/self/status";
            if (File.Exists(StatusFile))
            {
                foreach (string line in File.ReadLines(StatusFile))
                {
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    {
                        string number = new string(line.Substring(6).Where(char.IsDigit).ToArray());
                        return long.Parse(number, CultureInfo.InvariantCulture);
                    }
                }
            }

            using Process self = Process.GetCurrentProcess();
            return self.PeakWorkingSet64 / 1024;
        }
    }
}
