using System;
using System.IO;
using System.Linq;

namespace InteropGuard.Cli
{
    /// <summary>Turns the command's argument into the project or solution to build, or says in one line what to give instead.</summary>
    internal static class AuditTargets
    {
        public const string SamplesProject = "samples/AllSamples.proj";

        private static readonly string[] Solutions = { ".sln", ".slnx", ".slnf" };

        private static readonly string[] Projects = { ".csproj", ".proj" };

        /// <summary>
        /// The full path of what to build. Without an argument: the repository's samples, looked for above the current
        /// folder and above the tool itself (`dotnet run --project src/InteropGuard.Cli` from anywhere in the clone).
        /// </summary>
        public static string Resolve(string? argument, string currentDirectory, string toolDirectory)
        {
            if (string.IsNullOrWhiteSpace(argument))
            {
                return FindSamples(currentDirectory) ?? FindSamples(toolDirectory)
                    ?? throw new UserError("No project given and no InteropGuard samples here: run 'interopguard audit <project-or-solution>'.");
            }

            var path = Path.GetFullPath(argument, currentDirectory);
            if (Directory.Exists(path))
            {
                return FromDirectory(argument, path);
            }

            if (!File.Exists(path))
            {
                throw new UserError($"'{argument}' does not exist: give the path of a C# project (.csproj), a solution (.sln, .slnx) or a folder holding one.");
            }

            var extension = Path.GetExtension(path);
            if (!Solutions.Concat(Projects).Contains(extension, StringComparer.OrdinalIgnoreCase))
            {
                throw new UserError($"'{argument}' is not a project or solution: give a .csproj, .proj, .sln or .slnx file, or the folder holding it.");
            }

            return path;
        }

        private static string FromDirectory(string argument, string directory)
        {
            var solutions = Candidates(directory, Solutions);
            if (solutions.Length == 1)
            {
                return solutions[0];
            }

            if (solutions.Length > 1)
            {
                throw new UserError($"'{argument}' holds several solutions ({Names(solutions)}): name the one to audit.");
            }

            var projects = Candidates(directory, Projects);
            return projects.Length switch
            {
                1 => projects[0],
                0 => throw new UserError($"'{argument}' holds no project or solution: give the path of a .csproj or .sln, or the folder holding one."),
                _ => throw new UserError($"'{argument}' holds several projects ({Names(projects)}): name the one to audit, or a solution."),
            };
        }

        private static string[] Candidates(string directory, string[] extensions)
            => Directory.EnumerateFiles(directory)
                .Where(f => extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .OrderBy(f => f, StringComparer.Ordinal)
                .ToArray();

        private static string Names(string[] paths) => string.Join(", ", paths.Select(Path.GetFileName));

        private static string? FindSamples(string start)
        {
            for (var directory = new DirectoryInfo(start); directory != null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, SamplesProject);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            return null;
        }
    }
}
