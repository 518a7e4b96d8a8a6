using System.Linq;
using System.Text.Json.Nodes;

namespace InteropGuard.Cli.Tests
{
    /// <summary>SARIF read back from the compiler's log shape, and the three report formats.</summary>
    public class ReportTests
    {
        // The shape the C# compiler writes for ErrorLog=file,version=2.1 (trimmed to what the command reads).
        private const string CompilerLog = """
            {
              "$schema": "http://json.schemastore.org/sarif-2.1.0",
              "version": "2.1.0",
              "runs": [ {
                "results": [
                  { "ruleId": "CS8618", "ruleIndex": 0, "level": "warning", "message": { "text": "Non-nullable field" },
                    "locations": [ { "physicalLocation": { "artifactLocation": { "uri": "file:///repo/src/A.cs" }, "region": { "startLine": 1, "startColumn": 1 } } } ] },
                  { "ruleId": "IG3001", "ruleIndex": 1, "level": "warning", "message": { "text": "Native memory from 'Marshal.AllocHGlobal' in 'p' is not released by 'Marshal.FreeHGlobal' if 'Validate(value)' throws" },
                    "locations": [ { "physicalLocation": { "artifactLocation": { "uri": "file:///repo/src/A.cs" }, "region": { "startLine": 12, "startColumn": 24 } } } ] },
                  { "ruleId": "IG3001", "ruleIndex": 1, "level": "warning", "message": { "text": "Native memory from 'Marshal.AllocHGlobal' in 'q' is not released by 'Marshal.FreeHGlobal' if 'Validate(value)' throws" },
                    "locations": [ { "physicalLocation": { "artifactLocation": { "uri": "file:///repo/src/My%20Folder/B.cs" }, "region": { "startLine": 3, "startColumn": 9 } } } ],
                    "suppressions": [ { "kind": "external", "justification": "baselined" } ] },
                  { "ruleId": "IG0001", "ruleIndex": 2, "level": "warning", "message": { "text": "The .editorconfig option 'interopguard.allocator_pairs' has a malformed entry 'x': expected alloc:free; InteropGuard ignores this option and uses its defaults" } }
                ],
                "tool": { "driver": { "name": "Microsoft (R) Visual C# Compiler", "rules": [] } }
              } ]
            }
            """;

        [Fact]
        public void OnlyInteropGuardResultsAreReadAndDuplicatesAcrossTargetFrameworksCollapse()
        {
            var results = SarifLogs.Deduplicate(SarifLogs.Parse(CompilerLog, "/logs/App.net8.0.sarif").Concat(SarifLogs.Parse(CompilerLog, "/logs/App.net10.0.sarif")));
            Assert.Equal(3, results.Count);
            Assert.DoesNotContain(results, r => r.Finding.RuleId == "CS8618");
            var baselined = Assert.Single(results, r => r.Finding.Baselined);
            Assert.Equal("/repo/src/My Folder/B.cs", baselined.Finding.File);
            var project = Assert.Single(results, r => r.Finding.RuleId == "IG0001");
            Assert.Equal(string.Empty, project.Finding.File);
        }

        [Fact]
        public void ATruncatedLogIsSkipped() => Assert.Empty(SarifLogs.Parse("{ \"runs\": [", "/logs/x.sarif"));

        [Fact]
        public void TheTextReportPutsRootCausesFirstAndLinksTheRules()
        {
            var summary = Summary();
            var text = TextReport.Render(summary);
            Assert.Contains("2 findings in 2 files from 2 root causes (1 more baselined).", text);
            Assert.Contains("IG3001       1 (+1 baselined)  Native memory is not released on every path", text);
            Assert.Contains("1 × allocator 'Marshal.AllocHGlobal'", text);
            Assert.Contains("https://github.com/InteropGuard/InteropGuard/blob/main/docs/rules/IG3001.md", text);
            Assert.Contains("src/A.cs:12:24: IG3001: Native memory from 'Marshal.AllocHGlobal' in 'p'", text);
            Assert.Contains("(project): IG0001", text);
            Assert.DoesNotContain("in 'q'", text);
        }

        [Fact]
        public void TheMarkdownReportHasTablesWithLinks()
        {
            var markdown = MarkdownReport.Render(Summary());
            Assert.Contains("| [IG3001](https://github.com/InteropGuard/InteropGuard/blob/main/docs/rules/IG3001.md) | 1 | 1 |", markdown);
            Assert.Contains("## By root cause, largest first", markdown);
        }

        [Fact]
        public void TheSarifReportIsOneRunWithInteropGuardRules()
        {
            var results = SarifLogs.Deduplicate(SarifLogs.Parse(CompilerLog, "/logs/App.sarif"));
            var log = JsonNode.Parse(SarifReport.Render(results))!;
            var run = log["runs"]![0]!;
            Assert.Equal("InteropGuard", (string?)run["tool"]!["driver"]!["name"]);
            var rules = run["tool"]!["driver"]!["rules"]!.AsArray().Select(r => (string?)r!["id"]).ToList();
            Assert.Equal(new[] { "IG0001", "IG3001" }, rules);
            foreach (var result in run["results"]!.AsArray())
            {
                Assert.Equal((string?)result!["ruleId"], rules[(int)result["ruleIndex"]!]);
            }

            Assert.Single(run["results"]!.AsArray(), r => r!["suppressions"] != null);
        }

        [Fact]
        public void ACleanAuditSaysSo()
        {
            var summary = new AuditSummary("App.csproj", "/repo", new Finding[0]);
            Assert.Equal("InteropGuard audit of App.csproj\nNo findings.\n", TextReport.Render(summary).Replace("\r\n", "\n"));
        }

        private static AuditSummary Summary()
            => new AuditSummary("App.csproj", "/repo", SarifLogs.Deduplicate(SarifLogs.Parse(CompilerLog, "/logs/App.sarif")).Select(r => r.Finding).ToList());
    }
}
