using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// <c>interopguard.native_declaring_types</c>: the abstract methods of a type a run-time importer implements are native
    /// functions of the method's name, in the library the option gives (rocksdb-sharp's <c>Native</c>), with RocksDB's
    /// documented allocators.
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
            Source = Source
                .Replace("var value = Native.Instance.rocksdb_get(db, options, key, (UIntPtr)key.Length, out var length, out _);\n            return", "var value = {|#0:Native.Instance.rocksdb_get(db, options, key, (UIntPtr)key.Length, out var length, out _)|};\n            return")
                .Replace("finally { Native.Instance.rocksdb_free(list); }", "finally { {|#1:Native.Instance.rocksdb_free(list)|}; }"),
            EditorConfig = "root = true\n[*.cs]\ninteropguard.native_declaring_types = Store.Native:rocksdb\n",
            ExpectedDiagnostics = { Verify.Diagnostic("IG3001").WithLocation(0), Verify.Diagnostic("IG3002").WithLocation(1) },
        }.RunAsync();

        [Fact]
        public Task WithoutTheOptionAbstractMethodsAreManaged() => new AnalyzerTest<OwnershipAnalyzer> { Source = Source }.RunAsync();

        [Fact]
        public Task WithoutALibraryTheCatalogueDoesNotApply() => new AnalyzerTest<OwnershipAnalyzer>
        {
            Source = Source,
            EditorConfig = "root = true\n[*.cs]\ninteropguard.native_declaring_types = Native\n",
        }.RunAsync();
    }
}
