using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG3006: raw SafeHandle values used without AddRef/Release, AddRef without Release, and the look-alikes.</summary>
    public class SafeHandleRefCountTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")] public static extern int native_read(IntPtr handle, byte[] buffer, int length);
    [DllImport(""sample"")] public static extern void native_close(IntPtr handle);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<SafeHandleRefCountAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(int location, string message)
            => Verify.Diagnostic("IG3006").WithLocation(location).WithMessage(message);

        private static string Raced(string handle, string function)
            => "another thread may dispose '" + handle + "' during '" + function + "'; the released handle value can be reused";

        private static string NeverReleased(string handle)
            => "the reference count of '" + handle + "' stays raised and its handle is never released";

        // ---- (a) positives ----

        [Fact]
        public Task DirectNativeArgument() => Check(@"
class C
{
    int Read(SafeFileHandle h, byte[] buffer) => Native.native_read({|#0:h.DangerousGetHandle()|}, buffer, buffer.Length);
}", Finding(0, "'h.DangerousGetHandle()' is passed to 'native_read' without DangerousAddRef/DangerousRelease around the use: " + Raced("h", "native_read")));

        [Fact]
        public Task ThroughLocalAndConversion() => Check(@"
class C
{
    void Close(SafeFileHandle h)
    {
        nint raw = {|#0:h.DangerousGetHandle()|};
        if (raw == IntPtr.Zero)
            return;
        Console.WriteLine(raw);
        Native.native_close((IntPtr)raw);
    }
}", Finding(0, "'h.DangerousGetHandle()' is passed to 'native_close' without DangerousAddRef/DangerousRelease around the use: " + Raced("h", "native_close")));

        [Fact]
        public Task ThroughWrapperTwoLevelsDeep() => Check(@"
static class Proxy
{
    public static int Read(IntPtr handle, byte[] buffer) => Inner(handle, buffer);
    private static int Inner(IntPtr p, byte[] buffer) { Console.WriteLine(""read""); return Native.native_read(p, buffer, buffer.Length); }
}

class C
{
    int Read(SafeFileHandle file, byte[] buffer) => Proxy.Read({|#0:file.DangerousGetHandle()|}, buffer);
}", Finding(0, "'file.DangerousGetHandle()' is passed to 'native_read' through 'Proxy.Read' without DangerousAddRef/DangerousRelease around the use: " + Raced("file", "native_read")));

        [Fact]
        public Task StoredToField() => Check(@"
class C
{
    private IntPtr _raw;
    void Remember(SafeFileHandle h) { _raw = {|#0:h.DangerousGetHandle()|}; }
}", Finding(0, "'h.DangerousGetHandle()' is stored in field 'C._raw' without DangerousAddRef/DangerousRelease around the use: another thread may dispose 'h' while the stored value is still used; the released handle value can be reused"));

        [Fact]
        public Task StoredToOutParameter() => Check(@"
class C
{
    void Get(SafeFileHandle h, out IntPtr raw) { raw = {|#0:h.DangerousGetHandle()|}; }
}", Finding(0, "'h.DangerousGetHandle()' is stored in the out parameter 'raw' without DangerousAddRef/DangerousRelease around the use: another thread may dispose 'h' while the stored value is still used; the released handle value can be reused"));

        [Fact]
        public Task InsideLambdaAndLocalFunctionAndAsync() => Check(@"
class C
{
    async Task M(SafeFileHandle h, byte[] buffer)
    {
        await Task.Run(() => Native.native_read({|#0:h.DangerousGetHandle()|}, buffer, 1));
        Local();
        void Local() => Native.native_close({|#1:h.DangerousGetHandle()|});
        await Task.Yield();
        Native.native_close({|#2:h.DangerousGetHandle()|});
    }
}",
            Finding(0, "'h.DangerousGetHandle()' is passed to 'native_read' without DangerousAddRef/DangerousRelease around the use: " + Raced("h", "native_read")),
            Finding(1, "'h.DangerousGetHandle()' is passed to 'native_close' without DangerousAddRef/DangerousRelease around the use: " + Raced("h", "native_close")),
            Finding(2, "'h.DangerousGetHandle()' is passed to 'native_close' without DangerousAddRef/DangerousRelease around the use: " + Raced("h", "native_close")));

        [Fact]
        public Task AddRefInOuterMethodDoesNotCoverLambda() => Check(@"
class C
{
    Task M(SafeFileHandle h)
    {
        bool ok = false;
        try
        {
            h.DangerousAddRef(ref ok);
            return Task.Run(() => Native.native_close({|#0:h.DangerousGetHandle()|}));
        }
        finally
        {
            if (ok) h.DangerousRelease();
        }
    }
}", Finding(0, "'h.DangerousGetHandle()' is passed to 'native_close' without DangerousAddRef/DangerousRelease around the use: " + Raced("h", "native_close")));

        [Fact]
        public Task UnmanagedDelegatesAndFunctionPointers() => Check(@"
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate void CloseFn(IntPtr handle);

unsafe class C
{
    void M(SafeFileHandle h, CloseFn close, delegate* unmanaged<IntPtr, void> closePointer)
    {
        close({|#0:h.DangerousGetHandle()|});
        closePointer({|#1:h.DangerousGetHandle()|});
    }
}",
            Finding(0, "'h.DangerousGetHandle()' is passed to 'CloseFn' without DangerousAddRef/DangerousRelease around the use: " + Raced("h", "CloseFn")),
            Finding(1, "'h.DangerousGetHandle()' is passed to an unmanaged function pointer without DangerousAddRef/DangerousRelease around the use: " + Raced("h", "the native call")));

        [Fact]
        public Task StoredToPropertyArrayAndStructField() => Check(@"
struct Request { public IntPtr Handle; }

class C
{
    public IntPtr Raw { get; set; }
    void M(SafeFileHandle h, IntPtr[] handles)
    {
        Raw = {|#0:h.DangerousGetHandle()|};
        handles[0] = {|#1:h.DangerousGetHandle()|};
        var request = new Request { Handle = {|#2:h.DangerousGetHandle()|} };
    }
}",
            Finding(0, "'h.DangerousGetHandle()' is stored in property 'C.Raw' without DangerousAddRef/DangerousRelease around the use: another thread may dispose 'h' while the stored value is still used; the released handle value can be reused"),
            Finding(1, "'h.DangerousGetHandle()' is stored in an array element without DangerousAddRef/DangerousRelease around the use: another thread may dispose 'h' while the stored value is still used; the released handle value can be reused"),
            Finding(2, "'h.DangerousGetHandle()' is stored in field 'Request.Handle' without DangerousAddRef/DangerousRelease around the use: another thread may dispose 'h' while the stored value is still used; the released handle value can be reused"));

        [Fact]
        public Task LibraryImportAndFieldReceiver() => Check(@"
partial class C
{
    [LibraryImport(""sample"")] static partial void lib_close(IntPtr handle);

    private readonly SafeFileHandle _file = new SafeFileHandle(IntPtr.Zero, true);
    void M() => lib_close({|#0:this._file.DangerousGetHandle()|});

    void Bracketed()
    {
        bool added = false;
        try
        {
            _file.DangerousAddRef(ref added);
            lib_close(this._file.DangerousGetHandle());
        }
        finally
        {
            if (added) this._file.DangerousRelease();
        }
    }
}", Finding(0, "'this._file.DangerousGetHandle()' is passed to 'lib_close' without DangerousAddRef/DangerousRelease around the use: " + Raced("this._file", "lib_close")));

        // A release through a choice of two handles gives back the one that was taken only on one branch (the graph
        // captures the choice; the capture's last value alone named 'a').
        [Fact]
        public Task ReleaseOfAChosenHandleIsNotARelease() => Check(@"
class C
{
    void M(SafeFileHandle a, SafeFileHandle b, bool first, bool early)
    {
        bool ok = false;
        {|#0:a.DangerousAddRef(ref ok)|};
        Native.native_close(a.DangerousGetHandle());
        if (early)
        {
            a.DangerousRelease();
            return;
        }

        (first ? b : a).DangerousRelease();
    }
}", Finding(0, "'a.DangerousAddRef' is not matched by 'DangerousRelease' on a path that reaches the end of the method: " + NeverReleased("a")));

        // The same shape releasing the handle on both branches' paths is silent.
        [Fact]
        public Task ReleaseOnEveryPathBesideAChoiceIsSilent() => Check(@"
class C
{
    void M(SafeFileHandle a, SafeFileHandle b, bool first, bool early)
    {
        bool ok = false;
        a.DangerousAddRef(ref ok);
        Native.native_close(a.DangerousGetHandle());
        if (early)
        {
            a.DangerousRelease();
            return;
        }

        (first ? b : b).DangerousRelease();
        a.DangerousRelease();
    }
}");

        [Fact]
        public Task AddRefInAsyncMethodReleasedOnlyAfterAwait() => Check(@"
class C
{
    async Task M(SafeFileHandle h)
    {
        bool ok = false;
        {|#0:h.DangerousAddRef(ref ok)|};
        await Task.Delay(1);
        h.DangerousRelease();
    }
}", Finding(0, "'h.DangerousAddRef' is not matched by 'DangerousRelease' if 'await Task.Delay(1)' throws: " + NeverReleased("h")));

        [Fact]
        public Task UnixDescriptorThroughNarrowingCast() => Check(@"
static class Sys
{
    [DllImport(""libc"")] public static extern int fsync(int fd);
}

class C
{
    int Sync(SafeFileHandle h) => Sys.fsync((int){|#0:h.DangerousGetHandle()|});
}", Finding(0, "'h.DangerousGetHandle()' is passed to 'fsync' without DangerousAddRef/DangerousRelease around the use: " + Raced("h", "fsync")));

        [Fact]
        public Task StoredByAFieldInitializer() => Check(@"
class C
{
    private static readonly SafeFileHandle s_stdout = new SafeFileHandle(new IntPtr(1), false);
    private readonly IntPtr _raw = {|#0:s_stdout.DangerousGetHandle()|};
}", Finding(0, "'s_stdout.DangerousGetHandle()' is stored in field 'C._raw' without DangerousAddRef/DangerousRelease around the use: another thread may dispose 's_stdout' while the stored value is still used; the released handle value can be reused"));

        // ---- (b) positives ----

        // A collection of descriptors that takes a reference on each of its own handles before sending them and gives the
        // references back in another member: the count stays raised on purpose while the object holds it.
        [Fact]
        public Task ReferencesTheObjectHoldsUntilAnotherMemberReleasesThem() => Check(@"
class Descriptors
{
    private readonly SafeFileHandle[] _handles = new SafeFileHandle[4];
    private SafeFileHandle Current => _handles[0];

    public void Lease()
    {
        for (int i = 0; i < _handles.Length; i++)
        {
            bool added = false;
            SafeFileHandle h = _handles[i];
            h.DangerousAddRef(ref added);
        }

        bool ok = false;
        SafeFileHandle current = this.Current;
        current.DangerousAddRef(ref ok);
    }

    public void Return()
    {
        foreach (var h in _handles)
        {
            h.DangerousRelease();
        }
    }
}");

        // Giving the references back through a helper of the compilation is giving them back: the lease is read by
        // symbol through the call, not by finding the word 'DangerousRelease' in the class's own text.
        [Fact]
        public Task ReferencesTheObjectHoldsGivenBackThroughAHelper() => Check(@"
static class Leases
{
    public static void ReturnAll(SafeHandle[] handles)
    {
        foreach (var h in handles) GiveBack(h);
    }

    private static void GiveBack(SafeHandle h) => h.DangerousRelease();
}

sealed class Batch : IDisposable
{
    private readonly SafeFileHandle[] _files = new SafeFileHandle[2];

    public void Send()
    {
        for (int i = 0; i < _files.Length; i++)
        {
            bool taken = false;
            SafeFileHandle file = _files[i];
            file.DangerousAddRef(ref taken);
        }
    }

    public void Dispose() => Leases.ReturnAll(_files);
}");

        // A method that happens to be called DangerousRelease on a type of the project's own gives back no SafeHandle
        // reference; nor does the word in a string or a comment. The lease is never returned: a finding.
        [Fact]
        public Task AMethodNamedDangerousReleaseOnAnotherTypeGivesNothingBack() => Check(@"
sealed class BufferPool
{
    public void DangerousRelease() { }
}

sealed class Channel
{
    private readonly SafeFileHandle[] _fds = new SafeFileHandle[2];
    private readonly BufferPool _pool = new BufferPool();

    public void Lease()
    {
        bool added = false;
        SafeFileHandle fd = _fds[0];
        {|#0:fd.DangerousAddRef(ref added)|};
    }

    // Callers must call DangerousRelease on each descriptor.
    public void Close()
    {
        _pool.DangerousRelease();
        Console.WriteLine(""DangerousRelease"");
    }
}", Finding(0, "'fd.DangerousAddRef' is never matched by 'DangerousRelease': " + NeverReleased("fd")));

        // The same reference taken on the object's own handle, with no member of the class giving it back, stays a finding;
        // so does a handle from a parameter in a class that releases other references elsewhere.
        [Fact]
        public Task ReferencesOnTheObjectsHandlesNeverGivenBack() => Check(@"
class Descriptors
{
    private readonly SafeFileHandle[] _handles = new SafeFileHandle[4];

    public void Lease()
    {
        bool added = false;
        SafeFileHandle h = _handles[0];
        {|#0:h.DangerousAddRef(ref added)|};
    }
}

class Sender
{
    private SafeFileHandle _own = new SafeFileHandle(IntPtr.Zero, true);

    public void Send(SafeFileHandle given)
    {
        bool added = false;
        SafeFileHandle h = given;
        {|#1:h.DangerousAddRef(ref added)|};
    }

    public void Close() => _own.DangerousRelease();
}", Finding(0, "'h.DangerousAddRef' is never matched by 'DangerousRelease': " + NeverReleased("h")),
            Finding(1, "'h.DangerousAddRef' is never matched by 'DangerousRelease': " + NeverReleased("h")));

        // A custom marshaller leases each handle of the array it converts; the runtime calls CleanUpNativeData after the
        // native call, and that is where it gives them back. A marshaller without such a member, and a method of the same
        // shape on a class that is no marshaller, still owe the reference.
        [Fact]
        public Task ACustomMarshallerGivesItsLeasesBackInCleanUpNativeData() => Check(@"
sealed class HandleArrayMarshaler : ICustomMarshaler
{
    public IntPtr MarshalManagedToNative(object managed)
    {
        var array = (SafeHandle[])managed;
        var native = Marshal.AllocHGlobal((array.Length + 1) * IntPtr.Size);
        Marshal.WriteIntPtr(native, GCHandle.ToIntPtr(GCHandle.Alloc(array)));
        for (var i = 0; i < array.Length; i++)
        {
            var added = false;
            var current = array[i];
            current.DangerousAddRef(ref added);
            Marshal.WriteIntPtr(native, (i + 1) * IntPtr.Size, current.DangerousGetHandle());
        }

        return native;
    }

    public void CleanUpNativeData(IntPtr native)
    {
        var pinned = GCHandle.FromIntPtr(Marshal.ReadIntPtr(native));
        foreach (var handle in (SafeHandle[])pinned.Target)
            handle.DangerousRelease();
        pinned.Free();
        Marshal.FreeHGlobal(native);
    }

    public object MarshalNativeToManaged(IntPtr native) => throw new NotSupportedException();
    public void CleanUpManagedData(object managed) { }
    public int GetNativeDataSize() => IntPtr.Size;
}

sealed class ForgetfulMarshaler : ICustomMarshaler
{
    public IntPtr MarshalManagedToNative(object managed)
    {
        var native = Marshal.AllocHGlobal(IntPtr.Size);
        var added = false;
        var current = (SafeHandle)managed;
        {|#0:current.DangerousAddRef(ref added)|};
        Marshal.WriteIntPtr(native, current.DangerousGetHandle());
        return native;
    }

    public void CleanUpNativeData(IntPtr native) => Marshal.FreeHGlobal(native);
    public object MarshalNativeToManaged(IntPtr native) => throw new NotSupportedException();
    public void CleanUpManagedData(object managed) { }
    public int GetNativeDataSize() => IntPtr.Size;
}

sealed class NotAMarshaler
{
    public IntPtr MarshalManagedToNative(object managed)
    {
        var added = false;
        var current = (SafeHandle)managed;
        {|#1:current.DangerousAddRef(ref added)|};
        return IntPtr.Zero;
    }

    public void CleanUpNativeData(SafeHandle handle) => handle.DangerousRelease();
}", Finding(0, "'current.DangerousAddRef' is never matched by 'DangerousRelease': " + NeverReleased("current")),
            Finding(1, "'current.DangerousAddRef' is never matched by 'DangerousRelease': " + NeverReleased("current")));

        // A capture handle that keeps the file it reads from: the reference is taken for the life of the owner, which keeps
        // the file handle in a field chosen by whether the reference was granted.
        [Fact]
        public Task AReferenceKeptInAFieldThroughAConditionalIsHandedOn() => Check(@"
class CaptureHandle
{
    private readonly SafeHandle _file;

    public CaptureHandle(SafeHandle file)
    {
        bool granted = false;
        file.DangerousAddRef(ref granted);
        _file = granted ? file : new SafeFileHandle(IntPtr.Zero, false);
    }

    public bool Valid => !_file.IsInvalid;
}");

        // The look-alike: the conditional only feeds a comparison; the reference is still never given back.
        [Fact]
        public Task AReferenceOnlyComparedThroughAConditionalIsStillOwed() => Check(@"
class CaptureHandle
{
    public bool Open(SafeHandle file, SafeHandle other)
    {
        bool granted = false;
        {|#0:file.DangerousAddRef(ref granted)|};
        return (granted ? file : other) == other;
    }
}", Finding(0, "'file.DangerousAddRef' is never matched by 'DangerousRelease': " + NeverReleased("file")));

        [Fact]
        public Task AddRefNeverReleased() => Check(@"
class C
{
    void M(SafeFileHandle h)
    {
        bool ok = false;
        {|#0:h.DangerousAddRef(ref ok)|};
        Console.WriteLine(ok);
    }
}", Finding(0, "'h.DangerousAddRef' is never matched by 'DangerousRelease': " + NeverReleased("h")));

        // A lease helper names the raw value it returns with a local first: the caller gets the reference with the value
        // and gives it back in its own finally. So does a helper that gives the reference back itself when it refuses.
        [Fact]
        public Task ARawValueReturnedThroughALocalHandsTheReferenceToTheCaller() => Check(@"
static class Lease
{
    internal static IntPtr Take(this SafeFileHandle file)
    {
        bool taken = false;
        file.DangerousAddRef(ref taken);
        if (!taken)
            throw new InvalidOperationException(""no lease"");
        IntPtr raw = file.DangerousGetHandle();
        return raw;
    }

    internal static IntPtr TakeUnlessClosed(SafeFileHandle file)
    {
        bool taken = false;
        file.DangerousAddRef(ref taken);
        if (file.IsClosed)
        {
            file.DangerousRelease();
            return IntPtr.Zero;
        }

        var raw = file.DangerousGetHandle();
        return raw;
    }

    static int Read(SafeFileHandle file, byte[] into)
    {
        var raw = file.Take();
        try
        {
            return Native.native_read(raw, into, into.Length);
        }
        finally
        {
            file.DangerousRelease();
        }
    }
}");

        // The look-alikes keep the finding: the raw value named by a local that is only printed while something else is
        // returned, one the method overwrites before returning it, and the early return of the refusing helper.
        [Fact]
        public Task ARawValueLocalThatIsNotWhatTheMethodReturnsStaysReported() => Check(@"
static class Lease
{
    internal static int Logged(SafeFileHandle file)
    {
        bool taken = false;
        {|#0:file.DangerousAddRef(ref taken)|};
        IntPtr raw = file.DangerousGetHandle();
        Console.WriteLine(raw);
        return 0;
    }

    internal static IntPtr Cleared(SafeFileHandle file)
    {
        bool taken = false;
        {|#1:file.DangerousAddRef(ref taken)|};
        IntPtr raw = file.DangerousGetHandle();
        raw = IntPtr.Zero;
        return raw;
    }

    internal static IntPtr ZeroWhenClosed(SafeFileHandle file)
    {
        bool taken = false;
        {|#2:file.DangerousAddRef(ref taken)|};
        if (file.IsClosed)
            return IntPtr.Zero;

        var raw = file.DangerousGetHandle();
        file.DangerousRelease();
        return raw;
    }
}", Finding(0, "'file.DangerousAddRef' is never matched by 'DangerousRelease': " + NeverReleased("file")),
            Finding(1, "'file.DangerousAddRef' is never matched by 'DangerousRelease': " + NeverReleased("file")),
            Finding(2, "'file.DangerousAddRef' is not matched by 'DangerousRelease' on the 'return IntPtr.Zero' in 'if (file.IsClosed)': " + NeverReleased("file")));

        [Fact]
        public Task ReleasedOnlyOnTheNormalPath() => Check(@"
class C
{
    static void Validate() => throw new InvalidOperationException();
    void M(SafeFileHandle h)
    {
        bool ok = false;
        {|#0:h.DangerousAddRef(ref ok)|};
        Validate();
        Native.native_close(h.DangerousGetHandle());
        h.DangerousRelease();
    }
}", Finding(0, "'h.DangerousAddRef' is not matched by 'DangerousRelease' if 'Validate()' throws: " + NeverReleased("h")));

        [Fact]
        public Task ReleasedAfterAnEarlyReturn() => Check(@"
class C
{
    int M(SafeFileHandle h, bool skip)
    {
        bool ok = false;
        {|#0:h.DangerousAddRef(ref ok)|};
        if (skip)
        {
            return 0;
        }

        h.DangerousRelease();
        return 1;
    }
}", Finding(0, "'h.DangerousAddRef' is not matched by 'DangerousRelease' on the 'return 0' in 'if (skip)': " + NeverReleased("h")));

        [Fact]
        public Task ThrowingCallBetweenAddRefAndTry() => Check(@"
class C
{
    static void Validate() => throw new InvalidOperationException();
    void M(SafeFileHandle h)
    {
        bool ok = false;
        {|#0:h.DangerousAddRef(ref ok)|};
        Validate();
        try
        {
            Native.native_close(h.DangerousGetHandle());
        }
        finally
        {
            if (ok) h.DangerousRelease();
        }
    }
}", Finding(0, "'h.DangerousAddRef' is not matched by 'DangerousRelease' if 'Validate()' throws: " + NeverReleased("h")));

        // ---- (a) on the shared engine: AddRef/Release in the source around the use, but not on every path ----

        [Fact]
        public Task ReleasedOnABranchBeforeTheUse() => Check(@"
class C
{
    void M(SafeFileHandle h, bool done)
    {
        bool ok = false;
        h.DangerousAddRef(ref ok);
        if (done)
            h.DangerousRelease();
        Native.native_close({|#0:h.DangerousGetHandle()|});
        h.DangerousRelease();
    }
}", Finding(0, "'h.DangerousGetHandle()' is passed to 'native_close' without DangerousAddRef/DangerousRelease around the use: " + Raced("h", "native_close")));

        [Fact]
        public Task AddRefOnlyOnOneBranch() => Check(@"
class C
{
    void M(SafeFileHandle h, bool shared)
    {
        bool ok = false;
        if (shared)
            h.DangerousAddRef(ref ok);
        try
        {
            Native.native_close({|#0:h.DangerousGetHandle()|});
        }
        finally
        {
            if (ok) h.DangerousRelease();
        }
    }
}", Finding(0, "'h.DangerousGetHandle()' is passed to 'native_close' without DangerousAddRef/DangerousRelease around the use: " + Raced("h", "native_close")));

        [Fact]
        public Task ReleasedInsideTheLoopThatUsesIt() => Check(@"
class C
{
    void M(SafeFileHandle h, int n)
    {
        bool ok = false;
        {|#1:h.DangerousAddRef(ref ok)|};
        for (var i = 0; i < n; i++)
        {
            Native.native_close({|#0:h.DangerousGetHandle()|});
            h.DangerousRelease();
        }
    }
}", Finding(0, "'h.DangerousGetHandle()' is passed to 'native_close' without DangerousAddRef/DangerousRelease around the use: " + Raced("h", "native_close")),
            Finding(1, "'h.DangerousAddRef' is not matched by 'DangerousRelease' on a path that reaches the end of the method: " + NeverReleased("h")));

        [Fact]
        public Task ProtectedUsesTheEngineAccepts() => Check(@"
class C
{
    // The value is used by a callback made (and run) while the reference is held.
    void Callback(SafeFileHandle h, int[] items)
    {
        bool ok = false;
        h.DangerousAddRef(ref ok);
        try
        {
            IntPtr raw = h.DangerousGetHandle();
            Array.ForEach(items, item => Native.native_close(raw));
        }
        finally
        {
            if (ok) h.DangerousRelease();
        }
    }

    // Taken, used and given back in every iteration; the early exit on failure owes nothing.
    void PerIteration(SafeFileHandle[] handles)
    {
        for (var i = 0; i < handles.Length; i++)
        {
            bool ok = false;
            handles[i].DangerousAddRef(ref ok);
            if (!ok)
                return;
            try
            {
                Native.native_close(handles[i].DangerousGetHandle());
            }
            finally
            {
                handles[i].DangerousRelease();
            }
        }
    }
}");

        // ---- (b) on the shared engine: paths the old source-order check missed ----

        [Fact]
        public Task EarlyReturnBetweenAddRefAndTry() => Check(@"
class C
{
    int M(SafeFileHandle h, bool skip)
    {
        bool ok = false;
        {|#0:h.DangerousAddRef(ref ok)|};
        if (skip)
            return 0;
        try
        {
            return Native.native_read(h.DangerousGetHandle(), new byte[1], 1);
        }
        finally
        {
            if (ok) h.DangerousRelease();
        }
    }
}", Finding(0, "'h.DangerousAddRef' is not matched by 'DangerousRelease' on the 'return 0' in 'if (skip)': " + NeverReleased("h")));

        [Fact]
        public Task ReleasedUnderAnUnrelatedCondition() => Check(@"
class C
{
    void M(SafeFileHandle h, bool flush)
    {
        bool ok = false;
        {|#0:h.DangerousAddRef(ref ok)|};
        if (flush)
            h.DangerousRelease();
    }
}", Finding(0, "'h.DangerousAddRef' is not matched by 'DangerousRelease' on a path that reaches the end of the method: " + NeverReleased("h")));

        [Fact]
        public Task AddRefInALoopReleasedOnceAfterIt() => Check(@"
class C
{
    void M(SafeFileHandle h, int n)
    {
        for (var i = 0; i < n; i++)
        {
            bool ok = false;
            {|#0:h.DangerousAddRef(ref ok)|};
            Console.WriteLine(i);
        }

        h.DangerousRelease();
    }
}", Finding(0, "'h.DangerousAddRef' is not matched by 'DangerousRelease' before it runs again in the next loop iteration: " + NeverReleased("h")));

        [Fact]
        public Task ReleasedInACatchThatDoesNotCoverTheThrowingCall() => Check(@"
class C
{
    static void Validate() => throw new InvalidOperationException();
    static void Register(SafeFileHandle h) { }
    void M(SafeFileHandle h)
    {
        bool ok = false;
        {|#0:h.DangerousAddRef(ref ok)|};
        Validate();
        try
        {
            Register(h);
        }
        catch
        {
            if (ok) h.DangerousRelease();
            throw;
        }
    }
}", Finding(0, "'h.DangerousAddRef' is not matched by 'DangerousRelease' if 'Validate()' throws: " + NeverReleased("h")));

        [Fact]
        public Task EarlyReturnWithoutValueAndAddRefInALambda() => Check(@"
class C
{
    void M(SafeFileHandle h, bool skip)
    {
        bool ok = false;
        {|#0:h.DangerousAddRef(ref ok)|};
        if (skip)
            return;
        h.DangerousRelease();
    }

    static void Close(IntPtr handle)
    {
        if (handle == IntPtr.Zero)
            throw new ArgumentException(""invalid handle"", nameof(handle));
        Native.native_close(handle);
    }

    Action Later(SafeFileHandle h) => () =>
    {
        bool ok = false;
        {|#1:h.DangerousAddRef(ref ok)|};
        try
        {
            Close(h.DangerousGetHandle());
        }
        catch (InvalidOperationException)
        {
            h.DangerousRelease();
        }
    };
}", Finding(0, "'h.DangerousAddRef' is not matched by 'DangerousRelease' on the early 'return' in 'if (skip)': " + NeverReleased("h")),
    Finding(1, "'h.DangerousAddRef' is not matched by 'DangerousRelease' if 'Close(h.DangerousGetHandle())' throws: " + NeverReleased("h")));

        [Fact]
        public Task EnginePatternsThatAreCorrect() => Check(@"
class Holder
{
    public SafeFileHandle Handle = new SafeFileHandle(IntPtr.Zero, true);
}

class C
{
    private SafeFileHandle _h = new SafeFileHandle(IntPtr.Zero, true);
    static void Register(SafeFileHandle h) { }

    // Nothing owed where the reference was not taken.
    int NotTakenReturnsEarly(SafeFileHandle h)
    {
        bool ok = false;
        h.DangerousAddRef(ref ok);
        if (!ok)
            return -1;
        try
        {
            return Native.native_read(h.DangerousGetHandle(), new byte[1], 1);
        }
        finally
        {
            h.DangerousRelease();
        }
    }

    // The same field spelled with and without 'this.', a field of a local, a null-conditional release.
    void Spellings(Holder holder)
    {
        bool a = false, b = false;
        this._h.DangerousAddRef(ref a);
        holder.Handle.DangerousAddRef(ref b);
        try
        {
            Native.native_close(_h.DangerousGetHandle());
        }
        finally
        {
            if (b) holder.Handle?.DangerousRelease();
            if (a) _h.DangerousRelease();
        }
    }

    // Taken and given back in every iteration.
    void Loop(SafeFileHandle[] handles)
    {
        foreach (var h in handles)
        {
            bool ok = false;
            try
            {
                h.DangerousAddRef(ref ok);
                Native.native_close(h.DangerousGetHandle());
            }
            finally
            {
                if (ok) h.DangerousRelease();
            }
        }
    }

    // Released only when registration fails: on success the registration keeps the reference.
    void KeptOnSuccess(SafeFileHandle h)
    {
        bool ok = false;
        h.DangerousAddRef(ref ok);
        try
        {
            Register(h);
        }
        catch
        {
            if (ok) h.DangerousRelease();
            throw;
        }
    }

    // Both branches release.
    void BothBranches(SafeFileHandle h, bool fast)
    {
        bool ok = false;
        h.DangerousAddRef(ref ok);
        if (fast)
        {
            h.DangerousRelease();
            return;
        }

        h.DangerousRelease();
    }
}");

        // ---- negatives ----

        [Fact]
        public Task ProperlyBracketed() => Check(@"
class C
{
    int Read(SafeFileHandle h, byte[] buffer)
    {
        bool added = false;
        try
        {
            h.DangerousAddRef(ref added);
            return Native.native_read(h.DangerousGetHandle(), buffer, buffer.Length);
        }
        finally
        {
            if (added)
            {
                h.DangerousRelease();
            }
        }
    }

    void AddRefBeforeTry(SafeFileHandle h)
    {
        bool added = false;
        h.DangerousAddRef(ref added);
        try
        {
            IntPtr raw = h.DangerousGetHandle();
            Native.native_close(raw);
        }
        finally
        {
            if (added) h.DangerousRelease();
        }
    }

    void NothingCanThrowBetween(SafeFileHandle h)
    {
        bool added = false;
        h.DangerousAddRef(ref added);
        IntPtr raw = h.DangerousGetHandle();
        h.DangerousRelease();
    }
}");

        [Fact]
        public Task ComparisonsLoggingAndFormatting() => Check(@"
class C
{
    bool M(SafeFileHandle h)
    {
        if (h.DangerousGetHandle() == IntPtr.Zero)
            return false;
        Console.WriteLine(""handle {0}"", h.DangerousGetHandle());
        Console.WriteLine($""handle {h.DangerousGetHandle()}"");
        var text = h.DangerousGetHandle().ToString(""x"");
        var hash = h.DangerousGetHandle().GetHashCode();
        IntPtr raw = h.DangerousGetHandle();
        return raw != new IntPtr(-1) && text.Length > hash;
    }

    IntPtr Handle(SafeFileHandle h) => h.DangerousGetHandle();
}");

        [Fact]
        public Task SafeHandlePassedDirectly() => Check(@"
static class Safe
{
    [DllImport(""sample"")] public static extern int native_read(SafeFileHandle handle, byte[] buffer, int length);
}

class C
{
    int Read(SafeFileHandle h, byte[] buffer) => Safe.native_read(h, buffer, buffer.Length);
}");

        [Fact]
        public Task InsideSafeHandleSubclass() => Check(@"
sealed class MyHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public MyHandle() : base(true) { }
    public void Flush() => Native.native_close(DangerousGetHandle());
    public void Close2() => Native.native_close(this.DangerousGetHandle());
    protected override bool ReleaseHandle() { Native.native_close(handle); return true; }
}

sealed class ChildHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private readonly SafeFileHandle _parent;

    public ChildHandle(SafeFileHandle parent) : base(true)
    {
        _parent = parent;
        bool added = false;
        _parent.DangerousAddRef(ref added);
    }

    protected override bool ReleaseHandle()
    {
        Native.native_close(_parent.DangerousGetHandle());
        _parent.DangerousRelease();
        return true;
    }
}");

        [Fact]
        public Task AddRefHandedToOwningSafeHandle() => Check(@"
sealed class ViewHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    internal SafeFileHandle? Owner;
    public ViewHandle() : base(true) { }
    protected override bool ReleaseHandle()
    {
        Owner?.DangerousRelease();
        return true;
    }
}

sealed class MapHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    internal SafeFileHandle? File;
    public MapHandle() : base(true) { }
    protected override bool ReleaseHandle()
    {
        File!.DangerousRelease();
        return true;
    }
}

class C
{
    ViewHandle Open(SafeFileHandle file)
    {
        bool added = false;
        file.DangerousAddRef(ref added);
        var view = new ViewHandle();
        view.Owner = file;
        return view;
    }

    void Map(SafeFileHandle file, MapHandle map)
    {
        bool added = false;
        file.DangerousAddRef(ref added);
        map.File = file;
    }

    private bool _added;
    void KeepsFlagInField(SafeFileHandle file) => file.DangerousAddRef(ref _added);

    void CopiesFlagToField(SafeFileHandle file)
    {
        bool added = false;
        file.DangerousAddRef(ref added);
        _added = added;
    }

    static void ReleaseRef(SafeHandle handle) => handle.DangerousRelease();

    void ReleasedByHelper(SafeFileHandle file)
    {
        bool added = false;
        file.DangerousAddRef(ref added);
        try
        {
            Console.WriteLine(added);
        }
        finally
        {
            ReleaseRef(file);
        }
    }

    SafeFileHandle Returned(SafeFileHandle file)
    {
        bool added = false;
        file.DangerousAddRef(ref added);
        return file;
    }
}");

        [Fact]
        public Task HandleOpenedWithUsingAndNeverShared() => Check(@"
class C
{
    static SafeFileHandle Open() => new SafeFileHandle(IntPtr.Zero, true);

    void M(byte[] buffer)
    {
        using var file = Open();
        if (file.IsInvalid)
            return;
        Native.native_read(file.DangerousGetHandle(), buffer, buffer.Length);
    }

    void Shared(byte[] buffer)
    {
        using (var file = Open())
        {
            Task.Run(() => file.Dispose());
            Native.native_read({|#0:file.DangerousGetHandle()|}, buffer, buffer.Length);
        }
    }

    void ReleasedByCallback(SafeFileHandle h, Action[] callbacks)
    {
        bool ok = false;
        h.DangerousAddRef(ref ok);
        callbacks[0] = () => h.DangerousRelease();
    }
}", Finding(0, "'file.DangerousGetHandle()' is passed to 'native_read' without DangerousAddRef/DangerousRelease around the use: " + Raced("file", "native_read")));

        [Fact]
        public Task NoInteropTypes() => Check(@"
class D
{
    IntPtr DangerousGetHandle() => IntPtr.Zero;
    void M() => Native.native_close(DangerousGetHandle());
}");
    
        [Fact]
        public Task HandleOfAnEventOnlyThisClassCreatesIsSilent() => Check(@"
class Player
{
    struct Notify { public IntPtr Event; }
    [DllImport(""sound"")] static extern int set_notify(Notify[] positions, int count);

    private System.Threading.EventWaitHandle _frame;

    public void Start()
    {
        _frame = new System.Threading.EventWaitHandle(false, System.Threading.EventResetMode.AutoReset);
        var positions = new Notify[1];
        positions[0].Event = _frame.SafeWaitHandle.DangerousGetHandle();
        set_notify(positions, 1);
    }
}");

        [Fact]
        public Task HandleOfAnEventGivenToTheClassOrPublicIsStillAFinding() => Check(@"
class Player
{
    struct Notify { public IntPtr Event; }
    [DllImport(""sound"")] static extern int set_notify(Notify[] positions, int count);

    private System.Threading.EventWaitHandle _given;
    public System.Threading.EventWaitHandle Shared;

    public Player(System.Threading.EventWaitHandle given) { _given = given; }

    public void Start()
    {
        var positions = new Notify[2];
        positions[0].Event = {|#0:_given.SafeWaitHandle.DangerousGetHandle()|};
        positions[1].Event = {|#1:Shared.SafeWaitHandle.DangerousGetHandle()|};
        set_notify(positions, 2);

    }
}", Verify.Diagnostic("IG3006").WithLocation(0), Verify.Diagnostic("IG3006").WithLocation(1));

        [Fact]
        public Task OwnHandleUsedWhileTheObjectIsBuiltIsSilentButNotAfter() => Check(@"
sealed class StreamHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public StreamHandle(IntPtr raw) : base(true) { SetHandle(raw); }
    protected override bool ReleaseHandle() { Native.native_close(handle); return true; }
}
sealed class Recorder
{
    private readonly StreamHandle _stream;

    public Recorder(IntPtr raw, byte[] header)
    {
        _stream = new StreamHandle(raw);
        Native.native_read(_stream.DangerousGetHandle(), header, header.Length);
        Configure(header);
    }

    public Recorder(IntPtr raw) : this(raw, new byte[4]) { }

    // Called only by the constructor: nobody else can hold the recorder yet.
    private void Configure(byte[] options) => Native.native_read(_stream.DangerousGetHandle(), options, options.Length);

    // Called by a public method too: another thread may be disposing the recorder.
    private void Fill(byte[] buffer) => Native.native_read({|#0:_stream.DangerousGetHandle()|}, buffer, buffer.Length);

    public void Read(byte[] buffer) => Fill(buffer);

    public void Dispose() => _stream.Dispose();
}
sealed class Borrower
{
    private readonly SafeFileHandle _file;

    // A handle the caller gave: the caller may dispose it on another thread while the constructor runs.
    public Borrower(SafeFileHandle file, byte[] header)
    {
        _file = file;
        Native.native_read({|#1:_file.DangerousGetHandle()|}, header, header.Length);
    }
}",
            Finding(0, "'_stream.DangerousGetHandle()' is passed to 'native_read' without DangerousAddRef/DangerousRelease around the use: " + Raced("_stream", "native_read")),
            Finding(1, "'_file.DangerousGetHandle()' is passed to 'native_read' without DangerousAddRef/DangerousRelease around the use: " + Raced("_file", "native_read")));

        [Fact]
        public Task UseSerialisedWithTheReleaseByOneLockIsSilentButNotWithoutIt() => Check(@"
sealed class Writer
{
    private readonly object _gate = new object();
    private readonly SafeFileHandle _file;
    private bool _closed;
    private int _writes;

    public Writer(IntPtr raw) { _file = new SafeFileHandle(raw, true); }

    // The release below holds the same lock: it cannot run during the native call.
    public void Flush(byte[] buffer)
    {
        lock (_gate)
        {
            if (_closed) return;
            Native.native_read(_file.DangerousGetHandle(), buffer, buffer.Length);
            _writes++;
        }
    }

    // Outside the lock: Close may release the handle during the call.
    public void Peek(byte[] buffer) => Native.native_read({|#0:_file.DangerousGetHandle()|}, buffer, buffer.Length);

    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            _file?.Dispose();
        }
    }
}
sealed class LooseWriter
{
    private readonly object _gate = new object();
    private readonly SafeFileHandle _file;
    private int _writes;

    public LooseWriter(IntPtr raw) { _file = new SafeFileHandle(raw, true); }

    // Under a lock, but the release does not take it.
    public void Flush(byte[] buffer)
    {
        lock (_gate)
        {
            Native.native_read({|#1:_file.DangerousGetHandle()|}, buffer, buffer.Length);
            _writes++;
        }
    }

    public void Close() => _file.Dispose();
}",
            Finding(0, "'_file.DangerousGetHandle()' is passed to 'native_read' without DangerousAddRef/DangerousRelease around the use: " + Raced("_file", "native_read")),
            Finding(1, "'_file.DangerousGetHandle()' is passed to 'native_read' without DangerousAddRef/DangerousRelease around the use: " + Raced("_file", "native_read")));
}
}
