using System.Threading.Tasks;
using InteropGuard.CodeFixes;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG3004 (GCHandle and MemoryHandle) and IG3005 (SafeHandle): released on every path unless handed on.</summary>
    public class HandleReleaseTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
static class Native
{
    [DllImport(""mylib"")] public static extern int use(IntPtr p);
    [DllImport(""mylib"")] public static extern int read(FileHandle h);
    [DllImport(""mylib"")] public static extern FileHandle open(string path);
    [DllImport(""mylib"")] public static extern int open_out(string path, out FileHandle h);
    [DllImport(""mylib"")] public static extern void set_user_data(IntPtr data);
    public static void Validate() => throw new InvalidOperationException();
}
sealed class FileHandle : SafeHandle
{
    public FileHandle() : base(IntPtr.Zero, true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => true;
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task PinnedGCHandleNotFreedWhenValidationThrows() => Check(@"
class C
{
    void M(byte[] buffer)
    {
        var pin = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
        Native.Validate();
        Native.use(pin.AddrOfPinnedObject());
        pin.Free();
    }
}", Verify.Diagnostic("IG3004").WithLocation(0).WithMessage(
            "The GCHandle in 'pin' from 'GCHandle.Alloc' is not released by 'GCHandle.Free' if 'Native.Validate()' throws, so the object stays pinned and can never be collected"));

        // A Normal handle whose result is dropped can never be freed by anyone: it is written to keep its object alive
        // for the life of the process (a helper native code keeps calling back), a decision rather than a forgotten Free.
        [Fact]
        public Task DroppedNormalHandleRootsItsObjectOnPurpose() => Check(@"
class PrintHelper
{
    private readonly Action<string> _print;

    public PrintHelper(Action<string> print)
    {
        _print = print;
        GCHandle.Alloc(this);
    }

    public static void KeepForever(Action<string> callback)
    {
        _ = GCHandle.Alloc(callback, GCHandleType.Normal);
    }
}");

        // Dropped, a pinned handle pins its buffer for good (the usual misreading: 'Alloc pins it for the call'), and a weak
        // one holds a table slot nothing can read: both stay findings. So does a Normal handle that is stored in a local
        // and then forgotten.
        [Fact]
        public Task DroppedPinnedOrWeakHandleAndAForgottenLocalAreLeaks() => Check(@"
class Sender
{
    public static void Send(byte[] packet)
    {
        {|#0:GCHandle.Alloc(packet, GCHandleType.Pinned)|};
        Native.use(IntPtr.Zero);
    }

    public static void Watch(object target)
    {
        {|#1:GCHandle.Alloc(target, GCHandleType.Weak)|};
    }

    public static void Keep(object target)
    {
        var h = {|#2:GCHandle.Alloc(target)|};
        Console.WriteLine(h.Target);
    }
}", Verify.Diagnostic("IG3004").WithLocation(0), Verify.Diagnostic("IG3004").WithLocation(1), Verify.Diagnostic("IG3004").WithLocation(2));

        [Fact]
        public Task MemoryPinNeverDisposed() => Check(@"
class C
{
    unsafe void M(Memory<byte> memory)
    {
        var handle = {|#0:memory.Pin()|};
        Native.use((IntPtr)handle.Pointer);
    }
}", Verify.Diagnostic("IG3004").WithLocation(0).WithMessage(
            "The MemoryHandle in 'handle' from 'Memory<T>.Pin' is not released by 'Dispose' when the method returns, so the memory stays pinned"));

        [Fact]
        public Task SafeHandleFromNativeCallOutParameterAndNew() => Check(@"
class C
{
    int A() { var h = {|#0:Native.open(""a"")|}; return Native.read(h); }
    int B() { Native.open_out(""b"", {|#1:out var h|}); return Native.read(h); }
    int D() { var h = {|#2:new FileHandle()|}; return Native.read(h); }
}",
            Verify.Diagnostic("IG3005").WithLocation(0).WithMessage("SafeHandle 'h' from 'Native.open' is not disposed on the 'return Native.read(h)'; the native handle stays open until the finalizer runs"),
            Verify.Diagnostic("IG3005").WithLocation(1).WithMessage("SafeHandle 'h' from 'Native.open_out' is not disposed on the 'return Native.read(h)'; the native handle stays open until the finalizer runs"),
            Verify.Diagnostic("IG3005").WithLocation(2).WithMessage("SafeHandle 'h' from 'new FileHandle' is not disposed on the 'return Native.read(h)'; the native handle stays open until the finalizer runs"));

        [Fact]
        public Task LookAlikesAreSilent() => Check(@"
class C
{
    GCHandle _keep;
    FileHandle _file;
    void FreedInFinally(object o)
    {
        var h = GCHandle.Alloc(o, GCHandleType.Pinned);
        try { Native.use(h.AddrOfPinnedObject()); }
        finally { if (h.IsAllocated) h.Free(); }
    }
    void HandedToNativeAsUserData(object state)
    {
        var h = GCHandle.Alloc(state);
        Native.set_user_data(GCHandle.ToIntPtr(h));
    }
    void KeptInField(object o) { _keep = GCHandle.Alloc(o); }
    void ReleaseKept() { _keep.Free(); }
    unsafe void UsingPin(Memory<byte> memory)
    {
        using var handle = memory.Pin();
        Native.use((IntPtr)handle.Pointer);
    }
    int UsingHandle()
    {
        using var h = Native.open(""x"");
        return Native.read(h);
    }
    int ValidatedBeforeUsing()
    {
        var h = Native.open(""x"");
        if (h.IsInvalid)
            throw new InvalidOperationException(""open failed"");
        using (h)
        {
            return Native.read(h);
        }
    }
    FileHandle Factory()
    {
        var h = new FileHandle();
        Native.Validate();
        return h;
    }
    void Stored() { _file = Native.open(""y""); }
    System.IO.FileStream Wrapped()
    {
        var h = new Microsoft.Win32.SafeHandles.SafeFileHandle(IntPtr.Zero, true);
        return new System.IO.FileStream(h, System.IO.FileAccess.Read);
    }
}");

        [Fact]
        public Task SafeHandleLookAlikesFromRealBindings() => Check(@"
sealed class HookHandle : SafeHandle
{
    public HookHandle(object target) : base(IntPtr.Zero, true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => true;
    public IDisposable ForDispose() => IsInvalid ? null! : this;
}
static class Hooks
{
    [DllImport(""mylib"")] public static extern int mylib_set_commit_hook(IntPtr db, HookHandle userData);
    [DllImport(""mylib"")] public static extern int mylib_exec(IntPtr db, HookHandle userData);
}
class C
{
    IDisposable? _commit;
    void Registered(IntPtr db, object state)
    {
        var h = new HookHandle(state);
        Hooks.mylib_set_commit_hook(db, h);
    }
    void KeptThroughItsOwnMethod(IntPtr db, object state)
    {
        var h = new HookHandle(state);
        _commit = h.ForDispose();
    }
    void DisposedOnTheNormalPathOnly(IntPtr db, object state)
    {
        var h = new HookHandle(state);
        Hooks.mylib_exec(db, h);
        h.Dispose();
    }
}");

        [Fact]
        public Task OutHandleOwesNothingWhenTheCallReportsFailure() => Check(@"
static class Status
{
    [DllImport(""mylib"")] public static extern bool try_open(string name, out FileHandle h);
    [DllImport(""mylib"")] public static extern int open_status(string name, out FileHandle h);
}
class C
{
    static int Boolean(string name)
    {
        if (!Status.try_open(name, out var h))
            return -1;
        using (h) { return Native.read(h); }
    }
    static int StatusCode(string name)
    {
        int rc = Status.open_status(name, out var h);
        if (rc != 0)
            return rc;
        using (h) { return Native.read(h); }
    }
    static int NonOwningView(IntPtr fd, byte[] buffer)
    {
        var view = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false);
        return System.IO.RandomAccess.Read(view, buffer, 0);
    }
}");

        [Fact]
        public Task OutHandleLeaksOnTheSuccessPath() => Check(@"
static class Status
{
    [DllImport(""mylib"")] public static extern int open_status(string name, out FileHandle h);
}
class C
{
    static int M(string name)
    {
        if (Status.open_status(name, {|#0:out var h|}) != 0)
            return -1;
        return Native.read(h);
    }
}", Verify.Diagnostic("IG3005").WithLocation(0).WithMessage("SafeHandle 'h' from 'Status.open_status' is not disposed on the 'return Native.read(h)'; the native handle stays open until the finalizer runs"));

        [Fact]
        public Task PinnedThenHandedOnAsUserData() => Check(@"
class C
{
    static IntPtr s_user;
    void M(byte[] data)
    {
        var pin = GCHandle.Alloc(data, GCHandleType.Pinned);
        var address = pin.AddrOfPinnedObject();
        s_user = GCHandle.ToIntPtr(pin);
        Native.use(address);
    }
}");

        [Fact]
        public Task NativeMemoryGivenToARegistrationFunctionIsShared() => Check(@"
static class Events
{
    [DllImport(""mylib"")] public static extern void mylib_register_context(IntPtr context);
}
class C
{
    void M() { Events.mylib_register_context(Marshal.AllocHGlobal(64)); }
}");

        [Fact]
        public Task GCHandleFixFreesInFinally() => new CodeFixTest<OwnershipAnalyzer, ReleaseHandleCodeFix>
        {
            DefaultDiagnosticId = "IG3004",
            Source = @"using System;
using System.Runtime.InteropServices;

class C
{
    static void Validate() => throw new InvalidOperationException();

    void M(byte[] buffer)
    {
        var pin = [|GCHandle.Alloc(buffer, GCHandleType.Pinned)|];
        Validate();
        pin.Free();
    }

    void N(object state)
    {
        var h = [|GCHandle.Alloc(state)|];
        Validate();
    }
}",
            FixedSource = @"using System;
using System.Runtime.InteropServices;

class C
{
    static void Validate() => throw new InvalidOperationException();

    void M(byte[] buffer)
    {
        var pin = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        try
        {
            Validate();
        }
        finally
        {
            pin.Free();
        }
    }

    void N(object state)
    {
        var h = GCHandle.Alloc(state);
        try
        {
            Validate();
        }
        finally
        {
            h.Free();
        }
    }
}",
        }.RunAsync();

        [Fact]
        public Task GCHandleAndPinInOneMethodAreFixedTogether() => new CodeFixTest<OwnershipAnalyzer, ReleaseHandleCodeFix>
        {
            DefaultDiagnosticId = "IG3004",
            Source = @"using System;
using System.Runtime.InteropServices;

class C
{
    static void Validate() => throw new InvalidOperationException();

    unsafe void M(byte[] buffer, Memory<byte> memory)
    {
        var pin = [|GCHandle.Alloc(buffer, GCHandleType.Pinned)|];
        var handle = [|memory.Pin()|];
        Validate();
        pin.Free();
    }
}",
            FixedSource = @"using System;
using System.Runtime.InteropServices;

class C
{
    static void Validate() => throw new InvalidOperationException();

    unsafe void M(byte[] buffer, Memory<byte> memory)
    {
        var pin = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        try
        {
            using var handle = memory.Pin();
            Validate();
        }
        finally
        {
            pin.Free();
        }
    }
}",
        }.RunAsync();

        [Fact]
        public Task UsingStatementHoistsAResultReadAfterTheDispose() => new CodeFixTest<OwnershipAnalyzer, DisposeWithUsingCodeFix>
        {
            DefaultDiagnosticId = "IG3005",
            Source = Prelude + @"
class C
{
    int M(bool quick)
    {
        var h = [|Native.open(""a"")|];
        if (quick)
        {
            return 0;
        }

        var n = Native.read(h);
        h.Dispose();
        return n;
    }
}",
            FixedSource = Prelude + @"
class C
{
    int M(bool quick)
    {
        var h = Native.open(""a"");
        int n;
        using (h)
        {
            if (quick)
            {
                return 0;
            }

            n = Native.read(h);
        }

        return n;
    }
}",
        }.RunAsync();

        [Fact]
        public Task SafeHandleFixUsesUsing() => new CodeFixTest<OwnershipAnalyzer, DisposeWithUsingCodeFix>
        {
            DefaultDiagnosticId = "IG3005",
            Source = Prelude + @"
class C
{
    int A()
    {
        var h = [|Native.open(""a"")|];
        return Native.read(h);
    }

    int B()
    {
        Native.open_out(""b"", [|out var h|]);
        if (Native.read(h) < 0)
        {
            return -1;
        }

        h.Dispose();
        return 0;
    }
}",
            FixedSource = Prelude + @"
class C
{
    int A()
    {
        using var h = Native.open(""a"");
        return Native.read(h);
    }

    int B()
    {
        Native.open_out(""b"", out var h);
        using (h)
        {
            if (Native.read(h) < 0)
            {
                return -1;
            }
        }

        return 0;
    }
}",
        }.RunAsync();
    }
}
