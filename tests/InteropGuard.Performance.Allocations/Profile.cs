using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace InteropGuard.Performance.Allocations
{
    /// <summary>The sampled bytes of a trace, summed by InteropGuard frame.</summary>
    internal sealed class Profile
    {
        private readonly Dictionary<string, long> _byAnalyzer = new Dictionary<string, long>(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _inclusive = new Dictionary<string, long>(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _innermost = new Dictionary<string, long>(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _types = new Dictionary<string, long>(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _callees = new Dictionary<string, long>(StringComparer.Ordinal);
        private long _total;
        private long _interopGuard;

        /// <summary>AllocationTick events read (all, not only InteropGuard's).</summary>
        public int Ticks { get; private set; }

        public void Add(GCAllocationTickTraceData tick, string? analyzerFilter)
        {
            Ticks++;
            long bytes = tick.AllocationAmount64;
            _total += bytes;

            // Innermost frame first.
            var frames = new List<string>();
            for (TraceCallStack? frame = tick.CallStack(); frame != null; frame = frame.Caller)
            {
                frames.Add(frame.CodeAddress.FullMethodName is { Length: > 0 } name ? name : frame.CodeAddress.ModuleName ?? "?");
            }

            int innermost = frames.FindIndex(IsInteropGuard);
            if (innermost < 0)
            {
                return;
            }

            string analyzer = AnalyzerOf(frames.Where(IsInteropGuard).ToList());
            if (analyzerFilter != null && !analyzer.Contains(analyzerFilter, StringComparison.Ordinal))
            {
                return;
            }

            _interopGuard += bytes;
            Add(_byAnalyzer, analyzer, bytes);
            foreach (string method in frames.Where(IsInteropGuard).Select(Short).Distinct())
            {
                Add(_inclusive, method, bytes);
            }

            Add(_innermost, Short(frames[innermost]), bytes);
            Add(_types, tick.TypeName ?? "?", bytes);
            string callee = innermost > 0 ? Short(frames[innermost - 1]) : "(its own allocation)";
            Add(_callees, callee + "  <-  " + Short(frames[innermost]), bytes);
        }

        public void Print(int top)
        {
            Console.WriteLine($"sampled allocations: {Ticks:N0} events, {Megabytes(_total):N1} MB in all, {Megabytes(_interopGuard):N1} MB under InteropGuard frames");
            Print("by analyzer (outermost rule frame)", _byAnalyzer, top);
            Print("by method, inclusive", _inclusive, top);
            Print("by innermost InteropGuard method", _innermost, top);
            Print("by allocated type", _types, top);
            Print("by allocating callee outside InteropGuard  <-  innermost InteropGuard method", _callees, top);
        }

        // The harness's own assembly is named InteropGuard.Performance; its frames wrap every analyzer and are not ours.
        private static bool IsInteropGuard(string frame)
            => frame.StartsWith("InteropGuard.", StringComparison.Ordinal) && !frame.StartsWith("InteropGuard.Performance", StringComparison.Ordinal);

        // The outermost frame of a rule's class, its lambdas' display classes folded into it; else the outermost frame's class.
        private static string AnalyzerOf(List<string> interopGuardFrames)
        {
            string outer = interopGuardFrames.LastOrDefault(f => f.StartsWith("InteropGuard.Rules.", StringComparison.Ordinal)) ?? interopGuardFrames[^1];
            string type = Short(outer);
            int member = type.LastIndexOf('.');
            type = member > 0 ? type.Substring(0, member) : type;
            int nested = type.IndexOf('+');
            return nested > 0 ? type.Substring(0, nested) : type;
        }

        private static string Short(string frame)
        {
            int parameters = frame.IndexOf('(');
            return (parameters > 0 ? frame.Substring(0, parameters) : frame).Replace("InteropGuard.", string.Empty, StringComparison.Ordinal);
        }

        private static void Add(Dictionary<string, long> table, string key, long bytes) => table[key] = table.GetValueOrDefault(key) + bytes;

        private static double Megabytes(long bytes) => bytes / 1_048_576.0;

        private static void Print(string title, Dictionary<string, long> table, int top)
        {
            Console.WriteLine($"== {title}");
            foreach (KeyValuePair<string, long> row in table.OrderByDescending(pair => pair.Value).ThenBy(pair => pair.Key, StringComparer.Ordinal).Take(top))
            {
                Console.WriteLine($"  {Megabytes(row.Value),8:N2} MB  {row.Key}");
            }
        }
    }
}
