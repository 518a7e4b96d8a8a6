using System.Collections.Concurrent;
using System.Collections.Generic;
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
        private readonly ConcurrentDictionary<IMethodSymbol, IReadOnlyList<IMethodSymbol>?> _implementations
            = ConcurrentTables.Create<IMethodSymbol, IReadOnlyList<IMethodSymbol>?>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<IMethodSymbol, bool> _implementers = ConcurrentTables.Create<IMethodSymbol, bool>(SymbolEqualityComparer.Default);

        private readonly InteropContext _context;

        private ImplementedInterfaces(InteropContext context)
        {
            _context = context;
            _implemented = new System.Lazy<Dictionary<INamedTypeSymbol, List<INamedTypeSymbol>>>(() => Collect(context.Compilation), LazyThreadSafetyMode.ExecutionAndPublication);
        }

        /// <summary>The compilation's one instance, held by its context.</summary>
        public static ImplementedInterfaces Of(InteropContext context) => context.Held.Get(c => new ImplementedInterfaces(c));

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
        /// The bodies a call to <paramref name="method"/>, a member of a closed interface (<see cref="IsClosedAndImplemented"/>),
        /// can run: each implementing class's or struct's implementation, and for an
        /// abstract or virtual one the compilation's overrides of it; a construction the call names
        /// (<c>INotifiable&lt;CollectionChangeSet&gt;</c>) leaves out the types that implement only another construction.
        /// Null when that is not known (the interface is not closed, or a type's implementation is not found). A platform
        /// binding's facades (<c>lib.set_compare(db, cmp)</c>) and Realm's internal <c>INotifiable&lt;T&gt;</c> are read so.
        /// </summary>
        public IReadOnlyList<IMethodSymbol>? ImplementationsOf(IMethodSymbol method)
        {
            if (method.IsStatic || method.ContainingType is not { } contract || !IsClosedAndImplemented(contract))
            {
                return null;
            }

            return _implementations.TryGetValue(method, out var known) ? known : _implementations.GetOrAdd(method, Find(method, contract));
        }

        /// <summary>
        /// Is <paramref name="method"/> what some class or struct of this compilation runs for a member of an interface it
        /// implements: its own type's, or a derived type's that inherits it (<c>internal class D : B, I</c> whose <c>I.M</c> is
        /// <c>B</c>'s public <c>M</c>)? Then a call through the interface, from wherever the interface is visible, runs it.
        /// Only a public member implements one without naming it; the explicit form is a method of its own kind.
        /// </summary>
        public bool ImplementsAnInterfaceMember(IMethodSymbol method)
        {
            var definition = method.OriginalDefinition;
            if (definition.DeclaredAccessibility != Accessibility.Public || definition.ContainingType is not { } owner)
            {
                return false;
            }

            return _implementers.TryGetValue(definition, out var known) ? known : _implementers.GetOrAdd(definition, Implements(definition, owner));
        }

        private bool Implements(IMethodSymbol definition, INamedTypeSymbol owner)
        {
            foreach (var entry in _implemented.Value)
            {
                if (entry.Key.GetMembers(definition.Name).IsEmpty)
                {
                    continue;
                }

                foreach (var type in entry.Value)
                {
                    if (!SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, owner) && !BaseTypes.InheritsFrom(type, owner))
                    {
                        continue;
                    }

                    foreach (var contract in type.AllInterfaces)
                    {
                        if (!SymbolEqualityComparer.Default.Equals(contract.OriginalDefinition, entry.Key))
                        {
                            continue;
                        }

                        foreach (var member in contract.GetMembers(definition.Name))
                        {
                            if (SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(member)?.OriginalDefinition, definition))
                            {
                                return true;
                            }
                        }
                    }
                }
            }

            return false;
        }

        private IReadOnlyList<IMethodSymbol>? Find(IMethodSymbol method, INamedTypeSymbol contract)
        {
            var all = new List<IMethodSymbol>();
            var definition = method.OriginalDefinition;
            var overrides = CompilationOverrides.Of(_context);
            foreach (var type in Implementing(contract))
            {
                foreach (var implemented in type.AllInterfaces)
                {
                    if (!SymbolEqualityComparer.Default.Equals(implemented.OriginalDefinition, contract.OriginalDefinition)
                        || (!ReferenceEquals(contract, contract.OriginalDefinition) && !IsOpen(implemented) && !SymbolEqualityComparer.Default.Equals(implemented, contract)))
                    {
                        continue;
                    }

                    var member = implemented.GetMembers(definition.Name).OfType<IMethodSymbol>()
                        .FirstOrDefault(m => SymbolEqualityComparer.Default.Equals(m.OriginalDefinition, definition));
                    if (member == null || type.FindImplementationForInterfaceMember(member) is not IMethodSymbol implementation)
                    {
                        return null;
                    }

                    Add(all, implementation.OriginalDefinition);
                    if (implementation.IsAbstract || implementation.IsVirtual)
                    {
                        foreach (var overriding in overrides.Overriding(implementation))
                        {
                            Add(all, overriding);
                        }
                    }
                }
            }

            return all.Count == 0 ? null : all;
        }

        private static void Add(List<IMethodSymbol> all, IMethodSymbol method)
        {
            if (!method.IsAbstract && !all.Contains(method, SymbolEqualityComparer.Default))
            {
                all.Add(method);
            }
        }

        // An implemented construction that still names type parameters (INotifiable<T> of a generic class): it may be any.
        private static bool IsOpen(INamedTypeSymbol type)
            => type.TypeArguments.Any(argument => argument is ITypeParameterSymbol || (argument is INamedTypeSymbol named && IsOpen(named)));

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
