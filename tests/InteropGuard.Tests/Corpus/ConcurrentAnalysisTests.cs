using System;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Corpus
{
    /// <summary>
    /// The compiler and the IDE run analyzers concurrently; the verifier runs them one at a time so failures are
    /// reproducible. Results that depend on which method happens to be analyzed first (a shared cache filled in the
    /// wrong order) only show up here: the whole corpus as one project, analyzed concurrently, must give exactly the
    /// sequential result.
    /// </summary>
    public class ConcurrentAnalysisTests
    {
        private const int Rounds = 3;

        [Fact]
        public async Task ConcurrentAnalysisOfTheCorpusAgreesWithSequentialAnalysis()
        {
            // Every corpus file declares its own namespace, so they compile together.
            var sources = CorpusCase.Names.SelectMany(n => CorpusCase.Get(n).SourcesWith(CorpusCase.Get(n).Source)).ToList();
            var project = TestProject.Create(sources, TestProjectOptions.Default);
            var analyzers = ProductAssemblies.Analyzers.ToImmutableArray();
            var sequential = await AnalyzerRunner.AnalyzeAsync(project, analyzers, allowCompilerErrors: false, "corpus as one project");
            var expected = Describe(sequential.AnalyzerDiagnostics);

            for (var round = 0; round < Rounds; round++)
            {
                var exceptions = new ConcurrentQueue<Exception>();
                var options = new CompilationWithAnalyzersOptions(
                    project.AnalyzerOptions,
                    onAnalyzerException: (exception, analyzer, diagnostic) => exceptions.Enqueue(exception),
                    concurrentAnalysis: true,
                    logAnalyzerExecutionTime: false);
                var concurrent = await sequential.Compilation.WithAnalyzers(analyzers, options).GetAnalyzerDiagnosticsAsync();
                Assert.True(exceptions.IsEmpty, "An analyzer threw under concurrent analysis: " + exceptions.FirstOrDefault());
                var actual = Describe(AnalyzerRunner.Sort(concurrent));
                Assert.True(
                    expected == actual,
                    $"Round {round + 1}: concurrent analysis differs from sequential analysis.{Environment.NewLine}Sequential:{Environment.NewLine}{expected}{Environment.NewLine}Concurrent:{Environment.NewLine}{actual}");
            }
        }

        private static string Describe(ImmutableArray<Diagnostic> diagnostics) =>
            string.Join(Environment.NewLine, diagnostics.Select(d => $"{d.Location.GetLineSpan()}: {d.Id}: {d.GetMessage()}"));
    }
}
