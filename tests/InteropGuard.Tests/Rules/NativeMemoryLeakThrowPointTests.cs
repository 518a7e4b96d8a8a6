using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// What counts as a place an exception can start (Flow/ThrowPoints, docs/rules/IG3001.md "What can throw"): the calls
    /// that throw in practice still make a leak path; native calls, measured encodings, repeated calls, calls that cannot
    /// fail on their arguments and wrappers that cannot throw do not.
    /// </summary>
    public class NativeMemoryLeakThrowPointTests
    {
        private const string Prelude = @"using System;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;

static partial class Native
{
    [DllImport(""mylib"")] public static extern int fill(IntPtr p, int n);
    [DllImport(""mylib"", PreserveSig = false)] public static extern int fill_com(IntPtr p, int n);
    [LibraryImport(""mylib"")] public static partial int put(IntPtr p);
    public static partial int put(IntPtr p) => 0;
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Leak(int location, string variable, string thrower)
            => Verify.Diagnostic("IG3001").WithLocation(location).WithMessage(
                "Native memory from 'Marshal.AllocHGlobal' in '" + variable + "' is not released by 'Marshal.FreeHGlobal' if '" + thrower + "' throws");

        // ---- look-alikes: not throw points ----

        [Fact]
        public Task PInvokesAndUnmanagedFunctionPointersAreNotThrowPoints() => Check(@"
unsafe class C
{
    void DllImport()
    {
        var p = Marshal.AllocHGlobal(16);
        Native.fill(p, 16);
        Marshal.FreeHGlobal(p);
    }

    void LibraryImport()
    {
        var p = Marshal.AllocHGlobal(16);
        Native.put(p);
        Marshal.FreeHGlobal(p);
    }

    void FunctionPointer(delegate* unmanaged<IntPtr, int, int> fill)
    {
        var p = Marshal.AllocHGlobal(16);
        fill(p, 16);
        Marshal.FreeHGlobal(p);
    }
}");

        [Fact]
        public Task EncodingIntoABufferMeasuredFromTheSameInputIsNotAThrowPoint() => Check(@"
unsafe class C
{
    void Span(string s)
    {
        int n = Encoding.UTF8.GetByteCount(s);
        IntPtr p = Marshal.AllocHGlobal(n + 1);
        Encoding.UTF8.GetBytes(s, new Span<byte>((void*)p, n + 1));
        Native.put(p);
        Marshal.FreeHGlobal(p);
    }

    void Array(string s, Encoding encoding)
    {
        var bytes = new byte[encoding.GetMaxByteCount(s.Length)];
        IntPtr p = Marshal.AllocHGlobal(64);
        int written = encoding.GetBytes(s, 0, s.Length, bytes, 0);
        Marshal.Copy(bytes, 0, p, written < 64 ? written : 64);
        Marshal.FreeHGlobal(p);
    }

    void StackAlloc(byte[] utf8)
    {
        Span<char> chars = stackalloc char[Encoding.UTF8.GetCharCount(utf8)];
        IntPtr p = Marshal.AllocHGlobal(8);
        Encoding.UTF8.GetChars(utf8, chars);
        Marshal.FreeHGlobal(p);
    }
}");

        [Fact]
        public Task ACallThatAlreadySucceededOnTheSameReceiverIsNotAThrowPoint() => Check(@"
sealed class Pool
{
    private bool _closed;
    public IntPtr Borrow() => _closed ? throw new ObjectDisposedException(nameof(Pool)) : IntPtr.Zero;
}
class C
{
    void M(Pool pool)
    {
        var first = pool.Borrow();
        var p = Marshal.AllocHGlobal(8);
        var second = pool.Borrow();
        Native.fill(p, (int)pool.Borrow());
        Marshal.FreeHGlobal(p);
    }
}");

        [Fact]
        public Task CallsThatCannotFailOnTheirArgumentsAreNotThrowPoints() => Check(@"
sealed class Registry
{
    private readonly ConcurrentDictionary<int, object> _items = new ConcurrentDictionary<int, object>();

    void M(IntPtr user, int key, Memory<byte> memory)
    {
        var pin = memory.Pin();
        var p = Marshal.AllocHGlobal(8);
        var target = GCHandle.FromIntPtr(user).Target;
        _items.TryAdd(key, ""entry"");
        _items.TryGetValue(key, out var found);
        _items.TryRemove(key, out _);
        pin.Dispose();
        Marshal.FreeHGlobal(p);
    }
}");

        [Fact]
        public Task WrappersThatOnlyFreeOrCallNativeCodeAreNotThrowPoints() => Check(@"
class C
{
    static void FreeBoth(IntPtr a, IntPtr b)
    {
        Marshal.FreeHGlobal(a);
        Marshal.FreeHGlobal(b);
    }

    static int Fill(IntPtr p) => Native.fill(p, 16);

    static int FillChecked(IntPtr p)
    {
        int rc = Fill(p);
        return rc;
    }

    void M(IntPtr scratch, IntPtr other)
    {
        var p = Marshal.AllocHGlobal(16);
        FillChecked(p);
        FreeBoth(scratch, other);
        Marshal.FreeHGlobal(p);
    }
}");

        // ---- still throw points ----

        [Fact]
        public Task AMethodThatCallsSomethingThatThrowsIsAThrowPoint() => Check(@"
class C
{
    static void Fail(int rc)
    {
        if (rc != 0)
            throw new InvalidOperationException(""native call failed"");
    }

    static void Check(int rc) => Fail(rc);

    void M()
    {
        var p = {|#0:Marshal.AllocHGlobal(16)|};
        Check(Native.fill(p, 16));
        Marshal.FreeHGlobal(p);
    }
}", Leak(0, "p", "Check(Native.fill(p, 16))"));

        [Fact]
        public Task PreserveSigFalseIsAThrowPoint() => Check(@"
class C
{
    void M()
    {
        var p = {|#0:Marshal.AllocHGlobal(16)|};
        Native.fill_com(p, 16);
        Marshal.FreeHGlobal(p);
    }
}", Leak(0, "p", "Native.fill_com(p, 16)"));

        [Fact]
        public Task ManagedFunctionPointerIsAThrowPoint() => Check(@"
unsafe class C
{
    void M(delegate*<int, void> prepare)
    {
        var p = {|#0:Marshal.AllocHGlobal(16)|};
        prepare(16);
        Marshal.FreeHGlobal(p);
    }
}", Leak(0, "p", "prepare(16)"));

        [Fact]
        public Task UserDelegatesAndInterfaceCallsAreThrowPoints() => Check(@"
interface ISink { void Write(IntPtr p); }
class C
{
    void Delegate(Action<int> progress)
    {
        var p = {|#0:Marshal.AllocHGlobal(16)|};
        progress(16);
        Marshal.FreeHGlobal(p);
    }

    void Interface(ISink sink)
    {
        var q = {|#1:Marshal.AllocHGlobal(16)|};
        sink.Write(q);
        Marshal.FreeHGlobal(q);
    }
}", Leak(0, "p", "progress(16)"), Leak(1, "q", "sink.Write(q)"));

        [Fact]
        public Task EncodingIntoABufferMeasuredFromSomethingElseIsAThrowPoint() => Check(@"
unsafe class C
{
    void OtherInput(string s, string t)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(t)];
        IntPtr p = {|#0:Marshal.AllocHGlobal(8)|};
        Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
        Marshal.FreeHGlobal(p);
    }

    void OtherEncoding(string s)
    {
        var bytes = new byte[Encoding.ASCII.GetMaxByteCount(s.Length)];
        IntPtr p = {|#1:Marshal.AllocHGlobal(8)|};
        Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
        Marshal.FreeHGlobal(p);
    }

    void FixedSize(string s)
    {
        IntPtr p = {|#2:Marshal.AllocHGlobal(8)|};
        Encoding.UTF8.GetBytes(s, new Span<byte>((void*)p, 8));
        Marshal.FreeHGlobal(p);
    }
}", Leak(0, "p", "Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0)"),
            Leak(1, "p", "Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0)"),
            Leak(2, "p", "Encoding.UTF8.GetBytes(s, new Span<byte>((void*)p, 8))"));

        [Fact]
        public Task ARepeatedCallThatMayNotHaveRunIsAThrowPoint() => Check(@"
sealed class Pool
{
    private bool _closed;
    public IntPtr Borrow() => _closed ? throw new ObjectDisposedException(nameof(Pool)) : IntPtr.Zero;
    public IntPtr Borrow(int size) => size < 0 ? throw new ArgumentOutOfRangeException(nameof(size)) : IntPtr.Zero;
}
class C
{
    void Conditional(Pool pool, bool warm)
    {
        if (warm)
            pool.Borrow();
        var p = {|#0:Marshal.AllocHGlobal(8)|};
        pool.Borrow();
        Marshal.FreeHGlobal(p);
    }

    void OtherReceiver(Pool pool, Pool other)
    {
        pool.Borrow();
        var p = {|#1:Marshal.AllocHGlobal(8)|};
        other.Borrow();
        Marshal.FreeHGlobal(p);
    }

    void OtherArgument(Pool pool, int size)
    {
        pool.Borrow(0);
        var p = {|#2:Marshal.AllocHGlobal(8)|};
        pool.Borrow(size);
        Marshal.FreeHGlobal(p);
    }

    void ReceiverReassigned(Pool pool, Pool other)
    {
        pool.Borrow();
        pool = other;
        var p = {|#3:Marshal.AllocHGlobal(8)|};
        pool.Borrow();
        Marshal.FreeHGlobal(p);
    }
}", Leak(0, "p", "pool.Borrow()"), Leak(1, "p", "other.Borrow()"), Leak(2, "p", "pool.Borrow(size)"), Leak(3, "p", "pool.Borrow()"));
    }
}
