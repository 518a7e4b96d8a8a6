using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Performance
{
    /// <summary>
    /// InteropGuard's findings of one pass as sorted text lines (id, file:line:column, message), so that two builds of
    /// the analyzer can be compared on the same code with <c>diff</c>: a change meant only to make a rule cheaper must leave
    /// the file byte-identical.
    /// </summary>
    internal static class Findings
    {
        public static void Write(string file, Workload workload, AnalysisRun run, AnalyzerSets sets)
        {
            List<string> lines = run.Diagnostics
                .Where(d => sets.InteropGuardIds.Contains(d.Id))
                .Select(d => Line(d))
                .OrderBy(line => line, StringComparer.Ordinal)
                .ToList();
            File.WriteAllLines(file, lines);
            string byId = string.Join(", ", run.Diagnostics
                .Where(d => sets.InteropGuardIds.Contains(d.Id))
                .GroupBy(d => d.Id)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => $"{g.Key} x{g.Count()}"));
            Console.WriteLine($"{workload.Name}: {lines.Count} InteropGuard findings written to {file}{(lines.Count > 0 ? " (" + byId + ")" : "")}");
            foreach (string exception in run.AnalyzerExceptions)
            {
                Console.WriteLine("  analyzer exception: " + exception);
            }
        }

        /// <summary>Every diagnostic of the pass (both sets), one sorted line each.</summary>
        public static List<string> AllLines(AnalysisRun run) =>
            run.Diagnostics.Select(d => Line(d)).OrderBy(line => line, StringComparer.Ordinal).ToList();

        private static string Line(Diagnostic diagnostic)
        {
            FileLinePositionSpan span = diagnostic.Location.GetLineSpan();
            string where = span.IsValid
                ? string.Format(CultureInfo.InvariantCulture, "{0}:{1}:{2}", span.Path, span.StartLinePosition.Line + 1, span.StartLinePosition.Character + 1)
                : "(no location)";
            return $"{diagnostic.Id} {where} {diagnostic.GetMessage(CultureInfo.InvariantCulture)}";
        }
    }
}
