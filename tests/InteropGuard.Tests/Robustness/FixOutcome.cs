using System;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Robustness
{
    /// <summary>
    /// Whether a fix applied to code that compiles did its job: the result has no compiler error and the diagnostic is
    /// gone from its line, followed through the lines the fix inserted or removed before it.
    /// </summary>
    public static class FixOutcome
    {
        /// <summary>Null when the fix is good; otherwise what is wrong with its result, with the result.</summary>
        /// <param name="before">The analyzer diagnostics of <paramref name="project"/>, the fixed one among them.</param>
        /// <param name="analyzers">Analyzers to find the diagnostic again with; those that do not report its id are not run.</param>
        public static async Task<string?> CheckAsync(Project project, ImmutableArray<Diagnostic> before, OfferedFix fix, ImmutableArray<DiagnosticAnalyzer> analyzers, CancellationToken cancellationToken = default)
        {
            var document = FixApplication.MainDocument(project);
            var oldText = (await document.GetTextAsync(cancellationToken).ConfigureAwait(false)).ToString();
            var solution = await FixApplication.ApplyAsync(fix, project.Solution, cancellationToken).ConfigureAwait(false);
            if (!solution.GetChanges(project.Solution).GetProjectChanges().Any(p => p.GetChangedDocuments(onlyGetDocumentsWithTextChanges: true).Any() || p.GetAddedDocuments().Any()))
            {
                return "the action changes nothing";
            }

            var changed = solution.GetProject(project.Id)!;
            var newText = (await changed.GetDocument(document.Id)!.GetTextAsync(cancellationToken).ConfigureAwait(false)).ToString();
            var compilation = (await changed.GetCompilationAsync(cancellationToken).ConfigureAwait(false))!;
            var errors = compilation.GetDiagnostics(cancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            if (errors.Count > 0)
            {
                return $"the result does not compile:{Environment.NewLine}{AnalyzerRunner.DescribeWithLines(errors)}{Result(newText)}";
            }

            // The rule's own analyzers suffice to see whether its diagnostic is gone, and cost a fraction of all of them.
            var id = fix.Diagnostic.Id;
            var path = fix.Diagnostic.Location.SourceTree!.FilePath;
            var rule = analyzers.Where(a => a.SupportedDiagnostics.Any(d => d.Id == id)).ToImmutableArray();
            var after = await VariantCompiler.AnalyzeAsync(compilation, changed.AnalyzerOptions, rule, cancellationToken).ConfigureAwait(false);
            if (after.Exceptions.Count > 0)
            {
                return $"an analyzer threw on the result: {string.Join(Environment.NewLine, after.Exceptions)}{Result(newText)}";
            }

            // Two findings of the rule can share a line: the fix must leave one fewer there than mapped there before.
            var map = LineMap.Between(oldText, newText);
            int line = map.Map(Line(fix.Diagnostic));
            int mappedBefore = before.Count(d => d.Id == id && d.Location.SourceTree?.FilePath == path && map.Map(Line(d)) == line);
            var remaining = after.Diagnostics.Where(d => d.Id == id && d.Location.SourceTree?.FilePath == path && Line(d) == line).ToList();
            return remaining.Count < mappedBefore
                ? null
                : $"the diagnostic is still reported at line {line + 1} of the result (line {Line(fix.Diagnostic) + 1} before the fix): {remaining[0].GetMessage()}{Result(newText)}";
        }

        private static int Line(Diagnostic diagnostic) => diagnostic.Location.GetLineSpan().StartLinePosition.Line;

        private static string Result(string text) => $"{Environment.NewLine}--- result ---{Environment.NewLine}{text}";
    }
}
