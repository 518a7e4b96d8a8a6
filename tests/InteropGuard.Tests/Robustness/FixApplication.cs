using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Robustness
{
    /// <summary>One code action offered for one diagnostic, named so a failure message says which fix of what.</summary>
    public sealed record OfferedFix(Diagnostic Diagnostic, CodeFixProvider Provider, CodeAction Action)
    {
        public string Describe()
        {
            var line = Diagnostic.Location.GetLineSpan().StartLinePosition.Line + 1;
            return $"{Provider.GetType().Name} '{Action.Title}' (key {Action.EquivalenceKey ?? "null"}) for {Diagnostic.Id} at line {line}";
        }
    }

    /// <summary>
    /// Code fixes the way the IDE and <c>dotnet format</c> run them, on a source of the suite: every provider that
    /// fixes a diagnostic's id is asked for its actions, and every action (nested ones included) is computed.
    /// </summary>
    public static class FixApplication
    {
        public static Project CreateProject(RobustnessSource source, string text) =>
            TestProject.Create(
                new[] { text }.Concat(source.Companions).ToList(),
                TestProjectOptions.Default with { EditorConfig = source.EditorConfig, OutputKind = source.OutputKind });

        public static Document MainDocument(Project project) => TestProject.SourceDocuments(project)[0];

        /// <summary>The InteropGuard diagnostics in the main document, from every analyzer.</summary>
        public static async Task<VariantAnalysis> AnalyzeAsync(Project project, ImmutableArray<DiagnosticAnalyzer> analyzers, CancellationToken cancellationToken = default)
        {
            var compilation = await project.GetCompilationAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("The project produced no compilation.");
            return await VariantCompiler.AnalyzeAsync(compilation, project.AnalyzerOptions, analyzers, cancellationToken).ConfigureAwait(false);
        }

        public static IEnumerable<CodeFixProvider> ProvidersFor(string id) =>
            ProductAssemblies.CodeFixProviders.Where(p => p.FixableDiagnosticIds.Contains(id));

        /// <summary>Every action every provider registers for <paramref name="diagnostic"/>; a provider that throws throws here.</summary>
        public static Task<IReadOnlyList<OfferedFix>> OfferedAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken = default) =>
            OfferedAsync(document, diagnostic, ProvidersFor(diagnostic.Id), cancellationToken);

        public static async Task<IReadOnlyList<OfferedFix>> OfferedAsync(Document document, Diagnostic diagnostic, IEnumerable<CodeFixProvider> providers, CancellationToken cancellationToken = default)
        {
            var offered = new List<OfferedFix>();
            foreach (var provider in providers.Where(p => p.FixableDiagnosticIds.Contains(diagnostic.Id)))
            {
                var actions = new List<CodeAction>();
                await provider.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), cancellationToken)).ConfigureAwait(false);
                offered.AddRange(Flatten(actions).Select(a => new OfferedFix(diagnostic, provider, a)));
            }

            return offered;
        }

        /// <summary>The solution the action produces from <paramref name="original"/>, its documents' texts computed.</summary>
        public static async Task<Solution> ApplyAsync(OfferedFix fix, Solution original, CancellationToken cancellationToken = default)
        {
            var operations = await fix.Action.GetOperationsAsync(cancellationToken).ConfigureAwait(false);
            var apply = operations.OfType<ApplyChangesOperation>().ToList();
            if (apply.Count != 1)
            {
                throw new InvalidOperationException($"{fix.Describe()} produced {apply.Count} ApplyChangesOperation(s); expected exactly one.");
            }

            // Reading the texts forces what the action deferred (formatting, simplification), where fixes throw too.
            var changed = apply[0].ChangedSolution;
            var documents = changed.GetChanges(original).GetProjectChanges().SelectMany(p => p.GetChangedDocuments().Concat(p.GetAddedDocuments()));
            foreach (var documentId in documents)
            {
                await changed.GetDocument(documentId)!.GetTextAsync(cancellationToken).ConfigureAwait(false);
            }

            return changed;
        }

        private static IEnumerable<CodeAction> Flatten(IEnumerable<CodeAction> actions) =>
            actions.SelectMany(a => a.NestedActions.IsDefaultOrEmpty ? new[] { a } : Flatten(a.NestedActions));
    }
}
