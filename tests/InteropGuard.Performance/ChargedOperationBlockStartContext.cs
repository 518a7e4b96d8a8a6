using System;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Performance
{
    /// <summary>An operation-block-start context whose registrations are charged to the analyzer that started it.</summary>
    internal sealed class ChargedOperationBlockStartContext : OperationBlockStartAnalysisContext
    {
        private readonly OperationBlockStartAnalysisContext _inner;
        private readonly AnalyzerCharge _charge;

        private ChargedOperationBlockStartContext(OperationBlockStartAnalysisContext inner, AnalyzerCharge charge)
#pragma warning disable CS0618 // Obsolete for analyzer authors: the driver's own constructor is internal, and a wrapper has no other.
            : base(inner.OperationBlocks, inner.OwningSymbol, inner.Compilation, inner.Options, inner.CancellationToken)
#pragma warning restore CS0618
        {
            _inner = inner;
            _charge = charge;
        }

        public static ChargedOperationBlockStartContext Create(OperationBlockStartAnalysisContext inner, AnalyzerCharge charge)
        {
            var context = new ChargedOperationBlockStartContext(inner, charge);

            // The public constructor leaves no graph provider, so GetControlFlowGraph (not virtual) would build a new
            // graph on every call instead of the driver's cached one: the analyzers would pay for graphs they share
            // unwrapped. The driver's provider and its generated-code and filter values are copied.
            GraphProviderField(context) = inner.GetControlFlowGraph;
            IsGeneratedCodeField(context) = inner.IsGeneratedCode;
            FilterTreeField(context) = inner.FilterTree;
            FilterSpanField(context) = inner.FilterSpan;
            return context;
        }

        public override void RegisterOperationBlockEndAction(Action<OperationBlockAnalysisContext> action) => _inner.RegisterOperationBlockEndAction(_charge.Wrap(action));

        public override void RegisterOperationAction(Action<OperationAnalysisContext> action, ImmutableArray<OperationKind> operationKinds) =>
            _inner.RegisterOperationAction(_charge.Wrap(action), operationKinds);

        [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_getControlFlowGraph")]
        private static extern ref Func<IOperation, ControlFlowGraph>? GraphProviderField(OperationBlockStartAnalysisContext context);

        [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "<IsGeneratedCode>k__BackingField")]
        private static extern ref bool IsGeneratedCodeField(OperationBlockStartAnalysisContext context);

        [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "<FilterTree>k__BackingField")]
        private static extern ref SyntaxTree? FilterTreeField(OperationBlockStartAnalysisContext context);

        [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "<FilterSpan>k__BackingField")]
        private static extern ref TextSpan? FilterSpanField(OperationBlockStartAnalysisContext context);
    }
}
