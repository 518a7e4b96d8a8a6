using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Tests.Robustness
{
    /// <summary>A source with one mutation applied; <see cref="ReplayKey"/> names it completely.</summary>
    public sealed record Variant(RobustnessSource Source, Mutation Mutation)
    {
        /// <summary>Set to a <see cref="ReplayKey"/> to run just that variant.</summary>
        public const string ReplayVariable = "INTEROPGUARD_ROBUSTNESS_VARIANT";

        private static readonly ConcurrentDictionary<RobustnessSource, IReadOnlyList<TextSpan>> Tokens =
            new ConcurrentDictionary<RobustnessSource, IReadOnlyList<TextSpan>>();

        public string Text => Mutation.Apply(Source.Text, TokenSpans(Source));

        /// <summary><c>source name|mutation</c>, e.g. <c>corpus/WrapperLayers|Insert@812:fixed (</c>.</summary>
        public string ReplayKey => Source.Name + "|" + Mutation;

        public static Variant Parse(string replayKey)
        {
            int bar = replayKey.IndexOf('|', StringComparison.Ordinal);
            if (bar < 0)
            {
                throw new FormatException($"'{replayKey}' is not a variant key (source name|mutation).");
            }

            return new Variant(SourceHarvest.Get(replayKey.Substring(0, bar)), Mutation.Parse(replayKey.Substring(bar + 1)));
        }

        /// <summary>The spans of the source's real tokens: parsed once per source, the variants then edit text.</summary>
        public static IReadOnlyList<TextSpan> TokenSpans(RobustnessSource source) =>
            Tokens.GetOrAdd(source, s => CSharpSyntaxTree.ParseText(s.Text).GetRoot()
                .DescendantTokens(descendIntoTrivia: false)
                .Where(t => t.Span.Length > 0 && !t.IsKind(SyntaxKind.EndOfFileToken))
                .Select(t => t.Span)
                .ToList());

        public override string ToString() => ReplayKey;
    }
}
