using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Performance
{
    /// <summary>
    /// Forwards to one analyzer and charges the processor time of each of its callbacks to <see cref="Charge"/>. The
    /// driver sees the same supported diagnostics, the same registrations and the same settings (concurrency,
    /// generated code), so the findings are the same as the unwrapped analyzer's; the harness checks that in
    /// <c>--check</c>. <see cref="DiagnosticAnalyzer.Initialize"/> itself is not charged, as the telemetry does not
    /// count it either.
    /// </summary>
    internal sealed class ChargedAnalyzer : DiagnosticAnalyzer, ICharged
    {
        public ChargedAnalyzer(DiagnosticAnalyzer inner)
        {
            Inner = inner;
        }

        public DiagnosticAnalyzer Inner { get; }

        public AnalyzerCharge Charge { get; } = new AnalyzerCharge();

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => Inner.SupportedDiagnostics;

        public override void Initialize(AnalysisContext context) => Inner.Initialize(new ChargedAnalysisContext(context, Charge));

        /// <summary>The charged wrapper of an analyzer or suppressor.</summary>
        public static DiagnosticAnalyzer Wrap(DiagnosticAnalyzer analyzer) =>
            analyzer is DiagnosticSuppressor suppressor ? new ChargedSuppressor(suppressor) : new ChargedAnalyzer(analyzer);

        /// <summary>The analyzer's own type name, through a wrapper if there is one.</summary>
        public static string NameOf(DiagnosticAnalyzer analyzer) =>
            (analyzer is ICharged charged ? charged.Inner : analyzer).GetType().Name;
    }
}
