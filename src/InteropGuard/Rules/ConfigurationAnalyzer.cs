using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Rules
{
    /// <summary>IG0001: reports each malformed <c>interopguard.*</c> option once per compilation.</summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class ConfigurationAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.MalformedOption);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var problems = ConcurrentTables.Create<OptionProblem, bool>();
                var provider = start.Options.AnalyzerConfigOptionsProvider;

                // The compiler hands every tree under the same .editorconfig sections one options object (AnalyzerConfigOptions
                // does not override Equals, so this set is by reference): each is read once, not once per tree.
                var read = ConcurrentTables.Create<AnalyzerConfigOptions, bool>();
                start.RegisterSyntaxTreeAction(tree =>
                {
                    var options = provider.GetOptions(tree.Tree);
                    if (!read.TryAdd(options, true))
                    {
                        return;
                    }

                    foreach (var problem in InteropOptions.Read(options).Problems)
                    {
                        problems.TryAdd(problem, true);
                    }
                });
                start.RegisterCompilationEndAction(end =>
                {
                    foreach (var problem in problems.Keys.OrderBy(p => p.Key).ThenBy(p => p.Entry))
                    {
                        end.ReportDiagnostic(Diagnostic.Create(Descriptors.MalformedOption, Location.None, problem.Key, problem.Entry, problem.Expected));
                    }
                });
            });
        }
    }
}
