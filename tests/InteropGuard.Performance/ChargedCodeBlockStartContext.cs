using System;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Performance
{
    /// <summary>A code-block-start context whose registrations are charged to the analyzer that started it.</summary>
    internal sealed class ChargedCodeBlockStartContext<TLanguageKindEnum> : CodeBlockStartAnalysisContext<TLanguageKindEnum>
        where TLanguageKindEnum : struct
    {
        private readonly CodeBlockStartAnalysisContext<TLanguageKindEnum> _inner;
        private readonly AnalyzerCharge _charge;

        private ChargedCodeBlockStartContext(CodeBlockStartAnalysisContext<TLanguageKindEnum> inner, AnalyzerCharge charge)
#pragma warning disable CS0618 // Obsolete for analyzer authors: the driver's own constructor is internal, and a wrapper has no other.
            : base(inner.CodeBlock, inner.OwningSymbol, inner.SemanticModel, inner.Options, inner.CancellationToken)
#pragma warning restore CS0618
        {
            _inner = inner;
            _charge = charge;
        }

        public static ChargedCodeBlockStartContext<TLanguageKindEnum> Create(CodeBlockStartAnalysisContext<TLanguageKindEnum> inner, AnalyzerCharge charge)
        {
            var context = new ChargedCodeBlockStartContext<TLanguageKindEnum>(inner, charge);

            // The accessible constructor leaves these at their defaults and the properties are not virtual.
            IsGeneratedCodeField(context) = inner.IsGeneratedCode;
            FilterTreeField(context) = inner.FilterTree;
            FilterSpanField(context) = inner.FilterSpan;
            return context;
        }

        public override void RegisterCodeBlockEndAction(Action<CodeBlockAnalysisContext> action) => _inner.RegisterCodeBlockEndAction(_charge.Wrap(action));

        public override void RegisterSyntaxNodeAction(Action<SyntaxNodeAnalysisContext> action, ImmutableArray<TLanguageKindEnum> syntaxKinds) =>
            _inner.RegisterSyntaxNodeAction(_charge.Wrap(action), syntaxKinds);

        [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "<IsGeneratedCode>k__BackingField")]
        private static extern ref bool IsGeneratedCodeField(CodeBlockStartAnalysisContext<TLanguageKindEnum> context);

        [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "<FilterTree>k__BackingField")]
        private static extern ref SyntaxTree? FilterTreeField(CodeBlockStartAnalysisContext<TLanguageKindEnum> context);

        [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "<FilterSpan>k__BackingField")]
        private static extern ref TextSpan? FilterSpanField(CodeBlockStartAnalysisContext<TLanguageKindEnum> context);
    }
}
