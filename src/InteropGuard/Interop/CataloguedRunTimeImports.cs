using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// An abstract method of a class, with no implementation anywhere in this compilation, that bears the exact name of an
    /// export the retaining catalogue knows by its library's own entry-point prefix (<c>rocksdb_comparator_create</c>,
    /// <c>sqlite3_busy_handler</c>): a loader outside the compilation implements it, and a member named after the export
    /// and declared with its parameters has only that export to call. rocksdb-sharp's <c>Native</c> is such a class,
    /// subclassed with Reflection.Emit at run time (its comparator delegates collected, fixed in <c>a37c36b</c>).
    /// </summary>
    /// <remarks>
    /// Only the catalogue's names count, and only those of families named by a prefix (RocksDB, SQLite, libgit2, libvlc,
    /// …): a registration-style name alone (<c>abstract void RegisterCallback(Action a)</c>) is the shape of any
    /// extensibility point, and a Win32 or C runtime name has no prefix that says which library it is. Interface members
    /// are left out: a provider interface named after the C API (SQLitePCL.raw's <c>ISQLite3Provider</c>) is implemented
    /// by managed providers that keep the callbacks themselves. This reading answers IG1002's "does the callee keep the
    /// delegate", and, for the exports the allocation catalogue knows by entry point in any library, which allocation or
    /// release such a member is (IG3001, IG3002); the option <c>interopguard.native_declaring_types</c> still makes such
    /// members native for every rule.
    /// </remarks>
    internal static class CataloguedRunTimeImports
    {
        public static NativeFunction? Of(IMethodSymbol method, InteropContext context)
        {
            if (!IsRunTimeImportShape(method.OriginalDefinition))
            {
                return null;
            }

            var candidate = new NativeFunction(method.OriginalDefinition, string.Empty, method.Name, isLibraryImport: false);

            // No library: the catalogue matches only through the entry point's prefix.
            return RetainingCatalogue.Find(candidate) != null && NothingImplements(method, context) ? candidate : null;
        }

        /// <summary>
        /// The export <paramref name="method"/> stands for when it has the shape of a run-time import (its name), for a
        /// caller that has already found that name among the exports a catalogue knows by entry point in any library
        /// (<see cref="AllocationCatalogue"/>: RocksDB's, GLib's): null otherwise.
        /// </summary>
        public static string? EntryPointOf(IMethodSymbol method, InteropContext context)
            => IsRunTimeImportShape(method.OriginalDefinition) && NothingImplements(method, context) ? method.Name : null;

        private static bool IsRunTimeImportShape(IMethodSymbol method)
            => method.IsAbstract && !method.IsStatic && method.ContainingType is { TypeKind: TypeKind.Class }
                && method.Locations.Length > 0 && method.Locations[0].IsInSource;

        private static bool NothingImplements(IMethodSymbol method, InteropContext context)
            => CompilationOverrides.Of(context).Overriding(method.OriginalDefinition).Count == 0;
    }
}
