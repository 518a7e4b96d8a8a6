using System;
using System.Collections.Concurrent;
using System.Threading;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Per-compilation summaries that a higher layer computes — Flow/'s <c>ThrowingMethods</c> and <c>ParameterSummaries</c>
    /// read bodies with Flow's analyses — held by the one <see cref="InteropContext"/>, so they are built once per
    /// compilation and shared by every analyzer like the rest of it, while this layer never names their types
    /// (docs/architecture.md, Layers). One instance per type, created the first time any analysis asks.
    /// </summary>
    internal sealed class HeldSummaries
    {
        private readonly InteropContext _context;
        private readonly ConcurrentDictionary<Type, Lazy<object>> _held = ConcurrentTables.Create<Type, Lazy<object>>();

        public HeldSummaries(InteropContext context)
        {
            _context = context;
        }

        /// <summary>The compilation's one <typeparamref name="T"/>, made by <paramref name="create"/> when first asked for.</summary>
        public T Get<T>(Func<InteropContext, T> create)
            where T : class
            => (T)(_held.TryGetValue(typeof(T), out var held) ? held : Add(create)).Value;

        // Apart from Get: a lambda that captures a parameter makes the compiler build its closure on entry, for every ask,
        // and some analyses ask once per call of a body.
        private Lazy<object> Add<T>(Func<InteropContext, T> create)
            where T : class
        {
            var context = _context;
            return _held.GetOrAdd(typeof(T), new Lazy<object>(() => create(context), LazyThreadSafetyMode.ExecutionAndPublication));
        }
    }
}
