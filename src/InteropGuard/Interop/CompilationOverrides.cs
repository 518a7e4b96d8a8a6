using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Every override a class of this compilation declares, filed under each method it overrides, directly or through a
    /// chain. Collected once per compilation, the first time a question about a virtual call needs it (what
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
            foreach (var tree in compilation.SyntaxTrees)
            {
                // A script's top-level members belong to a class no declaration spells: read the symbols instead.
                if (tree.Options.Kind != SourceCodeKind.Regular)
                {
                    return CollectFromSymbols(compilation);
                }
            }

            // Only the classes whose declarations spell an override, and records, whose Equals, GetHashCode and ToString
            // the compiler declares as overrides, can hold one: listing the members of every type made an array of
            // member symbols per type, most of it for the types of a binding without any override. (A destructor is
            // no override by its symbol.)
            var listed = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default);
            foreach (var tree in compilation.SyntaxTrees)
            {
                SemanticModel? model = null;
                foreach (var node in tree.GetRoot().DescendantNodes(n => n is CompilationUnitSyntax || n is BaseNamespaceDeclarationSyntax || n is TypeDeclarationSyntax))
                {
                    if (node is not TypeDeclarationSyntax declaration || !MayDeclareOverride(declaration))
                    {
                        continue;
                    }

                    model ??= compilation.GetSemanticModel(tree);
                    if (model.GetDeclaredSymbol(declaration) is { TypeKind: TypeKind.Class } type && listed.Add(type))
                    {
                        AddOverrides(type, map);
                    }
                }
            }

            return map;
        }

        private static bool MayDeclareOverride(TypeDeclarationSyntax declaration)
        {
            if (declaration is RecordDeclarationSyntax)
            {
                return true;
            }

            if (declaration is not ClassDeclarationSyntax)
            {
                return false;
            }

            foreach (var member in declaration.Members)
            {
                if (member.Modifiers.Any(SyntaxKind.OverrideKeyword))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Every type of the assembly, nested types included, read from symbols.</summary>
        private static Dictionary<IMethodSymbol, List<IMethodSymbol>> CollectFromSymbols(Compilation compilation)
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

                var type = (INamedTypeSymbol)current;
                foreach (var nested in type.GetTypeMembers())
                {
                    pending.Push(nested);
                }

                if (type.TypeKind == TypeKind.Class)
                {
                    AddOverrides(type, map);
                }
            }

            return map;
        }

        private static void AddOverrides(INamedTypeSymbol type, Dictionary<IMethodSymbol, List<IMethodSymbol>> map)
        {
            foreach (var member in type.GetMembers())
            {
                if (member is not IMethodSymbol { IsOverride: true } overriding)
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
    }
}
