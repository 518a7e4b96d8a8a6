using InteropGuard.Interop;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG3007's name pairing: word parts, stems and the generated handle type's name.</summary>
    public class RawHandleFieldNamingTests
    {
        [Theory]
        [InlineData("mylib_ctx_create", "mylib|ctx|create")]
        [InlineData("CreateContext", "Create|Context")]
        [InlineData("XMLAllocParser", "XML|Alloc|Parser")]
        [InlineData("sqlite3_open_v2", "sqlite3|open|v2")]
        [InlineData("gzOpen64", "gz|Open64")]
        [InlineData("__lib__new", "lib|new")]
        public void SplitsWordParts(string name, string expected)
            => Assert.Equal(expected, string.Join("|", HandleFunctionPairs.Words(name)));

        [Theory]
        [InlineData("mylib_ctx_create", "mylib_ctx", "MylibCtx")]
        [InlineData("CreateContext", "context", "Context")]
        [InlineData("sqlite3_open", "sqlite3", "Sqlite3")]
        [InlineData("vendor_begin", "vendor_begin", "VendorBegin")]
        public void StemAndHandleName(string acquire, string stem, string pascal)
        {
            Assert.Equal(stem, HandleFunctionPairs.AcquireStem(acquire));
            Assert.Equal(pascal, HandleFunctionPairs.PascalCase(stem));
        }

        [Theory]
        [InlineData("mylib_ctx_destroy", true)]
        [InlineData("CloseHandle", true)]
        [InlineData("g_object_unref", true)]
        [InlineData("mylib_ctx_run", false)]
        [InlineData("Freeze", false)]
        public void RecognisesReleaseNames(string name, bool expected)
            => Assert.Equal(expected, HandleFunctionPairs.IsReleaseName(name));
    }
}
