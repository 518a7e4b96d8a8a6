using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Types of the .NET libraries: from a referenced assembly, under a <c>System</c> or <c>Microsoft</c> root namespace.
    /// A type declared in source never is, whatever its namespace (ClrMD's <c>Microsoft.Diagnostics.Runtime</c>). One
    /// answer for the throw model (a framework interface's implementations) and the catalogue (a framework call opens no
    /// native handle unless the catalogue says so).
    /// </summary>
    internal static class FrameworkTypes
    {
        public static bool Contains(INamedTypeSymbol? type)
        {
            if (type == null || type.DeclaringSyntaxReferences.Length > 0)
            {
                return false;
            }

            var root = type.ContainingNamespace;
            while (root != null && root.ContainingNamespace is { IsGlobalNamespace: false })
            {
                root = root.ContainingNamespace;
            }

            return root != null && (root.Name == "System" || root.Name == "Microsoft");
        }
    }
}
