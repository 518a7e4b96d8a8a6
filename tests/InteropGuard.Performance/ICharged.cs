using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Performance
{
    /// <summary>A wrapper that charges an analyzer's (or suppressor's) callbacks to <see cref="Charge"/>.</summary>
    internal interface ICharged
    {
        DiagnosticAnalyzer Inner { get; }

        AnalyzerCharge Charge { get; }
    }
}
