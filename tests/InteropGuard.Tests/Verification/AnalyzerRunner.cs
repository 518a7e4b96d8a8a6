using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Verification
{
    /// <summary>What one analyzer run over a test project produced.</summary>
    public sealed record AnalysisResult(Project Project, Compilation Compilation, ImmutableArray<Diagnostic> CompilerDiagnostics, ImmutableArray<Diagnostic> AnalyzerDiagnostics);

    /// <summary>
    /// Runs analyzers on in-memory sources. Every run fails on an analyzer exception; compiler errors fail it unless
    /// the caller allows them (robustness tests on code as it is being typed).
    /// </summary>
    public static class AnalyzerRunner
    {
        public const string AnalyzerExceptionId = "AD0001";

        /// <summary>Analyzer diagnostics for plain sources (no markup), sorted by file and position.</summary>
        public static async Task<ImmutableArray<Diagnostic>> GetDiagnosticsAsync(
            IEnumerable<DiagnosticAnalyzer> analyzers,
            IEnumerable<string> sources,
            string? editorConfig = null,
            bool allowCompilerErrors = false,
            OutputKind outputKind = OutputKind.DynamicallyLinkedLibrary)
        {
            var project = TestProject.Create(sources.ToList(), TestProjectOptions.Default with { EditorConfig = editorConfig, OutputKind = outputKind });
            var result = await AnalyzeAsync(project, analyzers.ToImmutableArray(), allowCompilerErrors, "test source").ConfigureAwait(false);
            return result.AnalyzerDiagnostics;
        }

        public static async Task<AnalysisResult> AnalyzeAsync(Project project, ImmutableArray<DiagnosticAnalyzer> analyzers, bool allowCompilerErrors, string what, CancellationToken cancellationToken = default)
        {
            var compilation = await project.GetCompilationAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("The test project produced no compilation.");
            var compilerDiagnostics = Sort(compilation.GetDiagnostics(cancellationToken));
            if (!allowCompilerErrors)
            {
                ThrowOnCompilerErrors(compilerDiagnostics, what);
            }

            var exceptions = new ConcurrentQueue<(Exception Exception, DiagnosticAnalyzer Analyzer, Diagnostic Diagnostic)>();
            var options = new CompilationWithAnalyzersOptions(
                project.AnalyzerOptions,
                onAnalyzerException: (exception, analyzer, diagnostic) => exceptions.Enqueue((exception, analyzer, diagnostic)),
                concurrentAnalysis: false,
                logAnalyzerExecutionTime: false,
                reportSuppressedDiagnostics: false);
            var analyzerDiagnostics = await compilation.WithAnalyzers(analyzers, options)
                .GetAnalyzerDiagnosticsAsync(cancellationToken).ConfigureAwait(false);

            var thrown = analyzerDiagnostics.Where(d => d.Id == AnalyzerExceptionId).ToList();
            if (!exceptions.IsEmpty || thrown.Count > 0)
            {
                var message = new StringBuilder($"An analyzer threw an exception while analyzing the {what}:\n");
                // The same bug usually throws once per analyzed node: show each distinct failure once.
                foreach (var group in exceptions.GroupBy(e => (e.Analyzer.GetType(), e.Exception.ToString())))
                {
                    message.Append("  ").Append(group.Key.Item1.FullName).Append(" (").Append(group.Count()).Append("x): ").Append(group.Key.Item2).Append('\n');
                }

                foreach (var diagnostic in thrown)
                {
                    message.Append("  ").Append(diagnostic).Append('\n');
                }

                throw exceptions.TryPeek(out var first)
                    ? new VerificationException(message.ToString(), first.Exception)
                    : new VerificationException(message.ToString());
            }

            return new AnalysisResult(project, compilation, compilerDiagnostics, Sort(analyzerDiagnostics));
        }

        public static void ThrowOnCompilerErrors(ImmutableArray<Diagnostic> compilerDiagnostics, string what)
        {
            var errors = compilerDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            if (errors.Count > 0)
            {
                throw new VerificationException($"The {what} does not compile ({errors.Count} error(s)); set AllowCompilerErrors for deliberately incomplete code:\n" + DescribeWithLines(errors));
            }
        }

        /// <summary>Each diagnostic in compiler format followed by the offending source line.</summary>
        public static string DescribeWithLines(IEnumerable<Diagnostic> diagnostics)
        {
            var s = new StringBuilder();
            foreach (var diagnostic in diagnostics)
            {
                s.Append("  ").Append(diagnostic).Append('\n');
                if (diagnostic.Location.IsInSource)
                {
                    var text = diagnostic.Location.SourceTree!.GetText();
                    var line = text.Lines.GetLineFromPosition(diagnostic.Location.SourceSpan.Start);
                    s.Append("      | ").Append(line.ToString()).Append('\n');
                }
            }

            return s.ToString();
        }

        public static ImmutableArray<Diagnostic> Sort(IEnumerable<Diagnostic> diagnostics) =>
            diagnostics
                .OrderBy(d => d.Location.SourceTree?.FilePath ?? string.Empty, StringComparer.Ordinal)
                .ThenBy(d => d.Location.SourceSpan.Start)
                .ThenBy(d => d.Location.SourceSpan.End)
                .ThenBy(d => d.Id, StringComparer.Ordinal)
                .ToImmutableArray();
    }
}
