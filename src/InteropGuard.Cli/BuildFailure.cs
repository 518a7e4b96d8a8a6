using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace InteropGuard.Cli
{
    /// <summary>Why a build that exited non-zero failed, told apart by the error codes it printed.</summary>
    internal static class BuildFailure
    {
        private static readonly Regex Code = new Regex(@"error (?<code>[A-Za-z]+\d+)\s*:", RegexOptions.CultureInvariant);

        /// <summary>
        /// Null when the build succeeded or failed only on InteropGuard findings (a project's .editorconfig may make a
        /// rule an error): those are the audit's output. Otherwise the text to show, ending in what to do.
        /// </summary>
        public static string? Explain(string target, int exitCode, IReadOnlyList<string> errors)
        {
            if (exitCode == 0)
            {
                return null;
            }

            var codes = errors.Select(e => Code.Match(e)).Select(m => m.Success ? m.Groups["code"].Value : string.Empty).ToList();
            if (errors.Count > 0 && codes.All(c => c.StartsWith("IG", StringComparison.Ordinal)))
            {
                return null;
            }

            var restore = errors.Where((_, i) => codes[i].StartsWith("NU", StringComparison.Ordinal)).ToList();
            if (restore.Count > 0)
            {
                return $"'{target}' does not restore ({Short(restore[0])}): fix its package references or package sources until 'dotnet restore' succeeds, then audit again.";
            }

            var shown = errors.Where((_, i) => !codes[i].StartsWith("IG", StringComparison.Ordinal)).Take(20).ToList();
            var lines = new List<string> { $"'{target}' does not build (exit code {exitCode}); the build's errors:" };
            lines.AddRange(shown.Count > 0 ? shown.Select(e => "  " + e) : new[] { "  (no error line was printed; run 'dotnet build' on it to see why)" });
            if (errors.Count - shown.Count > 0)
            {
                lines.Add($"  … and {errors.Count - shown.Count} more");
            }

            lines.Add("Fix the build (InteropGuard needs a project that compiles), then audit again.");
            return string.Join(Environment.NewLine, lines);
        }

        /// <summary>The error's text without the file prefix and the trailing project in brackets.</summary>
        private static string Short(string error)
        {
            var match = Code.Match(error);
            var text = match.Success ? error.Substring(match.Index + "error ".Length) : error;
            var bracket = text.LastIndexOf(" [", StringComparison.Ordinal);
            return bracket > 0 ? text.Substring(0, bracket) : text;
        }
    }
}
