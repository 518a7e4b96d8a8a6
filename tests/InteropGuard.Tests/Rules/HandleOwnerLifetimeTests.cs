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

        // The local's first value is the owner's handle, but a deconstruction (or '??=') gives it another before the call:
        // what the call receives is no longer the bitmap's, so no owner to keep.
        [Fact]
        public Task LocalRewrittenByDeconstructionHoldsNoOwner() => Check(@"
class C
{
    static IntPtr Other() => IntPtr.Zero;

    void M(Bitmap bitmap)
    {
        var h = bitmap.Handle;
        Console.WriteLine(h);
        int n;
        (h, n) = (Other(), 1);
        Native.draw(h, n);
    }

    void Coalesced(Bitmap bitmap)
    {
        IntPtr? h = bitmap.Handle;
        Console.WriteLine(h);
        h ??= Other();
        Native.draw(h.Value, 1);
    }
}");

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
        // Was a finding under the "used on every path after the call" reading; the JIT keeps 'bitmap' live at the call
        // because a path reads it (ReadOnSomePathAfterTheCallKeepsTheOwner). The read is a field read whose value is
        // printed: one the JIT must perform.
        public Task UsedOnlyOnSomePaths() => Check(@"
class C
{
    void M(Bitmap bitmap, bool log)
    {
        Native.draw(bitmap.Handle, 1);
        if (log)
            Console.WriteLine(bitmap.RawHandle);
    }
}");

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

        // This test used to assert findings here, reading "kept alive" as "used on every path after the call". That reading
        // was wrong: optimized code reports a local or 'this' to the GC at a call when a read of it is reachable from the
        // call on any path (the JIT's liveness is existential), so the read on the branch keeps the owner alive during
        // draw whether or not the branch is taken later. The runtime proof is Lifetime.MissingKeepAlive's "branch" part.
        [Fact]
        public Task ReadOnSomePathAfterTheCallKeepsTheOwner() => Check(@"
class C
{
    void InsideIf(Bitmap bitmap, bool log)
    {
        Native.draw(bitmap.Handle, 1);
        if (log) GC.KeepAlive(bitmap);
    }
    void AfterAnEarlyReturn(Bitmap bitmap, bool quick)
    {
        Native.draw(bitmap.Handle, 1);
        if (quick)
            return;
        GC.KeepAlive(bitmap);
    }
    // Only the failure branch reads the owner again, to build its exception.
    void OnTheErrorBranch(Bitmap bitmap)
    {
        if (Native.draw(bitmap.Handle, 1) != 0)
            throw new InvalidOperationException(""draw failed on "" + bitmap.Handle);
    }
    // Only the success branch reads it again.
    bool OnTheSuccessBranch(Bitmap bitmap, out int width)
    {
        width = 0;
        var ok = Native.draw(bitmap.Handle, 1) == 0;
        if (ok && bitmap.RawHandle != IntPtr.Zero)
            width = 1;
        return ok;
    }
    // A read in a handler is reachable from anywhere in its try region.
    void InACatch(Bitmap bitmap)
    {
        try { Native.draw(bitmap.Handle, 1); Console.WriteLine(); }
        catch (Exception) { Console.WriteLine(bitmap); throw; }
    }
    // The next iteration reads the owner: it is live at the call in every iteration, the last one included.
    void AtTheTopOfALoop(Bitmap bitmap, int n)
    {
        for (var i = 0; i < n; i++)
            Native.draw(bitmap.Handle, i);
    }
}");

        // The reads the JIT does not need to perform once it has dereferenced the owner (to read its handle), the calls a
        // release build does not contain, and reads of a value the variable no longer holds do not keep the owner
        // alive during the call.
        [Fact]
        public Task ReadsThatDoNotKeepTheOwner() => Check(@"

class Canvas
{
    public IntPtr Handle;
    public int Tag;
    ~Canvas() { }
}
class Trace
{
    [System.Diagnostics.Conditional(""TRACE_DRAW"")]
    public virtual void Note(object value) { }
}
class VerboseTrace : Trace
{
    public override void Note(object value) => Console.WriteLine(value);
}
class C
{
    void NullTest(Canvas canvas)
    {
        Native.draw({|#0:canvas.Handle|}, 1);
        if (canvas != null) Console.WriteLine();
    }
    void NullPattern(Canvas canvas)
    {
        Native.draw({|#1:canvas.Handle|}, 1);
        if (canvas is not null) Console.WriteLine();
    }
    void DiscardedFieldRead(Canvas canvas)
    {
        Native.draw({|#2:canvas.Handle|}, 1);
        _ = canvas.Tag;
    }
    void OnlyInADebugAssert(Canvas canvas)
    {
        Native.draw({|#3:canvas.Handle|}, 1);
        System.Diagnostics.Debug.Assert(canvas.Tag == 0);
    }
    void OnlyInANameof(Canvas canvas)
    {
        Native.draw({|#4:canvas.Handle|}, 1);
        Console.WriteLine(nameof(canvas));
    }
    // An override of a [Conditional] method is conditional too (the compiler reads the attribute from the method it
    // overrides): a release build without TRACE_DRAW has no call.
    void OnlyInAnOverrideOfAConditionalMethod(Canvas canvas, VerboseTrace trace)
    {
        Native.draw({|#9:canvas.Handle|}, 1);
        trace.Note(canvas);
    }
    // The read after the call is of another canvas.
    void OverwrittenFirst(Canvas canvas)
    {
        Native.draw({|#5:canvas.Handle|}, 1);
        canvas = new Canvas();
        GC.KeepAlive(canvas);
    }
    // Each iteration's canvas is replaced before the next iteration reads the variable.
    void NewOwnerPerIteration(int n)
    {
        for (var i = 0; i < n; i++)
        {
            var canvas = new Canvas();
            Native.draw({|#6:canvas.Handle|}, i);
        }
    }
    // The same for a pattern variable and a foreach variable: the next element replaces it before it is read.
    void PatternPerElement(object[] items)
    {
        for (var i = 0; i < items.Length; i++)
        {
            switch (items[i])
            {
                case Canvas canvas:
                    Native.draw({|#7:canvas.Handle|}, i);
                    break;
            }
        }
    }
    void ForeachElement(List<Canvas> canvases)
    {
        foreach (var canvas in canvases)
            Native.draw({|#8:canvas.Handle|}, 0);
    }
}", Finding(0, "canvas", "canvas.Handle", "Native.draw"), Finding(1, "canvas", "canvas.Handle", "Native.draw"), Finding(2, "canvas", "canvas.Handle", "Native.draw"),
            Finding(3, "canvas", "canvas.Handle", "Native.draw"), Finding(4, "canvas", "canvas.Handle", "Native.draw"), Finding(5, "canvas", "canvas.Handle", "Native.draw"),
            Finding(6, "canvas", "canvas.Handle", "Native.draw"), Finding(7, "canvas", "canvas.Handle", "Native.draw"), Finding(8, "canvas", "canvas.Handle", "Native.draw"),
            Finding(9, "canvas", "canvas.Handle", "Native.draw"));

        // Reads that keep it: a field read whose value is used, a store of the reference, the owner as a receiver or an
        // argument (also where a null test guards it).
        [Fact]
        public Task ReadsThatKeepTheOwner() => Check(@"
class Canvas
{
    public IntPtr Handle;
    public int Tag;
    public static Canvas Last;
    public void Touch() { }
    ~Canvas() { }
}
class C
{
    int UsedFieldRead(Canvas canvas)
    {
        Native.draw(canvas.Handle, 1);
        return canvas.Tag;
    }
    void Stored(Canvas canvas)
    {
        Native.draw(canvas.Handle, 1);
        Canvas.Last = canvas;
    }
    void Receiver(Canvas canvas, bool again)
    {
        Native.draw(canvas.Handle, 1);
        if (again) canvas.Touch();
    }
    void NullTestAndUse(Canvas canvas)
    {
        Native.draw(canvas.Handle, 1);
        if (canvas != null) Console.WriteLine(canvas);
    }
    // The owner is read to compute its replacement.
    void ReadBeforeTheOverwrite(Canvas canvas)
    {
        Native.draw(canvas.Handle, 1);
        canvas = Wrap(canvas);
    }
    static Canvas Wrap(Canvas c) => c;
}");

        // A ref or out to a field of the owner is an interior pointer: the GC keeps the object it points into reachable,
        // and the marshaller pins it, until the call returns (NAudio's 'acmDriverOpen(out driverHandle, DriverId, 0)').
        [Fact]
        public Task RefToAFieldOfTheOwnerKeepsItDuringTheCall() => Check(@"
static class Acm
{
    [DllImport(""acm"")] public static extern int open(out IntPtr driver, IntPtr id, int flags);
    [DllImport(""acm"")] public static extern int query(IntPtr id, ref int details);
}
class Driver
{
    private IntPtr _driver;
    private int _details;
    public IntPtr Id { get; private set; }
    ~Driver() { }
    public void Open() => Acm.open(out _driver, Id, 0);
    public void Query() => Acm.query(Id, ref _details);
    public static void OpenOther(Driver driver) => Acm.open(out driver._driver, driver.Id, 0);
}");

        // The interior pointer must point into the owner, and be given to the same call.
        [Fact]
        public Task RefToSomethingElseDoesNotKeepTheOwner() => Check(@"
static class Acm
{
    [DllImport(""acm"")] public static extern int open(out IntPtr driver, IntPtr id, int flags);
}
class Driver
{
    public IntPtr Opened;
    public static IntPtr Shared;
    public IntPtr Id { get; private set; }
    ~Driver() { }
    public IntPtr IntoALocal()
    {
        Acm.open(out var opened, {|#0:Id|}, 0);
        return opened;
    }
    public void IntoAStaticField() => Acm.open(out Shared, {|#1:Id|}, 0);
    public void IntoAnotherDriver(Driver other) => Acm.open(out other.Opened, {|#2:Id|}, 0);
    public void OnAnEarlierCall(Driver other)
    {
        Acm.open(out Opened, other.Id, 0);
        Acm.open(out other.Opened, {|#3:Id|}, 0);
    }
}", Finding(0, "this", "Id", "Acm.open"), Finding(1, "this", "Id", "Acm.open"), Finding(2, "this", "Id", "Acm.open"), Finding(3, "this", "Id", "Acm.open"));

        private const string Records = @"
struct Layer
{
    public int Index;
    public IntPtr Pixels;
}
sealed class Page
{
    public Bitmap Image { get; }
    public Page(Bitmap image) => Image = image;
}
static class Compose
{
    [DllImport(""compose"")] public static extern int layers(Layer[] layers, int count);
    public static int Managed(Layer[] layers, int count) => count;
}
";

        // Handles copied into fields of structs stored in an array that goes to native code: native code reads them
        // during the call, so their owners must be alive then (OpenCvSharp's stitching Estimator.Apply, fixed upstream by
        // GC.KeepAlive of the arrays the owners came from).
        [Fact]
        public Task HandlesInStructsOfAnArrayPassedToNativeCode() => Check(Records + @"
class C
{
    int FromAnArrayOfOwners(Page[] pages)
    {
        var layers = new Layer[pages.Length];
        for (var i = 0; i < pages.Length; i++)
            layers[i] = new Layer { Index = i, Pixels = {|#0:pages[i].Image.Handle|} };
        return Compose.layers(layers, layers.Length);
    }
    int FieldByField(Bitmap first, Bitmap second)
    {
        var layers = new Layer[2];
        layers[0].Pixels = {|#1:first.Handle|};
        layers[1].Pixels = {|#2:second.Handle|};
        return Compose.layers(layers, 2);
    }
    int FromATemporary()
    {
        var layers = new Layer[1];
        layers[0] = new Layer { Pixels = {|#3:Bitmap.Create().Handle|} };
        return Compose.layers(layers, 1);
    }
}", Finding(0, "pages[i].Image", "pages[i].Image.Handle", "Compose.layers"), Finding(1, "first", "first.Handle", "Compose.layers"),
            Finding(2, "second", "second.Handle", "Compose.layers"), Finding(3, "Bitmap.Create()", "Bitmap.Create().Handle", "Compose.layers"));

        [Fact]
        public Task HandlesInStructsOfAnArrayWhoseOwnersStayAlive() => Check(Records + @"
class C
{
    // The upstream fix: the array the owners come from is kept alive after the call.
    int KeptAlive(Page[] pages)
    {
        var layers = new Layer[pages.Length];
        for (var i = 0; i < pages.Length; i++)
            layers[i] = new Layer { Index = i, Pixels = pages[i].Image.Handle };
        var status = Compose.layers(layers, layers.Length);
        GC.KeepAlive(pages);
        return status;
    }
    // Read after the call on some path.
    int ReadAfter(Bitmap first)
    {
        var layers = new Layer[1];
        layers[0].Pixels = first.Handle;
        if (Compose.layers(layers, 1) != 0)
            throw new InvalidOperationException(first.ToString());
        return 0;
    }
    // A managed method that takes the array: no native code reads the handles.
    int NotNative(Bitmap first)
    {
        var layers = new Layer[1];
        layers[0].Pixels = first.Handle;
        return Compose.Managed(layers, 1);
    }
    // Handles that no collectable object owns.
    int NoOwner(IntPtr raw, Plain plain)
    {
        var layers = new Layer[2];
        layers[0].Pixels = raw;
        layers[1] = new Layer { Pixels = plain.Handle };
        return Compose.layers(layers, 2);
    }
    // Stored into another array than the one passed.
    int OtherArray(Bitmap first)
    {
        var layers = new Layer[1];
        var spare = new Layer[1];
        spare[0].Pixels = first.Handle;
        return Compose.layers(layers, 1);
    }
}");

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
    // The next evaluation of the condition reads bitmap again: live at every call, the last included. (A finding under
    // the old 'every path' reading, which the exit from the loop failed.)
    void Poll(Bitmap bitmap)
    {
        while (Native.draw(bitmap.Handle, 1) != 0)
        {
        }
    }
    void PollWithTheHandleReadOnce(Bitmap bitmap)
    {
        var handle = bitmap.Handle;
        while (Native.draw({|#0:handle|}, 1) != 0)
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
