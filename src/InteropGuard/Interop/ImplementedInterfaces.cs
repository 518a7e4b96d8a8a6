using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// The interfaces some class or struct of this compilation implements. Collected once per compilation, from symbols,
    /// the first time a question needs it: whether a call through an interface of the library runs one of the library's
    /// own implementations (a platform binding picked at run time) rather than one its user supplies.
    /// </summary>
    internal sealed class ImplementedInterfaces
    {
        private static readonly IReadOnlyList<INamedTypeSymbol> None = new INamedTypeSymbol[0];

        // Each implemented interface (original definition) with the classes and structs that implement it.
        private readonly System.Lazy<Dictionary<INamedTypeSymbol, List<INamedTypeSymbol>>> _implemented;
        private readonly ConcurrentDictionary<IMethodSymbol, ImmutableArray<IMethodSymbol>> _implementations = ConcurrentTables.Create<IMethodSymbol, ImmutableArray<IMethodSymbol>>(SymbolEqualityComparer.Default);

        private ImplementedInterfaces(Compilation compilation)
        {
            _implemented = new System.Lazy<Dictionary<INamedTypeSymbol, List<INamedTypeSymbol>>>(() => Collect(compilation), LazyThreadSafetyMode.ExecutionAndPublication);
        }

        /// <summary>The compilation's one instance, held by its context.</summary>
        public static ImplementedInterfaces Of(InteropContext context) => context.Held.Get(c => new ImplementedInterfaces(c.Compilation));

        /// <summary>
        /// Is <paramref name="type"/> an interface of this compilation that no code outside it can implement (not visible
        /// outside the compilation) and that some type of the compilation implements? Its calls run one of those.
        /// </summary>
        public bool IsClosedAndImplemented(INamedTypeSymbol? type)
            => type is { TypeKind: TypeKind.Interface } && type.DeclaringSyntaxReferences.Length > 0
               && !SymbolVisibility.IsVisibleOutsideTheCompilation(type)
               && _implemented.Value.ContainsKey(type.OriginalDefinition);

        /// <summary>The classes and structs of this compilation that implement <paramref name="type"/> (any of its constructions).</summary>
        public IReadOnlyList<INamedTypeSymbol> Implementing(INamedTypeSymbol type)
            => _implemented.Value.TryGetValue(type.OriginalDefinition, out var implementing) ? implementing : None;

        /// <summary>
        /// The methods that run when <paramref name="member"/>, a method of a closed interface (<see cref="IsClosedAndImplemented"/>),
        /// is called: each implementing class's or struct's implementation, when every one of them is a method of this
        /// compilation with a body; empty otherwise (an abstract class implementing it leaves the choice to subclasses, a
        /// default interface method may run). A platform binding's facades: <c>lib.set_compare(db, cmp)</c> runs one of them.
        /// </summary>
        public ImmutableArray<IMethodSymbol> ImplementationsOf(IMethodSymbol member)
        {
            member = member.OriginalDefinition;
            if (!member.IsAbstract || member.IsStatic || !IsClosedAndImplemented(member.ContainingType))
            {
                return ImmutableArray<IMethodSymbol>.Empty;
            }

            return _implementations.GetOrAdd(member, m =>
            {
                var found = ImmutableArray.CreateBuilder<IMethodSymbol>();
                foreach (var type in _implemented.Value[m.ContainingType])
                {
                    if (type.IsAbstract || type.FindImplementationForInterfaceMember(m) is not IMethodSymbol implementation
                        || implementation.IsAbstract || implementation.IsExtern || implementation.DeclaringSyntaxReferences.Length == 0
                        || implementation.ContainingType?.TypeKind == TypeKind.Interface)
                    {
                        return ImmutableArray<IMethodSymbol>.Empty;
                    }

                    if (!found.Any(f => SymbolEqualityComparer.Default.Equals(f, implementation)))
                    {
                        found.Add(implementation);
                    }
                }

                return found.ToImmutable();
            });
        }

        private static Dictionary<INamedTypeSymbol, List<INamedTypeSymbol>> Collect(Compilation compilation)
        {
            var implemented = new Dictionary<INamedTypeSymbol, List<INamedTypeSymbol>>(SymbolEqualityComparer.Default);
            foreach (var type in DeclaredTypes.Of(compilation))
            {
                if (type.TypeKind is TypeKind.Class or TypeKind.Struct)
                {
                    foreach (var contract in type.AllInterfaces)
                    {
                        if (!implemented.TryGetValue(contract.OriginalDefinition, out var implementing))
                        {
                            implemented[contract.OriginalDefinition] = implementing = new List<INamedTypeSymbol>();
                        }

                        if (!implementing.Contains(type, SymbolEqualityComparer.Default))
                        {
                            implementing.Add(type);
                        }
                    }
                }
            }

            return implemented;
        }
    }
}
