using System.Collections.Generic;
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
            context.RegisterCompilationAction(compilation =>
            {
                var provider = compilation.Options.AnalyzerConfigOptionsProvider;

                // One action for the compilation rather than one per tree: on code without interop the driver's callback per
                // tree cost more than reading the options. The compiler hands every tree under the same .editorconfig
                // sections one options object (AnalyzerConfigOptions does not override Equals, so this set is by
                // reference): each is read once.
                var read = new HashSet<AnalyzerConfigOptions>();
                var problems = new HashSet<OptionProblem>();
                foreach (var tree in compilation.Compilation.SyntaxTrees)
                {
                    var options = provider.GetOptions(tree);
                    if (read.Add(options))
                    {
                        problems.UnionWith(InteropOptions.Read(options).Problems);
                    }
                }

                foreach (var problem in problems.OrderBy(p => p.Key).ThenBy(p => p.Entry))
                {
                    compilation.ReportDiagnostic(Diagnostic.Create(Descriptors.MalformedOption, Location.None, problem.Key, problem.Entry, problem.Expected));
                }
            });
        }
    }
}
