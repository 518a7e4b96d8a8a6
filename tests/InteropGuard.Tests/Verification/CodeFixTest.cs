using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Tests.Verification
{
    /// <summary>
    /// A code fix test: the source's diagnostics are checked as in <see cref="AnalyzerTest{TAnalyzer}"/>, then the
    /// selected action is applied one diagnostic at a time until none is left (what a user does in the IDE), then
    /// Fix All runs once in Document, Project and Solution scope (what <c>dotnet format</c> does). Each result must
    /// equal the expected text, compile without new compiler diagnostics, and carry exactly the diagnostics its
    /// markup marks. When <see cref="FixedSource"/> equals <see cref="AnalyzerTest{TAnalyzer}.Source"/>, the test
    /// asserts instead that the fixer offers nothing.
    /// </summary>
    public class CodeFixTest<TAnalyzer, TCodeFix> : AnalyzerTest<TAnalyzer>
        where TAnalyzer : DiagnosticAnalyzer, new()
        where TCodeFix : CodeFixProvider, new()
    {
        private static readonly FixAllScope[] FixAllScopes = { FixAllScope.Document, FixAllScope.Project, FixAllScope.Solution };

        /// <summary>Expected /0/Test0.cs after fixing; its markup marks diagnostics that must remain.</summary>
        public string? FixedSource { get; set; }

        /// <summary>Expected /0/Test1.cs, … after fixing; empty means "unchanged".</summary>
        public List<string> FixedAdditionalSources { get; } = new List<string>();

        /// <summary>Diagnostics expected in the fixed source besides those its markup marks.</summary>
        public List<DiagnosticResult> FixedExpectedDiagnostics { get; } = new List<DiagnosticResult>();

        /// <summary>Expected result of Fix All when it differs from fixing one diagnostic at a time.</summary>
        public string? BatchFixedSource { get; set; }

        /// <summary>Selects the action with this equivalence key; by default the first registered action.</summary>
        public string? CodeActionEquivalenceKey { get; set; }

        /// <summary>Selects the action at this position among those registered for a diagnostic.</summary>
        public int? CodeActionIndex { get; set; }

        /// <summary>How many single fixes may be applied before the loop counts as not converging; by default the number of fixable diagnostics plus 10.</summary>
        public int? MaxFixIterations { get; set; }

        public override async Task RunAsync()
        {
            var analyzers = CreateAnalyzers();
            var fixer = new TCodeFix();
            var markups = ParseSources(Source, AdditionalSources, nameof(Source));
            var fixedMarkups = ParseSources(FixedSource, FixedAdditionalSources.Count > 0 ? FixedAdditionalSources : AdditionalSources, nameof(FixedSource));
            var batchMarkups = BatchFixedSource == null
                ? fixedMarkups
                : ParseSources(BatchFixedSource, FixedAdditionalSources.Count > 0 ? FixedAdditionalSources : AdditionalSources, nameof(BatchFixedSource));
            if (fixedMarkups.Count != markups.Count)
            {
                throw new InvalidOperationException("FixedAdditionalSources must list one expected text per additional source.");
            }

            var original = await VerifyDiagnosticsAsync(analyzers, markups, ExpectedDiagnostics, "test source").ConfigureAwait(false);
            if (TestGeneratedCode)
            {
                await VerifyGeneratedCodeIsSkippedAsync(analyzers, markups).ConfigureAwait(false);
            }

            var project = original.Project;
            var fixableIds = fixer.FixableDiagnosticIds.ToImmutableHashSet(StringComparer.Ordinal);
            var fixable = original.AnalyzerDiagnostics.Where(d => fixableIds.Contains(d.Id)).ToList();

            if (SameTexts(markups, fixedMarkups))
            {
                await VerifyNoFixOfferedAsync(project, fixer, fixable).ConfigureAwait(false);
                return;
            }

            var (fixedProject, equivalenceKey) = await ApplyOneAtATimeAsync(project, analyzers, fixer, fixableIds, MaxFixIterations ?? fixable.Count + 10).ConfigureAwait(false);
            await VerifyFixedAsync(fixedProject, original, fixedMarkups, "code fix result (one diagnostic at a time)").ConfigureAwait(false);
            await VerifyDiagnosticsAsync(analyzers, fixedMarkups, FixedExpectedDiagnostics, "fixed source").ConfigureAwait(false);

            foreach (var scope in FixAllScopes)
            {
                var batchProject = await ApplyFixAllAsync(project, analyzers, fixer, fixableIds, scope, equivalenceKey).ConfigureAwait(false);
                await VerifyFixedAsync(batchProject, original, batchMarkups, $"Fix All result in {scope} scope").ConfigureAwait(false);
            }

            if (!ReferenceEquals(batchMarkups, fixedMarkups))
            {
                await VerifyDiagnosticsAsync(analyzers, batchMarkups, FixedExpectedDiagnostics, "batch-fixed source").ConfigureAwait(false);
            }

            await VerifyForeignLineEndingsAsync(project, analyzers, fixer, fixableIds, equivalenceKey, batchMarkups).ConfigureAwait(false);
        }

        /// <summary>
        /// The test sources are written with "\n"; a user's file may have "\r\n", and the workspace's own new-line
        /// option (Environment.NewLine, "\n" here) then differs from the file's. Fix All once more on the same sources
        /// with "\r\n": the result must be the expected text with "\r\n" endings, or the fix left a file with mixed
        /// line endings (what an elastic or hard-coded new line does) or laid it out differently. Then the other way
        /// round, a "\n" file where the formatter's new line is "\r\n" (a Windows checkout of a repository kept in
        /// "\n"): the result must be the expected text as it is.
        /// </summary>
        private async Task VerifyForeignLineEndingsAsync(
            Project project,
            ImmutableArray<DiagnosticAnalyzer> analyzers,
            CodeFixProvider fixer,
            ImmutableHashSet<string> fixableIds,
            string? equivalenceKey,
            IReadOnlyList<Markup> expected)
        {
            var documents = TestProject.SourceDocuments(project);
            var crlfSolution = project.Solution;
            foreach (var document in documents)
            {
                string text = (await document.GetTextAsync().ConfigureAwait(false)).ToString();
                if (text.Contains('\r', StringComparison.Ordinal))
                {
                    return;
                }

                crlfSolution = crlfSolution.WithDocumentText(document.Id, SourceText.From(ToCrLf(text), Encoding.UTF8));
            }

            await VerifyFixAllTextsAsync(crlfSolution.GetProject(project.Id)!, "with \"\\r\\n\" line endings", text => ToCrLf(TextDiff.NormalizeLineEndings(text))).ConfigureAwait(false);

            var crlfFormatter = project.AddAnalyzerConfigDocument(
                "line-endings.globalconfig",
                SourceText.From("is_global = true\nend_of_line = crlf\n", Encoding.UTF8),
                filePath: "/line-endings.globalconfig").Project;
            await VerifyFixAllTextsAsync(crlfFormatter, "with \"\\n\" line endings and the formatter's new line \"\\r\\n\"", TextDiff.NormalizeLineEndings).ConfigureAwait(false);

            async Task VerifyFixAllTextsAsync(Project variant, string description, Func<string, string> expectedText)
            {
                var fixedProject = await ApplyFixAllAsync(variant, analyzers, fixer, fixableIds, FixAllScope.Solution, equivalenceKey).ConfigureAwait(false);
                var fixedDocuments = TestProject.SourceDocuments(fixedProject);
                for (int i = 0; i < fixedDocuments.Count; i++)
                {
                    string actual = (await fixedDocuments[i].GetTextAsync().ConfigureAwait(false)).ToString();
                    if (actual != expectedText(expected[i].Text))
                    {
                        string shown = actual.Replace("\r\n", "\\r\\n\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal);
                        throw new VerificationException(
                            $"Fix All on the same sources {description} gives another text in {fixedDocuments[i].FilePath} (line ends shown as \\r\\n and \\r; a bare \\n shows as a plain line break):\n{shown}");
                    }
                }
            }
        }

        private static string ToCrLf(string lfText) => lfText.Replace("\n", "\r\n", StringComparison.Ordinal);

        private static bool SameTexts(IReadOnlyList<Markup> a, IReadOnlyList<Markup> b) =>
            a.Count == b.Count && a.Zip(b).All(p => TextDiff.NormalizeLineEndings(p.First.Text) == TextDiff.NormalizeLineEndings(p.Second.Text));

        private string SelectorDescription =>
            CodeActionEquivalenceKey != null ? $"with equivalence key '{CodeActionEquivalenceKey}'"
            : CodeActionIndex is int index ? $"at index {index}"
            : "at all";

        private async Task VerifyNoFixOfferedAsync(Project project, CodeFixProvider fixer, List<Diagnostic> fixable)
        {
            foreach (var diagnostic in fixable)
            {
                var actions = await GetActionsAsync(project, fixer, diagnostic).ConfigureAwait(false);
                var action = Select(actions);
                if (action != null)
                {
                    throw new VerificationException(
                        $"FixedSource equals Source, so no fix is expected, but the fixer offers '{action.Title}' for {Describe(diagnostic)}.");
                }
            }
        }

        private async Task<(Project Project, string? EquivalenceKey)> ApplyOneAtATimeAsync(
            Project project,
            ImmutableArray<DiagnosticAnalyzer> analyzers,
            CodeFixProvider fixer,
            ImmutableHashSet<string> fixableIds,
            int maxIterations)
        {
            string? equivalenceKey = null;
            for (int iteration = 0; ; iteration++)
            {
                var analysis = await AnalyzerRunner.AnalyzeAsync(project, analyzers, allowCompilerErrors: true, "source during the code fix loop").ConfigureAwait(false);
                var fixable = analysis.AnalyzerDiagnostics.Where(d => fixableIds.Contains(d.Id)).ToList();

                CodeAction? action = null;
                Diagnostic? target = null;
                var offered = new List<string>();
                foreach (var diagnostic in fixable)
                {
                    var actions = await GetActionsAsync(project, fixer, diagnostic).ConfigureAwait(false);
                    offered.AddRange(actions.Select(a => $"'{a.Title}' (key {a.EquivalenceKey ?? "null"}) for {diagnostic.Id}"));
                    action = Select(actions);
                    if (action != null)
                    {
                        target = diagnostic;
                        break;
                    }
                }

                if (action == null || target == null)
                {
                    if (iteration == 0)
                    {
                        throw new VerificationException(fixable.Count == 0
                            ? $"The test source has no diagnostic the fixer can fix (FixableDiagnosticIds: {string.Join(", ", fixableIds)})."
                            : $"The code fix provider registers no action {SelectorDescription} for {string.Join("; ", fixable.Select(Describe))}. Offered: {(offered.Count == 0 ? "nothing" : string.Join(", ", offered))}.");
                    }

                    return (project, equivalenceKey);
                }

                if (iteration >= maxIterations)
                {
                    var current = await project.GetDocument(TestProject.SourceDocuments(project)[0].Id)!.GetTextAsync().ConfigureAwait(false);
                    throw new VerificationException(
                        $"The code fix does not converge: after {maxIterations} applications the fixer still offers '{action.Title}' for {Describe(target)} (a fix that keeps producing what it fixes loops in the IDE and in dotnet format). Current text:\n{current}");
                }

                equivalenceKey ??= action.EquivalenceKey;
                var changed = await ApplyAsync(action, project.Solution, $"'{action.Title}' for {Describe(target)}").ConfigureAwait(false);
                if (!await HasChangesAsync(project, changed).ConfigureAwait(false))
                {
                    throw new VerificationException($"The code action '{action.Title}' for {Describe(target)} changes nothing (fixers must not register an action that leaves the document unchanged).");
                }

                project = changed.GetProject(project.Id)!;
            }
        }

        private static async Task<Project> ApplyFixAllAsync(
            Project project,
            ImmutableArray<DiagnosticAnalyzer> analyzers,
            CodeFixProvider fixer,
            ImmutableHashSet<string> fixableIds,
            FixAllScope scope,
            string? equivalenceKey)
        {
            var fixAll = fixer.GetFixAllProvider()
                ?? throw new VerificationException($"{fixer.GetType().Name}.GetFixAllProvider() returns null: Fix All and dotnet format cannot apply this fix.");
            if (!fixAll.GetSupportedFixAllScopes().Contains(scope))
            {
                throw new VerificationException($"The Fix All provider of {fixer.GetType().Name} does not support {scope} scope (dotnet format skips fixers without Solution scope).");
            }

            var analysis = await AnalyzerRunner.AnalyzeAsync(project, analyzers, allowCompilerErrors: true, "source before Fix All").ConfigureAwait(false);
            var fixable = analysis.AnalyzerDiagnostics.Where(d => fixableIds.Contains(d.Id) && d.Location.IsInSource).ToList();
            var documents = fixable.Select(d => project.GetDocument(d.Location.SourceTree)!.Id).Distinct().ToList();
            if (documents.Count == 0)
            {
                throw new VerificationException($"Fix All in {scope} scope has no diagnostic in a document to start from.");
            }

            // Document scope is one pass per document with findings; Project and Solution scope are a single pass,
            // exactly as dotnet format applies them.
            var passes = scope == FixAllScope.Document ? documents : documents.Take(1).ToList();
            var diagnosticProvider = new FixAllDiagnostics(analyzers, fixableIds);
            bool anyChange = false;
            foreach (var documentId in passes)
            {
                var context = new FixAllContext(
                    project.GetDocument(documentId)!,
                    fixer,
                    scope,
                    equivalenceKey,
                    fixableIds,
                    diagnosticProvider,
                    CancellationToken.None);
                CodeAction? action;
                try
                {
                    action = await fixAll.GetFixAsync(context).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is not VerificationException)
                {
                    throw new VerificationException($"Fix All in {scope} scope threw: {exception}", exception);
                }

                if (action == null)
                {
                    continue;
                }

                var changed = await ApplyAsync(action, project.Solution, $"Fix All in {scope} scope").ConfigureAwait(false);
                anyChange |= await HasChangesAsync(project, changed).ConfigureAwait(false);
                project = changed.GetProject(project.Id)!;
            }

            if (!anyChange)
            {
                throw new VerificationException($"Fix All in {scope} scope (equivalence key '{equivalenceKey ?? "null"}') changes nothing.");
            }

            return project;
        }

        private async Task VerifyFixedAsync(Project project, AnalysisResult original, IReadOnlyList<Markup> expected, string what)
        {
            var documents = TestProject.SourceDocuments(project);
            for (int i = 0; i < documents.Count; i++)
            {
                string rawText = (await documents[i].GetTextAsync().ConfigureAwait(false)).ToString();
                if (rawText.Contains('\r', StringComparison.Ordinal) && !expected[i].Text.Contains('\r', StringComparison.Ordinal))
                {
                    throw new VerificationException(
                        $"The {what} put \"\\r\" into {documents[i].FilePath}, whose lines end in \"\\n\": the fix must use the file's own line ending.");
                }

                string actualText = TextDiff.NormalizeLineEndings(rawText);
                string expectedText = TextDiff.NormalizeLineEndings(expected[i].Text);
                if (actualText != expectedText)
                {
                    throw new VerificationException(
                        $"The {what} differs from the expected text in {documents[i].FilePath}:\n{TextDiff.Unified(expectedText, actualText)}\n--- actual text ---\n{actualText}");
                }
            }

            var compilation = (await project.GetCompilationAsync().ConfigureAwait(false))!;
            var diagnostics = compilation.GetDiagnostics();
            var newDiagnostics = NewCompilerDiagnostics(original.CompilerDiagnostics, diagnostics, AllowCompilerErrors);
            if (newDiagnostics.Count > 0)
            {
                throw new VerificationException(
                    $"The {what} does not compile cleanly: the fix introduced compiler diagnostics:\n{AnalyzerRunner.DescribeWithLines(newDiagnostics)}");
            }
        }

        /// <summary>Errors always count (unless the test tolerates errors, then only new ones); warnings count when new.</summary>
        private static List<Diagnostic> NewCompilerDiagnostics(ImmutableArray<Diagnostic> before, ImmutableArray<Diagnostic> after, bool allowErrors)
        {
            var remaining = before.Where(d => d.Severity >= DiagnosticSeverity.Warning)
                .GroupBy(d => d.Id).ToDictionary(g => g.Key, g => g.Count());
            var result = new List<Diagnostic>();
            foreach (var diagnostic in AnalyzerRunner.Sort(after.Where(d => d.Severity >= DiagnosticSeverity.Warning)))
            {
                bool isError = diagnostic.Severity == DiagnosticSeverity.Error;
                if (remaining.TryGetValue(diagnostic.Id, out int count) && count > 0 && (!isError || allowErrors))
                {
                    remaining[diagnostic.Id] = count - 1;
                    continue;
                }

                result.Add(diagnostic);
            }

            return result;
        }

        private async Task<List<CodeAction>> GetActionsAsync(Project project, CodeFixProvider fixer, Diagnostic diagnostic)
        {
            var actions = new List<CodeAction>();
            var document = diagnostic.Location.IsInSource ? project.GetDocument(diagnostic.Location.SourceTree) : null;
            if (document == null)
            {
                return actions;
            }

            var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None);
            try
            {
                await fixer.RegisterCodeFixesAsync(context).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                throw new VerificationException($"{fixer.GetType().Name}.RegisterCodeFixesAsync threw for {Describe(diagnostic)}: {exception}", exception);
            }

            return Flatten(actions).ToList();
        }

        private static IEnumerable<CodeAction> Flatten(IEnumerable<CodeAction> actions) =>
            actions.SelectMany(a => a.NestedActions.IsDefaultOrEmpty ? new[] { a } : Flatten(a.NestedActions));

        private CodeAction? Select(List<CodeAction> actions)
        {
            if (CodeActionEquivalenceKey != null)
            {
                return actions.FirstOrDefault(a => a.EquivalenceKey == CodeActionEquivalenceKey);
            }

            if (CodeActionIndex is int index)
            {
                return index >= 0 && index < actions.Count ? actions[index] : null;
            }

            return actions.FirstOrDefault();
        }

        private static async Task<Solution> ApplyAsync(CodeAction action, Solution solution, string what)
        {
            ImmutableArray<CodeActionOperation> operations;
            try
            {
                operations = await action.GetOperationsAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                throw new VerificationException($"Computing the changes of {what} threw: {exception}", exception);
            }

            var apply = operations.OfType<ApplyChangesOperation>().ToList();
            if (apply.Count != 1)
            {
                throw new VerificationException($"{what} produced {apply.Count} ApplyChangesOperation(s); expected exactly one.");
            }

            return apply[0].ChangedSolution;
        }

        private static async Task<bool> HasChangesAsync(Project before, Solution after)
        {
            var changedProject = after.GetProject(before.Id);
            if (changedProject == null)
            {
                return true;
            }

            var beforeIds = before.DocumentIds.ToHashSet();
            if (!beforeIds.SetEquals(changedProject.DocumentIds))
            {
                return true;
            }

            foreach (var document in before.Documents)
            {
                var oldText = await document.GetTextAsync().ConfigureAwait(false);
                var newText = await changedProject.GetDocument(document.Id)!.GetTextAsync().ConfigureAwait(false);
                if (!oldText.ContentEquals(newText))
                {
                    return true;
                }
            }

            return false;
        }

        private static string Describe(Diagnostic diagnostic)
        {
            if (!diagnostic.Location.IsInSource)
            {
                return diagnostic.Id + " (no location)";
            }

            var span = diagnostic.Location.GetLineSpan();
            return $"{diagnostic.Id} at {span.Path}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1})";
        }

        /// <summary>Diagnostics for Fix All, from the same analyzers; one analysis per project snapshot.</summary>
        private sealed class FixAllDiagnostics : FixAllContext.DiagnosticProvider
        {
            private readonly ImmutableArray<DiagnosticAnalyzer> analyzers;
            private readonly ImmutableHashSet<string> ids;
            private readonly ConcurrentDictionary<Project, Lazy<Task<ImmutableArray<Diagnostic>>>> cache =
                new ConcurrentDictionary<Project, Lazy<Task<ImmutableArray<Diagnostic>>>>(ReferenceEqualityComparer.Instance);

            public FixAllDiagnostics(ImmutableArray<DiagnosticAnalyzer> analyzers, ImmutableHashSet<string> ids)
            {
                this.analyzers = analyzers;
                this.ids = ids;
            }

            public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
                FilteredAsync(project, _ => true);

            public override async Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken)
            {
                var tree = await document.GetSyntaxTreeAsync(cancellationToken).ConfigureAwait(false);
                return await FilteredAsync(document.Project, d => d.Location.IsInSource && d.Location.SourceTree!.FilePath == tree!.FilePath).ConfigureAwait(false);
            }

            public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
                FilteredAsync(project, d => !d.Location.IsInSource);

            private async Task<IEnumerable<Diagnostic>> FilteredAsync(Project project, Func<Diagnostic, bool> predicate)
            {
                var all = await cache.GetOrAdd(project, p => new Lazy<Task<ImmutableArray<Diagnostic>>>(async () =>
                    (await AnalyzerRunner.AnalyzeAsync(p, analyzers, allowCompilerErrors: true, "source during Fix All").ConfigureAwait(false)).AnalyzerDiagnostics)).Value.ConfigureAwait(false);
                return all.Where(d => ids.Contains(d.Id) && predicate(d)).ToList();
            }
        }
    }
}
