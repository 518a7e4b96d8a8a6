using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3001: a pointer handed to a constructor that wraps it in a library struct. The struct only borrows the pointer
    /// while it is a temporary; stored in the new object's field, it keeps it, and the object owns the block.
    /// </summary>
    public class StoredStructOwnershipTests
    {
        private const string Native = @"using System;
using System.Runtime.InteropServices;
static class Mem
{
    [DllImport(""mylib"")] public static extern IntPtr buf_new(int size);
    [DllImport(""mylib"")] public static extern void buf_free(IntPtr buf);
    [DllImport(""mylib"")] public static extern int buf_size(HandleRef buf);
}
";

        private const string Pairs = "root = true\n[*.cs]\ninteropguard.allocator_pairs = buf_new:buf_free\n";

        [Fact]
        public Task BlockKeptInAHandleRefFieldBelongsToTheObject() => new AnalyzerTest<OwnershipAnalyzer>
        {
            Source = Native + @"
sealed class Buffer
{
    private HandleRef _buf;
    private Buffer(IntPtr buf) { _buf = new HandleRef(this, buf); }
    ~Buffer() { Mem.buf_free(_buf.Handle); }
    public static Buffer Create(int size)
    {
        var buf = Mem.buf_new(size);
        return new Buffer(buf);
    }
}",
            EditorConfig = Pairs,
        }.RunAsync();

        [Fact]
        public Task BlockWrappedInATemporaryHandleRefStillLeaks() => new AnalyzerTest<OwnershipAnalyzer>
        {
            Source = Native + @"
sealed class Sizer
{
    private readonly int _size;
    private Sizer(IntPtr buf) { _size = Mem.buf_size(new HandleRef(this, buf)); }
    public int Size => _size;
    public static Sizer Measure(int size)
    {
        var buf = {|#0:Mem.buf_new(size)|};
        return new Sizer(buf);
    }
}",
            EditorConfig = Pairs,
            ExpectedDiagnostics = { Verify.Diagnostic("IG3001").WithLocation(0) },
        }.RunAsync();
    }
}
