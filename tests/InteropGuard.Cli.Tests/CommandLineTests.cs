using System;
using System.IO;

namespace InteropGuard.Cli.Tests
{
    /// <summary>Arguments and bad input: every mistake gets one line saying what to do, and exit code 2, before any build.</summary>
    public class CommandLineTests
    {
        [Fact]
        public void OptionsAndBuildArgumentsAreParsed()
        {
            var command = CommandLine.Parse(new[] { "audit", "src/App.csproj", "--format", "markdown", "-o", "out.md", "--", "-c", "Release" });
            Assert.Equal("audit", command.Command);
            Assert.Equal("src/App.csproj", command.Target);
            Assert.Equal(ReportFormat.Markdown, command.Format);
            Assert.Equal("out.md", command.Output);
            Assert.Equal(new[] { "-c", "Release" }, command.BuildArguments);

            var bare = CommandLine.Parse(new[] { "audit" });
            Assert.Null(bare.Target);
            Assert.Equal(ReportFormat.Text, bare.Format);
        }

        [Theory]
        [InlineData("Unknown command 'audti'", "audti")]
        [InlineData("Unknown format 'xml'", "audit", "--format", "xml")]
        [InlineData("'--output' needs a value", "audit", "--output")]
        [InlineData("Unknown option '--fast'", "audit", "--fast")]
        [InlineData("Give one project or solution", "audit", "a.csproj", "b.csproj")]
        [InlineData("Name the project or solution to baseline", "baseline")]
        public void MistakesAreExplained(string expected, params string[] args)
        {
            var error = Assert.Throws<UserError>(() => CommandLine.Parse(args));
            Assert.StartsWith(expected, error.Message);
        }

        [Fact]
        public void HelpPrintsUsageAndSucceeds()
        {
            var result = GeneratedProject.Run(Path.GetTempPath(), "--help");
            Assert.Equal(Program.Clean, result.ExitCode);
            Assert.Contains("interopguard audit [<project-or-solution>]", result.Output);
        }

        [Fact]
        public void BadInputIsOneLineAndExitCodeTwo()
        {
            var folder = Path.Combine(Path.GetTempPath(), "interopguard-cli-tests", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            try
            {
                File.WriteAllText(Path.Combine(folder, "notes.txt"), "not a project");
                Directory.CreateDirectory(Path.Combine(folder, "two"));
                File.WriteAllText(Path.Combine(folder, "two", "A.csproj"), "<Project />");
                File.WriteAllText(Path.Combine(folder, "two", "B.csproj"), "<Project />");
                Directory.CreateDirectory(Path.Combine(folder, "empty"));

                AssertOneLine(GeneratedProject.Run(folder, "audit", "missing.csproj"), "'missing.csproj' does not exist: give the path of a C# project");
                AssertOneLine(GeneratedProject.Run(folder, "audit", "notes.txt"), "'notes.txt' is not a project or solution");
                AssertOneLine(GeneratedProject.Run(folder, "audit", "two"), "'two' holds several projects (A.csproj, B.csproj): name the one to audit");
                AssertOneLine(GeneratedProject.Run(folder, "audit", "empty"), "'empty' holds no project or solution");
                AssertOneLine(GeneratedProject.RunFrom(folder, folder, "audit"), "No project given and no InteropGuard samples here");
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }

        [Fact]
        public void WithoutAnArgumentTheRepositorySamplesAreAudited()
        {
            var samples = Path.Combine(InMemoryAnalysis.RepositoryRoot, "samples", "AllSamples.proj");
            Assert.Equal(Path.GetFullPath(samples), AuditTargets.Resolve(null, Path.Combine(InMemoryAnalysis.RepositoryRoot, "docs"), "/"));
            Assert.Equal(Path.GetFullPath(samples), AuditTargets.Resolve(null, "/", Path.Combine(InMemoryAnalysis.RepositoryRoot, "src", "InteropGuard.Cli", "bin")));
        }

        [Fact]
        public void AFolderWithOneSolutionAndProjectsMeansTheSolution()
        {
            var folder = Path.Combine(Path.GetTempPath(), "interopguard-cli-tests", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            try
            {
                File.WriteAllText(Path.Combine(folder, "All.sln"), string.Empty);
                File.WriteAllText(Path.Combine(folder, "A.csproj"), "<Project />");
                Assert.Equal(Path.Combine(folder, "All.sln"), AuditTargets.Resolve(folder, "/", "/"));
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }
        }

        private static void AssertOneLine(CommandResult result, string expected)
        {
            Assert.True(result.ExitCode == Program.CannotBuild, result.ToString());
            var line = Assert.Single(result.Progress.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("interopguard: " + expected, line);
            Assert.Equal(string.Empty, result.Output);
        }
    }
}
