using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace InteropGuard.EndToEnd.Tests
{
    /// <summary>
    /// The Ownership rules after IG3001, one row per rule (<see cref="OwnershipScenario"/>): each unsafe sample
    /// misbehaves observably when run; a CI build with warnings as errors fails on the rule at the marked lines (with
    /// the finding in the SARIF log); and for the fixable rules, dotnet format applies the first fix and the result
    /// builds clean and behaves.
    /// </summary>
    /// <remarks>
    /// One copy and one restore per sample: the unsafe build with -warnaserror runs first (an up-to-date build would
    /// not recompile and so would report nothing), then the plain build and the runs, and only then does the fix test
    /// rewrite the same copy in place.
    /// </remarks>
    [Collection(EndToEndCollection.Name)]
    public sealed class OwnershipSampleTests
    {
        private readonly SampleWorkspace workspace;

        public OwnershipSampleTests(SampleWorkspace workspace)
        {
            this.workspace = workspace;
        }

        [Theory]
        [Scenario("IG3002")]
        [Scenario("IG3003")]
        [Scenario("IG3004")]
        [Scenario("IG3005")]
        [Scenario("IG3006")]
        [Scenario("IG3007")]
        [Scenario("IG1001")]
        [Scenario("IG1002")]
        [Scenario("IG5001")]
        [Scenario("IG5002")]
        [Scenario("IG2001")]
        [Scenario("IG2002")]
        [Scenario("IG2003")]
        [Scenario("IG2004")]
        [Scenario("IG4001")]
        [Scenario("IG4002")]
        [Scenario("IG4003")]
        public void Unsafe_program_misbehaves_observably(string ruleId)
        {
            OwnershipScenario scenario = OwnershipScenario.All[ruleId];
            ProcessResult run = UnsafeRun(scenario);
            Assert.True(run.ExitCode == scenario.UnsafeExitCode, $"The unsafe {scenario.Sample} must exit with {scenario.UnsafeExitCode}.\n{run}");
            Assert.Equal(scenario.UnsafeStatus, StatusLine(run));
            if (scenario.UnsafeStandardError != null)
            {
                Assert.True(run.StandardError.Contains(scenario.UnsafeStandardError, StringComparison.Ordinal),
                    $"The unsafe {scenario.Sample} must fail with the runtime's report \"{scenario.UnsafeStandardError}\".\n{run}");
            }
        }

        [Theory]
        [Scenario("IG3003")]
        [Scenario("IG2003")]
        [Scenario("IG2004")]
        [Scenario("IG1001")]
        public void Hand_written_correct_form_runs_clean(string ruleId)
        {
            OwnershipScenario scenario = OwnershipScenario.All[ruleId];
            ProcessResult run = CorrectRun(scenario);
            Assert.True(run.ExitCode == 0, $"The correct form of {scenario.Sample} must exit with 0.\n{run}");
            Assert.Equal(scenario.CorrectStatus, StatusLine(run));
        }

        [Theory]
        [Scenario("IG3002", NeedsRule = true)]
        [Scenario("IG3003", NeedsRule = true)]
        [Scenario("IG3004", NeedsRule = true)]
        [Scenario("IG3005", NeedsRule = true)]
        [Scenario("IG3006", NeedsRule = true)]
        [Scenario("IG3007", NeedsRule = true)]
        [Scenario("IG1001", NeedsRule = true)]
        [Scenario("IG1002", NeedsRule = true)]
        [Scenario("IG5001", NeedsRule = true)]
        [Scenario("IG5002", NeedsRule = true)]
        [Scenario("IG2001", NeedsRule = true)]
        [Scenario("IG2002", NeedsRule = true)]
        [Scenario("IG2003", NeedsRule = true)]
        [Scenario("IG2004", NeedsRule = true)]
        [Scenario("IG4001", NeedsRule = true)]
        [Scenario("IG4002", NeedsRule = true)]
        [Scenario("IG4003", NeedsRule = true)]
        public void Build_with_warnings_as_errors_fails_with_the_rule_at_each_marked_line(string ruleId)
        {
            OwnershipScenario scenario = OwnershipScenario.All[ruleId];
            ProcessResult build = WarningsAsErrorsBuild(scenario);
            IReadOnlyList<OwnershipScenario.Marker> markers = scenario.Markers();
            Assert.NotEmpty(markers);

            var reported = Regex.Matches(build.Output, Regex.Escape(OwnershipScenario.SourceFile) + @"\((\d+),\d+\): error (IG\d{4}): (.*)")
                .Select(m => (Line: int.Parse(m.Groups[1].Value), Id: m.Groups[2].Value, Message: m.Groups[3].Value.Trim()))
                .Distinct()
                .ToList();

            Assert.True(build.ExitCode != 0, $"The build must fail on {ruleId}.\n{build}");
            Assert.False(build.Output.Contains("AD0001", StringComparison.Ordinal), "An analyzer threw.\n" + build);
            Assert.True(
                markers.Select(m => m.Line).SequenceEqual(reported.Where(r => r.Id == ruleId).Select(r => r.Line).Distinct().OrderBy(l => l)),
                $"Expected {ruleId} at lines [{string.Join(", ", markers.Select(m => m.Line))}], reported: {Listing(reported)}\n{build}");
            // The sample shows one Ownership (or Pinning) rule: another one of the Ownership rules, or of the sample's
            // own family, reporting on it is a false positive (or a double report). Rules of other families may
            // legitimately see the same code from another angle.
            string family = ruleId.Substring(0, 3);
            Assert.True(reported.All(r => r.Id == ruleId || !(r.Id.StartsWith("IG3", StringComparison.Ordinal) || (family == "IG2" && r.Id.StartsWith(family, StringComparison.Ordinal)))),
                $"Only {ruleId} of the Ownership rules and of its own family may report on {scenario.Sample}; reported: {Listing(reported)}\n{build}");
            // The message names the value the finding is about.
            Assert.All(reported.Where(r => r.Id == ruleId), r =>
                Assert.True(r.Message.Contains(markers.Single(m => m.Line == r.Line).Variable, StringComparison.Ordinal),
                    $"{ruleId} at line {r.Line} does not name '{markers.Single(m => m.Line == r.Line).Variable}': {r.Message}"));

            string sarifPath = SarifPath(scenario);
            Assert.True(File.Exists(sarifPath), "No SARIF log was written.\n" + build);
            using JsonDocument sarif = JsonDocument.Parse(File.ReadAllText(sarifPath));
            JsonElement run = sarif.RootElement.GetProperty("runs").EnumerateArray().Single();
            var lines = run.GetProperty("results").EnumerateArray()
                .Where(r => r.GetProperty("ruleId").GetString() == ruleId)
                .Select(r => r.GetProperty("locations")[0].GetProperty("physicalLocation").GetProperty("region").GetProperty("startLine").GetInt32())
                .Distinct()
                .OrderBy(l => l);
            Assert.Equal(markers.Select(m => m.Line), lines);
            JsonElement rule = run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray()
                .Single(r => r.GetProperty("id").GetString() == ruleId);
            Assert.EndsWith($"docs/rules/{ruleId}.md", rule.GetProperty("helpUri").GetString() ?? "");
        }

        [Theory]
        [Scenario("IG3002", NeedsRule = true)]
        [Scenario("IG3004", NeedsRule = true)]
        [Scenario("IG3005", NeedsRule = true)]
        [Scenario("IG3006", NeedsRule = true)]
        [Scenario("IG3007", NeedsRule = true)]
        [Scenario("IG1001", NeedsRule = true)]
        [Scenario("IG1002", NeedsRule = true)]
        [Scenario("IG5001", NeedsRule = true)]
        [Scenario("IG5002", NeedsRule = true)]
        [Scenario("IG2001", NeedsRule = true)]
        [Scenario("IG2002", NeedsRule = true)]
        [Scenario("IG4001", NeedsRule = true)]
        [Scenario("IG4002", NeedsRule = true)]
        [Scenario("IG4003", NeedsRule = true)]
        public void Dotnet_format_applies_the_fix_and_the_fixed_program_builds_clean_and_behaves(string ruleId)
        {
            OwnershipScenario scenario = OwnershipScenario.All[ruleId];
            Formatted formatted = Format(scenario);
            (string before, string after, ProcessResult format, ProcessResult build) = (formatted.Before, formatted.After, formatted.Format, formatted.Build);
            Assert.True(format.ExitCode == 0, "dotnet format failed.\n" + format);
            Assert.False(format.Output.Contains("Exception", StringComparison.Ordinal), "dotnet format reported an exception.\n" + format);
            Assert.True(before != after, $"dotnet format did not apply the {ruleId} fix.\n{format}");

            var unfixed = Regex.Matches(build.Output, Regex.Escape(OwnershipScenario.SourceFile) + @"\((\d+),\d+\): error " + ruleId + ":")
                .Select(m => m.Groups[1].Value).Distinct().ToList();
            Assert.True(unfixed.Count == 0, $"dotnet format left {ruleId} unfixed at line(s) {string.Join(", ", unfixed)} of the rewritten source.\n--- fixed source ---\n{after}\n{format}\n{build}");
            Assert.True(build.ExitCode == 0, $"The fixed {scenario.Sample} must build with -warnaserror.\n--- fixed source ---\n{after}\n{build}");
            Assert.False(Regex.IsMatch(build.Output, @": (warning|error) [A-Z]+\d+"), "The fixed sample must build without warnings.\n" + build);

            ProcessResult run = Copy(scenario).Run(scenario.RunArguments ?? Array.Empty<string>());
            Assert.True(run.ExitCode == 0, $"The fixed {scenario.Sample} must behave (exit 0).\n--- fixed source ---\n{after}\n{run}");
            Assert.Equal(scenario.FixedStatus, StatusLine(run));
        }

        /// <summary>What dotnet format did to a sample's copy: once per sample, fixing every rule the sample shows.</summary>
        private sealed record Formatted(string Before, string After, ProcessResult Format, ProcessResult Build);

        private Formatted Format(OwnershipScenario scenario) =>
            workspace.Once(scenario.Sample + " format", () =>
            {
                // Every step on the unsafe form first, for every rule of the sample: the fix rewrites this copy.
                foreach (OwnershipScenario shown in scenario.SampleScenarios)
                {
                    _ = UnsafeRun(shown);
                    if (shown.CorrectFormArguments != null)
                    {
                        _ = CorrectRun(shown);
                    }
                }

                SampleCopy copy = Copy(scenario);
                string source = copy.PathOf(OwnershipScenario.SourceFile);
                string before = File.ReadAllText(source);
                var arguments = new List<string> { "--diagnostics" };
                arguments.AddRange(scenario.SampleScenarios.Select(s => s.RuleId));
                arguments.Add("--severity");
                arguments.Add(scenario.SampleScenarios.Any(s => s.FormatSeverity == "info") ? "info" : scenario.FormatSeverity);
                ProcessResult format = copy.FormatAnalyzers(arguments.ToArray());
                string after = File.ReadAllText(source);
                return new Formatted(before, after, format, copy.Build("-warnaserror"));
            });

        private SampleCopy Copy(OwnershipScenario scenario) =>
            workspace.Once(scenario.Sample + " copy", () => workspace.CopySample(scenario.Sample, scenario.Sample));

        private string SarifPath(OwnershipScenario scenario) => Path.Combine(Copy(scenario).ProjectDirectory, "interopguard.sarif");

        private ProcessResult WarningsAsErrorsBuild(OwnershipScenario scenario) =>
            workspace.Once(scenario.Sample + " build -warnaserror", () =>
                Copy(scenario).Build("-warnaserror", "-p:ErrorLog=" + SarifPath(scenario) + "%2Cversion%3D2.1"));

        private ProcessResult UnsafeRun(OwnershipScenario scenario) =>
            workspace.Once(scenario.Sample + " unsafe run" + string.Concat((scenario.RunArguments ?? Array.Empty<string>()).Select(a => " " + a)), () =>
            {
                // While the rule is not declared there is nothing for the CI build to find; skip its cost.
                if (OwnershipScenario.IsDeclared(scenario.RuleId))
                {
                    _ = WarningsAsErrorsBuild(scenario);
                }

                ProcessResult build = workspace.Once(scenario.Sample + " build", () => Copy(scenario).Build());
                Assert.True(build.ExitCode == 0, $"The unsafe {scenario.Sample} must build without -warnaserror.\n{build}");
                return Copy(scenario).Run(scenario.RunArguments ?? Array.Empty<string>());
            });

        private ProcessResult CorrectRun(OwnershipScenario scenario) =>
            workspace.Once(scenario.Sample + " correct run", () =>
            {
                _ = UnsafeRun(scenario);
                return Copy(scenario).Run(scenario.CorrectFormArguments!);
            });

        /// <summary>The last line the program printed: each sample ends with its verdict.</summary>
        private static string StatusLine(ProcessResult run) =>
            run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";

        private static string Listing(IEnumerable<(int Line, string Id, string Message)> reported) =>
            "[" + string.Join("; ", reported.Select(r => $"{r.Id} at {r.Line}: {r.Message}")) + "]";
    }
}
