using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Performance
{
    /// <summary>
    /// The <see cref="ChargedAnalyzer"/> of a diagnostic suppressor: the driver recognizes suppressors by their type, so
    /// a plain forwarding analyzer would silently stop suppressing. Forwards the supported suppressions and charges
    /// <see cref="DiagnosticSuppressor.ReportSuppressions"/>.
    /// </summary>
    internal sealed class ChargedSuppressor : DiagnosticSuppressor, ICharged
    {
        private readonly DiagnosticSuppressor _inner;

        public ChargedSuppressor(DiagnosticSuppressor inner)
        {
            _inner = inner;
        }

        public DiagnosticAnalyzer Inner => _inner;

        public AnalyzerCharge Charge { get; } = new AnalyzerCharge();

        public override ImmutableArray<SuppressionDescriptor> SupportedSuppressions => _inner.SupportedSuppressions;

        public override void ReportSuppressions(SuppressionAnalysisContext context) => Charge.Run(_inner.ReportSuppressions, context);
    }
}
