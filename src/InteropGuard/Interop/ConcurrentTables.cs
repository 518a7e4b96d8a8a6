using System.Collections.Concurrent;
using System.Collections.Generic;

namespace InteropGuard.Interop
{
    /// <summary>
    /// The tables in which the shared analyses keep their answers for a compilation (a symbol's native function, a
    /// method's body, a parameter's summary…), filled by every analyzer on every thread the driver runs them on.
    /// </summary>
    internal static class ConcurrentTables
    {
        // A ConcurrentDictionary made without a concurrency level has one lock per processor: on a two-core build machine two
        // threads adding different keys wait for each other about half the time, and the waiting spins. On OpenCvSharp that
        // spinning (Monitor.Enter_Slowpath under TryAddInternal) was 14% of InteropGuard's sampled time, a quarter of it
        // in the native-function table. A fixed, larger set of locks makes two adds rarely share one; the locks are a few
        // dozen small objects per table, and the tables are made once per compilation.
        private const int Locks = 64;

        // Room for a binding's first adds without growing: growing takes every lock and copies the table.
        private const int Capacity = 256;

        public static ConcurrentDictionary<TKey, TValue> Create<TKey, TValue>()
            where TKey : notnull
            => new ConcurrentDictionary<TKey, TValue>(Locks, Capacity, EqualityComparer<TKey>.Default);

        public static ConcurrentDictionary<TKey, TValue> Create<TKey, TValue>(IEqualityComparer<TKey> comparer)
            where TKey : notnull
            => new ConcurrentDictionary<TKey, TValue>(Locks, Capacity, comparer);
    }
}
