using System;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Performance
{
    /// <summary>A symbol-start context whose registrations are charged to the analyzer that started it.</summary>
    internal sealed class ChargedSymbolStartContext : SymbolStartAnalysisContext
    {
        private readonly SymbolStartAnalysisContext _inner;
        private readonly AnalyzerCharge _charge;

        private ChargedSymbolStartContext(SymbolStartAnalysisContext inner, AnalyzerCharge charge)
#pragma warning disable CS0618 // Obsolete for analyzer authors: the driver's own constructor is internal, and a wrapper has no other.
            : base(inner.Symbol, inner.Compilation, inner.Options, inner.CancellationToken)
#pragma warning restore CS0618
        {
            _inner = inner;
            _charge = charge;
        }

        public static ChargedSymbolStartContext Create(SymbolStartAnalysisContext inner, AnalyzerCharge charge)
        {
            var context = new ChargedSymbolStartContext(inner, charge);

            // The public constructor leaves these at their defaults and the properties are not virtual; the driver's
            // values are copied so the analyzer reads what it would read unwrapped.
            IsGeneratedCodeField(context) = inner.IsGeneratedCode;
            FilterTreeField(context) = inner.FilterTree;
            FilterSpanField(context) = inner.FilterSpan;
            return context;
        }

        public override void RegisterSymbolEndAction(Action<SymbolAnalysisContext> action) => _inner.RegisterSymbolEndAction(_charge.Wrap(action));

        public override void RegisterCodeBlockStartAction<TLanguageKindEnum>(Action<CodeBlockStartAnalysisContext<TLanguageKindEnum>> action) =>
            _inner.RegisterCodeBlockStartAction<TLanguageKindEnum>(_charge.CodeBlockStart(action));

        public override void RegisterCodeBlockAction(Action<CodeBlockAnalysisContext> action) => _inner.RegisterCodeBlockAction(_charge.Wrap(action));

        public override void RegisterSyntaxNodeAction<TLanguageKindEnum>(Action<SyntaxNodeAnalysisContext> action, ImmutableArray<TLanguageKindEnum> syntaxKinds) =>
            _inner.RegisterSyntaxNodeAction(_charge.Wrap(action), syntaxKinds);

        public override void RegisterOperationBlockStartAction(Action<OperationBlockStartAnalysisContext> action) =>
            _inner.RegisterOperationBlockStartAction(_charge.OperationBlockStart(action));

        public override void RegisterOperationBlockAction(Action<OperationBlockAnalysisContext> action) => _inner.RegisterOperationBlockAction(_charge.Wrap(action));

        public override void RegisterOperationAction(Action<OperationAnalysisContext> action, ImmutableArray<OperationKind> operationKinds) =>
            _inner.RegisterOperationAction(_charge.Wrap(action), operationKinds);

        [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "<IsGeneratedCode>k__BackingField")]
        private static extern ref bool IsGeneratedCodeField(SymbolStartAnalysisContext context);

        [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "<FilterTree>k__BackingField")]
        private static extern ref SyntaxTree? FilterTreeField(SymbolStartAnalysisContext context);

        [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "<FilterSpan>k__BackingField")]
        private static extern ref TextSpan? FilterSpanField(SymbolStartAnalysisContext context);
    }
}
