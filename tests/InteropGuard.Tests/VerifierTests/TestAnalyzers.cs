using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

// Test-only analyzers: they exist to make the verifier pass and fail on purpose. They are never loaded by a
// compiler, so the attribute and release tracking the RS rules ask of shipped analyzers do not apply (and the
// attribute would trip RS1038/RS1041 in a net10.0 assembly that references Workspaces).
#pragma warning disable RS1001, RS2008

namespace InteropGuard.Tests.VerifierTests
{
    internal static class TestDescriptors
    {
        public static readonly DiagnosticDescriptor BadCall = new DiagnosticDescriptor(
            "TST001", "Bad call", "Call to '{0}'", "Test", DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor WorseCall = new DiagnosticDescriptor(
            "TST002", "Worse call", "Call to '{0}' is worse", "Test", DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor BrokenOption = new DiagnosticDescriptor(
            "TST900", "Broken option", "Option '{0}' is broken", "Configuration", DiagnosticSeverity.Warning, isEnabledByDefault: true,
            customTags: WellKnownDiagnosticTags.CompilationEnd);
    }

    /// <summary>
    /// Flags every call to a method whose name starts with "Bad" (or the prefix in <c>verifier_test.bad_prefix</c>),
    /// on the whole invocation; a method named exactly "BadAtStart" gets a zero-length diagnostic instead.
    /// </summary>
    internal class BadCallAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(TestDescriptors.BadCall);

        protected virtual GeneratedCodeAnalysisFlags GeneratedCode => GeneratedCodeAnalysisFlags.None;

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCode);
            context.RegisterOperationAction(Analyze, OperationKind.Invocation);
        }

        private static void Analyze(OperationAnalysisContext context)
        {
            var invocation = (IInvocationOperation)context.Operation;
            var options = context.Options.AnalyzerConfigOptionsProvider.GetOptions(invocation.Syntax.SyntaxTree);
            string prefix = options.TryGetValue("verifier_test.bad_prefix", out var configured) ? configured : "Bad";
            string name = invocation.TargetMethod.Name;
            if (!name.StartsWith(prefix, StringComparison.Ordinal))
            {
                return;
            }

            var location = name == "BadAtStart"
                ? Location.Create(invocation.Syntax.SyntaxTree, new TextSpan(invocation.Syntax.SpanStart, 0))
                : invocation.Syntax.GetLocation();
            context.ReportDiagnostic(Diagnostic.Create(TestDescriptors.BadCall, location, name));
        }
    }

    /// <summary>The same rule, but it also reports in generated code, which the verifier must catch.</summary>
    internal sealed class BadCallInGeneratedCodeAnalyzer : BadCallAnalyzer
    {
        protected override GeneratedCodeAnalysisFlags GeneratedCode => GeneratedCodeAnalysisFlags.Analyze | GeneratedCodeAnalysisFlags.ReportDiagnostics;
    }

    /// <summary>Two ids, so <c>[|…|]</c> is ambiguous: TST001 for "Bad…" calls, TST002 for "Worse…" calls.</summary>
    internal sealed class TwoIdAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(TestDescriptors.BadCall, TestDescriptors.WorseCall);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterOperationAction(
                c =>
                {
                    var invocation = (IInvocationOperation)c.Operation;
                    string name = invocation.TargetMethod.Name;
                    var descriptor = name.StartsWith("Bad", StringComparison.Ordinal) ? TestDescriptors.BadCall
                        : name.StartsWith("Worse", StringComparison.Ordinal) ? TestDescriptors.WorseCall
                        : null;
                    if (descriptor != null)
                    {
                        c.ReportDiagnostic(Diagnostic.Create(descriptor, invocation.Syntax.GetLocation(), name));
                    }
                },
                OperationKind.Invocation);
        }
    }

    /// <summary>Throws on every invocation: analyzer exceptions must fail a test.</summary>
    internal sealed class ThrowingAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(TestDescriptors.BadCall);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterOperationAction(_ => throw new InvalidOperationException("boom from ThrowingAnalyzer"), OperationKind.Invocation);
        }
    }

    /// <summary>
    /// Reports TST900 without a location at compilation end when <c>verifier_test.mode = broken</c>, like IG0001 does
    /// for malformed options; and TST001 for "Bad…" calls, so it is also a normal analyzer.
    /// </summary>
    internal sealed class CompilationEndAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(TestDescriptors.BadCall, TestDescriptors.BrokenOption);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var tree = start.Compilation.SyntaxTrees.FirstOrDefault();
                bool broken = tree != null
                    && start.Options.AnalyzerConfigOptionsProvider.GetOptions(tree).TryGetValue("verifier_test.mode", out var mode)
                    && mode == "broken";
                start.RegisterOperationAction(
                    c =>
                    {
                        var invocation = (IInvocationOperation)c.Operation;
                        if (invocation.TargetMethod.Name.StartsWith("Bad", StringComparison.Ordinal))
                        {
                            c.ReportDiagnostic(Diagnostic.Create(TestDescriptors.BadCall, invocation.Syntax.GetLocation(), invocation.TargetMethod.Name));
                        }
                    },
                    OperationKind.Invocation);
                if (broken)
                {
                    start.RegisterCompilationEndAction(end => end.ReportDiagnostic(Diagnostic.Create(TestDescriptors.BrokenOption, Location.None, "verifier_test.mode")));
                }
            });
        }
    }

    /// <summary>Reports an id it does not declare: Roslyn turns that into an analyzer exception.</summary>
    internal sealed class UndeclaredIdAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(TestDescriptors.BadCall);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
#pragma warning disable RS1005 // the point of this analyzer: the verifier must catch what RS1005 catches at build time
            context.RegisterOperationAction(
                c => c.ReportDiagnostic(Diagnostic.Create(TestDescriptors.WorseCall, c.Operation.Syntax.GetLocation(), "x")),
                OperationKind.Invocation);
#pragma warning restore RS1005
        }
    }
}
