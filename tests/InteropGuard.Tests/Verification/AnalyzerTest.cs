using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Verification
{
    /// <summary>
    /// One analyzer test: markup sources in, exact diagnostics (ids, spans, optionally messages and severities) out,
    /// plus the checks every analyzer test gets for free — the source compiles, no analyzer throws, and generated
    /// code is left alone.
    /// </summary>
    public class AnalyzerTest<TAnalyzer>
        where TAnalyzer : DiagnosticAnalyzer, new()
    {
        /// <summary>Markup source of /0/Test0.cs. Required.</summary>
        public string? Source { get; set; }

        /// <summary>Markup sources of /0/Test1.cs, /0/Test2.cs, ….</summary>
        public List<string> AdditionalSources { get; } = new List<string>();

        /// <summary>Option lines (placed under <c>[*.cs]</c>) or a complete .editorconfig / global config.</summary>
        public string? EditorConfig { get; set; }

        public LanguageVersion LanguageVersion { get; set; } = LanguageVersion.Latest;

        /// <summary>ConsoleApplication for sources with top-level statements.</summary>
        public OutputKind OutputKind { get; set; } = OutputKind.DynamicallyLinkedLibrary;

        /// <summary>Diagnostics expected in addition to those marked in the sources.</summary>
        public List<DiagnosticResult> ExpectedDiagnostics { get; } = new List<DiagnosticResult>();

        /// <summary>For code as it is being typed: compiler errors are tolerated, analyzer exceptions still fail.</summary>
        public bool AllowCompilerErrors { get; set; }

        /// <summary>Re-run with every source marked <c>// &lt;auto-generated/&gt;</c> and require silence.</summary>
        public bool TestGeneratedCode { get; set; } = true;

        /// <summary>Ids the generated-code run may still report: compilation-level diagnostics about configuration.</summary>
        public HashSet<string> GeneratedCodeExcludedIds { get; } = new HashSet<string>(StringComparer.Ordinal) { "IG0001" };

        /// <summary>The id <c>[|…|]</c> stands for when the analyzer supports several.</summary>
        public string? DefaultDiagnosticId { get; set; }

        public virtual async Task RunAsync()
        {
            var analyzers = CreateAnalyzers();
            var markups = ParseSources(Source, AdditionalSources, nameof(Source));
            await VerifyDiagnosticsAsync(analyzers, markups, ExpectedDiagnostics, "test source").ConfigureAwait(false);
            if (TestGeneratedCode)
            {
                await VerifyGeneratedCodeIsSkippedAsync(analyzers, markups).ConfigureAwait(false);
            }
        }

        protected TestProjectOptions ProjectOptions => new TestProjectOptions(EditorConfig, LanguageVersion, OutputKind);

        protected static ImmutableArray<DiagnosticAnalyzer> CreateAnalyzers() => ImmutableArray.Create<DiagnosticAnalyzer>(new TAnalyzer());

        protected static List<Markup> ParseSources(string? source, IEnumerable<string> additionalSources, string propertyName)
        {
            if (source == null)
            {
                throw new InvalidOperationException($"{propertyName} must be set.");
            }

            return new[] { source }.Concat(additionalSources).Select(Markup.Parse).ToList();
        }

        /// <summary>The id <c>[|…|]</c> means: the test's choice, else the analyzer's only non-configuration id.</summary>
        protected string DefaultIdFor(ImmutableArray<DiagnosticAnalyzer> analyzers)
        {
            if (DefaultDiagnosticId != null)
            {
                return DefaultDiagnosticId;
            }

            var ids = analyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id)
                .Where(id => id != "IG0001").Distinct().ToList();
            if (ids.Count != 1)
            {
                throw new VerificationException(
                    $"[|…|] markup needs a single diagnostic id, but the analyzer supports {(ids.Count == 0 ? "none" : string.Join(", ", ids))}: set DefaultDiagnosticId or write {{|ID:…|}}.");
            }

            return ids[0];
        }

        protected async Task<AnalysisResult> VerifyDiagnosticsAsync(
            ImmutableArray<DiagnosticAnalyzer> analyzers,
            IReadOnlyList<Markup> markups,
            IEnumerable<DiagnosticResult> explicitResults,
            string what)
        {
            var expected = DiagnosticVerification.Resolve(markups, explicitResults, () => DefaultIdFor(analyzers));
            var texts = markups.Select(m => m.Text).ToList();
            var project = TestProject.Create(texts, ProjectOptions);
            var result = await AnalyzerRunner.AnalyzeAsync(project, analyzers, AllowCompilerErrors, what).ConfigureAwait(false);
            DiagnosticVerification.Compare(what, texts, expected, result.AnalyzerDiagnostics);
            return result;
        }

        protected async Task VerifyGeneratedCodeIsSkippedAsync(ImmutableArray<DiagnosticAnalyzer> analyzers, IReadOnlyList<Markup> markups)
        {
            var texts = markups.Select(m => TestProject.GeneratedCodeHeader + m.Text).ToList();
            const string what = "test source marked // <auto-generated/>";
            var project = TestProject.Create(texts, ProjectOptions);
            var result = await AnalyzerRunner.AnalyzeAsync(project, analyzers, AllowCompilerErrors, what).ConfigureAwait(false);
            var reported = result.AnalyzerDiagnostics.Where(d => !GeneratedCodeExcludedIds.Contains(d.Id)).ToImmutableArray();
            if (reported.IsEmpty)
            {
                return;
            }

            var message = new StringBuilder("The analyzer reports diagnostics in generated code (every source prefixed with // <auto-generated/>); generated code must not be analyzed:\n");
            foreach (var diagnostic in reported)
            {
                message.Append("  ").Append(DiagnosticVerification.Describe(diagnostic, texts)).Append('\n');
            }

            DiagnosticVerification.AppendSources(message, texts, Array.Empty<ResolvedExpectation>(), reported);
            throw new VerificationException(message.ToString());
        }
    }
}
