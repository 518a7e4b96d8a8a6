using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG2003 over the retaining reading: catalogue entries keep only their documented parameters; options per parameter.</summary>
    public class RetainedManagedBufferCatalogueTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
delegate int Callback(IntPtr data);
static class Api
{
    [DllImport(""libc"")] public static extern int setvbuf(IntPtr stream, byte[] buffer, int mode, UIntPtr size);
    [DllImport(""libc"")] public static extern void qsort(byte[] items, UIntPtr count, UIntPtr size, Callback compare);
    [DllImport(""libcrypto"")] public static extern IntPtr BIO_new_mem_buf(byte[] buffer, int length);
    [DllImport(""e_sqlite3"")] public static extern int sqlite3_create_function_v2(IntPtr db, byte[] name, int nArg, int rep, IntPtr app, Callback func, Callback step, Callback final, Callback destroy);
    [DllImport(""/System/Library/Frameworks/IOKit.framework/IOKit"")] public static extern void IOHIDDeviceRegisterInputReportCallback(IntPtr device, byte[] report, IntPtr length, Callback callback, IntPtr context);
    [DllImport(""LibTorchSharp"")] public static extern IntPtr THSTensor_new(IntPtr data, long[] sizes, int count, sbyte type, bool requiresGrad);
    [DllImport(""freetype6.dll"")] public static extern int FT_New_Memory_Face(IntPtr library, IntPtr file_base, int file_size, int face_index, out IntPtr aface);
    [DllImport(""freetype"")] public static extern int FT_New_Face(IntPtr library, byte[] path, int face_index, out IntPtr aface);
    [DllImport(""net"")] public static extern int net_attach(IntPtr session, byte[] name, byte[] buffer, int length);
}
";

        private static Task Check(string source, string? editorConfig, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<RetainedManagedBufferAnalyzer> { Source = Prelude + source, EditorConfig = editorConfig };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(int location, string buffer, string function, string why)
            => Verify.Diagnostic("IG2003").WithLocation(location).WithMessage(
                buffer + " is given to " + function + ", which " + why
                + "; it is pinned only for the duration of the call, so native code keeps the pointer and later writes into memory the GC may move or reuse");

        private static string ByCatalogue(string family) => "is documented to keep this argument after it returns (InteropGuard's catalogue of " + family + " functions)";

        private const string ByOption = "is listed in interopguard.retaining_functions as keeping what it is given";

        [Fact]
        public Task DocumentedBuffersAreFindings() => Check(@"
class C
{
    void M(IntPtr stream, IntPtr device)
    {
        var buffer = new byte[4096];
        Api.setvbuf(stream, {|#0:buffer|}, 0, (UIntPtr)4096);
        var pem = new byte[100];
        Api.BIO_new_mem_buf({|#1:pem|}, pem.Length);
        var report = new byte[64];
        Api.IOHIDDeviceRegisterInputReportCallback(device, {|#2:report|}, (IntPtr)64, null, IntPtr.Zero);
    }
}", null,
            Finding(0, "The array 'buffer'", "'Api.setvbuf'", ByCatalogue("C runtime")),
            Finding(1, "The array 'pem'", "'Api.BIO_new_mem_buf'", ByCatalogue("OpenSSL")),
            Finding(2, "The array 'report'", "'Api.IOHIDDeviceRegisterInputReportCallback'", ByCatalogue("IOKit")));

        [Fact]
        public Task FixedArrayWrappedByATensorThroughAFactoryMethod() => Check(@"
static class Tensors
{
    public static IntPtr FromAddress(IntPtr data, long[] sizes) => Api.THSTensor_new(data, sizes, sizes.Length, 1, false);

    public static unsafe IntPtr FromArray(float[] values)
    {
        fixed (float* p = values)
        {
            return FromAddress({|#0:(IntPtr)p|}, new long[] { values.Length });
        }
    }

    public static unsafe IntPtr Direct(byte[] values, long[] sizes)
    {
        fixed (byte* p = values)
        {
            return Api.THSTensor_new({|#1:(IntPtr)p|}, sizes, 1, 0, false);
        }
    }
}", null,
            Finding(0, "The fixed pointer 'p' to the array 'values'", "'Api.THSTensor_new' through 'Tensors.FromAddress'", ByCatalogue("LibTorchSharp")),
            Finding(1, "The fixed pointer 'p' to the array 'values'", "'Api.THSTensor_new'", ByCatalogue("LibTorchSharp")));

        [Fact]
        public Task FontFileReadFromAFixedArrayForTheFacesLife() => Check(@"
sealed class Face
{
    private IntPtr _face;

    public unsafe Face(IntPtr library, byte[] file, int index)
    {
        fixed (byte* data = file)
        {
            Api.FT_New_Memory_Face(library, {|#0:(IntPtr)data|}, file.Length, index, out _face);
        }
    }
}", null,
            Finding(0, "The fixed pointer 'data' to the array 'file'", "'Api.FT_New_Memory_Face'", ByCatalogue("FreeType")));

        [Fact]
        public Task FontPathAndPinnedCopiesAreNotFindings() => Check(@"
sealed class Face
{
    private IntPtr _face;
    private GCHandle _pin;

    public Face(IntPtr library, byte[] path, byte[] file)
    {
        Api.FT_New_Face(library, path, 0, out _face);
        _pin = GCHandle.Alloc(file, GCHandleType.Pinned);
        Api.FT_New_Memory_Face(library, _pin.AddrOfPinnedObject(), file.Length, 0, out _face);
    }
}", null);

        [Fact]
        public Task TensorSizesArePassedToTheConstructorButCopied() => Check(@"
static class Tensors
{
    public static unsafe IntPtr FromPinned(IntPtr pinnedData, long[] sizes)
    {
        var copy = new long[sizes.Length];
        Array.Copy(sizes, copy, sizes.Length);
        return Api.THSTensor_new(pinnedData, copy, copy.Length, 1, false);
    }
}", null);

        [Fact]
        public Task CopiedAndSynchronousArgumentsAreNotFindings() => Check(@"
class C
{
    void M(IntPtr db)
    {
        var name = new byte[] { 102, 0 };
        Api.sqlite3_create_function_v2(db, name, 1, 1, IntPtr.Zero, null, null, null, null);
        Api.qsort(new byte[16], (UIntPtr)4, (UIntPtr)4, null);
    }
}", null);

        [Fact]
        public Task ListingAFunctionClaimsEveryBuffer() => Check(@"
class C
{
    void M(IntPtr db)
    {
        var name = new byte[] { 102, 0 };
        Api.sqlite3_create_function_v2(db, {|#0:name|}, 1, 1, IntPtr.Zero, null, null, null, null);
    }
}", "interopguard.retaining_functions = sqlite3_create_function_v2", Finding(0, "The array 'name'", "'Api.sqlite3_create_function_v2'", ByOption));

        [Fact]
        public Task ListingAParameterClaimsOnlyThatOne() => Check(@"
class C
{
    void M(IntPtr session)
    {
        var name = new byte[] { 102, 0 };
        var buffer = new byte[512];
        Api.net_attach(session, name, {|#0:buffer|}, buffer.Length);
    }
}", "interopguard.retaining_functions = net_attach(3)", Finding(0, "The array 'buffer'", "'Api.net_attach'", ByOption));

        [Fact]
        public Task ListingAParameterByNameClaimsOnlyThatOne() => Check(@"
class C
{
    void M(IntPtr session)
    {
        var name = new byte[] { 102, 0 };
        var buffer = new byte[512];
        Api.net_attach(session, name, {|#0:buffer|}, buffer.Length);
    }
}", "interopguard.retaining_functions = Api.net_attach:buffer", Finding(0, "The array 'buffer'", "'Api.net_attach'", ByOption));

        [Fact]
        public Task NonRetainingParameterOverridesTheCatalogue() => Check(@"
class C
{
    void M(IntPtr stream)
    {
        Api.setvbuf(stream, new byte[4096], 0, (UIntPtr)4096);
    }
}", "interopguard.non_retaining_functions = setvbuf(2)");
    }
}
