using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Every override a class of this compilation declares, filed under each method it overrides, directly or through a
    /// chain. Collected once per compilation, from symbols, the first time a question about a virtual call needs it (what
    /// a call may run when it can throw, what a finalizer's <c>Dispose(false)</c> may run).
    /// </summary>
    internal sealed class CompilationOverrides
    {
        private static readonly IReadOnlyList<IMethodSymbol> None = new IMethodSymbol[0];

        private readonly System.Lazy<Dictionary<IMethodSymbol, List<IMethodSymbol>>> _map;

        private CompilationOverrides(Compilation compilation)
        {
            _map = new System.Lazy<Dictionary<IMethodSymbol, List<IMethodSymbol>>>(() => Collect(compilation), LazyThreadSafetyMode.ExecutionAndPublication);
        }

        /// <summary>The compilation's one instance, held by its context.</summary>
        public static CompilationOverrides Of(InteropContext context) => context.Held.Get(c => new CompilationOverrides(c.Compilation));

        /// <summary>The overrides of <paramref name="method"/> (its original definition) this compilation declares.</summary>
        public IReadOnlyList<IMethodSymbol> Overriding(IMethodSymbol method)
            => _map.Value.TryGetValue(method.OriginalDefinition, out var overrides) ? overrides : None;

        private static Dictionary<IMethodSymbol, List<IMethodSymbol>> Collect(Compilation compilation)
        {
            var map = new Dictionary<IMethodSymbol, List<IMethodSymbol>>(SymbolEqualityComparer.Default);
            var pending = new Stack<INamespaceOrTypeSymbol>();
            pending.Push(compilation.Assembly.GlobalNamespace);
            while (pending.Count > 0)
            {
                var current = pending.Pop();
                if (current is INamespaceSymbol ns)
                {
                    foreach (var member in ns.GetMembers())
                    {
                        pending.Push(member);
                    }

                    continue;
                }

                // One list of members per type, nested types included: GetTypeMembers() built a second list for each
                // (and its consumers ask "any override", so the order of the lists does not matter).
                var type = (INamedTypeSymbol)current;
                var isClass = type.TypeKind == TypeKind.Class;
                foreach (var member in type.GetMembers())
                {
                    if (member is INamedTypeSymbol nested)
                    {
                        pending.Push(nested);
                        continue;
                    }

                    if (!isClass || member is not IMethodSymbol { IsOverride: true } overriding)
                    {
                        continue;
                    }

                    for (var overridden = overriding.OverriddenMethod; overridden != null; overridden = overridden.OverriddenMethod)
                    {
                        var key = overridden.OriginalDefinition;
                        if (!map.TryGetValue(key, out var list))
                        {
                            map[key] = list = new List<IMethodSymbol>();
                        }

                        list.Add(overriding);
                    }
                }
            }

            return map;
        }
    }
}
