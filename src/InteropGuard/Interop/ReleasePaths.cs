using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Finalizers, <c>Dispose</c>, <c>DisposeAsync</c> and <c>ReleaseHandle</c> (and static constructors) are where a handle
    /// is released: not callers to protect (IG1001). By kind and name only, so that the names a release path's
    /// declaration can carry are known before any symbol is read (<see cref="ReleasePathNames"/>).
    /// </summary>
    internal static class ReleasePaths
    {
        /// <summary>The names of the methods and local functions that are release paths by name.</summary>
        public static readonly string[] Names = { "Dispose", "DisposeAsync", "ReleaseHandle" };

        public static bool Is(IMethodSymbol method)
            => method.MethodKind == MethodKind.Destructor
               || method.Name == "Dispose" || method.Name == "DisposeAsync" || method.Name == "ReleaseHandle"
               || method.MethodKind == MethodKind.StaticConstructor;
    }
}
