using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;

namespace InteropGuard.EndToEnd.Tests
{
    /// <summary>The outcome of one child process, printable in full when an assertion fails.</summary>
    public sealed record ProcessResult(string CommandLine, string WorkingDirectory, int ExitCode, bool TimedOut, TimeSpan Elapsed, string StandardOutput, string StandardError)
    {
        public string Output => StandardOutput + StandardError;

        public override string ToString() =>
            $"$ {CommandLine}\n  (in {WorkingDirectory}; exit {(TimedOut ? "TIMED OUT" : ExitCode.ToString())} after {Elapsed.TotalSeconds:F1}s)\n" +
            $"--- stdout ---\n{StandardOutput}\n--- stderr ---\n{StandardError}\n--------------";
    }

    /// <summary>Runs a child process with a deadline, capturing its output.</summary>
    public static class ExternalProcess
    {
        // Variables a parent `dotnet test` sets for its own MSBuild; inherited, they can point a child
        // `dotnet build` at the wrong SDK pieces.
        private static readonly string[] InheritedPrefixesToDrop = { "MSBUILD", "MSBuildExtensionsPath", "MSBuildSDKsPath", "VSTEST" };

        public static ProcessResult Run(string fileName, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
        {
            var startInfo = new ProcessStartInfo(fileName)
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = false,
                UseShellExecute = false,
            };
            foreach (string argument in arguments)
            {
                startInfo.ArgumentList.Add(argument);
            }

            foreach (string name in startInfo.Environment.Keys.ToList())
            {
                if (InheritedPrefixesToDrop.Any(prefix => name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
                {
                    startInfo.Environment.Remove(name);
                }
            }

            foreach (KeyValuePair<string, string> variable in environment)
            {
                startInfo.Environment[variable.Key] = variable.Value;
            }

            string commandLine = fileName + " " + string.Join(" ", startInfo.ArgumentList.Select(a => a.Contains(' ') ? "\"" + a + "\"" : a));
            var stopwatch = Stopwatch.StartNew();
            using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start " + commandLine);
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();

            bool exited = process.WaitForExit((int)timeout.TotalMilliseconds);
            if (!exited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }

            // A grandchild that outlives the process (a build server) may hold the pipes open; do not wait for it.
            Task.WaitAll(new Task[] { stdout, stderr }, TimeSpan.FromSeconds(10));
            stopwatch.Stop();
            return new ProcessResult(
                commandLine,
                workingDirectory,
                exited ? process.ExitCode : -1,
                !exited,
                stopwatch.Elapsed,
                stdout.IsCompletedSuccessfully ? stdout.Result : "(output not closed)",
                stderr.IsCompletedSuccessfully ? stderr.Result : "(output not closed)");
        }
    }
}
