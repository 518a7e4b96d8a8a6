using System;
using System.IO;
using System.Linq;

namespace InteropGuard.Cli
{
    /// <summary><c>interopguard audit</c> and <c>interopguard baseline</c>. Exit codes: 0 clean, 1 findings, 2 cannot build or bad input.</summary>
    internal static class Program
    {
        public const int Clean = 0;

        public const int Findings = 1;

        public const int CannotBuild = 2;

        public static int Main(string[] args) => Run(args, Environment.CurrentDirectory, AppContext.BaseDirectory, Console.Out, Console.Error);

        internal static int Run(string[] args, string currentDirectory, string toolDirectory, TextWriter output, TextWriter progress)
        {
            try
            {
                var command = CommandLine.Parse(args);
                if (command.Command == "help")
                {
                    output.WriteLine(CommandLine.Usage);
                    return Clean;
                }

                var target = AuditTargets.Resolve(command.Target, currentDirectory, toolDirectory);
                var display = Paths.Display(currentDirectory, target);
                using var build = new AuditBuild(toolDirectory);
                progress.WriteLine($"interopguard: building {display} with InteropGuard (every project compiles; this takes a while)");
                var outcome = build.Run(target, command.BuildArguments, progress);
                var failure = BuildFailure.Explain(display, outcome.ExitCode, outcome.Errors);
                if (failure != null)
                {
                    progress.WriteLine("interopguard: " + failure);
                    return CannotBuild;
                }

                if (outcome.Logs.Count == 0)
                {
                    progress.WriteLine($"interopguard: no C# project of '{display}' was compiled: give a C# project or a solution holding one.");
                    return CannotBuild;
                }

                var results = SarifLogs.Read(outcome.Logs);
                var baseDirectory = Path.GetDirectoryName(target)!;
                return command.Command == "baseline"
                    ? WriteBaseline(command, results, baseDirectory, currentDirectory, output)
                    : Report(command, display, baseDirectory, results, currentDirectory, output);
            }
            catch (UserError error)
            {
                progress.WriteLine("interopguard: " + error.Message);
                return CannotBuild;
            }
        }

        private static int Report(CommandLine command, string display, string baseDirectory, System.Collections.Generic.IReadOnlyList<SarifResult> results, string currentDirectory, TextWriter output)
        {
            var summary = new AuditSummary(display, baseDirectory, results.Select(r => r.Finding).ToList());
            var report = command.Format switch
            {
                ReportFormat.Markdown => MarkdownReport.Render(summary),
                ReportFormat.Sarif => SarifReport.Render(results),
                _ => TextReport.Render(summary),
            };
            if (command.Output != null)
            {
                var path = Path.GetFullPath(command.Output, currentDirectory);
                Write(path, report);
                output.WriteLine(TextReport.Headline(summary) + " Report: " + Paths.Display(currentDirectory, path));
            }
            else
            {
                output.Write(report);
            }

            return summary.Reported.Count > 0 ? Findings : Clean;
        }

        /// <summary>Writes a report or baseline, creating its folder (a CI artifact folder often does not exist yet).</summary>
        private static void Write(string path, string text)
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, text);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                throw new UserError($"Cannot write '{path}': {exception.Message}");
            }
        }

        private static int WriteBaseline(CommandLine command, System.Collections.Generic.IReadOnlyList<SarifResult> results, string baseDirectory, string currentDirectory, TextWriter output)
        {
            var path = Path.GetFullPath(command.Output ?? Path.Combine(baseDirectory, Baseline.BaselineKey.DefaultFileName), currentDirectory);
            var previous = BaselineFile.Read(path).ToHashSet(StringComparer.Ordinal);
            var keys = BaselineFile.Keys(results, Path.GetDirectoryName(path)!);
            Write(path, BaselineFile.Render(keys));
            var added = keys.Count(k => !previous.Contains(k));
            var dropped = previous.Count(k => !keys.Contains(k));
            output.WriteLine($"interopguard: {Paths.Display(currentDirectory, path)} records {TextReport.N(keys.Count)} finding{(keys.Count == 1 ? string.Empty : "s")} ({added} added, {dropped} dropped since the last baseline). Commit it; the build now reports only findings not in it.");
            return Clean;
        }
    }
}
