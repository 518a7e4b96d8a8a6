using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Flow
{
    /// <summary>
    /// The abstract state of one tracked value at a program point: the paths that still owe a release and the
    /// paths that do not, each with what is known to hold on it, and the names (locals and flow captures) that may
    /// hold the value. Paths merge by union; when there are too many, their facts are forgotten.
    /// </summary>
    internal readonly struct OwnershipState : IEquatable<OwnershipState>
    {
        private const int MaxPaths = 32;

        public static readonly OwnershipState Free = new OwnershipState(
            ImmutableHashSet<PathFacts>.Empty, ImmutableHashSet.Create(PathFacts.None), ImmutableHashSet<object>.Empty);

        private OwnershipState(ImmutableHashSet<PathFacts> owning, ImmutableHashSet<PathFacts> notOwning, ImmutableHashSet<object> names)
        {
            Owning = owning;
            NotOwning = notOwning;
            Names = names;
        }

        /// <summary>Some path still owes a release.</summary>
        public bool Owned => !Owning.IsEmpty;

        public ImmutableHashSet<PathFacts> Owning { get; }

        public ImmutableHashSet<PathFacts> NotOwning { get; }

        public ImmutableHashSet<object> Names { get; }

        /// <summary>The value was just allocated on every path that reaches here, and stored in <paramref name="name"/>.</summary>
        public OwnershipState Allocated(object name)
            => new OwnershipState(Owning.Union(NotOwning), ImmutableHashSet<PathFacts>.Empty, ImmutableHashSet.Create(name));

        /// <summary>The allocation went nowhere we track (escaped or leaked on the spot).</summary>
        public OwnershipState AllocatedAndGone()
            => new OwnershipState(ImmutableHashSet<PathFacts>.Empty, Owning.Union(NotOwning), ImmutableHashSet<object>.Empty);

        public OwnershipState Released() => new OwnershipState(ImmutableHashSet<PathFacts>.Empty, Owning.Union(NotOwning), Names);

        public OwnershipState WithName(object name) => new OwnershipState(Owning, NotOwning, Names.Add(name));

        public OwnershipState WithoutName(object name) => new OwnershipState(Owning, NotOwning, Names.Remove(name));

        /// <summary>The paths on which <paramref name="key"/> evaluates to <paramref name="value"/>, now knowing it.</summary>
        public OwnershipState Assuming(ConditionKey key, bool value)
            => new OwnershipState(Filter(Owning, key, value), Filter(NotOwning, key, value), Names);

        /// <summary><paramref name="symbol"/> was assigned: forget facts that read it, and learn a constant bool value.</summary>
        public OwnershipState Assigned(ISymbol symbol, bool? constant)
        {
            ImmutableHashSet<PathFacts> Update(ImmutableHashSet<PathFacts> paths)
                => paths.Select(p =>
                {
                    var facts = p.Without(symbol);
                    return constant is bool value && symbol is ILocalSymbol local ? facts.With(ConditionKey.ForLocal(local), value) : facts;
                }).ToImmutableHashSet();

            return new OwnershipState(Update(Owning), Update(NotOwning), Names);
        }

        public OwnershipState Merge(OwnershipState other)
        {
            var owning = Owning.Union(other.Owning);
            var notOwning = NotOwning.Union(other.NotOwning);
            if (owning.Count + notOwning.Count > MaxPaths)
            {
                // Forget facts rather than grow without bound: imprecise but still terminating.
                owning = owning.IsEmpty ? owning : ImmutableHashSet.Create(PathFacts.None);
                notOwning = notOwning.IsEmpty ? notOwning : ImmutableHashSet.Create(PathFacts.None);
            }

            return new OwnershipState(owning, notOwning, Names.Union(other.Names));
        }

        /// <summary>No path reaches this point (every path was ruled out by a known condition).</summary>
        public bool IsUnreachable => Owning.IsEmpty && NotOwning.IsEmpty;

        public bool Equals(OwnershipState other)
            => Owning.SetEquals(other.Owning) && NotOwning.SetEquals(other.NotOwning) && Names.SetEquals(other.Names);

        public override bool Equals(object? obj) => obj is OwnershipState other && Equals(other);

        public override int GetHashCode()
        {
            var hash = Names.Aggregate(0, (h, name) => h ^ name.GetHashCode());
            hash = Owning.Aggregate(hash, (h, p) => h ^ (p.GetHashCode() * 7));
            return NotOwning.Aggregate(hash, (h, p) => h ^ (p.GetHashCode() * 13));
        }

        private static ImmutableHashSet<PathFacts> Filter(ImmutableHashSet<PathFacts> paths, ConditionKey key, bool value)
        {
            var builder = ImmutableHashSet.CreateBuilder<PathFacts>();
            foreach (var path in paths)
            {
                var known = path.ValueOf(key.Text);
                if (known == null)
                {
                    builder.Add(path.With(key, value));
                }
                else if (known == value)
                {
                    builder.Add(path);
                }
            }

            return builder.ToImmutable();
        }
    }
}
