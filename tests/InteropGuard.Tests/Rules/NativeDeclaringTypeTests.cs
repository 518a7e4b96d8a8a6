using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// <c>interopguard.native_declaring_types</c>: the abstract methods of a type a run-time importer implements are native
    /// functions of the method's name, in the library the option gives (rocksdb-sharp's <c>Native</c>), with RocksDB's
    /// documented allocators; without it, those named exactly as catalogued exports known by entry point in any library.
    /// </summary>
    public class NativeDeclaringTypeTests
    {
        private const string Source = @"using System;
namespace Store
{
    public abstract class Native
    {
        public static Native Instance = null!;
        public abstract IntPtr rocksdb_get(IntPtr db, IntPtr options, byte[] key, UIntPtr keyLength, out UIntPtr valueLength, out IntPtr error);
        public abstract void rocksdb_free(IntPtr block);
        public abstract IntPtr rocksdb_list_column_families(IntPtr options, string name, out UIntPtr count, out IntPtr error);
        public abstract void rocksdb_list_column_families_destroy(IntPtr list, UIntPtr count);
    }
    static class Reads
    {
        public static int Length(IntPtr db, IntPtr options, byte[] key)
        {
            var value = Native.Instance.rocksdb_get(db, options, key, (UIntPtr)key.Length, out var length, out _);
            return value == IntPtr.Zero ? -1 : (int)length;
        }
        public static int Families(IntPtr options, string name)
        {
            var list = Native.Instance.rocksdb_list_column_families(options, name, out var count, out _);
            try { return (int)count; }
            finally { Native.Instance.rocksdb_free(list); }
        }
        public static int Copy(IntPtr db, IntPtr options, byte[] key)
        {
            var value = Native.Instance.rocksdb_get(db, options, key, (UIntPtr)key.Length, out var length, out _);
            try { return (int)length; }
            finally { Native.Instance.rocksdb_free(value); }
        }
    }
}";

        [Fact]
        public Task AbstractMethodsOfANamedTypeAreTheLibrarysFunctions() => new AnalyzerTest<OwnershipAnalyzer>
        {
            Source = Marked,
            EditorConfig = "root = true\n[*.cs]\ninteropguard.native_declaring_types = Store.Native:rocksdb\n",
            ExpectedDiagnostics = { Verify.Diagnostic("IG3001").WithLocation(0), Verify.Diagnostic("IG3002").WithLocation(1) },
        }.RunAsync();

        private static string Marked => Source
            .Replace("var value = Native.Instance.rocksdb_get(db, options, key, (UIntPtr)key.Length, out var length, out _);\n            return", "var value = {|#0:Native.Instance.rocksdb_get(db, options, key, (UIntPtr)key.Length, out var length, out _)|};\n            return")
            .Replace("finally { Native.Instance.rocksdb_free(list); }", "finally { {|#1:Native.Instance.rocksdb_free(list)|}; }");

        // Without the option, an abstract member nothing in the compilation implements, named exactly as an export RocksDB's
        // C API documents (its rocksdb_ prefix is the library's own namespace), is that export (CataloguedRunTimeImports):
        // the leak and the wrong release are found as with the option (recall row 43, rocksdb-sharp 8f6610f).
        [Fact]
        public Task WithoutTheOptionUnimplementedAbstractMembersNamedAsRocksDbExportsAreTheExports() => new AnalyzerTest<OwnershipAnalyzer>
        {
            Source = Marked,
            ExpectedDiagnostics = { Verify.Diagnostic("IG3001").WithLocation(0), Verify.Diagnostic("IG3002").WithLocation(1) },
        }.RunAsync();

        // RocksDB's entries are known by entry point in any library, as GLib's and librdkafka's are: an option naming the type
        // without a library finds the same two.
        [Fact]
        public Task WithoutALibraryRocksDbsExportsAreKnownByName() => new AnalyzerTest<OwnershipAnalyzer>
        {
            Source = Marked,
            EditorConfig = "root = true\n[*.cs]\ninteropguard.native_declaring_types = Native\n",
            ExpectedDiagnostics = { Verify.Diagnostic("IG3001").WithLocation(0), Verify.Diagnostic("IG3002").WithLocation(1) },
        }.RunAsync();

        // A class of the compilation that implements the members makes them managed methods: their bodies say what they do.
        [Fact]
        public Task AbstractMembersTheCompilationImplementsAreManaged() => new AnalyzerTest<OwnershipAnalyzer>
        {
            Source = Source.Replace("    static class Reads", @"    sealed class InMemory : Native
    {
        public override IntPtr rocksdb_get(IntPtr db, IntPtr options, byte[] key, UIntPtr keyLength, out UIntPtr valueLength, out IntPtr error) { valueLength = UIntPtr.Zero; error = IntPtr.Zero; return IntPtr.Zero; }
        public override void rocksdb_free(IntPtr block) { }
        public override IntPtr rocksdb_list_column_families(IntPtr options, string name, out UIntPtr count, out IntPtr error) { count = UIntPtr.Zero; error = IntPtr.Zero; return IntPtr.Zero; }
        public override void rocksdb_list_column_families_destroy(IntPtr list, UIntPtr count) { }
    }
    static class Reads"),
        }.RunAsync();

        // An interface named after a C API is implemented by managed providers (SQLitePCL.raw's ISQLite3Provider): left out.
        [Fact]
        public Task InterfaceMembersNamedAsExportsAreManaged() => new AnalyzerTest<OwnershipAnalyzer>
        {
            Source = Source
                .Replace("public abstract class Native", "public interface Native")
                .Replace("public static Native Instance = null!;", "public static Native Instance = null!;".Replace("public static", "static"))
                .Replace("public abstract ", ""),
        }.RunAsync();

        // A member whose name the catalogue does not know stays managed, abstract or not.
        [Fact]
        public Task AbstractMembersWithOtherNamesAreManaged() => new AnalyzerTest<OwnershipAnalyzer>
        {
            Source = Source.Replace("rocksdb_", "store_"),
        }.RunAsync();

        private const string ErrorOut = @"using System;
namespace Store
{
    public abstract class Native
    {
        public static Native Instance = null!;
        public abstract IntPtr rocksdb_get(IntPtr db, IntPtr options, byte[] key, UIntPtr keyLength, out UIntPtr valueLength, out IntPtr errptr);
        public abstract void rocksdb_free(IntPtr block);
    }
    static class Reads
    {
        public static int Length(IntPtr db, IntPtr options, byte[] key)
        {
            var value = Native.Instance.rocksdb_get(db, options, key, (UIntPtr)key.Length, out var length, out var errptr);
            if (errptr != IntPtr.Zero)
                return -1;
            try { return (int)length; }
            finally { Native.Instance.rocksdb_free(value); }
        }
        public static int PassedOn(IntPtr db, IntPtr options, byte[] key, out IntPtr errptr)
        {
            var value = Native.Instance.rocksdb_get(db, options, key, (UIntPtr)key.Length, out var length, out errptr);
            if (IntPtr.Zero == errptr)
            {
                Native.Instance.rocksdb_free(value);
                return (int)length;
            }
            return -1;
        }
    }
}";

        // What a function that reports an error through its errptr returns then is its own contract (rocksdb_get: null;
        // rocksdb_list_column_families: what malloc(0) gave): the side where the error argument says it failed owes nothing.
        [Fact]
        public Task NothingIsOwedWhereTheErrorArgumentSaysTheCallFailed() => new AnalyzerTest<OwnershipAnalyzer>
        {
            Source = ErrorOut,
            EditorConfig = "root = true\n[*.cs]\ninteropguard.native_declaring_types = Store.Native:rocksdb\n",
        }.RunAsync();

        // Any other early return still leaks the block.
        [Fact]
        public Task AnotherEarlyReturnStillLeaks() => new AnalyzerTest<OwnershipAnalyzer>
        {
            Source = ErrorOut.Replace(
                "var value = Native.Instance.rocksdb_get(db, options, key, (UIntPtr)key.Length, out var length, out var errptr);\n            if (errptr != IntPtr.Zero)",
                "var value = {|#0:Native.Instance.rocksdb_get(db, options, key, (UIntPtr)key.Length, out var length, out var errptr)|};\n            if (key.Length == 0)"),
            ExpectedDiagnostics = { Verify.Diagnostic("IG3001").WithLocation(0) },
        }.RunAsync();

        // An out pointer the declaration does not name an error may be a second result: its test says nothing about failure.
        [Fact]
        public Task AnOutPointerNotNamedAnErrorIsNoFailureTest() => new AnalyzerTest<OwnershipAnalyzer>
        {
            Source = ErrorOut
                .Replace("out UIntPtr valueLength, out IntPtr errptr);", "out UIntPtr valueLength, out IntPtr cursor);")
                .Replace(
                    "var value = Native.Instance.rocksdb_get(db, options, key, (UIntPtr)key.Length, out var length, out var errptr);\n            if (errptr != IntPtr.Zero)",
                    "var value = {|#0:Native.Instance.rocksdb_get(db, options, key, (UIntPtr)key.Length, out var length, out var errptr)|};\n            if (errptr != IntPtr.Zero)")
                .Replace(
                    "var value = Native.Instance.rocksdb_get(db, options, key, (UIntPtr)key.Length, out var length, out errptr);",
                    "var value = {|#1:Native.Instance.rocksdb_get(db, options, key, (UIntPtr)key.Length, out var length, out errptr)|};"),
            ExpectedDiagnostics = { Verify.Diagnostic("IG3001").WithLocation(0), Verify.Diagnostic("IG3001").WithLocation(1) },
        }.RunAsync();
    }
}
