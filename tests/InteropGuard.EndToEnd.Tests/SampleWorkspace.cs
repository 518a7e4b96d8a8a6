using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;

namespace InteropGuard.EndToEnd.Tests
{
    /// <summary>Every test that spawns builds shares one workspace and runs serially: the machine is small and shared.</summary>
    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class EndToEndCollection : ICollectionFixture<SampleWorkspace>
    {
        public const string Name = "End to end";
    }

    /// <summary>
    /// A temporary directory holding a NuGet feed with the freshly built InteropGuard package, a private global
    /// packages folder (so a package left from an earlier build can never be picked up), and copies of samples
    /// that consume the package exactly like a user's project. The repository itself is never written to.
    /// Steps that several tests share run once (<see cref="Once{T}"/>).
    /// </summary>
    public sealed class SampleWorkspace : IDisposable
    {
        public static readonly TimeSpan RestoreTimeout = TimeSpan.FromMinutes(3);
        public static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(3);
        public static readonly TimeSpan FormatTimeout = TimeSpan.FromMinutes(3);
        public static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(1);

        private readonly ConcurrentDictionary<string, Lazy<object>> steps = new ConcurrentDictionary<string, Lazy<object>>();

        public SampleWorkspace()
        {
            RepositoryRoot = Metadata("InteropGuard.RepositoryRoot");
            PackageVersion = Metadata("InteropGuard.PackageVersion");
            PackageFile = Metadata("InteropGuard.PackageFile");
            if (!File.Exists(PackageFile))
            {
                throw new InvalidOperationException($"The InteropGuard package '{PackageFile}' does not exist: build src/InteropGuard.Package (building this test project does) before running these tests.");
            }

            Root = Path.Combine(Path.GetTempPath(), "interopguard-e2e", Guid.NewGuid().ToString("N"));
            string feed = Path.Combine(Root, "feed");
            PackagesFolder = Path.Combine(Root, "packages");
            Directory.CreateDirectory(feed);
            Directory.CreateDirectory(PackagesFolder);
            File.Copy(PackageFile, Path.Combine(feed, Path.GetFileName(PackageFile)));

            // Above every sample copy, so it is the only configuration their restores see besides the user's.
            File.WriteAllText(Path.Combine(Root, "NuGet.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="interopguard-e2e" value="{feed}" />
                  </packageSources>
                  <config>
                    <add key="globalPackagesFolder" value="{PackagesFolder}" />
                  </config>
                </configuration>
                """);

            DotnetEnvironment = new Dictionary<string, string>
            {
                ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                ["DOTNET_NOLOGO"] = "1",
                ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
                ["MSBUILDDISABLENODEREUSE"] = "1",
                ["NUGET_PACKAGES"] = PackagesFolder,
                // Read by samples/Directory.Build.props: consume InteropGuard as a package, not as project references.
                ["InteropGuardFromPackage"] = "true",
                ["InteropGuardPackageVersion"] = PackageVersion,
            };
        }

        public string RepositoryRoot { get; }

        public string PackageVersion { get; }

        public string PackageFile { get; }

        public string Root { get; }

        public string PackagesFolder { get; }

        public IReadOnlyDictionary<string, string> DotnetEnvironment { get; }

        /// <summary>Runs <paramref name="step"/> the first time <paramref name="key"/> is asked for; later callers get its result.</summary>
        public T Once<T>(string key, Func<T> step) where T : class =>
            (T)steps.GetOrAdd(key, _ => new Lazy<object>(step)).Value;

        /// <summary>Copies samples/<paramref name="sampleName"/> with what it builds against into its own directory and restores it once.</summary>
        public SampleCopy CopySample(string sampleName, string copyName)
        {
            string samples = Path.Combine(RepositoryRoot, "samples");
            string target = Path.Combine(Root, copyName, "samples");
            Directory.CreateDirectory(target);
            foreach (string file in Directory.EnumerateFiles(samples, "Directory.Build.*"))
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }

            CopyTree(Path.Combine(samples, "native"), Path.Combine(target, "native"));
            CopyTree(Path.Combine(samples, sampleName), Path.Combine(target, sampleName));

            var copy = new SampleCopy(this, Path.Combine(target, sampleName), sampleName);
            ProcessResult restore = copy.Dotnet(RestoreTimeout, "restore", copy.ProjectFile, "-nodeReuse:false");
            if (restore.ExitCode != 0)
            {
                throw new InvalidOperationException("Restoring the sample copy failed:\n" + restore);
            }

            return copy;
        }

        private static void CopyTree(string source, string target)
        {
            Directory.CreateDirectory(target);
            foreach (string file in Directory.EnumerateFiles(source))
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }

            foreach (string directory in Directory.EnumerateDirectories(source))
            {
                string name = Path.GetFileName(directory);
                if (name is "bin" or "obj" or "build")
                {
                    continue;
                }

                CopyTree(directory, Path.Combine(target, name));
            }
        }

        private static string Metadata(string key) =>
            typeof(SampleWorkspace).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
            ?? throw new InvalidOperationException("Missing assembly metadata " + key);

        public void Dispose()
        {
            if (Environment.GetEnvironmentVariable("INTEROPGUARD_E2E_KEEP") == "1")
            {
                return;
            }

            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
                // A leftover build process may still hold a file; the directory is under the temp folder anyway.
            }
        }
    }

    /// <summary>A restored copy of one sample project in the workspace.</summary>
    public sealed class SampleCopy
    {
        private readonly SampleWorkspace workspace;

        public SampleCopy(SampleWorkspace workspace, string projectDirectory, string name)
        {
            this.workspace = workspace;
            ProjectDirectory = projectDirectory;
            Name = name;
        }

        public string ProjectDirectory { get; }

        public string Name { get; }

        public string ProjectFile => Path.Combine(ProjectDirectory, Name + ".csproj");

        public string PathOf(string relativePath) => Path.Combine(ProjectDirectory, relativePath);

        /// <summary>Release build without the shared compiler server or node reuse, so no process outlives the build.</summary>
        public ProcessResult Build(params string[] extraArguments) =>
            Dotnet(SampleWorkspace.BuildTimeout, new[] { "build", ProjectFile, "-c", "Release", "--no-restore", "-nodeReuse:false", "-p:UseSharedCompilation=false" }.Concat(extraArguments).ToArray());

        public ProcessResult FormatAnalyzers(params string[] extraArguments) =>
            Dotnet(SampleWorkspace.FormatTimeout, new[] { "format", "analyzers", ProjectFile, "--no-restore" }.Concat(extraArguments).ToArray());

        /// <summary>Runs the built program with optimized code from the start, as the runtime proofs require.</summary>
        public ProcessResult Run(params string[] programArguments)
        {
            var environment = new Dictionary<string, string>(workspace.DotnetEnvironment) { ["DOTNET_TieredCompilation"] = "0" };
            string program = Path.Combine(ProjectDirectory, "bin", "Release", "net10.0", Name + ".dll");
            return ExternalProcess.Run("dotnet", new[] { program }.Concat(programArguments), ProjectDirectory, environment, SampleWorkspace.RunTimeout);
        }

        public ProcessResult Dotnet(TimeSpan timeout, params string[] arguments)
        {
            // dotnet format has no --nologo; every other command gets it.
            string[] withLogo = arguments[0] == "format" ? arguments : arguments.Take(1).Append("--nologo").Concat(arguments.Skip(1)).ToArray();
            return ExternalProcess.Run("dotnet", withLogo, ProjectDirectory, workspace.DotnetEnvironment, timeout);
        }
    }
}
