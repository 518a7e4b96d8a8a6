using System;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Performance
{
    /// <summary>
    /// Start actions as a charged wrapper registers them: the analyzer's action gets a charged start context, so what it
    /// registers there is charged to the same analyzer. The wrapping context is made before the clock starts.
    /// </summary>
    internal static class ChargedStartActions
    {
        public static Action<CompilationStartAnalysisContext> CompilationStart(this AnalyzerCharge charge, Action<CompilationStartAnalysisContext> action) =>
            context => charge.Run(action, new ChargedCompilationStartContext(context, charge));

        public static Action<SymbolStartAnalysisContext> SymbolStart(this AnalyzerCharge charge, Action<SymbolStartAnalysisContext> action) =>
            context => charge.Run(action, ChargedSymbolStartContext.Create(context, charge));

        public static Action<OperationBlockStartAnalysisContext> OperationBlockStart(this AnalyzerCharge charge, Action<OperationBlockStartAnalysisContext> action) =>
            context => charge.Run(action, ChargedOperationBlockStartContext.Create(context, charge));

        public static Action<CodeBlockStartAnalysisContext<TLanguageKindEnum>> CodeBlockStart<TLanguageKindEnum>(
            this AnalyzerCharge charge, Action<CodeBlockStartAnalysisContext<TLanguageKindEnum>> action)
            where TLanguageKindEnum : struct =>
            context => charge.Run(action, ChargedCodeBlockStartContext<TLanguageKindEnum>.Create(context, charge));
    }
}
