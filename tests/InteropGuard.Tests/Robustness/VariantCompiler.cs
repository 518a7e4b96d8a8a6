using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Robustness
{
    /// <summary>What the analyzers did with one variant: their diagnostics, and every exception one of them threw.</summary>
    public sealed record VariantAnalysis(Compilation Compilation, ImmutableArray<Diagnostic> Diagnostics, IReadOnlyList<string> Exceptions);

    /// <summary>
    /// Compiles variants as cheaply as Roslyn allows: each variant is its source's companion-only compilation plus one
    /// tree, so the metadata references, their symbols and the companions are shared by every variant of a source
    /// rather than rebuilt ten thousand times. Analysis is not concurrent inside a variant; variants run side by side.
    /// </summary>
    public static class VariantCompiler
    {
        public const string MainPath = TestProject.ProjectDirectory + "Test0.cs";

        private static readonly CSharpParseOptions ParseOptions = new CSharpParseOptions(LanguageVersion.Latest);

        private static readonly ConcurrentDictionary<RobustnessSource, Lazy<(Compilation Base, AnalyzerOptions Options)>> Bases =
            new ConcurrentDictionary<RobustnessSource, Lazy<(Compilation, AnalyzerOptions)>>();

        public static SyntaxTree Parse(string text) => CSharpSyntaxTree.ParseText(text, ParseOptions, MainPath);

        public static Compilation Compile(RobustnessSource source, string text) => Base(source).Base.AddSyntaxTrees(Parse(text));

        public static async Task<VariantAnalysis> AnalyzeAsync(RobustnessSource source, string text, ImmutableArray<DiagnosticAnalyzer> analyzers, CancellationToken cancellationToken = default)
        {
            var (baseCompilation, analyzerOptions) = Base(source);
            var compilation = baseCompilation.AddSyntaxTrees(Parse(text));
            return await AnalyzeAsync(compilation, analyzerOptions, analyzers, cancellationToken).ConfigureAwait(false);
        }

        public static async Task<VariantAnalysis> AnalyzeAsync(Compilation compilation, AnalyzerOptions analyzerOptions, ImmutableArray<DiagnosticAnalyzer> analyzers, CancellationToken cancellationToken = default)
        {
            var exceptions = new ConcurrentQueue<string>();
            var options = new CompilationWithAnalyzersOptions(
                analyzerOptions,
                onAnalyzerException: (exception, analyzer, _) => exceptions.Enqueue($"{analyzer.GetType().Name}: {exception}"),
                concurrentAnalysis: false,
                logAnalyzerExecutionTime: false,
                reportSuppressedDiagnostics: false);
            var diagnostics = await compilation.WithAnalyzers(analyzers, options).GetAnalyzerDiagnosticsAsync(cancellationToken).ConfigureAwait(false);

            // Without the callback the driver reports AD0001 instead; count both so neither route can hide a crash.
            var thrown = exceptions.Concat(diagnostics.Where(d => d.Id == AnalyzerRunner.AnalyzerExceptionId).Select(d => d.ToString())).Distinct().ToList();
            return new VariantAnalysis(compilation, AnalyzerRunner.Sort(diagnostics.Where(d => d.Id != AnalyzerRunner.AnalyzerExceptionId)), thrown);
        }

        public static AnalyzerOptions OptionsFor(RobustnessSource source) => Base(source).Options;

        private static (Compilation Base, AnalyzerOptions Options) Base(RobustnessSource source) =>
            Bases.GetOrAdd(source, s => new Lazy<(Compilation, AnalyzerOptions)>(() => CreateBase(s), LazyThreadSafetyMode.ExecutionAndPublication)).Value;

        private static (Compilation, AnalyzerOptions) CreateBase(RobustnessSource source)
        {
            var options = new CSharpCompilationOptions(source.OutputKind, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable);
            var companions = source.Companions.Select((text, i) => CSharpSyntaxTree.ParseText(text, ParseOptions, TestProject.SourcePath(i + 1)));
            var compilation = CSharpCompilation.Create("Variant", companions, ReferenceAssemblies.Framework, options);
            var provider = source.EditorConfig == null ? EditorConfigOptions.Empty : EditorConfigOptions.Parse(source.EditorConfig);
            return (compilation, new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty, provider));
        }
    }
}
