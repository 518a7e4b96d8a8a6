using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Classes of this compilation that no class outside it can derive from and make instances of, so that their protected
    /// members are reachable from this compilation's code alone (JackSharp's public abstract <c>Client</c>, whose
    /// <c>internal abstract bool Open(bool)</c> no other assembly can override). A class is closed when it is sealed or
    /// static, or not visible outside the compilation, or has no constructor visible outside it, or declares an abstract
    /// member not visible outside it (a class outside may derive, but only abstractly: nothing can ever make one); and every
    /// class of the compilation derived from it is closed too (a public class that overrides the hidden member and keeps a
    /// visible constructor opens the hierarchy again). A type outside the compilation that derives from a class of it is
    /// not seen, nor are <c>InternalsVisibleTo</c> friends (which may override an internal member): as in
    /// <see cref="MethodCallers"/>, each reading counts friends itself. Built on the first ask from every class the
    /// compilation declares, each answer kept.
    /// </summary>
    internal sealed class ClosedClasses
    {
        /// <summary>Derived classes followed below a class: more than this is not a hierarchy real code has.</summary>
        private const int MaxDepth = 8;

        private readonly Compilation _compilation;
        private readonly System.Lazy<Dictionary<INamedTypeSymbol, List<INamedTypeSymbol>>> _derived;
        private readonly ConcurrentDictionary<INamedTypeSymbol, bool> _answers = ConcurrentTables.Create<INamedTypeSymbol, bool>(SymbolEqualityComparer.Default);

        private ClosedClasses(InteropContext context)
        {
            _compilation = context.Compilation;
            _derived = new System.Lazy<Dictionary<INamedTypeSymbol, List<INamedTypeSymbol>>>(() => Collect(context.Compilation), LazyThreadSafetyMode.ExecutionAndPublication);
        }

        /// <summary>The compilation's one instance, held by its context.</summary>
        public static ClosedClasses Of(InteropContext context) => context.Held.Get(c => new ClosedClasses(c));

        /// <summary>
        /// Is <paramref name="member"/> an instance member visible outside the compilation only because it is protected (or
        /// protected internal) in a public class, and is that class closed? Then only the compilation's derived classes can
        /// reach it on an object. A static one is not: a class outside may derive abstractly and call it without an object.
        /// </summary>
        public bool IsProtectedInAClosedClass(ISymbol member)
        {
            if (member.IsStatic || member.DeclaredAccessibility is not (Accessibility.Protected or Accessibility.ProtectedOrInternal) || member.ContainingType is not { } type)
            {
                return false;
            }

            for (var container = type; container != null; container = container.ContainingType)
            {
                if (container.DeclaredAccessibility != Accessibility.Public)
                {
                    return false;
                }
            }

            return IsClosed(type, 0);
        }

        private bool IsClosed(INamedTypeSymbol type, int depth)
        {
            type = type.OriginalDefinition;
            if (_answers.TryGetValue(type, out var known))
            {
                return known;
            }

            var closed = depth < MaxDepth && type.TypeKind == TypeKind.Class && SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, _compilation.Assembly)
                         && (type.IsSealed || type.IsStatic || !SymbolVisibility.IsVisibleOutsideTheCompilation(type) || !MayBeDerivedOutside(type))
                         && (!_derived.Value.TryGetValue(type, out var derived) || derived.All(d => IsClosed(d, depth + 1)));
            return depth == 0 ? _answers.GetOrAdd(type, closed) : closed;
        }

        // A class outside may derive from it and be made: a constructor it can call, and no abstract member it cannot override.
        private static bool MayBeDerivedOutside(INamedTypeSymbol type)
            => type.InstanceConstructors.Any(SymbolVisibility.IsVisibleOutsideTheCompilation)
               && !(type.IsAbstract && type.GetMembers().Any(m => m.IsAbstract && !SymbolVisibility.IsVisibleOutsideTheCompilation(m)));

        private static Dictionary<INamedTypeSymbol, List<INamedTypeSymbol>> Collect(Compilation compilation)
        {
            var derived = new Dictionary<INamedTypeSymbol, List<INamedTypeSymbol>>(SymbolEqualityComparer.Default);
            foreach (var type in DeclaredTypes.Of(compilation))
            {
                if (type.TypeKind == TypeKind.Class && type.BaseType is { } baseType)
                {
                    var key = baseType.OriginalDefinition;
                    if (!derived.TryGetValue(key, out var list))
                    {
                        derived[key] = list = new List<INamedTypeSymbol>();
                    }

                    list.Add(type);
                }
            }

            return derived;
        }
    }
}
