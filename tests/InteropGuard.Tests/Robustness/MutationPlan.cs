using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace InteropGuard.Tests.Robustness
{
    /// <summary>
    /// Chooses the variants of the suite from a seed. Each source draws from its own generator, seeded with the run's
    /// seed and a stable hash of its name, so adding a source changes no other source's variants.
    /// </summary>
    public static class MutationPlan
    {
        /// <summary>Set to an integer to draw other variants than the fixed default (a failure prints the seed it used).</summary>
        public const string SeedVariable = "INTEROPGUARD_ROBUSTNESS_SEED";

        public const int DefaultSeed = 20261203;

        public static int Seed =>
            int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed) ? seed : DefaultSeed;

        /// <summary>
        /// <paramref name="count"/> distinct variants of <paramref name="source"/>: half truncations (after a token, where
        /// typing pauses, an opening parenthesis above all; anywhere, as in a half-typed word or string), half token edits.
        /// </summary>
        public static IReadOnlyList<Variant> For(RobustnessSource source, int seed, int count)
        {
            var tokens = Variant.TokenSpans(source);
            var mutations = new List<Mutation>();
            var seen = new HashSet<Mutation>();
            if (tokens.Count == 0)
            {
                return mutations.Select(m => new Variant(source, m)).ToList();
            }

            var random = new Random(seed ^ StableHash(source.Name));
            int truncations = (count + 1) / 2;
            for (int attempt = 0; mutations.Count < count && attempt < count * 20; attempt++)
            {
                var mutation = mutations.Count < truncations ? Truncation(source, tokens, random) : Edit(tokens, random);
                if (seen.Add(mutation))
                {
                    mutations.Add(mutation);
                }
            }

            return mutations.Select(m => new Variant(source, m)).ToList();
        }

        private static Mutation Truncation(RobustnessSource source, IReadOnlyList<Microsoft.CodeAnalysis.Text.TextSpan> tokens, Random random)
        {
            switch (random.Next(3))
            {
                case 0:
                    return new Mutation(MutationKind.Truncate, 1 + random.Next(Math.Max(1, source.Text.Length - 1)));
                case 1:
                    // Just inside an argument list: where typing a call pauses most.
                    var open = tokens.Where(t => source.Text[t.Start] == '(').ToList();
                    if (open.Count > 0)
                    {
                        return new Mutation(MutationKind.Truncate, open[random.Next(open.Count)].End);
                    }

                    goto default;
                default:
                    return new Mutation(MutationKind.Truncate, tokens[random.Next(tokens.Count)].End);
            }
        }

        private static Mutation Edit(IReadOnlyList<Microsoft.CodeAnalysis.Text.TextSpan> tokens, Random random)
        {
            var token = tokens[random.Next(tokens.Count)];
            switch (random.Next(5))
            {
                case 0:
                    return new Mutation(MutationKind.Delete, token.Start);
                case 1:
                    return new Mutation(MutationKind.Duplicate, token.Start);
                case 2:
                    return new Mutation(MutationKind.Swap, token.Start);
                default:
                    // Inserting is the most varied edit, so it gets two shares.
                    return new Mutation(MutationKind.Insert, token.Start, Mutation.Insertions[random.Next(Mutation.Insertions.Count)]);
            }
        }

        /// <summary>FNV-1a: string.GetHashCode differs between processes, which would make seeds unrepeatable.</summary>
        private static int StableHash(string text)
        {
            unchecked
            {
                uint hash = 2166136261;
                foreach (char c in text)
                {
                    hash = (hash ^ c) * 16777619;
                }

                return (int)hash;
            }
        }
    }
}
