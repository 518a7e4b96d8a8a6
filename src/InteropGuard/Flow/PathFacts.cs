using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Flow
{
    /// <summary>
    /// What is known to hold on one path: conditions over locals and parameters that were tested (or bool locals
    /// that were set) on the way. It lets the analysis see that <c>if (allocated) Free(p)</c> or a repeated
    /// <c>if (n &gt; 256)</c> follows the same path as the allocation, instead of reporting the impossible path.
    /// </summary>
    internal sealed class PathFacts : IEquatable<PathFacts>
    {
        public static readonly PathFacts None = new PathFacts(ImmutableSortedDictionary<string, Fact>.Empty);

        private readonly ImmutableSortedDictionary<string, Fact> _facts;
        private readonly int _hash;

        private PathFacts(ImmutableSortedDictionary<string, Fact> facts)
        {
            _facts = facts;
            _hash = facts.Aggregate(17, (h, f) => unchecked(h * 31 + f.Key.GetHashCode() * (f.Value.Value ? 3 : 5)));
        }

        public bool IsEmpty => _facts.IsEmpty;

        /// <summary>The recorded truth of <paramref name="key"/>, or null when this path has not tested it.</summary>
        public bool? ValueOf(string key) => _facts.TryGetValue(key, out var fact) ? fact.Value : null;

        public PathFacts With(ConditionKey key, bool value) => new PathFacts(_facts.SetItem(key.Text, new Fact(value, key.Symbols)));

        /// <summary>
        /// Whether every fact of this path holds on <paramref name="other"/> too: this path is the more general one, and a
        /// set that has both means no more than this one alone.
        /// </summary>
        public bool IsWithin(PathFacts other)
            => _facts.Count <= other._facts.Count && _facts.All(f => other._facts.TryGetValue(f.Key, out var o) && o.Value == f.Value.Value);

        /// <summary>
        /// The one condition this path and <paramref name="other"/> know with opposite values when they agree on everything
        /// else, or null: the two together mean the same as either without that condition.
        /// </summary>
        public string? OnlyDifference(PathFacts other)
        {
            if (_facts.Count != other._facts.Count)
            {
                return null;
            }

            string? difference = null;
            foreach (var fact in _facts)
            {
                if (!other._facts.TryGetValue(fact.Key, out var o))
                {
                    return null;
                }

                if (o.Value != fact.Value.Value)
                {
                    if (difference != null)
                    {
                        return null;
                    }

                    difference = fact.Key;
                }
            }

            return difference;
        }

        /// <summary>The same path, no longer knowing <paramref name="key"/>.</summary>
        public PathFacts Forgetting(string key) => new PathFacts(_facts.Remove(key));

        /// <summary>Forgets every fact that reads <paramref name="symbol"/>, which was just assigned.</summary>
        public PathFacts Without(ISymbol symbol)
        {
            var stale = _facts.Where(f => f.Value.Symbols.Contains(symbol)).Select(f => f.Key).ToList();
            return stale.Count == 0 ? this : new PathFacts(_facts.RemoveRange(stale));
        }

        public bool Equals(PathFacts? other)
            => other != null && _hash == other._hash && _facts.Count == other._facts.Count
               && _facts.All(f => other._facts.TryGetValue(f.Key, out var o) && o.Value == f.Value.Value);

        public override bool Equals(object? obj) => Equals(obj as PathFacts);

        public override int GetHashCode() => _hash;

        private sealed class Fact
        {
            public Fact(bool value, ImmutableHashSet<ISymbol> symbols)
            {
                Value = value;
                Symbols = symbols;
            }

            public bool Value { get; }
            public ImmutableHashSet<ISymbol> Symbols { get; }
        }
    }
}
