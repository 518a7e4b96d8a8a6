using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Security;
using System.Text;
using System.Text.RegularExpressions;

namespace InteropGuard.Cli
{
    /// <summary>What came out of the audited build: its exit code, its error lines and the compilers' SARIF logs.</summary>
    internal sealed record BuildOutcome(int ExitCode, IReadOnlyList<string> Errors, IReadOnlyList<string> Logs);

    /// <summary>
    /// Builds a project or solution with InteropGuard injected, without editing it: a targets file this tool writes is
    /// imported into every project through MSBuild's <c>CustomAfterMicrosoftCommonTargets</c>. It replaces any
    /// InteropGuard the project already references (so the analyzers do not run twice) with the assemblies this tool
    /// carries, points the compiler's <c>ErrorLog</c> at a SARIF file per project and target framework, adds the
    /// baseline like the package does, and changes the compiler's up-to-date hash so every project really compiles.
    /// </summary>
    internal sealed class AuditBuild : IDisposable
    {
        // Variables a parent dotnet process (dotnet run, dotnet test) sets for its own MSBuild; inherited, they can
        // point the child build at the wrong SDK pieces.
        private static readonly string[] InheritedPrefixesToDrop = { "MSBUILD", "MSBuildExtensionsPath", "MSBuildSDKsPath", "VSTEST" };

        // MSBuild's canonical error format: "file(1,2): error CS1002: text [project]", "MSBUILD : error MSB1009: text".
        private static readonly Regex ErrorLine = new Regex(@"(^|[\s:)])error( [A-Za-z]+\d+)?\s*:", RegexOptions.CultureInvariant);

        private static readonly Regex ProjectBuilt = new Regex(@"^\s*(?<name>\S+) -> ", RegexOptions.CultureInvariant);

        private static readonly Regex Restored = new Regex(@"^\s*Restored (?<project>.+?) \(in ", RegexOptions.CultureInvariant);

        private readonly string root;

        public AuditBuild(string toolDirectory)
        {
            var analyzers = Path.Combine(toolDirectory, "analyzers");
            var baselineTargets = Path.Combine(toolDirectory, "build", "InteropGuard.targets");
            if (!File.Exists(Path.Combine(analyzers, "InteropGuard.dll")) || !File.Exists(baselineTargets))
            {
                throw new UserError($"This interopguard is incomplete: '{analyzers}' must hold InteropGuard.dll; reinstall the tool or rebuild src/InteropGuard.Cli.");
            }

            root = Path.Combine(Path.GetTempPath(), "interopguard-audit", Guid.NewGuid().ToString("N"));
            LogDirectory = Path.Combine(root, "logs");
            Directory.CreateDirectory(LogDirectory);
            TargetsFile = Path.Combine(root, "InteropGuard.Audit.targets");
            File.WriteAllText(TargetsFile, InjectedTargets(analyzers, baselineTargets, AuditSummary.KnownRuleIds));
        }

        public string LogDirectory { get; }

        public string TargetsFile { get; }

        /// <summary>The targets file imported into every audited project.</summary>
        public static string InjectedTargets(string analyzersDirectory, string baselineTargets, IEnumerable<string> ruleIds)
        {
            var analyzers = string.Join(";", new[] { "InteropGuard.dll", "InteropGuard.CodeFixes.dll" }.Select(f => Escape(Path.Combine(analyzersDirectory, f))));
            return $"""
                <Project>
                  <!-- Written by interopguard audit. Analyzer projects (IsRoslynComponent) are built, not audited. -->
                  <PropertyGroup Condition="'$(IsRoslynComponent)' != 'true' and '$(InteropGuardAuditLogs)' != ''">
                    <_InteropGuardAuditLog>$(InteropGuardAuditLogs)/$(MSBuildProjectName).$([MSBuild]::StableStringHash('$(MSBuildProjectFullPath)')).$(TargetFramework)</_InteropGuardAuditLog>
                    <ErrorLog>$(_InteropGuardAuditLog).sarif,version=2.1</ErrorLog>
                    <RunAnalyzers>true</RunAnalyzers>
                    <RunAnalyzersDuringBuild>true</RunAnalyzersDuringBuild>
                    <!-- Findings are the audit's output, not a reason for the audited build to stop. -->
                    <WarningsNotAsErrors>$(WarningsNotAsErrors);{string.Join(";", ruleIds)}</WarningsNotAsErrors>
                  </PropertyGroup>
                  <Import Project="{Escape(baselineTargets)}" Condition="'$(IsRoslynComponent)' != 'true' and '$(InteropGuardAuditLogs)' != ''" />
                  <ItemGroup Condition="'$(IsRoslynComponent)' != 'true' and '$(InteropGuardAuditLogs)' != ''">
                    <!-- A new value each audit: the compiler's up-to-date check cannot skip a project and lose its findings. -->
                    <CoreCompileCache Include="InteropGuardAudit=$(InteropGuardAuditRun)" />
                  </ItemGroup>
                  <Target Name="_InteropGuardAuditInject" BeforeTargets="CoreCompile" Condition="'$(IsRoslynComponent)' != 'true' and '$(InteropGuardAuditLogs)' != '' and '$(Language)' == 'C#'">
                    <ItemGroup>
                      <Analyzer Remove="@(Analyzer)" Condition="'%(Filename)' == 'InteropGuard' or '%(Filename)' == 'InteropGuard.CodeFixes'" />
                      <Analyzer Include="{analyzers}" />
                    </ItemGroup>
                    <!-- The conditional-compilation symbols, so the baseline command parses each file as the compiler did. -->
                    <WriteLinesToFile File="$(_InteropGuardAuditLog).defines" Lines="$(DefineConstants)" Overwrite="true" />
                  </Target>
                </Project>
                """;
        }

        /// <summary>Runs the build, forwarding one progress line per project built to <paramref name="progress"/>.</summary>
        public BuildOutcome Run(string target, IReadOnlyList<string> buildArguments, TextWriter progress)
        {
            var startInfo = new ProcessStartInfo(DotnetHost())
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = Path.GetDirectoryName(target)!,
            };
            foreach (var argument in new[] { "build", target, "-nologo", "-v:minimal", "-clp:NoSummary",
                         "-p:CustomAfterMicrosoftCommonTargets=" + TargetsFile,
                         "-p:InteropGuardAuditLogs=" + LogDirectory,
                         "-p:InteropGuardAuditRun=" + Guid.NewGuid().ToString("N") }.Concat(buildArguments))
            {
                startInfo.ArgumentList.Add(argument);
            }

            foreach (var name in startInfo.Environment.Keys.ToList())
            {
                if (InheritedPrefixesToDrop.Any(prefix => name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
                {
                    startInfo.Environment.Remove(name);
                }
            }

            startInfo.Environment["DOTNET_NOLOGO"] = "1";
            var errors = new List<string>();
            var gate = new object();
            var built = 0;
            void OnLine(string? line)
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    return;
                }

                lock (gate)
                {
                    if (ErrorLine.IsMatch(line))
                    {
                        var trimmed = line.Trim();
                        if (!errors.Contains(trimmed))
                        {
                            errors.Add(trimmed);
                        }
                    }
                    else if (ProjectBuilt.Match(line) is { Success: true } match)
                    {
                        built++;
                        progress.WriteLine($"  built {match.Groups["name"].Value} ({built})");
                    }
                    else if (Restored.Match(line) is { Success: true } restored)
                    {
                        progress.WriteLine($"  restored {Path.GetFileNameWithoutExtension(restored.Groups["project"].Value)}");
                    }
                }
            }

            using var process = new Process { StartInfo = startInfo };
            process.OutputDataReceived += (_, e) => OnLine(e.Data);
            process.ErrorDataReceived += (_, e) => OnLine(e.Data);
            ConsoleCancelEventHandler cancel = (_, _) =>
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // Already exited.
                }
            };
            Console.CancelKeyPress += cancel;
            try
            {
                try
                {
                    process.Start();
                }
                catch (System.ComponentModel.Win32Exception exception)
                {
                    throw new UserError($"Cannot run '{startInfo.FileName}' ({exception.Message}): install the .NET SDK, or put dotnet on PATH.");
                }

                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                process.WaitForExit();
            }
            finally
            {
                Console.CancelKeyPress -= cancel;
            }

            var logs = Directory.EnumerateFiles(LogDirectory, "*.sarif").OrderBy(p => p, StringComparer.Ordinal).ToList();
            return new BuildOutcome(process.ExitCode, errors, logs);
        }

        /// <summary>The conditional-compilation symbols the compiler used for the project that wrote <paramref name="log"/>.</summary>
        public static IReadOnlyList<string> DefinesOf(string log)
        {
            var defines = Path.ChangeExtension(log, ".defines");
            return File.Exists(defines)
                ? File.ReadAllLines(defines).SelectMany(l => l.Split(';', ',')).Select(s => s.Trim()).Where(s => s.Length > 0).ToList()
                : Array.Empty<string>();
        }

        public void Dispose()
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // A build node may still hold a file for a moment; the folder is under the temp directory anyway.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        /// <summary>The dotnet that runs this tool (set by the dotnet host for its children), else the one on PATH.</summary>
        private static string DotnetHost()
        {
            var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            return !string.IsNullOrEmpty(host) && File.Exists(host) ? host : "dotnet";
        }

        /// <summary>A path as literal MSBuild XML text: XML-escaped, and MSBuild's special characters as %XX.</summary>
        private static string Escape(string path)
        {
            var escaped = new StringBuilder(path.Length);
            foreach (var c in path)
            {
                escaped.Append(c switch
                {
                    '%' => "%25",
                    '$' => "%24",
                    '@' => "%40",
                    ';' => "%3B",
                    '\'' => "%27",
                    '*' => "%2A",
                    '?' => "%3F",
                    _ => c.ToString(),
                });
            }

            return SecurityElement.Escape(escaped.ToString())!;
        }
    }
}
