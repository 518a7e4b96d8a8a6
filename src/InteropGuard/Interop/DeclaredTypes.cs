using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Every named type the compilation itself declares, nested types included: the walk behind the per-compilation sets
    /// that must see all of the compilation's types (the interfaces it implements, the base types it derives from).
    /// </summary>
    internal static class DeclaredTypes
    {
        public static IEnumerable<INamedTypeSymbol> Of(Compilation compilation)
        {
            var pending = new Stack<INamespaceOrTypeSymbol>();
            pending.Push(compilation.Assembly.GlobalNamespace);
            while (pending.Count > 0)
            {
                foreach (var member in pending.Pop().GetMembers())
                {
                    if (member is INamespaceSymbol ns)
                    {
                        pending.Push(ns);
                    }
                    else if (member is INamedTypeSymbol type)
                    {
                        pending.Push(type);
                        yield return type;
                    }
                }
            }
        }
    }
}
