using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace InteropGuard.Cli
{
    /// <summary>
    /// One SARIF 2.1 log of the InteropGuard results of every project and target framework, for code-scanning upload.
    /// Results are the compilers' own, baselined ones included with their suppression (viewers hide them).
    /// </summary>
    internal static class SarifReport
    {
        public static string Render(IReadOnlyList<SarifResult> results)
        {
            var ruleIds = results.Select(r => r.Finding.RuleId).Distinct().OrderBy(id => id, System.StringComparer.Ordinal).ToList();
            var rules = new JsonArray();
            foreach (var id in ruleIds)
            {
                rules.Add(new JsonObject
                {
                    ["id"] = id,
                    ["shortDescription"] = new JsonObject { ["text"] = AuditSummary.Title(id) },
                    ["helpUri"] = AuditSummary.HelpLink(id),
                });
            }

            var merged = new JsonArray();
            foreach (var result in results)
            {
                var copy = (JsonObject)result.Raw.DeepClone();
                // The index pointed into the rules of the compiler's own run; this log has its own list.
                copy["ruleIndex"] = ruleIds.IndexOf(result.Finding.RuleId);
                merged.Add(copy);
            }

            var log = new JsonObject
            {
                ["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json",
                ["version"] = "2.1.0",
                ["runs"] = new JsonArray
                {
                    new JsonObject
                    {
                        ["tool"] = new JsonObject
                        {
                            ["driver"] = new JsonObject
                            {
                                ["name"] = "InteropGuard",
                                ["informationUri"] = "https://github.com/InteropGuard/InteropGuard",
                                ["rules"] = rules,
                            },
                        },
                        ["results"] = merged,
                    },
                },
            };
            return log.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        }
    }
}
