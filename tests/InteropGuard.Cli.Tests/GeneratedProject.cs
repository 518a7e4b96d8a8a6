using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;

namespace InteropGuard.Cli.Tests
{
    /// <summary>Real builds run one at a time: the machine is small and shared.</summary>
    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class RealBuildCollection
    {
        public const string Name = "Real builds";
    }

    /// <summary>
    /// A small C# project in a temporary folder, restored from no package source at all (it needs none), that the
    /// command audits for real. The folder is deleted afterwards.
    /// </summary>
    internal sealed class GeneratedProject : IDisposable
    {
        /// <summary>Build arguments that leave no compiler server or MSBuild node behind a test.</summary>
        public static readonly string[] QuietBuild = { "--", "-nodeReuse:false", "-p:UseSharedCompilation=false" };

        public GeneratedProject(string name, string projectBody, params (string Path, string Text)[] files)
        {
            Root = Path.Combine(Path.GetTempPath(), "interopguard-cli-tests", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Root);
            // Nothing above the test folder may shape the build, and restore needs no package source.
            File.WriteAllText(Path.Combine(Root, "Directory.Build.props"), "<Project />");
            File.WriteAllText(Path.Combine(Root, "Directory.Build.targets"), "<Project />");
            File.WriteAllText(Path.Combine(Root, "NuGet.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="empty" value="{Path.Combine(Root, "feed")}" />
                  </packageSources>
                </configuration>
                """);
            Directory.CreateDirectory(Path.Combine(Root, "feed"));
            ProjectDirectory = Path.Combine(Root, name);
            Directory.CreateDirectory(ProjectDirectory);
            ProjectFile = Path.Combine(ProjectDirectory, name + ".csproj");
            File.WriteAllText(ProjectFile, $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <AllowUnsafeBlocks>true</AllowUnsafeBlocks>
                  </PropertyGroup>
                {projectBody}
                </Project>
                """);
            foreach (var (path, text) in files)
            {
                Write(path, text);
            }
        }

        public string Root { get; }

        public string ProjectDirectory { get; }

        public string ProjectFile { get; }

        public void Write(string relativePath, string text) => File.WriteAllText(Path.Combine(ProjectDirectory, relativePath), text);

        public string Read(string relativePath) => File.ReadAllText(Path.Combine(ProjectDirectory, relativePath));

        /// <summary>Runs the command in this process, as `interopguard` would run, with the analyzers beside the tests.</summary>
        public static CommandResult Run(string currentDirectory, params string[] args) => RunFrom(AppContext.BaseDirectory, currentDirectory, args);

        /// <summary>As if the tool were installed in <paramref name="toolDirectory"/>: somewhere without the repository's samples above it.</summary>
        public static CommandResult RunFrom(string toolDirectory, string currentDirectory, params string[] args)
        {
            var output = new StringWriter();
            var progress = new StringWriter();
            var stopwatch = Stopwatch.StartNew();
            var exitCode = Program.Run(args, currentDirectory, toolDirectory, output, progress);
            return new CommandResult(string.Join(" ", args), exitCode, output.ToString(), progress.ToString(), stopwatch.Elapsed);
        }

        public CommandResult Run(params string[] args) => Run(ProjectDirectory, args);

        public void Dispose()
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
                // A build process may still hold a file for a moment; the folder is under the temp directory anyway.
            }
        }
    }

    internal sealed record CommandResult(string CommandLine, int ExitCode, string Output, string Progress, TimeSpan Elapsed)
    {
        public override string ToString() => $"$ interopguard {CommandLine}\n(exit {ExitCode} after {Elapsed.TotalSeconds:F1}s)\n--- output ---\n{Output}\n--- progress ---\n{Progress}";
    }
}
