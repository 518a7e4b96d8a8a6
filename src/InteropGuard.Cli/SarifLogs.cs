using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace InteropGuard.Cli
{
    /// <summary>A finding with the SARIF result it came from (copied into <c>--format sarif</c>) and the log that held it.</summary>
    internal sealed record SarifResult(Finding Finding, JsonObject Raw, string LogPath);

    /// <summary>
    /// Reads the compilers' SARIF 2.1 logs of an audited build: InteropGuard results only (ids IG*), one per rule, place
    /// and message however many target frameworks or logs reported it.
    /// </summary>
    internal static class SarifLogs
    {
        public static IReadOnlyList<SarifResult> Read(IEnumerable<string> logPaths)
            => Deduplicate(logPaths.OrderBy(p => p, StringComparer.Ordinal).SelectMany(p => Parse(File.ReadAllText(p), p)));

        public static IReadOnlyList<SarifResult> Deduplicate(IEnumerable<SarifResult> results)
        {
            var seen = new HashSet<(string, string, int, int, string)>();
            var unique = new List<SarifResult>();
            foreach (var result in results)
            {
                var f = result.Finding;
                if (seen.Add((f.RuleId, f.File, f.Line, f.Column, f.Message)))
                {
                    unique.Add(result);
                }
            }

            return unique
                .OrderBy(r => r.Finding.File, StringComparer.Ordinal)
                .ThenBy(r => r.Finding.Line)
                .ThenBy(r => r.Finding.Column)
                .ThenBy(r => r.Finding.RuleId, StringComparer.Ordinal)
                .ThenBy(r => r.Finding.Message, StringComparer.Ordinal)
                .ToList();
        }

        public static IEnumerable<SarifResult> Parse(string json, string logPath)
        {
            JsonNode? root;
            try
            {
                root = JsonNode.Parse(json);
            }
            catch (JsonException)
            {
                // A compiler killed mid-write leaves a truncated log; its project's build error is what the user sees.
                yield break;
            }

            if (root?["runs"] is not JsonArray runs)
            {
                yield break;
            }

            foreach (var run in runs.OfType<JsonObject>())
            {
                if (run["results"] is not JsonArray results)
                {
                    continue;
                }

                foreach (var result in results.OfType<JsonObject>())
                {
                    var ruleId = (string?)result["ruleId"] ?? string.Empty;
                    if (!ruleId.StartsWith("IG", StringComparison.Ordinal) || ruleId.Length < 3 || !char.IsDigit(ruleId[2]))
                    {
                        continue;
                    }

                    var message = (string?)result["message"]?["text"] ?? string.Empty;
                    var level = (string?)result["level"] ?? "warning";
                    var (file, line, column) = Location(result);
                    var baselined = result["suppressions"] is JsonArray { Count: > 0 };
                    yield return new SarifResult(new Finding(ruleId, level, message, file, line, column, baselined), result, logPath);
                }
            }
        }

        private static (string File, int Line, int Column) Location(JsonObject result)
        {
            var physical = (result["locations"] as JsonArray)?.FirstOrDefault()?["physicalLocation"];
            var uri = (string?)physical?["artifactLocation"]?["uri"];
            if (string.IsNullOrEmpty(uri))
            {
                return (string.Empty, 0, 0);
            }

            var file = Uri.TryCreate(uri, UriKind.Absolute, out var absolute) && absolute.IsFile ? absolute.LocalPath : Uri.UnescapeDataString(uri);
            var region = physical?["region"];
            return (file, (int?)region?["startLine"] ?? 0, (int?)region?["startColumn"] ?? 0);
        }
    }
}
