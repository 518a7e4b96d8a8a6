using System;
using System.Collections.Immutable;
using System.Linq;

namespace InteropGuard.Flow
{
    /// <summary>
    /// The abstract state of one tracked value at a program point: whether some path still owes a release, and
    /// the names (locals and flow captures) that may hold it. Paths merge by union.
    /// </summary>
    internal readonly struct OwnershipState : IEquatable<OwnershipState>
    {
        public static readonly OwnershipState Free = new OwnershipState(false, ImmutableHashSet<object>.Empty);

        private OwnershipState(bool owned, ImmutableHashSet<object> names)
        {
            Owned = owned;
            Names = names;
        }

        public bool Owned { get; }

        public ImmutableHashSet<object> Names { get; }

        public static OwnershipState OwnedBy(object name) => new OwnershipState(true, ImmutableHashSet.Create(name));

        public OwnershipState Released() => new OwnershipState(false, Names);

        public OwnershipState WithName(object name) => new OwnershipState(Owned, Names.Add(name));

        public OwnershipState WithoutName(object name) => new OwnershipState(Owned, Names.Remove(name));

        public OwnershipState Merge(OwnershipState other) => new OwnershipState(Owned || other.Owned, Names.Union(other.Names));

        public bool Equals(OwnershipState other) => Owned == other.Owned && Names.SetEquals(other.Names);

        public override bool Equals(object? obj) => obj is OwnershipState other && Equals(other);

        public override int GetHashCode() => Names.Aggregate(Owned ? 1 : 0, (hash, name) => hash ^ name.GetHashCode());
    }
}
