using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Function names from options. An entry matches a method by its native entry point, its name,
    /// <c>Type.Method</c>, or its fully qualified <c>Namespace.Type.Method</c>. An entry with <c>*</c> (allowed by the
    /// options that say so) matches those names with any run of characters other than a dot in place of each <c>*</c>.
    /// </summary>
    internal sealed class FunctionNameSet
    {
        public static readonly FunctionNameSet Empty = new FunctionNameSet(Array.Empty<string>());

        private readonly HashSet<string> _names;

        // Entries with '*': few (a library's naming scheme), so each is tried in turn.
        private readonly string[] _patterns;

        public FunctionNameSet(IEnumerable<string> names)
        {
            var all = names.Select(n => n.TrimStart('@')).ToList();
            _names = new HashSet<string>(all.Where(n => n.IndexOf('*') < 0), StringComparer.Ordinal);
            _patterns = all.Where(n => n.IndexOf('*') >= 0).Distinct(StringComparer.Ordinal).ToArray();
        }

        public bool IsEmpty => _names.Count == 0 && _patterns.Length == 0;

        public bool Contains(IMethodSymbol method, string? entryPoint)
        {
            if (IsEmpty)
            {
                return false;
            }

            return Matches(_names, _patterns, method, entryPoint);
        }

        internal static bool NameMatches(string configured, IMethodSymbol method, string? entryPoint)
        {
            return Matches(new HashSet<string>(StringComparer.Ordinal) { configured.TrimStart('@') }, Array.Empty<string>(), method, entryPoint);
        }

        private static bool Matches(HashSet<string> names, string[] patterns, IMethodSymbol method, string? entryPoint)
        {
            method = method.OriginalDefinition;
            if (Named(names, patterns, entryPoint) || Named(names, patterns, method.Name))
            {
                return true;
            }

            var type = method.ContainingType;
            if (type == null)
            {
                return false;
            }

            if (Named(names, patterns, type.Name + "." + method.Name))
            {
                return true;
            }

            var qualified = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat.WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted)
                .WithGenericsOptions(SymbolDisplayGenericsOptions.None));
            return Named(names, patterns, qualified + "." + method.Name);
        }

        private static bool Named(HashSet<string> names, string[] patterns, string? name)
        {
            if (name == null)
            {
                return false;
            }

            if (names.Contains(name))
            {
                return true;
            }

            foreach (var pattern in patterns)
            {
                if (Fits(pattern, 0, name, 0))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Whether <paramref name="name"/> from <paramref name="n"/> on fits <paramref name="pattern"/> from <paramref name="p"/> on; a <c>*</c> takes no dot.</summary>
        private static bool Fits(string pattern, int p, string name, int n)
        {
            while (p < pattern.Length)
            {
                if (pattern[p] == '*')
                {
                    // Try every length of the run the star stands for, shortest first, up to the next dot.
                    for (var end = n; ; end++)
                    {
                        if (Fits(pattern, p + 1, name, end))
                        {
                            return true;
                        }

                        if (end == name.Length || name[end] == '.')
                        {
                            return false;
                        }
                    }
                }

                if (n == name.Length || pattern[p] != name[n])
                {
                    return false;
                }

                p++;
                n++;
            }

            return n == name.Length;
        }
    }
}
