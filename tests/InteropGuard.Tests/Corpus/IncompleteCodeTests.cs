using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Corpus
{
    /// <summary>
    /// In the IDE the analyzers run on every keystroke, so they mostly see code that does not compile. An analyzer
    /// exception there shows up as AD0001 and silently disables the analyzer for the session.
    /// </summary>
    public class IncompleteCodeTests
    {
        private const int EvenCuts = 16;
        private const int TypingCuts = 4;

        public static IEnumerable<object[]> Cases => CorrectInteropCodeTests.Cases;

        [Theory]
        [MemberData(nameof(Cases))]
        public async Task NoAnalyzerThrowsOnATruncatedFile(string name)
        {
            var corpusCase = CorpusCase.Get(name);
            // Cuts are independent compilations: run them side by side to stay within the time budget.
            var results = await Task.WhenAll(CutPositions(corpusCase.Source).Select(cut => Task.Run(() => AnalyzeCutAsync(corpusCase, cut))));
            var failures = results.SelectMany(r => r).ToList();
            Assert.True(failures.Count == 0, $"Analyzers threw on truncated {name}.cs:{Environment.NewLine}{string.Join(Environment.NewLine, failures)}");
        }

        private static async Task<IReadOnlyList<string>> AnalyzeCutAsync(CorpusCase corpusCase, int cut)
        {
            var prefix = corpusCase.Source.Substring(0, cut);
            try
            {
                // The runner fails on an analyzer exception (AD0001); check the returned list too in case it reports instead.
                var diagnostics = await AnalyzerRunner.GetDiagnosticsAsync(
                    ProductAssemblies.Analyzers,
                    corpusCase.SourcesWith(prefix),
                    corpusCase.EditorConfig,
                    allowCompilerErrors: true);
                return diagnostics
                    .Where(d => d.Id == AnalyzerRunner.AnalyzerExceptionId)
                    .Select(d => $"Cut at offset {cut} (after '{Tail(prefix)}'): {d.GetMessage()}")
                    .ToList();
            }
            catch (VerificationException e)
            {
                return new[] { $"Cut at offset {cut} (after '{Tail(prefix)}'): {e.Message}" };
            }
        }

        /// <summary>Evenly spaced cuts, plus cuts just inside an allocation call's argument list, where typing pauses most.</summary>
        private static IEnumerable<int> CutPositions(string source)
        {
            var cuts = new SortedSet<int>();
            for (var k = 1; k <= EvenCuts; k++)
            {
                cuts.Add((int)((long)source.Length * k / (EvenCuts + 1)));
            }

            var typing = 0;
            for (var at = source.IndexOf("Alloc", StringComparison.Ordinal); at >= 0 && typing < TypingCuts; at = source.IndexOf("Alloc", at + 1, StringComparison.Ordinal))
            {
                var open = source.IndexOf('(', at);
                if (open >= 0 && open - at < 40)
                {
                    cuts.Add(open + 1);
                    typing++;
                }
            }

            return cuts;
        }

        private static string Tail(string prefix)
        {
            var tail = prefix.Length <= 40 ? prefix : prefix.Substring(prefix.Length - 40);
            return tail.Replace("\r", "\\r").Replace("\n", "\\n");
        }
    }
}
