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
