using System.Collections.Concurrent;
using System.Collections.Generic;
using InteropGuard.Flow;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Can a call to a method of this compilation throw? Yes when its body can — an explicit <c>throw</c>, or a throw point
    /// of <see cref="ThrowPoints"/> outside a catch-all, which includes calls to methods whose own bodies can — read to a
    /// bounded depth (<see cref="WrapperSummaries.MaxDepth"/>), beyond which a call is assumed to throw. So a wrapper that
    /// only frees (<c>static void Release(IntPtr p) =&gt; Marshal.FreeHGlobal(p);</c>) or only forwards to a P/Invoke
    /// is not a throw point, and one that checks a result and throws is. Answered once per method, options scope,
    /// model and depth: a summary depends only on deeper ones, so answers do not depend on the order of concurrent
    /// analyses.
    /// </summary>
    internal sealed class ThrowingMethods
    {
        private readonly InteropContext _context;
        private readonly ConcurrentDictionary<Key, bool> _cache = new ConcurrentDictionary<Key, bool>();
        private readonly System.Lazy<Dictionary<IMethodSymbol, List<IMethodSymbol>>> _overrides;

        public ThrowingMethods(InteropContext context)
        {
            _context = context;
            _overrides = new System.Lazy<Dictionary<IMethodSymbol, List<IMethodSymbol>>>(CollectOverrides, System.Threading.LazyThreadSafetyMode.ExecutionAndPublication);
        }

        /// <summary>
        /// Every body a virtual call to <paramref name="method"/> can run, when all of them are in this compilation: the
        /// method is a class member no code outside the compilation can override (not visible outside it, or on a type
        /// nobody outside can derive from), so its own body, when it has one, and the compilation's overrides are all. Null
        /// when code outside may override it, or for interface members. The overrides are collected once per compilation,
        /// from symbols, the first time a call asks.
        /// </summary>
        public IReadOnlyList<IMethodSymbol>? ClosedImplementations(IMethodSymbol method)
        {
            method = method.OriginalDefinition;
            var type = method.ContainingType;
            if (type == null || type.TypeKind != TypeKind.Class || !SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, _context.Compilation.Assembly)
                || (SymbolVisibility.IsVisibleOutsideTheCompilation(method) && !type.IsSealed && HasVisibleConstructor(type)))
            {
                return null;
            }

            var all = new List<IMethodSymbol>();
            if (!method.IsAbstract)
            {
                all.Add(method);
            }

            if (_overrides.Value.TryGetValue(method, out var overrides))
            {
                all.AddRange(overrides);
            }

            return all;
        }

        private static bool HasVisibleConstructor(INamedTypeSymbol type)
        {
            foreach (var constructor in type.InstanceConstructors)
            {
                if (SymbolVisibility.IsVisibleOutsideTheCompilation(constructor))
                {
                    return true;
                }
            }

            return false;
        }

        // Every override in the compilation, filed under each method it overrides, directly or through a chain.
        private Dictionary<IMethodSymbol, List<IMethodSymbol>> CollectOverrides()
        {
            var map = new Dictionary<IMethodSymbol, List<IMethodSymbol>>(SymbolEqualityComparer.Default);
            var types = new Stack<INamespaceOrTypeSymbol>();
            types.Push(_context.Compilation.Assembly.GlobalNamespace);
            while (types.Count > 0)
            {
                var current = types.Pop();
                if (current is INamespaceSymbol ns)
                {
                    foreach (var member in ns.GetMembers())
                    {
                        types.Push(member);
                    }

                    continue;
                }

                var type = (INamedTypeSymbol)current;
                foreach (var nested in type.GetTypeMembers())
                {
                    types.Push(nested);
                }

                if (type.TypeKind != TypeKind.Class)
                {
                    continue;
                }

                foreach (var member in type.GetMembers())
                {
                    if (member is IMethodSymbol { IsOverride: true } overriding)
                    {
                        for (var overridden = overriding.OverriddenMethod; overridden != null; overridden = overridden.OverriddenMethod)
                        {
                            var key = overridden.OriginalDefinition;
                            if (!map.TryGetValue(key, out var list))
                            {
                                list = new List<IMethodSymbol>();
                                map[key] = list;
                            }

                            list.Add(overriding);
                        }
                    }
                }
            }

            return map;
        }

        /// <summary>
        /// Whether a call to <paramref name="method"/> (a method of this compilation with a body, called non-virtually) can
        /// throw, judged with <paramref name="catalogue"/> at <paramref name="depth"/> levels of calls below the analyzed
        /// body. <paramref name="everyFailure"/> also counts what <see cref="EscapingExceptions"/> counts beyond calls
        /// (indexing, casts, checked arithmetic).
        /// </summary>
        public bool MayThrow(IMethodSymbol method, AllocationCatalogue catalogue, bool everyFailure, int depth)
        {
            if (depth >= WrapperSummaries.MaxDepth || !WrapperSummaries.IsSourceMethodWithBody(method) || !IsShort(method))
            {
                return true;
            }

            return _cache.GetOrAdd(new Key(method.OriginalDefinition, catalogue, everyFailure, depth), Compute);
        }

        /// <summary>
        /// Only short bodies are read (an expression body, or a block of a few statements): the wrappers this is for —
        /// release helpers, forwarders to a P/Invoke — are short, and reading every callee's body bound most of a
        /// binding's methods a second time (OpenCvSharp: Ownership went from 0.14 s to 1.0 s). A longer body is assumed
        /// to throw, as every call was before.
        /// </summary>
        private static bool IsShort(IMethodSymbol method) => DeclarationBodies.IsShort(method, MaxStatements);

        private const int MaxStatements = 4;

        private bool Compute(Key key)
        {
            var body = _context.Wrappers.GetBody(key.Method);
            if (body == null)
            {
                return true;
            }

            var throwPoints = new ThrowPoints(_context, key.Catalogue, key.EveryFailure, key.Depth + 1);
            return new EscapingExceptions(throwPoints, _context.Types.Exception, callsAndThrowsOnly: !key.EveryFailure).FirstEscaping(body) != null;
        }

        private readonly struct Key : System.IEquatable<Key>
        {
            public Key(IMethodSymbol method, AllocationCatalogue catalogue, bool everyFailure, int depth)
            {
                Method = method;
                Catalogue = catalogue;
                EveryFailure = everyFailure;
                Depth = depth;
            }

            public IMethodSymbol Method { get; }
            public AllocationCatalogue Catalogue { get; }
            public bool EveryFailure { get; }
            public int Depth { get; }

            public bool Equals(Key other)
                => SymbolEqualityComparer.Default.Equals(Method, other.Method) && ReferenceEquals(Catalogue, other.Catalogue)
                   && EveryFailure == other.EveryFailure && Depth == other.Depth;

            public override bool Equals(object? obj) => obj is Key other && Equals(other);

            public override int GetHashCode()
                => (SymbolEqualityComparer.Default.GetHashCode(Method) * 31 + Catalogue.GetHashCode()) * 31 + (EveryFailure ? 1 : 0) * 7 + Depth;
        }
    }
}
