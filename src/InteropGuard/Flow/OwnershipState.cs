using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Flow
{
    /// <summary>
    /// The abstract state of one tracked value at a program point: the paths that still owe a release, the paths
    /// on which it was released (while a name still refers to it), and the paths that owe nothing, each with what is
    /// known to hold on it, and the names (locals and flow captures) that may hold the value. Paths merge by union;
    /// when there are too many, their facts are forgotten.
    /// </summary>
    internal readonly struct OwnershipState : IEquatable<OwnershipState>
    {
        private const int MaxPaths = 32;

        public static readonly OwnershipState Free = new OwnershipState(
            ImmutableHashSet<PathFacts>.Empty, ImmutableHashSet.Create(PathFacts.None), ImmutableHashSet<PathFacts>.Empty, ImmutableHashSet<object>.Empty);

        private OwnershipState(ImmutableHashSet<PathFacts> owning, ImmutableHashSet<PathFacts> notOwning, ImmutableHashSet<PathFacts> released, ImmutableHashSet<object> names)
        {
            Owning = owning;
            NotOwning = notOwning;
            ReleasedPaths = released;
            Names = names;
        }

        /// <summary>Some path released the value and a name still refers to it: using it now is a use after release.</summary>
        public bool WasReleased => !ReleasedPaths.IsEmpty;

        public ImmutableHashSet<PathFacts> ReleasedPaths { get; }

        /// <summary>Some path still owes a release.</summary>
        public bool Owned => !Owning.IsEmpty;

        public ImmutableHashSet<PathFacts> Owning { get; }

        public ImmutableHashSet<PathFacts> NotOwning { get; }

        public ImmutableHashSet<object> Names { get; }

        /// <summary>The value was just allocated on every path that reaches here, and stored in <paramref name="name"/>.</summary>
        public OwnershipState Allocated(object name)
            => new OwnershipState(All, ImmutableHashSet<PathFacts>.Empty, ImmutableHashSet<PathFacts>.Empty, ImmutableHashSet.Create(name));

        /// <summary>
        /// A reference was taken on every path that reaches here, on the paths where <paramref name="success"/> is true
        /// (every path when there is no success flag); where it is false nothing is owed. No name holds a reference.
        /// </summary>
        public OwnershipState AcquiredWhen(ConditionKey? success)
        {
            var all = All;
            if (success == null)
            {
                return new OwnershipState(all, ImmutableHashSet<PathFacts>.Empty, ImmutableHashSet<PathFacts>.Empty, Names);
            }

            return new OwnershipState(
                all.Select(p => p.With(success, true)).ToImmutableHashSet(),
                all.Select(p => p.With(success, false)).ToImmutableHashSet(),
                ImmutableHashSet<PathFacts>.Empty,
                Names);
        }

        /// <summary>The allocation went nowhere we track (escaped or leaked on the spot).</summary>
        public OwnershipState AllocatedAndGone()
            => new OwnershipState(ImmutableHashSet<PathFacts>.Empty, All, ImmutableHashSet<PathFacts>.Empty, ImmutableHashSet<object>.Empty);

        /// <summary>Released: the owing paths now hold a released value.</summary>
        public OwnershipState AfterRelease()
            => new OwnershipState(ImmutableHashSet<PathFacts>.Empty, NotOwning, ReleasedPaths.Union(Owning), Names);

        /// <summary>Handed to another owner, or known to be null: nothing is owed.</summary>
        public OwnershipState Settled()
            => new OwnershipState(ImmutableHashSet<PathFacts>.Empty, NotOwning.Union(Owning), ReleasedPaths, Names);

        /// <summary>
        /// Handed to an owner on the paths where <paramref name="success"/> holds; where it does not, still owed
        /// (a native function that keeps what it is given only when it succeeds).
        /// </summary>
        public OwnershipState SettledWhen(ConditionKey success, bool successValue = true)
            => new OwnershipState(
                Owning.Select(p => p.With(success, !successValue)).ToImmutableHashSet(),
                NotOwning.Union(Owning.Select(p => p.With(success, successValue))),
                ReleasedPaths,
                Names);

        /// <summary>The paths on which the value is known not to have been released.</summary>
        public OwnershipState WithoutReleasedPaths() => new OwnershipState(Owning, NotOwning, ImmutableHashSet<PathFacts>.Empty, Names);

        public OwnershipState WithName(object name) => new OwnershipState(Owning, NotOwning, ReleasedPaths, Names.Add(name));

        /// <summary>A name stops referring to the value; once none does, a released value can no longer be misused.</summary>
        public OwnershipState WithoutName(object name)
        {
            var names = Names.Remove(name);
            return names.IsEmpty
                ? new OwnershipState(Owning, NotOwning.Union(ReleasedPaths), ImmutableHashSet<PathFacts>.Empty, names)
                : new OwnershipState(Owning, NotOwning, ReleasedPaths, names);
        }

        private ImmutableHashSet<PathFacts> All => Owning.Union(NotOwning).Union(ReleasedPaths);

        /// <summary>The paths on which <paramref name="key"/> evaluates to <paramref name="value"/>, now knowing it.</summary>
        public OwnershipState Assuming(ConditionKey key, bool value)
            => new OwnershipState(Filter(Owning, key, value), Filter(NotOwning, key, value), Filter(ReleasedPaths, key, value), Names);

        /// <summary><paramref name="symbol"/> was assigned: forget facts that read it, and learn a constant bool value.</summary>
        public OwnershipState Assigned(ISymbol symbol, bool? constant)
        {
            ImmutableHashSet<PathFacts> Update(ImmutableHashSet<PathFacts> paths)
                => paths.Select(p =>
                {
                    var facts = p.Without(symbol);
                    return constant is bool value && symbol is ILocalSymbol local ? facts.With(ConditionKey.ForLocal(local), value) : facts;
                }).ToImmutableHashSet();

            return new OwnershipState(Update(Owning), Update(NotOwning), Update(ReleasedPaths), Names);
        }

        public OwnershipState Merge(OwnershipState other)
        {
            var owning = Owning.Union(other.Owning);
            var notOwning = NotOwning.Union(other.NotOwning);
            var released = ReleasedPaths.Union(other.ReleasedPaths);
            if (owning.Count + notOwning.Count + released.Count > MaxPaths)
            {
                // First the exact reduction: each marshalled string's size test doubles the paths, yet most pairs differ
                // in one condition only, or one path says no more than another.
                owning = Simplified(owning);
                notOwning = Simplified(notOwning);
                released = Simplified(released);
            }

            if (owning.Count + notOwning.Count + released.Count > MaxPaths)
            {
                // Forget facts rather than grow without bound: imprecise but still terminating.
                owning = owning.IsEmpty ? owning : ImmutableHashSet.Create(PathFacts.None);
                notOwning = notOwning.IsEmpty ? notOwning : ImmutableHashSet.Create(PathFacts.None);
                released = released.IsEmpty ? released : ImmutableHashSet.Create(PathFacts.None);
            }

            return new OwnershipState(owning, notOwning, released, Names.Union(other.Names));
        }

        /// <summary>No path reaches this point (every path was ruled out by a known condition).</summary>
        public bool IsUnreachable => Owning.IsEmpty && NotOwning.IsEmpty && ReleasedPaths.IsEmpty;

        public bool Equals(OwnershipState other)
            => Owning.SetEquals(other.Owning) && NotOwning.SetEquals(other.NotOwning) && ReleasedPaths.SetEquals(other.ReleasedPaths) && Names.SetEquals(other.Names);

        public override bool Equals(object? obj) => obj is OwnershipState other && Equals(other);

        public override int GetHashCode()
        {
            var hash = Names.Aggregate(0, (h, name) => h ^ name.GetHashCode());
            hash = Owning.Aggregate(hash, (h, p) => h ^ (p.GetHashCode() * 7));
            hash = ReleasedPaths.Aggregate(hash, (h, p) => h ^ (p.GetHashCode() * 17));
            return NotOwning.Aggregate(hash, (h, p) => h ^ (p.GetHashCode() * 13));
        }

        /// <summary>
        /// The same concrete paths in fewer path facts: a condition a path does not know stands for both of its values (a
        /// later test of it splits the path), so two paths that differ only in one condition's value are one path without
        /// it, and a path whose facts all hold on another path makes that one redundant. Every answer a later test or
        /// assignment gives is unchanged.
        /// </summary>
        private static ImmutableHashSet<PathFacts> Simplified(ImmutableHashSet<PathFacts> paths)
        {
            var list = paths.ToList();
            bool changed;
            do
            {
                changed = false;
                for (var i = 0; i < list.Count && !changed; i++)
                {
                    for (var j = 0; j < list.Count && !changed; j++)
                    {
                        if (i == j)
                        {
                            continue;
                        }

                        if (list[i].IsWithin(list[j]))
                        {
                            list.RemoveAt(j);
                            changed = true;
                        }
                        else if (list[i].OnlyDifference(list[j]) is { } key)
                        {
                            var general = list[i].Forgetting(key);
                            list.RemoveAt(System.Math.Max(i, j));
                            list.RemoveAt(System.Math.Min(i, j));
                            list.Add(general);
                            changed = true;
                        }
                    }
                }
            }
            while (changed);

            return list.Count == paths.Count ? paths : list.ToImmutableHashSet();
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
