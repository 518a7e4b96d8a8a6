using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Robustness
{
    /// <summary>
    /// The variants of this run: every harvested source mutated in ways drawn from the seed, or only the
    /// variant named by <see cref="Variant.ReplayVariable"/> when it is set.
    /// </summary>
    public static class VariantSet
    {
        /// <summary>The issue asks for at least 10,000 variants; a margin keeps the floor when sources are removed.</summary>
        public const int Target = 10_500;

        private static readonly Lazy<IReadOnlyList<Variant>> AllVariants = new Lazy<IReadOnlyList<Variant>>(Create);

        public static IReadOnlyList<Variant> All => AllVariants.Value;

        public static string? Replay => Environment.GetEnvironmentVariable(Variant.ReplayVariable) is { Length: > 0 } key ? key : null;

        /// <summary>Every source gets at least this many variants, however small.</summary>
        public const int MinimumPerSource = 8;

        /// <summary>One instance of each analyzer for every variant: they are stateless, and creating them is not free.</summary>
        public static ImmutableArray<DiagnosticAnalyzer> Analyzers { get; } = ProductAssemblies.Analyzers.ToImmutableArray();

        /// <summary>
        /// Variants run side by side on at most this many threads: enough to use the machine, few enough that the test
        /// classes xunit runs at the same time still get a share.
        /// </summary>
        public static int Parallelism => Math.Max(1, Environment.ProcessorCount);

        /// <summary>How to rerun a failing variant alone, for failure messages.</summary>
        public static string HowToReplay(Variant variant) =>
            $"seed {MutationPlan.Seed}; replay with {Variant.ReplayVariable}='{variant.ReplayKey.Replace("'", "'\\''", StringComparison.Ordinal)}'";

        private static IReadOnlyList<Variant> Create()
        {
            if (Replay is string key)
            {
                return new[] { Variant.Parse(key) };
            }

            // Shares in proportion to size: a corpus file or sample has more places to break than a ten-line test source.
            int seed = MutationPlan.Seed;
            var sources = SourceHarvest.All;
            double tokens = sources.Sum(s => Variant.TokenSpans(s).Count);
            return sources
                .SelectMany(s => MutationPlan.For(s, seed, Math.Max(MinimumPerSource, (int)Math.Ceiling(Target * Variant.TokenSpans(s).Count / tokens))))
                .ToList();
        }
    }
}
