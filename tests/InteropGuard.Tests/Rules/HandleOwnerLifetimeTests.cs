using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG1001: a handle owner that may be collected while native code uses its handle.</summary>
    public class HandleOwnerLifetimeTests
    {
        internal const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
static class Native
{
    [DllImport(""mylib"")] public static extern int draw(IntPtr bitmap, int x);
    [DllImport(""mylib"")] public static extern int drawRef(HandleRef bitmap, int x);
    [DllImport(""mylib"")] public static extern int drawSafe(FileHandle bitmap, int x);
    [DllImport(""mylib"")] public static extern unsafe int drawPtr(void* bitmap);
    public static int Draw(IntPtr bitmap) => draw(bitmap, 0);
}
sealed class FileHandle : SafeHandle
{
    public FileHandle() : base(IntPtr.Zero, true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => true;
    public int Peek() => Native.draw(handle, 0);
}
class Bitmap
{
    private IntPtr _handle;
    public IntPtr Handle => _handle;
    public IntPtr RawHandle { get; private set; }
    public int Width => 1;
    public static Bitmap Create() => new Bitmap();
    ~Bitmap() { }
}
class Plain
{
    public IntPtr Handle;
    public IntPtr Pointer => Handle;
}
class Holder
{
    private FileHandle _file = new FileHandle();
    private Bitmap _bitmap = new Bitmap();
    public IntPtr FileValue => _file.DangerousGetHandle();
    public IntPtr BitmapValue => _bitmap.Handle;
    public Bitmap Bitmap => _bitmap;
}
struct Value
{
    public IntPtr Handle;
}
";

        internal static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<HandleOwnerLifetimeAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        internal static DiagnosticResult Finding(int location, string owner, string handle, string function)
            => Verify.Diagnostic("IG1001").WithLocation(location)
                .WithMessage($"'{owner}' is not used after '{function}' receives its handle '{handle}': the GC may collect '{owner}' and release the handle while native code still uses it");

        [Fact]
        public Task LocalOwnerPropertyReturningTheField() => Check(@"
class C
{
    int M()
    {
        var bitmap = new Bitmap();
        return Native.draw({|#0:bitmap.Handle|}, 1);
    }
}", Finding(0, "bitmap", "bitmap.Handle", "Native.draw"));

        [Fact]
        public Task ParameterOwnerThroughALocal() => Check(@"
class C
{
    void M(Bitmap bitmap)
    {
        var h = bitmap.Handle;
        Console.WriteLine(h);
        Native.draw({|#0:h|}, 1);
    }
}", Finding(0, "bitmap", "bitmap.Handle", "Native.draw"));

        [Fact]
        public Task ThisWithFinalizerPassesItsField() => Check(@"
class Window
{
    private IntPtr _hwnd;
    ~Window() { }
    public void Paint()
    {
        Native.draw({|#0:_hwnd|}, 0);
    }
}", Finding(0, "this", "_hwnd", "Native.draw"));

        [Fact]
        public Task TemporaryOwner() => Check(@"
class C
{
    void M()
    {
        Native.draw({|#0:Bitmap.Create().Handle|}, 1);
        Native.draw({|#1:new Bitmap().RawHandle|}, 1);
    }
}", Finding(0, "Bitmap.Create()", "Bitmap.Create().Handle", "Native.draw"), Finding(1, "new Bitmap()", "new Bitmap().RawHandle", "Native.draw"));

        [Fact]
        public Task HolderOfASafeHandleOrFinalizableObject() => Check(@"
class C
{
    void M(Holder holder, Holder other)
    {
        Native.draw({|#0:holder.FileValue|}, 1);
        Native.draw({|#1:other.BitmapValue|}, 1);
    }
}", Finding(0, "holder", "holder.FileValue", "Native.draw"), Finding(1, "other", "other.BitmapValue", "Native.draw"));

        [Fact]
        public Task OwnerInAFieldOfAnotherObject() => Check(@"
class C
{
    void M(Holder holder)
    {
        Native.draw({|#0:holder.Bitmap.Handle|}, 1);
    }
}", Finding(0, "holder.Bitmap", "holder.Bitmap.Handle", "Native.draw"));

        [Fact]
        public Task ReferencedDisposableClassHandingOutHandle() => Check(@"
class C
{
    void M(System.Threading.WaitHandle wait, System.Diagnostics.Process process)
    {
        Native.draw({|#0:wait.Handle|}, 1);
        Native.draw({|#1:process.Handle|}, 1);
    }
}", Finding(0, "wait", "wait.Handle", "Native.draw"), Finding(1, "process", "process.Handle", "Native.draw"));

        [Fact]
        public Task ThroughAWrapper() => Check(@"
class C
{
    void M(Bitmap bitmap)
    {
        Native.Draw({|#0:bitmap.Handle|});
    }
}", Finding(0, "bitmap", "bitmap.Handle", "Native.draw' through 'Native.Draw"));

        [Fact]
        public Task NestedInAHelperCall() => Check(@"
class C
{
    static void Check(int status) { }
    void M(Bitmap bitmap)
    {
        Check(Native.draw({|#0:bitmap.Handle|}, 1));
    }
}", Finding(0, "bitmap", "bitmap.Handle", "Native.draw"));

        [Fact]
        public Task UsedOnlyOnSomePaths() => Check(@"
class C
{
    void M(Bitmap bitmap, bool log)
    {
        Native.draw({|#0:bitmap.Handle|}, 1);
        if (log)
            Console.WriteLine(bitmap.Width);
    }
}", Finding(0, "bitmap", "bitmap.Handle", "Native.draw"));

        [Fact]
        public Task UsedBeforeTheCallOnly() => Check(@"
class C
{
    void M(Bitmap bitmap)
    {
        GC.KeepAlive(bitmap);
        Native.draw({|#0:bitmap.Handle|}, bitmap.Width);
    }
}", Finding(0, "bitmap", "bitmap.Handle", "Native.draw"));

        [Fact]
        public Task PointerFromTheHandle() => Check(@"
class C
{
    unsafe void M(Bitmap bitmap)
    {
        Native.drawPtr({|#0:(void*)bitmap.Handle|});
    }
}", Finding(0, "bitmap", "bitmap.Handle", "Native.drawPtr"));

        [Fact]
        public Task AsyncKeepAliveBeforeAwaitDoesNotCoverTheCallAfterIt() => Check(@"
class C
{
    async Task M(Bitmap bitmap)
    {
        Native.draw(bitmap.Handle, 1);
        GC.KeepAlive(bitmap);
        await Task.Yield();
        Native.draw({|#0:bitmap.Handle|}, 2);
    }
}", Finding(0, "bitmap", "bitmap.Handle", "Native.draw"));

        [Fact]
        public Task IteratorUseAfterYieldDoesNotCover() => Check(@"
class C
{
    IEnumerable<int> M(Bitmap bitmap)
    {
        yield return Native.draw({|#0:bitmap.Handle|}, 1);
        GC.KeepAlive(bitmap);
    }
}", Finding(0, "bitmap", "bitmap.Handle", "Native.draw"));

        [Fact]
        public Task LambdaAndLocalFunction() => Check(@"
class C
{
    void M()
    {
        Action<Bitmap> draw = b => Native.draw({|#0:b.Handle|}, 1);
        int Local(Bitmap b) => Native.draw({|#1:b.Handle|}, 2);
    }
}", Finding(0, "b", "b.Handle", "Native.draw"), Finding(1, "b", "b.Handle", "Native.draw"));

        [Fact]
        public Task KeptAliveOrUsedAfterTheCall() => Check(@"
class C
{
    int M1(Bitmap bitmap)
    {
        var r = Native.draw(bitmap.Handle, 1);
        GC.KeepAlive(bitmap);
        return r;
    }
    int M2(Bitmap bitmap) => Native.draw(bitmap.Handle, 1) + bitmap.Width;
    void M3(Bitmap bitmap)
    {
        try { Native.draw(bitmap.Handle, 1); }
        finally { GC.KeepAlive(bitmap); }
    }
    void M4(Bitmap bitmap, bool b)
    {
        Native.draw(bitmap.Handle, 1);
        if (b) Console.WriteLine(bitmap.Width); else GC.KeepAlive(bitmap);
    }
    void M5(Bitmap bitmap, int n)
    {
        for (var i = 0; i < n; i++)
            Native.draw(bitmap.Handle, i);
        GC.KeepAlive(bitmap);
    }
    async Task M6(Bitmap bitmap)
    {
        Native.draw(bitmap.Handle, 1);
        await Task.Yield();
        GC.KeepAlive(bitmap);
    }
    void M7(Bitmap bitmap)
    {
        var status = Native.draw(bitmap.Handle, 1);
        if (status != 0) throw new InvalidOperationException();
        GC.KeepAlive(bitmap);
    }
}");

        // The same path shapes IG1002 is tested with (CallbackLifetimeTests): both rules ask Flow/UsedAfter whether the
        // value is used on every path after the native call, so they give the same answers.

        [Fact]
        public Task KeepAliveNotOnEveryPathAfterTheCall() => Check(@"
class C
{
    // When 'log' is false nothing uses bitmap after draw reads its handle.
    void InsideIf(Bitmap bitmap, bool log)
    {
        Native.draw({|#0:bitmap.Handle|}, 1);
        if (log) GC.KeepAlive(bitmap);
    }
    void AfterAnEarlyReturn(Bitmap bitmap, bool quick)
    {
        Native.draw({|#1:bitmap.Handle|}, 1);
        if (quick)
            return;
        GC.KeepAlive(bitmap);
    }
}", Finding(0, "bitmap", "bitmap.Handle", "Native.draw"), Finding(1, "bitmap", "bitmap.Handle", "Native.draw"));

        [Fact]
        public Task KeepAliveAfterAnUnconditionalReturnOrThrowIsNeverReached() => Check(@"
class C
{
    // Unreachable code (CS0162) keeps nothing alive.
    void AfterReturn(Bitmap bitmap)
    {
        Native.draw({|#0:bitmap.Handle|}, 1);
        return;
        GC.KeepAlive(bitmap);
    }
    // Paths that leave by an exception need no use, but here every path does: bitmap is dead during draw. (Before,
    // 'every path that reaches the exit uses it' held trivially, with no such path, and this was not reported.)
    void AfterThrow(Bitmap bitmap)
    {
        Native.draw({|#1:bitmap.Handle|}, 1);
        throw new InvalidOperationException();
        GC.KeepAlive(bitmap);
    }
    void OnlyAThrowAfter(Bitmap bitmap)
    {
        var status = Native.draw({|#2:bitmap.Handle|}, 1);
        throw new InvalidOperationException(status.ToString());
    }
    // No path leaves the loop: the handle was read once, before it, and nothing uses bitmap again.
    void EndlessLoop(Bitmap bitmap)
    {
        var h = bitmap.Handle;
        while (true)
            Native.draw({|#3:h|}, 1);
    }
}", Finding(0, "bitmap", "bitmap.Handle", "Native.draw"), Finding(1, "bitmap", "bitmap.Handle", "Native.draw"), Finding(2, "bitmap", "bitmap.Handle", "Native.draw"),
            Finding(3, "bitmap", "bitmap.Handle", "Native.draw"));

        [Fact]
        public Task KeepAliveOnEveryPathAfterTheCall() => Check(@"
class C
{
    void InFinally(Bitmap bitmap)
    {
        try { Native.draw(bitmap.Handle, 1); }
        finally { GC.KeepAlive(bitmap); }
    }
    void AfterALoop(Bitmap bitmap, int n)
    {
        for (var i = 0; i < n; i++)
            Native.draw(bitmap.Handle, i);
        GC.KeepAlive(bitmap);
    }
    void OnBothBranches(Bitmap bitmap, bool log)
    {
        Native.draw(bitmap.Handle, 1);
        if (log)
        {
            Console.WriteLine(1);
            GC.KeepAlive(bitmap);
        }
        else
        {
            GC.KeepAlive(bitmap);
        }
    }
    // The throw is caught, and the handler uses bitmap.
    void ThrowCaughtWithUse(Bitmap bitmap)
    {
        try
        {
            Native.draw(bitmap.Handle, 1);
            throw new InvalidOperationException();
        }
        catch (InvalidOperationException)
        {
            GC.KeepAlive(bitmap);
        }
    }
}");

        [Fact]
        public Task LookAlikesAreNotFindings() => Check(@"
class Window
{
    private IntPtr _hwnd;
    private static Bitmap s_bitmap = new Bitmap();
    public Window() { Native.draw(_hwnd, 0); }
    ~Window() { Native.draw(_hwnd, 0); }
    public void Dispose() { Native.draw(_hwnd, 0); }
    protected virtual void Dispose(bool disposing) { Native.draw(_hwnd, 0); }
    void Static() => Native.draw(s_bitmap.Handle, 1);
    void Ref(Bitmap b) => Native.drawRef(new HandleRef(b, b.Handle), 1);
    void Safe(FileHandle f) => Native.drawSafe(f, 1);
    void NoFinalizer(Plain p) { Native.draw(p.Handle, 1); Native.draw(p.Pointer, 1); }
    void Struct(Value v) => Native.draw(v.Handle, 1);
    void Managed(Bitmap b) => Console.WriteLine(b.Handle);
    void Reassigned(Bitmap b, Bitmap c, bool x)
    {
        var h = b.Handle;
        if (x) h = c.Handle;
        Native.draw(h, 1);
    }
    void InLambda() => Task.Run(() => Native.draw(_hwnd, 0));
    void Captured(Bitmap b)
    {
        Action a = () => Console.WriteLine(b.Width);
        Native.draw(b.Handle, 1);
    }
    public void Paint()
    {
        Native.draw(_hwnd, 0);
        GC.KeepAlive(this);
    }
    public void Paint2()
    {
        Native.draw(_hwnd, 0);
        Paint();
    }
}");

        [Fact]
        public Task DisposedOrLockedAfterTheCall() => Check(@"
class Image : IDisposable
{
    private IntPtr _pixels;
    private readonly object _sync = new object();
    ~Image() { }
    public void Dispose() { }
    static void UsingStatement()
    {
        using (var image = new Image())
        {
            Native.draw(image._pixels, 1);
        }
    }
    static void UsingDeclaration()
    {
        using var image = new Image();
        Native.draw(image._pixels, 1);
    }
    static void DisposedAfter(Image image)
    {
        Native.draw(image._pixels, 1);
        image.Dispose();
    }
}");

        [Fact]
        public Task TemporaryThroughALocal() => Check(@"
class C
{
    void M()
    {
        var h = new Bitmap().Handle;
        Native.draw({|#0:h|}, 1);
    }
}", Finding(0, "new Bitmap()", "new Bitmap().Handle", "Native.draw"));

        [Fact]
        public Task LoopConditionAndLockedSection() => Check(@"
class Image
{
    private IntPtr _pixels;
    private readonly object _sync = new object();
    ~Image() { }
    void Poll(Bitmap bitmap)
    {
        while (Native.draw({|#0:bitmap.Handle|}, 1) != 0)
        {
        }
    }
    void Locked()
    {
        // The lock holds _sync, not this: this may still be collected inside the section.
        lock (_sync)
        {
            Native.draw({|#1:_pixels|}, 0);
        }
    }
}", Finding(0, "bitmap", "bitmap.Handle", "Native.draw"), Finding(1, "this", "_pixels", "Native.draw"));

        [Fact]
        public Task OptionalSafeHandleBehindAPropertyChain() => Check(@"
abstract class CvObject : IDisposable
{
    private FileHandle? _safe;
    protected IntPtr ptr => _safe?.DangerousGetHandle() ?? IntPtr.Zero;
    public IntPtr CvPtr => ptr;
    ~CvObject() { }
    public void Dispose() { }
}
sealed class Mat : CvObject
{
    public int Rows(Mat other)
    {
        Native.draw({|#0:CvPtr|}, 0);
        return Native.draw({|#1:other.CvPtr|}, 1);
    }
}", Finding(0, "this", "CvPtr", "Native.draw"), Finding(1, "other", "other.CvPtr", "Native.draw"));

        // Getters classified through each other used to recurse through the getter cache until the stack overflowed
        // (which takes the compiler down with it); the chain now ends at the depth bound, and a chain of two getters
        // is still followed (the test above).
        [Fact]
        public Task GettersReturningEachOther() => Check(@"
class Loop
{
    public IntPtr A => B;
    public IntPtr B => A;
    ~Loop() { }
}
class C
{
    int M(Loop l) => Native.draw(l.A, 0);
}");
    }
}
