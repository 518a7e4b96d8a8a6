using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
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
            await AssertConcurrentRunsAgreeAsync(sequential, analyzers, Rounds);
        }

        /// <summary>
        /// Analyzes <paramref name="sequential"/>'s compilation <paramref name="rounds"/> times with concurrent execution
        /// (each round a fresh <see cref="CompilationWithAnalyzers"/>, so nothing is cached from an earlier round) and
        /// fails on the first round whose diagnostics differ from the sequential ones in any byte of <see cref="Describe"/>.
        /// </summary>
        internal static async Task AssertConcurrentRunsAgreeAsync(Verification.AnalysisResult sequential, ImmutableArray<DiagnosticAnalyzer> analyzers, int rounds)
        {
            var expected = Describe(sequential.AnalyzerDiagnostics);
            for (var round = 0; round < rounds; round++)
            {
                var actual = Describe(await AnalyzeConcurrentlyAsync(sequential.Compilation, sequential.Project.AnalyzerOptions, analyzers));
                Assert.True(
                    string.Equals(expected, actual, StringComparison.Ordinal),
                    $"Round {round + 1}: concurrent analysis differs from sequential analysis.{Environment.NewLine}{Difference(expected, actual)}");
            }
        }

        /// <summary>One concurrent analyzer run; an analyzer exception fails it.</summary>
        internal static async Task<ImmutableArray<Diagnostic>> AnalyzeConcurrentlyAsync(Compilation compilation, AnalyzerOptions analyzerOptions, ImmutableArray<DiagnosticAnalyzer> analyzers)
        {
            var exceptions = new ConcurrentQueue<Exception>();
            var options = new CompilationWithAnalyzersOptions(
                analyzerOptions,
                onAnalyzerException: (exception, analyzer, diagnostic) => exceptions.Enqueue(exception),
                concurrentAnalysis: true,
                logAnalyzerExecutionTime: false);
            var diagnostics = await compilation.WithAnalyzers(analyzers, options).GetAnalyzerDiagnosticsAsync();
            Assert.True(exceptions.IsEmpty, "An analyzer threw under concurrent analysis: " + exceptions.FirstOrDefault());
            Assert.DoesNotContain(diagnostics, d => d.Id == AnalyzerRunner.AnalyzerExceptionId);
            return AnalyzerRunner.Sort(diagnostics);
        }

        /// <summary>
        /// One line per diagnostic with everything a consumer (IDE, SARIF baseline, code fix) sees: file, line span,
        /// character span, id, message and properties (ordered by key), in a fixed order.
        /// </summary>
        internal static string Describe(IEnumerable<Diagnostic> diagnostics)
            => string.Join(
                Environment.NewLine,
                AnalyzerRunner.Sort(diagnostics)
                    .Select(d => $"{d.Location.GetLineSpan()} {d.Location.SourceSpan}: {d.Id}: {d.GetMessage()}"
                                 + string.Concat(d.Properties.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $" [{p.Key}={p.Value}]")))
                    .OrderBy(line => line, StringComparer.Ordinal));

        /// <summary>The lines only one side has, so a failure shows what changed rather than two long listings.</summary>
        private static string Difference(string expected, string actual)
        {
            var expectedLines = expected.Split(Environment.NewLine);
            var actualLines = actual.Split(Environment.NewLine);
            var s = new StringBuilder();
            foreach (var line in expectedLines.Except(actualLines))
            {
                s.Append("- sequential: ").Append(line).Append(Environment.NewLine);
            }

            foreach (var line in actualLines.Except(expectedLines))
            {
                s.Append("+ concurrent: ").Append(line).Append(Environment.NewLine);
            }

            return s.Length == 0 ? "(same lines, different order or count)" : s.ToString();
        }
    }
}
