using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using InteropGuard.Baseline;

namespace InteropGuard.Cli.Tests
{
    /// <summary>
    /// The command on real builds of generated projects: audit, SARIF output, and the baseline round trip the issue asks
    /// for (edit above a baselined finding: still suppressed; a new bug: reported, and fails -warnaserror; a fixed one:
    /// the baseline shrinks). Each step is a real build, so the steps share one test.
    /// </summary>
    [Collection(RealBuildCollection.Name)]
    public class AuditEndToEndTests
    {
        private const string Buffers = """
            using System;
            using System.Runtime.InteropServices;

            namespace Demo
            {
                public static class Buffers
                {
                    private static void Validate(int value) { if (value < 0) throw new ArgumentOutOfRangeException(nameof(value)); }

                    public static void First(int value)
                    {
                        IntPtr p = Marshal.AllocHGlobal(16);
                        Validate(value);
                        Marshal.FreeHGlobal(p);
                    }

                    public static void Second(int value)
                    {
                        IntPtr q = Marshal.AllocHGlobal(32);
                        Validate(value);
                        Marshal.FreeHGlobal(q);
                    }
                    // third
                }
            }
            """;

        private const string Third = """
                    public static void Third(int value)
                    {
                        IntPtr r = Marshal.AllocHGlobal(64);
                        Validate(value);
                        Marshal.FreeHGlobal(r);
                    }
            """;

        [Fact]
        public void AuditThenBaselineRoundTrip()
        {
            // TreatWarningsAsErrors: the audit must still get through the build and report the findings as findings.
            using var project = new GeneratedProject("Demo", "  <PropertyGroup><TreatWarningsAsErrors>true</TreatWarningsAsErrors></PropertyGroup>", ("Buffers.cs", Buffers));

            // 1. Audit, as SARIF to a file: two leaks, exit 1.
            var sarif = project.Run(new[] { "audit", project.ProjectFile, "--format", "sarif", "--output", "audit.sarif" }.Concat(GeneratedProject.QuietBuild).ToArray());
            Assert.True(sarif.ExitCode == Program.Findings, sarif.ToString());
            Assert.Contains("2 findings in 1 file", sarif.Output);
            var log = JsonNode.Parse(project.Read("audit.sarif"))!;
            var results = log["runs"]![0]!["results"]!.AsArray();
            Assert.Equal(2, results.Count);
            Assert.All(results, r => Assert.Equal("IG3001", (string?)r!["ruleId"]));
            Assert.Equal(AuditSummary.HelpLink("IG3001"), (string?)log["runs"]![0]!["tool"]!["driver"]!["rules"]![0]!["helpUri"]);
            Assert.Contains("built Demo", sarif.Progress);

            // 2. Baseline: both recorded next to the project.
            var baseline = project.Run(new[] { "baseline", "." }.Concat(GeneratedProject.QuietBuild).ToArray());
            Assert.True(baseline.ExitCode == Program.Clean, baseline.ToString());
            var keys = BaselineFile.Read(Path.Combine(project.ProjectDirectory, BaselineKey.DefaultFileName));
            Assert.Equal(2, keys.Count);
            Assert.Contains(keys, k => k.StartsWith("IG3001\tBuffers.cs\tDemo.Buffers.First(int)\tNative memory from 'Marshal.AllocHGlobal' in 'p'", StringComparison.Ordinal));

            // 3. Audit with the baseline: nothing reported, both counted as baselined, exit 0.
            var clean = project.Run(new[] { "audit", "." }.Concat(GeneratedProject.QuietBuild).ToArray());
            Assert.True(clean.ExitCode == Program.Clean, clean.ToString());
            Assert.Contains("No findings (2 more baselined).", clean.Output);

            // 4. Lines added above the baselined findings, and a new leak: only the new one is reported.
            project.Write("Buffers.cs", "// A header comment.\n// Another line.\n" + Buffers.Replace("        // third\n", Third));
            var oneNew = project.Run(new[] { "audit", ".", "--format", "markdown" }.Concat(GeneratedProject.QuietBuild).ToArray());
            Assert.True(oneNew.ExitCode == Program.Findings, oneNew.ToString());
            Assert.Contains("1 finding in 1 file from 1 root cause (2 more baselined).", oneNew.Output);
            Assert.Contains("in 'r'", oneNew.Output);
            Assert.DoesNotContain("in 'p'", oneNew.Output);

            // 5. A normal build with InteropGuard referenced as the package does it, with -warnaserror: fails on the new leak only.
            File.WriteAllText(Path.Combine(project.Root, "Directory.Build.targets"), $"""
                <Project>
                  <ItemGroup><Analyzer Include="{Path.Combine(AppContext.BaseDirectory, "analyzers", "InteropGuard.dll")}" /></ItemGroup>
                  <Import Project="{Path.Combine(AppContext.BaseDirectory, "build", "InteropGuard.targets")}" />
                </Project>
                """);
            var (exitCode, output) = Dotnet(project.ProjectDirectory, "build", project.ProjectFile, "-warnaserror", "-nologo", "-nodeReuse:false", "-p:UseSharedCompilation=false");
            Assert.True(exitCode != 0, output);
            var errors = output.Split('\n').Where(l => l.Contains("error IG", StringComparison.Ordinal)).Select(l => l.Trim()).Distinct().ToList();
            Assert.True(errors.Count == 1 && errors[0].Contains("in 'r'", StringComparison.Ordinal), output);

            // 6. The first leak fixed: the next baseline drops it and records the new one.
            project.Write("Buffers.cs", project.Read("Buffers.cs").Replace(
                "Validate(value);\n            Marshal.FreeHGlobal(p);",
                "try { Validate(value); }\n            finally { Marshal.FreeHGlobal(p); }"));
            var shrunk = project.Run(new[] { "baseline", project.ProjectFile }.Concat(GeneratedProject.QuietBuild).ToArray());
            Assert.True(shrunk.ExitCode == Program.Clean, shrunk.ToString());
            Assert.Contains("records 2 findings (1 added, 1 dropped", shrunk.Output);
            keys = BaselineFile.Read(Path.Combine(project.ProjectDirectory, BaselineKey.DefaultFileName));
            Assert.DoesNotContain(keys, k => k.Contains(".First(int)", StringComparison.Ordinal));
            Assert.Contains(keys, k => k.Contains(".Third(int)", StringComparison.Ordinal));
        }

        [Fact]
        public void AProjectThatDoesNotCompileExitsWithTwoAndShowsTheCompilerError()
        {
            using var project = new GeneratedProject("Broken", string.Empty, ("Broken.cs", "class Broken { void M() { int x = \"text\"; } }"));
            var result = project.Run(new[] { "audit", "Broken.csproj" }.Concat(GeneratedProject.QuietBuild).ToArray());
            Assert.True(result.ExitCode == Program.CannotBuild, result.ToString());
            Assert.Contains("'Broken.csproj' does not build", result.Progress);
            Assert.Contains("error CS0029", result.Progress);
            Assert.DoesNotContain("   at ", result.Progress);
            Assert.Equal(string.Empty, result.Output);
        }

        [Fact]
        public void AProjectThatDoesNotRestoreGetsOneLine()
        {
            using var project = new GeneratedProject("Unrestorable", "  <ItemGroup><PackageReference Include=\"No.Such.Package.InteropGuardTest\" Version=\"1.0.0\" /></ItemGroup>", ("A.cs", "class A { }"));
            var result = project.Run(new[] { "audit", project.ProjectFile }.Concat(GeneratedProject.QuietBuild).ToArray());
            Assert.True(result.ExitCode == Program.CannotBuild, result.ToString());
            var line = Assert.Single(result.Progress.Split('\n'), l => l.StartsWith("interopguard: ", StringComparison.Ordinal) && !l.Contains("building", StringComparison.Ordinal));
            Assert.Contains("does not restore (NU1101", line);
            Assert.Contains("dotnet restore", line);
        }

        private static (int ExitCode, string Output) Dotnet(string directory, params string[] arguments)
        {
            var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase) || k.StartsWith("MSBuild", StringComparison.Ordinal)).ToList())
            {
                start.Environment.Remove(name);
            }

            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdout + stderr.Result);
        }
    }
}
