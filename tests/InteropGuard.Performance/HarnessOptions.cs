using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace InteropGuard.Performance
{
    /// <summary>A command-line mistake: reported as one line plus the usage, exit code 2.</summary>
    internal sealed class UsageException : Exception
    {
        public UsageException(string message)
            : base(message)
        {
        }
    }

    internal enum Flavour
    {
        Interop,
        Plain,
    }

    internal enum NetAnalyzersRules
    {
        /// <summary>Each descriptor's own default severity and enabled flag (a build with no configuration).</summary>
        Default,

        /// <summary>Every rule enabled as a warning (like AnalysisLevel=latest-all).</summary>
        All,
    }

    internal enum Clock
    {
        /// <summary>Each analyzer's callbacks' own thread processor time, one pass with both sets per round.</summary>
        Cpu,

        /// <summary>The driver's wall-clock telemetry and the process-level passes, as the harness measured before.</summary>
        Wall,
    }

    internal sealed class HarnessOptions
    {
        private int? _runs;

        public const string Usage =
            "usage: dotnet run -c Release --project tests/InteropGuard.Performance -- " +
            "[--sizes 100,400,1600] [--flavour both|interop|plain] [--clock cpu|wall] [--runs N] [--concurrent false|true] " +
            "[--netanalyzers default|all] [--analyzers NAME,...] [--no-memory] [--memory-pairs N] [--no-generators] [--fresh-trees] [--prebind] [--json FILE] [--findings FILE [--findings-only [--option KEY=VALUE ...] [--editorconfig FILE]]] [--check] [--wrapper-overhead] [--dump DIR] " +
            "[--sources DIR ... [--define SYMBOL ...] [--implicit-usings] [--using NAMESPACE ...]]";

        public IReadOnlyList<int> Sizes { get; private set; } = new[] { 100, 400, 1600 };

        public IReadOnlyList<Flavour> Flavours { get; private set; } = new[] { Flavour.Interop, Flavour.Plain };

        /// <summary>Measured rounds after the warm-up: 5 with the processor clock (one pass each), 3 with the wall clock (four passes each).</summary>
        public int Runs => _runs ?? (Clock == Clock.Cpu ? 5 : 3);

        public Clock Clock { get; private set; } = Clock.Cpu;

        /// <summary>Measure what the <see cref="ChargedAnalyzer"/> wrapper itself costs, on a trivial analyzer, then stop.</summary>
        public bool WrapperOverhead { get; private set; }

        public bool Concurrent { get; private set; }

        public NetAnalyzersRules NetAnalyzers { get; private set; } = NetAnalyzersRules.Default;

        /// <summary>
        /// Only these InteropGuard analyzers (type names), or all when empty. What one analyzer costs in all (the driver's
        /// work for its registrations included, which its callbacks' own time does not show) is a run with it alone
        /// against NetAnalyzers alone: the added allocations and peak memory of the memory probe, the wall clock's process time.
        /// </summary>
        public IReadOnlyList<string> Analyzers { get; private set; } = Array.Empty<string>();

        public bool MeasureMemory { get; private set; } = true;

        /// <summary>
        /// With the processor clock: bind every body before the analyzers' per-body work (<see cref="PreBinder"/>), so each
        /// analyzer's charged time leaves out binding that the driver would do anyway for NetAnalyzers' operation actions.
        /// </summary>
        public bool PreBind { get; private set; }

        /// <summary>
        /// Child-process pairs (NetAnalyzers alone, then both sets) for the memory figures. A process's peak resident set
        /// moves with when its collections happen: one pair of the synthetic 400 and 1,600 files put InteropGuard's added
        /// peak at +14.7% and −9.6% in one run, so the figure is the median of the pairs' differences, with their range.
        /// </summary>
        public int MemoryPairs { get; private set; } = 3;

        public bool RunGenerators { get; private set; } = true;

        /// <summary>Parse the trees again for every compilation (see <see cref="Workload.FreshTrees"/>).</summary>
        public bool FreshTrees { get; private set; }

        public string? JsonFile { get; private set; }

        public bool Check { get; private set; }

        /// <summary>Write InteropGuard's findings (one line each: id, file:line:column, message; sorted) to this file.</summary>
        public string? FindingsFile { get; private set; }

        /// <summary>With <see cref="FindingsFile"/>: one pass of InteropGuard alone, no timing (to compare findings between builds).</summary>
        public bool FindingsOnly { get; private set; }

        public List<string> SourceDirectories { get; } = new List<string>();

        public List<string> Defines { get; } = new List<string>();

        /// <summary>With <see cref="FindingsOnly"/>: <c>.editorconfig</c> options given to every file (<c>interopguard.*</c> keys).</summary>
        public Dictionary<string, string> ConfigOptions { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

        /// <summary>With <see cref="FindingsOnly"/>: an <c>.editorconfig</c> file read as if at the file system's root (<see cref="ConfigFileOptions"/>).</summary>
        public string? EditorConfigFile { get; private set; }

        public List<string> Usings { get; } = new List<string>();

        public bool ImplicitUsings { get; private set; }

        public bool Help { get; private set; }

        /// <summary>Write the synthetic files of each size and flavour under this directory (for inspection), then stop.</summary>
        public string? DumpDirectory { get; private set; }

        /// <summary>Internal: this process is a memory probe started by the harness itself.</summary>
        public bool MemoryChild { get; private set; }

        /// <summary>Internal (memory probe): analyze with InteropGuard too, or NetAnalyzers alone.</summary>
        public bool ChildWithInteropGuard { get; private set; }

        public bool SourcesMode => SourceDirectories.Count > 0;

        public static HarnessOptions Parse(IReadOnlyList<string> args)
        {
            var options = new HarnessOptions();
            bool sizesGiven = false;
            bool flavourGiven = false;
            for (int i = 0; i < args.Count; i++)
            {
                string arg = args[i];
                switch (arg)
                {
                    case "--help":
                    case "-h":
                        options.Help = true;
                        break;
                    case "--sizes":
                        options.Sizes = ParseSizes(Value(args, ref i));
                        sizesGiven = true;
                        break;
                    case "--flavour":
                    case "--flavor":
                        options.Flavours = Value(args, ref i) switch
                        {
                            "both" => new[] { Flavour.Interop, Flavour.Plain },
                            "interop" => new[] { Flavour.Interop },
                            "plain" => new[] { Flavour.Plain },
                            string other => throw new UsageException($"--flavour must be both, interop or plain, not '{other}'"),
                        };
                        flavourGiven = true;
                        break;
                    case "--runs":
                        options._runs = PositiveInt(arg, Value(args, ref i), 1, 100);
                        break;
                    case "--clock":
                        options.Clock = Value(args, ref i) switch
                        {
                            "cpu" => Clock.Cpu,
                            "wall" => Clock.Wall,
                            string other => throw new UsageException($"--clock must be cpu or wall, not '{other}'"),
                        };
                        break;
                    case "--wrapper-overhead":
                        options.WrapperOverhead = true;
                        break;
                    case "--concurrent":
                        options.Concurrent = Value(args, ref i) switch
                        {
                            "true" or "on" or "yes" => true,
                            "false" or "off" or "no" => false,
                            string other => throw new UsageException($"--concurrent must be true or false, not '{other}'"),
                        };
                        break;
                    case "--netanalyzers":
                        options.NetAnalyzers = Value(args, ref i) switch
                        {
                            "default" => NetAnalyzersRules.Default,
                            "all" => NetAnalyzersRules.All,
                            string other => throw new UsageException($"--netanalyzers must be default or all, not '{other}'"),
                        };
                        break;
                    case "--analyzers":
                        options.Analyzers = Value(args, ref i).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                        if (options.Analyzers.Count == 0)
                        {
                            throw new UsageException("--analyzers needs one or more InteropGuard analyzer type names, e.g. --analyzers OwnershipAnalyzer,LastErrorAnalyzer");
                        }

                        break;
                    case "--memory-pairs":
                        options.MemoryPairs = PositiveInt(arg, Value(args, ref i), 1, 20);
                        break;
                    case "--no-memory":
                        options.MeasureMemory = false;
                        break;
                    case "--no-generators":
                        options.RunGenerators = false;
                        break;
                    case "--fresh-trees":
                        options.FreshTrees = true;
                        break;
                    case "--prebind":
                        options.PreBind = true;
                        break;
                    case "--json":
                        options.JsonFile = Value(args, ref i);
                        break;
                    case "--findings":
                        options.FindingsFile = Value(args, ref i);
                        break;
                    case "--findings-only":
                        options.FindingsOnly = true;
                        break;
                    case "--dump":
                        options.DumpDirectory = Value(args, ref i);
                        break;
                    case "--check":
                        options.Check = true;
                        break;
                    case "--sources":
                        string directory = Value(args, ref i);
                        if (!Directory.Exists(directory))
                        {
                            throw new UsageException($"--sources: directory '{directory}' does not exist");
                        }

                        options.SourceDirectories.Add(Path.GetFullPath(directory));
                        break;
                    case "--define":
                        options.Defines.Add(Identifier(arg, Value(args, ref i)));
                        break;
                    case "--using":
                        string ns = Value(args, ref i);
                        if (ns.Split('.').Any(part => Identifier(arg, part).Length == 0))
                        {
                            throw new UsageException($"--using: '{ns}' is not a namespace name");
                        }

                        options.Usings.Add(ns);
                        break;
                    case "--option":
                        string pair = Value(args, ref i);
                        int equals = pair.IndexOf('=');
                        if (equals <= 0)
                        {
                            throw new UsageException($"--option: '{pair}' is not KEY=VALUE");
                        }

                        options.ConfigOptions[pair.Substring(0, equals).Trim()] = pair.Substring(equals + 1).Trim();
                        break;
                    case "--editorconfig":
                        options.EditorConfigFile = Value(args, ref i);
                        if (!File.Exists(options.EditorConfigFile))
                        {
                            throw new UsageException($"--editorconfig: no file '{options.EditorConfigFile}'");
                        }

                        break;
                    case "--implicit-usings":
                        options.ImplicitUsings = true;
                        break;
                    case "--memory-child":
                        options.MemoryChild = true;
                        break;
                    case "--with-interopguard":
                        options.ChildWithInteropGuard = true;
                        break;
                    default:
                        throw new UsageException($"unknown option '{arg}'");
                }
            }

            if (options.SourcesMode && (sizesGiven || flavourGiven))
            {
                throw new UsageException("--sizes and --flavour apply to synthetic code; they cannot be combined with --sources");
            }

            if (options.PreBind && options.Clock == Clock.Wall)
            {
                throw new UsageException("--prebind applies only with --clock cpu (it changes what each analyzer's callbacks are charged, not a process-level pass)");
            }

            if ((options.ConfigOptions.Count > 0 || options.EditorConfigFile != null) && !options.FindingsOnly)
            {
                throw new UsageException("--option and --editorconfig apply only with --findings-only (timings are taken without options)");
            }

            if (!options.SourcesMode && (options.Defines.Count > 0 || options.Usings.Count > 0 || options.ImplicitUsings))
            {
                throw new UsageException("--define, --using and --implicit-usings apply only with --sources");
            }

            if (options.DumpDirectory != null && options.SourcesMode)
            {
                throw new UsageException("--dump writes synthetic code; it cannot be combined with --sources");
            }

            if (options.Check && options.SourcesMode)
            {
                throw new UsageException("--check runs on synthetic code; it cannot be combined with --sources");
            }

            if (options.WrapperOverhead && (options.Check || options.FindingsOnly || options.DumpDirectory != null))
            {
                throw new UsageException("--wrapper-overhead is a measure of its own; it cannot be combined with --check, --findings-only or --dump");
            }

            if (options.FindingsOnly && options.FindingsFile == null)
            {
                throw new UsageException("--findings-only needs --findings FILE (where to write them)");
            }

            RequireDirectoryOf("--json", options.JsonFile);
            RequireDirectoryOf("--findings", options.FindingsFile);

            return options;
        }

        private static void RequireDirectoryOf(string option, string? file)
        {
            string? parent = file == null ? null : Path.GetDirectoryName(Path.GetFullPath(file));
            if (parent != null && !Directory.Exists(parent))
            {
                throw new UsageException($"{option}: directory '{parent}' does not exist");
            }
        }

        /// <summary>The arguments that make a memory probe build the same workload.</summary>
        public IEnumerable<string> WorkloadArguments()
        {
            if (!RunGenerators)
            {
                yield return "--no-generators";
            }

            if (FreshTrees)
            {
                yield return "--fresh-trees";
            }

            yield return "--netanalyzers";
            yield return NetAnalyzers == NetAnalyzersRules.All ? "all" : "default";
            if (Analyzers.Count > 0)
            {
                yield return "--analyzers";
                yield return string.Join(",", Analyzers);
            }

            yield return "--concurrent";
            yield return Concurrent ? "true" : "false";
            foreach (string directory in SourceDirectories)
            {
                yield return "--sources";
                yield return directory;
            }

            foreach (string define in Defines)
            {
                yield return "--define";
                yield return define;
            }

            foreach (string ns in Usings)
            {
                yield return "--using";
                yield return ns;
            }

            if (ImplicitUsings)
            {
                yield return "--implicit-usings";
            }
        }

        private static string Value(IReadOnlyList<string> args, ref int i)
        {
            if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"{args[i]} needs a value");
            }

            i++;
            return args[i];
        }

        private static IReadOnlyList<int> ParseSizes(string text)
        {
            var sizes = text.Split(',', StringSplitOptions.TrimEntries)
                .Select(part => PositiveInt("--sizes", part, 1, 100_000))
                .ToList();
            if (sizes.Distinct().Count() != sizes.Count)
            {
                throw new UsageException($"--sizes lists a size twice: '{text}'");
            }

            sizes.Sort();
            return sizes;
        }

        private static int PositiveInt(string option, string text, int min, int max)
        {
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
            {
                throw new UsageException($"{option} needs whole numbers from {min} to {max}, not '{text}'");
            }

            return value;
        }

        private static string Identifier(string option, string text)
        {
            if (text.Length == 0 || !(char.IsLetter(text[0]) || text[0] == '_') || !text.All(c => char.IsLetterOrDigit(c) || c == '_'))
            {
                throw new UsageException($"{option}: '{text}' is not an identifier");
            }

            return text;
        }
    }
}
