using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Tests.Robustness
{
    /// <summary>What running every fix on one input found.</summary>
    public sealed record FixSweepResult(int Diagnostics, int Applied, int Known, IReadOnlyList<string> Failures, IReadOnlyList<KnownFixFailure> Stale);

    /// <summary>
    /// Every action of every fix for every InteropGuard diagnostic of one input. On any input no provider may throw,
    /// neither registering its actions nor computing them; on an input that compiles, each result is checked by
    /// <see cref="FixOutcome"/> too.
    /// </summary>
    public static class FixSweep
    {
        /// <param name="name">The input's name in failure messages and in <see cref="KnownFixFailures"/>.</param>
        public static async Task<FixSweepResult> RunAsync(string name, Project project, CancellationToken cancellationToken)
        {
            var failures = new List<string>();
            var stale = new List<KnownFixFailure>();
            int diagnostics = 0, applied = 0, known = 0;
            var compilation = (await project.GetCompilationAsync(cancellationToken).ConfigureAwait(false))!;
            bool compiles = !compilation.GetDiagnostics(cancellationToken).Any(d => d.Severity == DiagnosticSeverity.Error);
            var analysis = await FixApplication.AnalyzeAsync(project, VariantSet.Analyzers, cancellationToken).ConfigureAwait(false);
            if (analysis.Exceptions.Count > 0)
            {
                failures.Add($"{name}: an analyzer threw: {string.Join(Environment.NewLine, analysis.Exceptions)}");
            }

            var document = FixApplication.MainDocument(project);
            var path = document.FilePath;
            foreach (var diagnostic in analysis.Diagnostics.Where(d => d.Location.SourceTree?.FilePath == path && FixApplication.ProvidersFor(d.Id).Any()))
            {
                diagnostics++;
                IReadOnlyList<OfferedFix> offered;
                try
                {
                    offered = await FixApplication.OfferedAsync(document, diagnostic, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception exception)
                {
                    failures.Add($"{name}: registering the fixes for {diagnostic.Id} at line {diagnostic.Location.GetLineSpan().StartLinePosition.Line + 1} threw {exception}");
                    continue;
                }

                foreach (var fix in offered)
                {
                    applied++;
                    string? problem;
                    try
                    {
                        problem = compiles
                            ? await FixOutcome.CheckAsync(project, analysis.Diagnostics, fix, VariantSet.Analyzers, cancellationToken).ConfigureAwait(false)
                            : await ApplyOnlyAsync(project, fix, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception exception)
                    {
                        problem = "it threw " + exception;
                    }

                    var entry = KnownFixFailures.Find(name, diagnostic.Id, fix.Action.EquivalenceKey);
                    if (entry != null)
                    {
                        known++;
                        if (problem == null)
                        {
                            stale.Add(entry);
                        }
                    }
                    else if (problem != null)
                    {
                        failures.Add($"{name}: {fix.Describe()}: {problem}");
                    }
                }
            }

            return new FixSweepResult(diagnostics, applied, known, failures, stale);
        }

        /// <summary>On code that does not compile a fix may do anything sensible but throw.</summary>
        private static async Task<string?> ApplyOnlyAsync(Project project, OfferedFix fix, CancellationToken cancellationToken)
        {
            await FixApplication.ApplyAsync(fix, project.Solution, cancellationToken).ConfigureAwait(false);
            return null;
        }
    }
}
