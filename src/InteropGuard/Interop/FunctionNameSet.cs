using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Function names from options. An entry matches a method by its native entry point, its name,
    /// <c>Type.Method</c>, or its fully qualified <c>Namespace.Type.Method</c>.
    /// </summary>
    internal sealed class FunctionNameSet
    {
        public static readonly FunctionNameSet Empty = new FunctionNameSet(Array.Empty<string>());

        private readonly HashSet<string> _names;

        public FunctionNameSet(IEnumerable<string> names)
        {
            _names = new HashSet<string>(names.Select(n => n.TrimStart('@')), StringComparer.Ordinal);
        }

        public bool IsEmpty => _names.Count == 0;

        public bool Contains(IMethodSymbol method, string? entryPoint)
        {
            if (_names.Count == 0)
            {
                return false;
            }

            return Matches(_names, method, entryPoint);
        }

        internal static bool NameMatches(string configured, IMethodSymbol method, string? entryPoint)
        {
            return Matches(new HashSet<string>(StringComparer.Ordinal) { configured.TrimStart('@') }, method, entryPoint);
        }

        private static bool Matches(HashSet<string> names, IMethodSymbol method, string? entryPoint)
        {
            method = method.OriginalDefinition;
            if ((entryPoint != null && names.Contains(entryPoint)) || names.Contains(method.Name))
            {
                return true;
            }

            var type = method.ContainingType;
            if (type == null)
            {
                return false;
            }

            if (names.Contains(type.Name + "." + method.Name))
            {
                return true;
            }

            var qualified = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat.WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted)
                .WithGenericsOptions(SymbolDisplayGenericsOptions.None));
            return names.Contains(qualified + "." + method.Name);
        }
    }
}
