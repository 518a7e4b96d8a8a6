using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace InteropGuard.Performance.Allocations
{
    /// <summary>
    /// Reads a trace written by the runtime's event pipe with the GC keyword at verbose level (its AllocationTick events,
    /// about one per 100 KB a thread allocates, each with the allocating stack) and sums the sampled bytes by InteropGuard
    /// frame: per analyzer (the outermost rule frame), per method inclusive and innermost, per allocated type, and per
    /// callee outside InteropGuard that did the allocating. Samples are 100 KB apart, so a figure below about 0.3 MB is a
    /// handful of events.
    /// </summary>
    internal static class Program
    {
        private const string Usage =
            "usage: InteropGuard.Performance.Allocations TRACE.nettrace [--analyzer TEXT] [--top N]\n" +
            "  TRACE.nettrace: written by a harness run under DOTNET_EnableEventPipe=1,\n" +
            "  DOTNET_EventPipeConfig='Microsoft-Windows-DotNETRuntime:0x1:5' and DOTNET_EventPipeOutputPath (docs/performance.md)";

        private static int Main(string[] args)
        {
            if (args.Length == 0 || args[0] is "-h" or "--help")
            {
                Console.Error.WriteLine(Usage);
                return args.Length == 0 ? 2 : 0;
            }

            string path = args[0];
            string? analyzerFilter = null;
            int top = 40;
            for (int i = 1; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--analyzer" when i + 1 < args.Length:
                        analyzerFilter = args[++i];
                        break;
                    case "--top" when i + 1 < args.Length && int.TryParse(args[i + 1], out int n) && n > 0:
                        top = n;
                        i++;
                        break;
                    default:
                        Console.Error.WriteLine($"error: unknown or incomplete option '{args[i]}'\n{Usage}");
                        return 2;
                }
            }

            if (!File.Exists(path))
            {
                Console.Error.WriteLine($"error: no trace at '{path}'. Run the harness with the event pipe variables first.\n{Usage}");
                return 2;
            }

            string etlx;
            try
            {
                etlx = TraceLog.CreateFromEventPipeDataFile(path);
            }
            catch (Exception e) when (e is IOException or FormatException or InvalidOperationException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: '{path}' is not a readable event pipe trace ({e.Message}). Was the harness stopped before it finished?");
                return 2;
            }

            using var log = new TraceLog(etlx);
            var profile = new Profile();
            foreach (var data in log.Events)
            {
                if (data is GCAllocationTickTraceData tick)
                {
                    profile.Add(tick, analyzerFilter);
                }
            }

            profile.Print(top);
            return profile.Ticks == 0 ? 1 : 0;
        }
    }
}
