using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Threading.Tasks;
using InteropGuard.Performance.Synthetic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Performance
{
    /// <summary>One body of code to analyze: parsed once, compiled afresh for every analysis run.</summary>
    internal sealed class Workload
    {
        private static readonly Lazy<ImmutableArray<MetadataReference>> FrameworkReferences = new(LoadFramework);

        private readonly CSharpCompilationOptions _options;

        private Workload(string name, string kind, int files, ImmutableArray<SyntaxTree> trees, int generatedTrees, CSharpCompilationOptions options)
        {
            Name = name;
            Kind = kind;
            Files = files;
            Trees = trees;
            GeneratedTrees = generatedTrees;
            _options = options;
            Lines = trees.Take(trees.Length - generatedTrees).Sum(tree => tree.GetText().Lines.Count);
        }

        public string Name { get; }

        /// <summary>"interop", "plain" or "sources".</summary>
        public string Kind { get; }

        public int Files { get; }

        /// <summary>Lines of the input files (generated files not counted).</summary>
        public int Lines { get; }

        public ImmutableArray<SyntaxTree> Trees { get; }

        /// <summary>How many of <see cref="Trees"/> (at the end) the LibraryImport generator produced.</summary>
        public int GeneratedTrees { get; private set; }

        /// <summary>
        /// Parse every tree again for each compilation (<c>--fresh-trees</c>), as a command-line build does: InteropGuard keeps
        /// what it read from a tree for as long as the tree object lives (<c>Interop/TreeScans.cs</c>), so with the trees
        /// parsed once, every round after the warm-up measures the IDE's case of trees already read.
        /// </summary>
        public bool FreshTrees { get; set; }

        public CSharpCompilation Compile(ImmutableDictionary<string, ReportDiagnostic> severities) =>
            CSharpCompilation.Create(
                "Workload_" + Kind,
                FreshTrees ? Trees.Select(Reparse) : Trees,
                FrameworkReferences.Value,
                _options.WithSpecificDiagnosticOptions(severities));

        /// <summary>This workload, with <see cref="FreshTrees"/> as the options say.</summary>
        public Workload Fresh(HarnessOptions options)
        {
            FreshTrees = options.FreshTrees;
            return this;
        }

        private static SyntaxTree Reparse(SyntaxTree tree) =>
            CSharpSyntaxTree.ParseText(tree.GetText(), (CSharpParseOptions)tree.Options, tree.FilePath);

        public ImmutableArray<Diagnostic> CompilerErrors() =>
            Compile(ImmutableDictionary<string, ReportDiagnostic>.Empty).GetDiagnostics()
                .Where(d => d.Severity == DiagnosticSeverity.Error)
                .ToImmutableArray();

        public static Workload Synthetic(Flavour flavour, int size, HarnessOptions options)
        {
            CSharpParseOptions parse = ParseOptions(Array.Empty<string>());
            var trees = new SyntaxTree[size];
            Parallel.For(0, size, new ParallelOptions { MaxDegreeOfParallelism = options.Concurrent ? -1 : 1 }, i =>
            {
                string text = flavour == Flavour.Interop ? InteropBindingCode.File(i, options.RunGenerators) : BusinessCode.File(i);
                string path = "/synthetic/" + (flavour == Flavour.Interop ? InteropBindingCode.FileName(i) : BusinessCode.FileName(i));
                trees[i] = CSharpSyntaxTree.ParseText(text, parse, path, Encoding.UTF8);
            });

            string kind = flavour == Flavour.Interop ? "interop" : "plain";
            return Build($"{kind} {size}", kind, trees, options);
        }

        public static Workload Sources(HarnessOptions options)
        {
            var files = options.SourceDirectories
                .SelectMany(directory => Directory.EnumerateFiles(directory, "*.cs", SearchOption.AllDirectories)
                    .Where(path => !IsUnderBuildOutput(directory, path)))
                .Distinct(StringComparer.Ordinal)
                .OrderBy(path => path, StringComparer.Ordinal)
                .ToList();
            if (files.Count == 0)
            {
                throw new UsageException("--sources: no .cs files under " + string.Join(", ", options.SourceDirectories));
            }

            // TRACE as the SDK defines it in every configuration: a [Conditional("TRACE")] call (TraceSource.TraceEvent)
            // is in a real build's code, and the compiler leaves out the calls of a symbol it does not define.
            CSharpParseOptions parse = ParseOptions(options.Defines.Contains("TRACE") ? options.Defines : options.Defines.Prepend("TRACE"));
            var trees = new List<SyntaxTree>(files.Count + 1);
            var parsed = new SyntaxTree[files.Count];
            Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = options.Concurrent ? -1 : 1 }, i =>
            {
                using FileStream stream = File.OpenRead(files[i]);
                parsed[i] = CSharpSyntaxTree.ParseText(
                    Microsoft.CodeAnalysis.Text.SourceText.From(stream, Encoding.UTF8), parse, files[i]);
            });
            trees.AddRange(parsed);

            var usings = new List<string>();
            if (options.ImplicitUsings)
            {
                // The SDK's implicit global usings for Microsoft.NET.Sdk projects.
                usings.AddRange(new[]
                {
                    "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading",
                    "System.Threading.Tasks",
                });
            }

            usings.AddRange(options.Usings);
            if (usings.Count > 0)
            {
                string text = "// <auto-generated/>\n" + string.Concat(usings.Distinct().Select(ns => $"global using global::{ns};\n"));
                trees.Add(CSharpSyntaxTree.ParseText(text, parse, "/harness/GlobalUsings.g.cs", Encoding.UTF8));
            }

            string name = string.Join(" + ", options.SourceDirectories.Select(d => Path.GetFileName(d.TrimEnd(Path.DirectorySeparatorChar))));
            return Build(name, "sources", trees, options, inputFiles: files.Count);
        }

        private static Workload Build(string name, string kind, IReadOnlyList<SyntaxTree> trees, HarnessOptions options, int? inputFiles = null)
        {
            var compilationOptions = new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                allowUnsafe: true,
                nullableContextOptions: NullableContextOptions.Enable,
                optimizationLevel: OptimizationLevel.Release,
                concurrentBuild: options.Concurrent,
                deterministic: true);
            var workload = new Workload(name, kind, inputFiles ?? trees.Count, trees.ToImmutableArray(), 0, compilationOptions);
            if (!options.RunGenerators)
            {
                return workload;
            }

            // Run the SDK's LibraryImport generator, as a build does: its stubs are part of what analyzers see.
            CSharpCompilation compilation = workload.Compile(ImmutableDictionary<string, ReportDiagnostic>.Empty);
            GeneratorDriver driver = CSharpGeneratorDriver.Create(LibraryImportGenerators.Value);
            driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out _);
            var generated = output.SyntaxTrees.Skip(trees.Count).ToList();
            return new Workload(name, kind, inputFiles ?? trees.Count, trees.Concat(generated).ToImmutableArray(), generated.Count, compilationOptions);
        }

        private static readonly Lazy<ImmutableArray<ISourceGenerator>> LibraryImportGenerators = new(() =>
        {
            string path = typeof(Workload).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .First(a => a.Key == "InteropGuard.Performance.LibraryImportGenerator").Value!;
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"The LibraryImport generator is not at {path}; run with --no-generators.");
            }

            var reference = new AnalyzerFileReference(path, new DefaultContextLoader());
            return reference.GetGenerators(LanguageNames.CSharp);
        });

        private static CSharpParseOptions ParseOptions(IEnumerable<string> defines) =>
            new CSharpParseOptions(LanguageVersion.Latest, DocumentationMode.Parse, SourceCodeKind.Regular, defines);

        private static bool IsUnderBuildOutput(string root, string path)
        {
            string relative = Path.GetRelativePath(root, path);
            return relative.Split(Path.DirectorySeparatorChar).SkipLast(1)
                .Any(part => part.Equals("obj", StringComparison.OrdinalIgnoreCase) || part.Equals("bin", StringComparison.OrdinalIgnoreCase));
        }

        /// <summary>The shared framework of the running runtime (from TRUSTED_PLATFORM_ASSEMBLIES, framework directory only).</summary>
        private static ImmutableArray<MetadataReference> LoadFramework()
        {
            string trusted = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string
                ?? throw new InvalidOperationException("TRUSTED_PLATFORM_ASSEMBLIES is not set in this process.");
            string framework = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
            return trusted.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Where(path => path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
                    && string.Equals(Path.GetDirectoryName(path), framework, StringComparison.Ordinal))
                .OrderBy(path => path, StringComparer.Ordinal)
                .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
                .ToImmutableArray();
        }
    }
}
