using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Tests.Corpus
{
    /// <summary>
    /// The false-positive regression suite: ordinary, correct interop code on which every InteropGuard analyzer must stay
    /// silent. Every false positive ever found becomes a file here.
    /// </summary>
    public class CorrectInteropCodeTests
    {
        public static IEnumerable<object[]> Cases => CorpusCase.Names.Select(n => new object[] { n });

        [Fact]
        public void TheCorpusIsThere()
        {
            Assert.True(CorpusCase.Names.Count >= 10, "Corpus files are missing from the test assembly's resources: " + string.Join(", ", CorpusCase.Names));
        }

        [Theory]
        [MemberData(nameof(Cases))]
        public async Task NoAnalyzerReportsAnything(string name)
        {
            var corpusCase = CorpusCase.Get(name);
            var diagnostics = await AnalyzerRunner.GetDiagnosticsAsync(
                ProductAssemblies.Analyzers,
                corpusCase.SourcesWith(corpusCase.Source),
                corpusCase.EditorConfig);

            Assert.True(diagnostics.IsEmpty, $"Correct code in Corpus/Files/{name}.cs was reported:{Environment.NewLine}{Describe(name + ".cs", diagnostics)}");
        }

        /// <summary>One line per diagnostic: file:line:column, id, message and the reported text.</summary>
        internal static string Describe(string file, IEnumerable<Diagnostic> diagnostics)
        {
            var lines = diagnostics
                .OrderBy(d => d.Location.SourceSpan.Start)
                .Select(d =>
                {
                    var span = d.Location.GetLineSpan();
                    var where = d.Location.IsInSource ? $"{file}:{span.StartLinePosition.Line + 1}:{span.StartLinePosition.Character + 1}" : $"{file} (no location)";
                    var code = d.Location.IsInSource ? $"  [{d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan)}]" : "";
                    return $"{where}: {d.Id}: {d.GetMessage()}{code}";
                });
            return string.Join(Environment.NewLine, lines);
        }
    }
}
