using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>Pairs of symbols compared as symbols are (<see cref="SymbolEqualityComparer.Default"/>): the key of caches asked about one symbol in the light of another.</summary>
    internal sealed class SymbolPairComparer<TFirst, TSecond> : IEqualityComparer<(TFirst First, TSecond Second)>
        where TFirst : ISymbol
        where TSecond : ISymbol
    {
        public static readonly SymbolPairComparer<TFirst, TSecond> Instance = new SymbolPairComparer<TFirst, TSecond>();

        public bool Equals((TFirst First, TSecond Second) x, (TFirst First, TSecond Second) y)
            => SymbolEqualityComparer.Default.Equals(x.First, y.First) && SymbolEqualityComparer.Default.Equals(x.Second, y.Second);

        public int GetHashCode((TFirst First, TSecond Second) key)
            => (SymbolEqualityComparer.Default.GetHashCode(key.First) * 397) ^ SymbolEqualityComparer.Default.GetHashCode(key.Second);
    }
}
