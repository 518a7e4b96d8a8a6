using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// Where SafeHandles come from and who owes their release: a <c>ref SafeHandle</c> argument of a P/Invoke is a
    /// source like <c>out</c> (IG3005); a handle type that passes <c>ownsHandle: false</c> never runs its ReleaseHandle
    /// (IG3005); a reference taken on a handle that is then returned is owed by the caller (IG3006).
    /// </summary>
    public class SafeHandleSourceTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""mylib"")] public static extern int read(FileHandle h);
    [DllImport(""mylib"")] public static extern int reopen(string path, ref FileHandle h);
    [DllImport(""mylib"")] public static extern int native_read(IntPtr h);
}

sealed class FileHandle : SafeHandle
{
    public FileHandle() : base(IntPtr.Zero, true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
        Native.native_read(handle);
        return true;
    }
}
";

        private static Task Check<TAnalyzer>(string source, params DiagnosticResult[] expected)
            where TAnalyzer : Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer, new()
        {
            var test = new AnalyzerTest<TAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task RefSafeHandleArgumentOfAPInvokeIsASource() => Check<OwnershipAnalyzer>(@"
class C
{
    int Leaked()
    {
        FileHandle h = null;
        Native.reopen(""a"", {|#0:ref h|});
        return Native.read(h);
    }

    int Disposed()
    {
        FileHandle h = null;
        Native.reopen(""b"", ref h);
        using (h)
        {
            return Native.read(h);
        }
    }

    FileHandle Returned()
    {
        FileHandle h = null;
        Native.reopen(""c"", ref h);
        return h;
    }

    void Forwarded(ref FileHandle h) => Native.reopen(""d"", ref h);

    int ReopenedAfterDispose()
    {
        var h = new FileHandle();
        h.Dispose();
        Native.reopen(""e"", ref h);
        using (h)
        {
            return Native.read(h);
        }
    }
}", Verify.Diagnostic("IG3005").WithLocation(0).WithMessage(
            "SafeHandle 'h' from 'Native.reopen' is not disposed on the 'return Native.read(h)'; the native handle stays open until the finalizer runs"));

        private static DiagnosticResult Disowned(int location, string type, string baseType)
            => Verify.Diagnostic("IG3005").WithLocation(location).WithMessage(
                "'" + type + ".ReleaseHandle' never runs: the type passes ownsHandle: false to '" + baseType + "'; the native handle is never released");

        // A compiled filter whose native compile failed: its block is freed by hand and the handle emptied, or its value
        // handed to native code that owns it from then on; either way disposing would close nothing.
        private const string Filters = @"
class FilterHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    [DllImport(""mylib"")] private static extern int compile_filter(FilterHandle filter);

    public FilterHandle() : base(true) { }
    protected override bool ReleaseHandle()
    {
        Native.native_read(handle);
        return true;
    }

    public static FilterHandle Compile(string text)
    {
        var filter = new FilterHandle();
        filter.SetHandle(Marshal.AllocHGlobal(16));
        if (compile_filter(filter) < 0)
        {
            Marshal.FreeHGlobal(filter.handle);
            filter.SetHandle(IntPtr.Zero);
            filter = null;
        }
        return filter;
    }

    public static FilterHandle Retarget(string text, IntPtr other)
    {
        var filter = {|#0:new FilterHandle()|};
        if (compile_filter(filter) < 0)
        {
            filter.SetHandle(other);
            filter = null;
        }
        return filter;
    }
}

static class Attach
{
    [DllImport(""mylib"")] public static extern int attach_filter(IntPtr owner, IntPtr filter);

    public static int Give(IntPtr owner)
    {
        var filter = new FilterHandle();
        int rc = attach_filter(owner, filter.DangerousGetHandle());
        filter.SetHandleAsInvalid();
        return rc;
    }
}
";

        [Fact]
        public Task AHandleEmptiedOrGivenAwayHasNothingLeftToDispose() => Check<OwnershipAnalyzer>(Filters,
            Verify.Diagnostic("IG3005").WithLocation(0).WithMessage("SafeHandle 'filter' from 'new FilterHandle' is not disposed before 'filter' is overwritten by 'filter = null' in 'if (compile_filter(filter) < 0)'; the native handle stays open until the finalizer runs"));

        // A record handle a native call lends out of its owner: the marshaller builds the view type with its parameterless
        // constructor, which passes 'false' down the chain as ownsHandle, so disposing it would release nothing.
        private const string LentRecords = @"
class RecordHandle : SafeHandle
{
    public RecordHandle() : this(true) { }
    protected RecordHandle(bool ownsHandle) : base(IntPtr.Zero, ownsHandle) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
        Native.native_read(handle);
        return true;
    }
}

sealed class LentRecordHandle : RecordHandle
{
    public LentRecordHandle() : base(false) { }
    protected override bool ReleaseHandle() => true;
}

static class Records
{
    [DllImport(""mylib"")] public static extern LentRecordHandle record_of_event(IntPtr ev);
    [DllImport(""mylib"")] public static extern RecordHandle record_copy(LentRecordHandle record);
    [DllImport(""mylib"")] public static extern int record_lend(IntPtr ev, out LentRecordHandle record);
}
";

        [Fact]
        public Task AHandleTheMarshallerMakesWithoutOwnershipIsNotASource() => Check<OwnershipAnalyzer>(LentRecords + @"
class C
{
    RecordHandle Copy(IntPtr ev)
    {
        LentRecordHandle lent = Records.record_of_event(ev);
        return Records.record_copy(lent);
    }

    int Lend(IntPtr ev)
    {
        Records.record_lend(ev, out LentRecordHandle lent);
        return lent.IsInvalid ? 0 : 1;
    }
}");

        [Fact]
        public Task TheOwningCopyOfALentHandleIsStillASource() => Check<OwnershipAnalyzer>(LentRecords + @"
class C
{
    bool Copy(IntPtr ev)
    {
        LentRecordHandle lent = Records.record_of_event(ev);
        RecordHandle copy = {|#0:Records.record_copy(lent)|};
        return copy.IsInvalid;
    }
}", Verify.Diagnostic("IG3005").WithLocation(0).WithMessage("SafeHandle 'copy' from 'Records.record_copy' is not disposed on the 'return copy.IsInvalid'; the native handle stays open until the finalizer runs"));

        [Fact]
        public Task AHandleTypeThatDisownsWhatItsReleaseHandleReleases() => Check<OwnershipAnalyzer>(@"
sealed class FileView : SafeHandle
{
    public FileView() : base(IntPtr.Zero, {|#0:false|}) { }
    public FileView(IntPtr h) : this() { SetHandle(h); }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
        Native.native_read(handle);
        return true;
    }
}

sealed class NamedView : SafeHandleZeroOrMinusOneIsInvalid
{
    public NamedView() : base({|#1:ownsHandle: false|}) { }
    protected override bool ReleaseHandle()
    {
        Native.native_read(handle);
        return true;
    }
}", Disowned(0, "FileView", "SafeHandle"), Disowned(1, "NamedView", "SafeHandleZeroOrMinusOneIsInvalid"));

        [Fact]
        public Task HandleTypesThatOwnOrReleaseNothingAreNotReported() => Check<OwnershipAnalyzer>(@"
sealed class Borrowed : SafeHandle
{
    public Borrowed() : base(IntPtr.Zero, false) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => true;
}

sealed class Flexible : SafeHandle
{
    public Flexible(bool owns) : base(IntPtr.Zero, owns) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
        Native.native_read(handle);
        return true;
    }
}

sealed class Either : SafeHandle
{
    public Either() : base(IntPtr.Zero, true) { }
    public Either(IntPtr borrowed) : base(IntPtr.Zero, false) { SetHandle(borrowed); }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
        Native.native_read(handle);
        return true;
    }
}");

        // A handle made over no native handle, the "none" a native parameter accepts, has nothing open to dispose; one made
        // over a value the caller was given does.
        [Fact]
        public Task AHandleMadeOverZeroHasNothingToDispose() => Check<OwnershipAnalyzer>(@"
sealed class FunctionHandle : SafeHandle
{
    public FunctionHandle(IntPtr handle) : base(IntPtr.Zero, true) { SetHandle(handle); }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
        Native.native_read(handle);
        return true;
    }
}

static class Graph
{
    [DllImport(""mylib"")] static extern void copy_function(IntPtr graph, FunctionHandle function, FunctionHandle gradient);

    public static void WithoutGradient(IntPtr graph, FunctionHandle function)
    {
        copy_function(graph, function, new FunctionHandle(IntPtr.Zero));
        copy_function(graph, function, new FunctionHandle(default));
    }

    public static void WithGradient(IntPtr graph, FunctionHandle function, IntPtr gradient)
    {
        copy_function(graph, function, {|#0:new FunctionHandle(gradient)|});
    }
}", Verify.Diagnostic("IG3005").WithLocation(0));

        [Fact]
        public Task AReferenceTakenOnAReturnedHandleIsOwedByTheCaller() => Check<SafeHandleRefCountAnalyzer>(@"
class Owner
{
    private readonly SafeFileHandle _file = new SafeFileHandle(IntPtr.Zero, true);

    public SafeFileHandle Acquire()
    {
        bool added = false;
        _file.DangerousAddRef(ref added);
        return _file;
    }

    public static SafeFileHandle Retain(SafeFileHandle h)
    {
        bool added = false;
        h.DangerousAddRef(ref added);
        return h;
    }

    public static IntPtr RetainRaw(SafeFileHandle h)
    {
        bool added = false;
        h.DangerousAddRef(ref added);
        return h.DangerousGetHandle();
    }

    public static SafeFileHandle RetainIfShared(SafeFileHandle h, bool shared)
    {
        bool added = false;
        h.DangerousAddRef(ref added);
        if (!shared)
        {
            h.DangerousRelease();
            return null;
        }

        return h;
    }

    public static SafeFileHandle Leaked(SafeFileHandle h)
    {
        bool added = false;
        {|#0:h.DangerousAddRef(ref added)|};
        return new SafeFileHandle(IntPtr.Zero, true);
    }

    public static SafeFileHandle ReturnsAnother(SafeFileHandle h, SafeFileHandle other, bool shared)
    {
        bool added = false;
        {|#1:h.DangerousAddRef(ref added)|};
        if (!shared)
        {
            h.DangerousRelease();
            return null;
        }

        return other;
    }
}", Verify.Diagnostic("IG3006").WithLocation(0), Verify.Diagnostic("IG3006").WithLocation(1).WithMessage(
            "'h.DangerousAddRef' is not matched by 'DangerousRelease' on the 'return other': the reference count of 'h' stays raised and its handle is never released"));

        // Bindings open handles in a wrapper layer (libgit2sharp's Proxy.git_diff_tree_to_index: an out argument of the
        // P/Invoke, a result check, the handle returned); a call of such a wrapper is a source like the P/Invoke.
        private const string Wrappers = @"
static class Proxy
{
    [DllImport(""mylib"")] private static extern int open_handle(string path, out FileHandle h);
    [DllImport(""mylib"")] private static extern IntPtr raw_open(string path);

    public static FileHandle Open(string path)
    {
        FileHandle h;
        int res = open_handle(path, out h);
        Check(res);
        return h;
    }

    public static FileHandle OpenInline(string path)
    {
        Check(open_handle(path, out var h));
        return h;
    }

    public static FileHandle Wrap(string path)
    {
        var h = new FileHandle();
        return h;
    }

    public static void Check(int res)
    {
        if (res != 0) throw new InvalidOperationException(res.ToString());
    }
}
";

        [Fact]
        public Task HandleFromAWrapperThatOpensAndReturnsItIsASource() => Check<OwnershipAnalyzer>(Wrappers + @"
class C
{
    int Leaked(string path, bool quick)
    {
        var h = {|#0:Proxy.Open(path)|};
        var i = {|#1:Proxy.OpenInline(path)|};
        var w = {|#2:Proxy.Wrap(path)|};
        if (quick)
        {
            return 0;
        }

        Proxy.Check(Native.read(h) + Native.read(i) + Native.read(w));
        h.Dispose();
        i.Dispose();
        w.Dispose();
        return 1;
    }
}", Verify.Diagnostic("IG3005").WithLocation(0).WithMessage("SafeHandle 'h' from 'Proxy.Open' is not disposed on the 'return 0' in 'if (quick)'; the native handle stays open until the finalizer runs"),
            Verify.Diagnostic("IG3005").WithLocation(1).WithMessage("SafeHandle 'i' from 'Proxy.OpenInline' is not disposed on the 'return 0' in 'if (quick)'; the native handle stays open until the finalizer runs"),
            Verify.Diagnostic("IG3005").WithLocation(2).WithMessage("SafeHandle 'w' from 'Proxy.Wrap' is not disposed on the 'return 0' in 'if (quick)'; the native handle stays open until the finalizer runs"));

        [Fact]
        public Task WrappersThatKeepOrShareTheirHandleAreNotSources() => Check<OwnershipAnalyzer>(Wrappers + @"
class Cache
{
    [DllImport(""mylib"")] private static extern int open_handle(string path, out FileHandle h);
    private FileHandle _shared;
    private readonly FileHandle _field = new FileHandle();

    // Keeps what it opens and hands out the same handle again.
    public FileHandle Shared(string path)
    {
        if (_shared == null)
        {
            open_handle(path, out _shared);
        }

        return _shared;
    }

    public FileHandle Field() => _field;

    // Stores the handle as well as returning it: the cache disposes it.
    public FileHandle Remembered(string path)
    {
        FileHandle h;
        open_handle(path, out h);
        _shared = h;
        return h;
    }

    // A view: disposing it closes nothing.
    public static SafeFileHandle View(IntPtr raw) => new SafeFileHandle(raw, false);

    // Returns the parameter or a fresh handle: the caller cannot tell which.
    public static FileHandle OrGiven(FileHandle given, string path)
    {
        if (given != null)
        {
            return given;
        }

        open_handle(path, out var h);
        return h;
    }
}
class C
{
    int Used(Cache cache, string path, FileHandle given, IntPtr raw)
    {
        using (var h = Proxy.Open(path))
        {
            Proxy.Check(Native.read(h));
        }

        var s = cache.Shared(path);
        var f = cache.Field();
        var r = cache.Remembered(path);
        var v = Cache.View(raw);
        var g = Cache.OrGiven(given, path);
        Proxy.Check(Native.read(s) + Native.read(f) + Native.read(r) + Native.read(g));
        GC.KeepAlive(v);
        return 0;
    }

    FileHandle Returned(string path) => Proxy.Open(path);
}");
    
        // A binding's generated handle type with a factory that takes the ownership flag: told 'false', directly or behind a
        // getter for the empty handle, it hands out a view; told 'true', or by a variable, an owner.
        [Fact]
        public Task AFactoryGivenOnlyZeroWrapsNothing() => Check<OwnershipAnalyzer>(@"
class UsbDevice : SafeHandleZeroOrMinusOneIsInvalid
{
    private bool _fromEvent;

    private UsbDevice(bool ownsHandle, bool fromEvent) : base(ownsHandle)
    {
        _fromEvent = fromEvent;
    }

    // The 'none' every generated handle type offers: a handle over zero, which is never released.
    public static UsbDevice Zero
    {
        get { return UsbDevice.Create(IntPtr.Zero, false); }
    }

    public static UsbDevice Create(IntPtr raw, bool fromEvent) => Create(raw, true, fromEvent);

    public static UsbDevice Create(IntPtr raw, bool ownsHandle, bool fromEvent)
    {
        UsbDevice made = new UsbDevice(ownsHandle, fromEvent);
        made.SetHandle(raw);
        return made;
    }

    public static bool operator ==(UsbDevice a, UsbDevice b) => ReferenceEquals(a, b) || (a is not null && b is not null && a.handle == b.handle);

    public static bool operator !=(UsbDevice a, UsbDevice b) => !(a == b);

    public override bool Equals(object obj) => obj is UsbDevice other && other.handle == handle;

    public override int GetHashCode() => handle.GetHashCode();

    protected override bool ReleaseHandle()
    {
        Native.native_read(handle);
        return true;
    }
}

static class UsbNative
{
    [DllImport(""mylib"")] public static extern UsbDevice get_parent(UsbDevice child);
}

class C
{
    bool IsRoot(UsbDevice device) => device == UsbDevice.Zero;

    bool IsNone(UsbDevice device) => device == UsbDevice.Create(IntPtr.Zero, false);

    bool HasParent(UsbDevice child)
    {
        using var parent = UsbNative.get_parent(child);
        var none = UsbDevice.Zero;
        if (parent == none)
        {
            return false;
        }

        return true;
    }
}");

        [Fact]
        public Task AFactoryGivenZeroThatOpensAHandleOfItsOwnStillOwnsIt() => Check<OwnershipAnalyzer>(@"
static class ContextNative
{
    [DllImport(""mylib"")] public static extern IntPtr open_context(IntPtr parent);
}

class Context : SafeHandleZeroOrMinusOneIsInvalid
{
    private Context() : base(true)
    {
    }

    // Zero means 'no parent' here: the factory opens a new native context.
    public static Context Open(IntPtr parent)
    {
        var made = new Context();
        made.SetHandle(ContextNative.open_context(parent));
        return made;
    }

    public static Context Wrap(IntPtr raw)
    {
        var made = new Context();
        made.SetHandle(raw);
        return made;
    }

    protected override bool ReleaseHandle()
    {
        Native.native_read(handle);
        return true;
    }
}

class C
{
    bool Fresh() => {|#0:Context.Open(IntPtr.Zero)|}.IsInvalid;

    bool Wrapped(IntPtr raw) => {|#1:Context.Wrap(raw)|}.IsInvalid;
}", Verify.Diagnostic("IG3005").WithLocation(0).WithMessage("SafeHandle that is never stored from 'Context.Open' is not disposed on any path; the native handle stays open until the finalizer runs"),
            Verify.Diagnostic("IG3005").WithLocation(1).WithMessage("SafeHandle that is never stored from 'Context.Wrap' is not disposed on any path; the native handle stays open until the finalizer runs"));

        [Fact]
        public Task AFactoryToldNotToOwnHandsOutAView() => Check<OwnershipAnalyzer>(@"
class DeviceHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private bool _fromEvent;

    private DeviceHandle(bool ownsHandle, bool fromEvent) : base(ownsHandle)
    {
        _fromEvent = fromEvent;
    }

    public static DeviceHandle Zero
    {
        get
        {
            return DeviceHandle.Wrap(IntPtr.Zero, false);
        }
    }

    public static DeviceHandle Wrap(IntPtr raw, bool ownsHandle) => Wrap(raw, ownsHandle, false);

    public static DeviceHandle Wrap(IntPtr raw, bool ownsHandle, bool fromEvent)
    {
        DeviceHandle wrapped = new DeviceHandle(ownsHandle, fromEvent);
        wrapped.SetHandle(raw);
        return wrapped;
    }

    protected override bool ReleaseHandle()
    {
        Native.native_read(handle);
        return true;
    }
}

class C
{
    DeviceHandle Parent(DeviceHandle child)
    {
        var parent = child;
        if (parent == DeviceHandle.Zero)
        {
            return null;
        }

        return parent;
    }

    int Peek(IntPtr raw) => DeviceHandle.Wrap(raw, false).IsInvalid ? 0 : 1;

    int Own(IntPtr raw) => {|#0:DeviceHandle.Wrap(raw, true)|}.IsInvalid ? 0 : 1;

    int Maybe(IntPtr raw, bool own) => {|#1:DeviceHandle.Wrap(raw, own)|}.IsInvalid ? 0 : 1;
}", Verify.Diagnostic("IG3005").WithLocation(0).WithMessage("SafeHandle that is never stored from 'DeviceHandle.Wrap' is not disposed on any path; the native handle stays open until the finalizer runs"),
            Verify.Diagnostic("IG3005").WithLocation(1).WithMessage("SafeHandle that is never stored from 'DeviceHandle.Wrap' is not disposed on any path; the native handle stays open until the finalizer runs"));
}
}
