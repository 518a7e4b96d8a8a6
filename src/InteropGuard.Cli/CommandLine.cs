using System;
using System.Collections.Generic;
using System.Linq;

namespace InteropGuard.Cli
{
    internal enum ReportFormat
    {
        Text,
        Markdown,
        Sarif,
    }

    /// <summary>The parsed command line: <c>interopguard audit|baseline [target] [--format f] [--output file] [-- build arguments]</c>.</summary>
    internal sealed record CommandLine(string Command, string? Target, ReportFormat Format, string? Output, IReadOnlyList<string> BuildArguments)
    {
        public const string Usage = """
            Usage:
              interopguard audit [<project-or-solution>] [--format text|markdown|sarif] [--output FILE] [-- <dotnet build arguments>]
              interopguard baseline <project-or-solution> [--output FILE] [-- <dotnet build arguments>]

            audit     builds the target with InteropGuard injected (the project is not edited) and summarizes the findings
                      by rule, root cause and file. Without a target it audits the repository's samples.
                      Exit code: 0 no findings, 1 findings, 2 the target cannot be built.
            baseline  writes interopguard.baseline.txt next to the target: the build then reports only new findings.
            """;

        public static CommandLine Parse(IReadOnlyList<string> args)
        {
            if (args.Count == 0 || args[0] is "-h" or "--help" or "help")
            {
                return new CommandLine("help", null, ReportFormat.Text, null, Array.Empty<string>());
            }

            var command = args[0];
            if (command is not ("audit" or "baseline"))
            {
                throw new UserError($"Unknown command '{command}': use 'interopguard audit [<project-or-solution>]' or 'interopguard baseline <project-or-solution>'.");
            }

            string? target = null;
            string? output = null;
            var format = ReportFormat.Text;
            var buildArguments = new List<string>();
            for (var i = 1; i < args.Count; i++)
            {
                var arg = args[i];
                switch (arg)
                {
                    case "--":
                        buildArguments.AddRange(args.Skip(i + 1));
                        i = args.Count;
                        break;
                    case "--format" or "-f":
                        format = Value(args, ref i) switch
                        {
                            "text" => ReportFormat.Text,
                            "markdown" or "md" => ReportFormat.Markdown,
                            "sarif" => ReportFormat.Sarif,
                            var other => throw new UserError($"Unknown format '{other}': use --format text, markdown or sarif."),
                        };
                        break;
                    case "--output" or "-o":
                        output = Value(args, ref i);
                        break;
                    case "-h" or "--help":
                        return new CommandLine("help", null, format, null, Array.Empty<string>());
                    default:
                        if (arg.StartsWith("-", StringComparison.Ordinal))
                        {
                            throw new UserError($"Unknown option '{arg}': the options are --format and --output; pass build options after '--'.");
                        }

                        if (target != null)
                        {
                            throw new UserError($"Give one project or solution, not '{target}' and '{arg}'.");
                        }

                        target = arg;
                        break;
                }
            }

            if (command == "baseline" && target == null)
            {
                throw new UserError("Name the project or solution to baseline: 'interopguard baseline <project-or-solution>' (the file is written next to it).");
            }

            if (command == "baseline" && format != ReportFormat.Text)
            {
                throw new UserError("baseline writes a baseline file; --format is an option of audit.");
            }

            return new CommandLine(command, target, format, output, buildArguments);
        }

        private static string Value(IReadOnlyList<string> args, ref int i)
        {
            if (i + 1 >= args.Count || args[i + 1].StartsWith("-", StringComparison.Ordinal))
            {
                throw new UserError($"'{args[i]}' needs a value.");
            }

            return args[++i];
        }
    }
}
