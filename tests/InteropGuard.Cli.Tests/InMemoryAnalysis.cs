using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using InteropGuard.Baseline;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Cli.Tests
{
    /// <summary>Runs every InteropGuard analyzer (and the baseline suppressor) over sources in memory: real messages, no build.</summary>
    internal static class InMemoryAnalysis
    {
        private static readonly Lazy<ImmutableArray<MetadataReference>> References = new Lazy<ImmutableArray<MetadataReference>>(() =>
            ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
                .Split(Path.PathSeparator)
                .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
                .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
                .ToImmutableArray());

        public static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers = typeof(BaselineSuppressor).Assembly.GetTypes()
            .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToImmutableArray();

        /// <summary>The diagnostics of one compilation of <paramref name="sources"/> (path → text), suppressed ones included.</summary>
        public static Task<ImmutableArray<Diagnostic>> AnalyzeAsync(IReadOnlyDictionary<string, string> sources, params AdditionalText[] additionalFiles)
            => AnalyzeAsync(sources, editorConfigs: new Dictionary<string, string>(), additionalFiles);

        /// <summary>A sample project as its build compiles it: its sources, the shared MovingHeap helper, its .editorconfig.</summary>
        public static Task<ImmutableArray<Diagnostic>> AnalyzeSampleAsync(string sample)
        {
            var directory = Path.Combine(RepositoryRoot, "samples", sample);
            var sources = Directory.EnumerateFiles(directory, "*.cs").Append(Path.Combine(RepositoryRoot, "samples", "native", "MovingHeap.cs"))
                .ToDictionary(p => p, File.ReadAllText);
            var editorConfig = Path.Combine(directory, ".editorconfig");
            var configs = File.Exists(editorConfig) ? new Dictionary<string, string> { [editorConfig] = File.ReadAllText(editorConfig) } : new Dictionary<string, string>();
            return AnalyzeAsync(sources, configs);
        }

        public static IEnumerable<string> Samples()
            => Directory.EnumerateFiles(Path.Combine(RepositoryRoot, "samples"), "*.csproj", SearchOption.AllDirectories)
                .Select(p => Path.GetFileName(Path.GetDirectoryName(p)!)!)
                .OrderBy(n => n, StringComparer.Ordinal);

        public static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(IReadOnlyDictionary<string, string> sources, IReadOnlyDictionary<string, string> editorConfigs, params AdditionalText[] additionalFiles)
        {
            var parse = new CSharpParseOptions(LanguageVersion.Latest);
            var trees = sources.Select(s => CSharpSyntaxTree.ParseText(SourceText.From(s.Value), parse, s.Key)).ToList();
            var compilation = CSharpCompilation.Create(
                "Audited",
                trees,
                References.Value,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));
            var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            Assert.True(errors.Count == 0, "The test source does not compile: " + string.Join("; ", errors));

            var options = new CompilationWithAnalyzersOptions(
                new AnalyzerOptions(additionalFiles.ToImmutableArray(), new EditorConfigOptions(editorConfigs)),
                onAnalyzerException: (exception, analyzer, _) => throw new InvalidOperationException(analyzer.GetType().Name + " threw", exception),
                concurrentAnalysis: false,
                logAnalyzerExecutionTime: false,
                reportSuppressedDiagnostics: true);
            var diagnostics = await compilation.WithAnalyzers(Analyzers, options).GetAnalyzerDiagnosticsAsync(CancellationToken.None);
            Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
            return diagnostics.Where(d => d.Id.StartsWith("IG", StringComparison.Ordinal)).OrderBy(d => d.Location.SourceSpan.Start).ToImmutableArray();
        }

        public static Task<ImmutableArray<Diagnostic>> AnalyzeAsync(string path, string source, params AdditionalText[] additionalFiles)
            => AnalyzeAsync(new Dictionary<string, string> { [path] = source }, additionalFiles);

        public static string RepositoryRoot => typeof(InMemoryAnalysis).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "InteropGuard.RepositoryRoot").Value!;
    }

    /// <summary>.editorconfig files read as the compiler reads them, per source path.</summary>
    internal sealed class EditorConfigOptions : AnalyzerConfigOptionsProvider
    {
        private readonly AnalyzerConfigSet set;

        public EditorConfigOptions(IReadOnlyDictionary<string, string> files)
        {
            set = AnalyzerConfigSet.Create(files.Select(f => AnalyzerConfig.Parse(f.Value, f.Key)).ToList());
        }

        public override AnalyzerConfigOptions GlobalOptions => new Options(ImmutableDictionary<string, string>.Empty);

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new Options(set.GetOptionsForSourcePath(tree.FilePath).AnalyzerOptions);

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => new Options(set.GetOptionsForSourcePath(textFile.Path).AnalyzerOptions);

        private sealed class Options : AnalyzerConfigOptions
        {
            private readonly ImmutableDictionary<string, string> values;

            public Options(ImmutableDictionary<string, string> values) => this.values = values;

            public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
        }
    }

    /// <summary>An additional file given to the analyzers, as the build passes the baseline.</summary>
    internal sealed class InMemoryAdditionalText : AdditionalText
    {
        private readonly SourceText text;

        public InMemoryAdditionalText(string path, string text)
        {
            Path = path;
            this.text = SourceText.From(text);
        }

        public override string Path { get; }

        public override SourceText GetText(CancellationToken cancellationToken = default) => text;
    }
}
