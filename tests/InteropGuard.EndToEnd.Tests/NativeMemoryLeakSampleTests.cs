using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace InteropGuard.EndToEnd.Tests
{
    /// <summary>
    /// IG3001 on samples/Ownership.NativeMemoryLeak, through the three ways users meet it: a CI build with
    /// warnings as errors (and its SARIF log), dotnet format applying the fix, and the programs' actual behaviour.
    /// </summary>
    [Collection(EndToEndCollection.Name)]
    public sealed class NativeMemoryLeakSampleTests
    {
        private const string Sample = "Ownership.NativeMemoryLeak";
        private const string SourceFile = "Program.cs";
        private const string ExpectedHelpUriSuffix = "docs/rules/IG3001.md";

        private readonly SampleWorkspace workspace;

        public NativeMemoryLeakSampleTests(SampleWorkspace workspace)
        {
            this.workspace = workspace;
        }

        private SampleCopy Unsafe => workspace.Once("unsafe copy", () => workspace.CopySample(Sample, "unsafe"));

        private string SarifPath => Path.Combine(Unsafe.ProjectDirectory, "interopguard.sarif");

        // The CI build: must fail on the finding. Runs before any other build of this copy, because an
        // up-to-date incremental build would not recompile and so would not report anything.
        private ProcessResult WarningsAsErrorsBuild => workspace.Once("unsafe build -warnaserror", () =>
            Unsafe.Build("-warnaserror", "-p:ErrorLog=" + SarifPath + "%2Cversion%3D2.1"));

        private ProcessResult UnsafeRun => workspace.Once("unsafe run", () =>
        {
            _ = WarningsAsErrorsBuild;
            ProcessResult build = Unsafe.Build();
            Assert.True(build.ExitCode == 0, "The unsafe sample must build without -warnaserror.\n" + build);
            return Unsafe.Run();
        });

        [Fact]
        public void Build_with_warnings_as_errors_fails_with_IG3001_at_each_marked_allocation()
        {
            ProcessResult build = WarningsAsErrorsBuild;
            IReadOnlyList<MarkedAllocation> marked = MarkedAllocations(File.ReadAllText(RepositorySourceFile));
            Assert.NotEmpty(marked);
            var expected = marked.Select(m => (m.Line, m.Column)).ToList();

            var reported = Regex.Matches(build.Output, Regex.Escape(SourceFile) + @"\((\d+),(\d+)\): error IG3001: (.*)")
                .Select(m => (Line: int.Parse(m.Groups[1].Value), Column: int.Parse(m.Groups[2].Value), Message: m.Groups[3].Value))
                .ToList();

            Assert.True(build.ExitCode != 0, "The build must fail on IG3001.\n" + build);
            Assert.False(build.Output.Contains("AD0001", StringComparison.Ordinal), "An analyzer threw.\n" + build);
            Assert.True(
                expected.SequenceEqual(reported.Select(r => (r.Line, r.Column)).Distinct().OrderBy(p => p)),
                $"Expected IG3001 at {Positions(expected)}, reported at {Positions(reported.Select(r => (r.Line, r.Column)))}.\n{build}");
            // The message names the allocator, the variable, the release and the path that skips it.
            Assert.All(reported, r =>
            {
                Assert.Contains("igs_alloc", r.Message);
                Assert.Contains($"'{marked.Single(m => m.Line == r.Line).Variable}'", r.Message);
                Assert.Contains("igs_free", r.Message);
                Assert.Contains("Validate", r.Message);
            });
        }

        [Fact]
        public void Sarif_log_holds_the_finding_with_its_help_link()
        {
            ProcessResult build = WarningsAsErrorsBuild;
            Assert.True(File.Exists(SarifPath), "No SARIF log was written.\n" + build);
            IReadOnlyList<MarkedAllocation> expected = MarkedAllocations(File.ReadAllText(RepositorySourceFile));

            using JsonDocument sarif = JsonDocument.Parse(File.ReadAllText(SarifPath));
            Assert.Equal("2.1.0", sarif.RootElement.GetProperty("version").GetString());
            JsonElement run = sarif.RootElement.GetProperty("runs").EnumerateArray().Single();

            var findings = run.GetProperty("results").EnumerateArray()
                .Where(r => r.GetProperty("ruleId").GetString() == "IG3001")
                .Select(r => r.GetProperty("locations")[0].GetProperty("physicalLocation"))
                .Select(l => (Uri: l.GetProperty("artifactLocation").GetProperty("uri").GetString() ?? "", Line: l.GetProperty("region").GetProperty("startLine").GetInt32()))
                .ToList();
            Assert.True(findings.Count > 0, "The SARIF log has no IG3001 result:\n" + File.ReadAllText(SarifPath));
            Assert.All(findings, f => Assert.EndsWith(SourceFile, f.Uri));
            Assert.Equal(expected.Select(p => p.Line), findings.Select(f => f.Line).Distinct().OrderBy(l => l));

            JsonElement rule = run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray()
                .Single(r => r.GetProperty("id").GetString() == "IG3001");
            string helpUri = rule.GetProperty("helpUri").GetString() ?? "";
            Assert.True(helpUri.EndsWith(ExpectedHelpUriSuffix, StringComparison.Ordinal), $"IG3001's helpUri is '{helpUri}'.");
        }

        [Fact]
        public void Unsafe_program_leaks_each_flagged_allocation_of_the_rejected_record()
        {
            ProcessResult run = UnsafeRun;
            int flagged = MarkedAllocations(File.ReadAllText(RepositorySourceFile)).Count;
            Assert.True(run.ExitCode == 3, "The unsafe program must report the leak (exit 3).\n" + run);
            Assert.Contains($"LEAK live_blocks={flagged}", run.StandardOutput);
        }

        [Fact]
        public void Dotnet_format_applies_the_fix_and_the_fixed_program_builds_clean_and_does_not_leak()
        {
            SampleCopy copy = workspace.CopySample(Sample, "fixed");
            string source = copy.PathOf(SourceFile);
            string before = File.ReadAllText(source);

            ProcessResult format = copy.FormatAnalyzers("--diagnostics", "IG3001", "--severity", "warn");
            Assert.True(format.ExitCode == 0, "dotnet format failed.\n" + format);
            Assert.False(format.Output.Contains("Exception", StringComparison.Ordinal), "dotnet format reported an exception.\n" + format);
            string after = File.ReadAllText(source);
            Assert.True(before != after, "dotnet format did not change the sample.\n" + format);
            // Fix All: one finally per flagged allocation.
            Assert.Equal(MarkedAllocations(before).Count, Regex.Matches(after, @"\bfinally\b").Count);

            ProcessResult build = copy.Build("-warnaserror");
            Assert.True(build.ExitCode == 0, "The fixed sample must build with -warnaserror.\n--- fixed source ---\n" + after + "\n" + build);
            Assert.False(Regex.IsMatch(build.Output, @": (warning|error) [A-Z]+\d+"), "The fixed sample must build without warnings.\n" + build);

            ProcessResult run = copy.Run();
            Assert.True(run.ExitCode == 0, "The fixed program must not leak.\n--- fixed source ---\n" + after + "\n" + run);
            Assert.Contains("OK live_blocks=0", run.StandardOutput);
        }

        private string RepositorySourceFile => Path.Combine(workspace.RepositoryRoot, "samples", Sample, SourceFile);

        internal sealed record MarkedAllocation(int Line, int Column, string Variable);

        /// <summary>
        /// Lines marked "// IG3001" in the sample; the diagnostic's column is where the allocation invocation starts
        /// (its qualifier included), so a change to the sample moves the expectation with it.
        /// </summary>
        internal static IReadOnlyList<MarkedAllocation> MarkedAllocations(string source)
        {
            var positions = new List<MarkedAllocation>();
            string[] lines = source.Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                string line = lines[i];
                if (!line.Contains("// IG3001", StringComparison.Ordinal))
                {
                    continue;
                }

                int start = line.IndexOf("igs_alloc(", StringComparison.Ordinal);
                Assert.True(start >= 0, $"Line {i + 1} is marked // IG3001 but has no igs_alloc call: {line}");
                while (start > 0 && (char.IsLetterOrDigit(line[start - 1]) || line[start - 1] is '_' or '.'))
                {
                    start--;
                }

                Match variable = Regex.Match(line, @"(\w+)\s*=\s*[\w.]*igs_alloc\(");
                Assert.True(variable.Success, $"Line {i + 1} is marked // IG3001 but assigns no variable: {line}");
                positions.Add(new MarkedAllocation(i + 1, start + 1, variable.Groups[1].Value));
            }

            return positions;
        }

        private static string Positions(IEnumerable<(int Line, int Column)> positions) =>
            "[" + string.Join(", ", positions.Select(p => $"({p.Line},{p.Column})")) + "]";
    }
}
