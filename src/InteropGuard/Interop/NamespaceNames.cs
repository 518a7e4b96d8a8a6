using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Tests a namespace against a dotted name without building the namespace's display string: the readings ask this at
    /// calls on every body, and <c>ToDisplayString</c> allocated a new string at each.
    /// </summary>
    internal static class NamespaceNames
    {
        /// <summary>True when <paramref name="space"/> is exactly the namespace <paramref name="dotted"/> (e.g. "System.Text").</summary>
        public static bool Is(INamespaceSymbol? space, string dotted)
        {
            var end = dotted.Length;
            for (var current = space; current != null && !current.IsGlobalNamespace; current = current.ContainingNamespace)
            {
                var start = dotted.LastIndexOf('.', end - 1) + 1;
                var name = current.Name;
                if (end - start != name.Length || string.CompareOrdinal(dotted, start, name, 0, name.Length) != 0)
                {
                    return false;
                }

                if (start == 0)
                {
                    return current.ContainingNamespace is null or { IsGlobalNamespace: true };
                }

                end = start - 1;
            }

            return false;
        }

        /// <summary>True when <paramref name="space"/> is <paramref name="dotted"/> or a namespace inside it.</summary>
        public static bool IsWithin(INamespaceSymbol? space, string dotted)
        {
            for (var current = space; current != null && !current.IsGlobalNamespace; current = current.ContainingNamespace)
            {
                if (Is(current, dotted))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
