using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3006 (a) on handles no other thread can reach yet (Flow/UnsharedHandles): a local the method itself filled with a
    /// new handle, used before anything hands it on and read again afterwards, cannot be disposed concurrently. A handle
    /// from a parameter or a field, one handed on or captured before the use, or one nothing reads after it, still can.
    /// </summary>
    public class SafeHandleRefCountUnsharedTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading.Tasks;

static class Native
{
    [DllImport(""sample"")] public static extern int native_read(IntPtr handle);
    [DllImport(""sample"")] public static extern void native_close(IntPtr handle);
    [DllImport(""sample"")] public static extern FileHandle native_open(string path);
    [DllImport(""sample"")] public static extern int native_open_into(string path, out FileHandle handle);
    [DllImport(""sample"")] public static extern IntPtr native_make(IntPtr[] handles, int count);
}

sealed class FileHandle : SafeHandle
{
    public FileHandle() : base(IntPtr.Zero, true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
        Native.native_close(handle);
        return true;
    }

    public static FileHandle Create(string path)
    {
        var made = new FileHandle();
        return made;
    }

    private static FileHandle? s_shared;

    public static FileHandle Shared() => s_shared ??= new FileHandle();
}

struct Request
{
    public IntPtr Handle;
    public int Length;
}

sealed class Pending
{
    public Pending(FileHandle handle, IntPtr block) { }
}

static class Registry
{
    public static readonly List<FileHandle> Open = new List<FileHandle>();
    public static readonly List<object> Builders = new List<object>();
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<SafeHandleRefCountAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Passed(int location, string handle)
            => Verify.Diagnostic("IG3006").WithLocation(location).WithMessage(
                "'" + handle + ".DangerousGetHandle()' is passed to 'native_read' without DangerousAddRef/DangerousRelease around the use: another thread may dispose '"
                + handle + "' during 'native_read'; the released handle value can be reused");

        private static DiagnosticResult Stored(int location, string handle, string field)
            => Verify.Diagnostic("IG3006").WithLocation(location).WithMessage(
                "'" + handle + ".DangerousGetHandle()' is stored in " + field + " without DangerousAddRef/DangerousRelease around the use: another thread may dispose '"
                + handle + "' while the stored value is still used; the released handle value can be reused");

        [Fact]
        public Task AHandleANativeCallJustReturnedNeedsNoReference() => Check(@"
class C
{
    int M(string path)
    {
        var opened = Native.native_open(path);
        if (opened.IsInvalid)
        {
            return -1;
        }

        var read = Native.native_read(opened.DangerousGetHandle());
        opened.Dispose();
        return read;
    }
}");

        [Fact]
        public Task AHandleFilledByANativeOutArgumentNeedsNoReference() => Check(@"
class C
{
    int M(string path)
    {
        Native.native_open_into(path, out var opened);
        IntPtr raw = opened.DangerousGetHandle();
        var read = Native.native_read(raw);
        opened.Dispose();
        return read;
    }
}");

        [Fact]
        public Task AHandleNewlyCreatedOrFromAFactoryNeedsNoReference() => Check(@"
class C
{
    int Created()
    {
        FileHandle made = new FileHandle();
        var read = Native.native_read(made.DangerousGetHandle());
        made.Dispose();
        return read;
    }

    int Factory(string path)
    {
        var made = FileHandle.Create(path);
        var read = Native.native_read(made.DangerousGetHandle());
        Registry.Open.Add(made);
        return read;
    }
}");

        // libheif-sharp's decoding options: the raw value goes into native memory the method fills through a local pointer,
        // and the handle leaves with the owner of that memory on return.
        [Fact]
        public Task ARawValueStoredThroughALocalPointerAndHandedOnByTheReturnNeedsNoReference() => Check(@"
unsafe class C
{
    Pending M(IntPtr block, string name)
    {
        FileHandle? named = null;
        var request = (Request*)block;
        if (name.Length > 0)
        {
            named = FileHandle.Create(name);
            request->Handle = named.DangerousGetHandle();
        }

        return new Pending(named!, block);
    }
}");

        [Fact]
        public Task AHandleFromAParameterOrAFieldIsStillReported() => Check(@"
class C
{
    private FileHandle _file = new FileHandle();

    int Parameter(FileHandle given)
    {
        var read = Native.native_read({|#0:given.DangerousGetHandle()|});
        given.Dispose();
        return read;
    }

    int Copied()
    {
        var mine = _file;
        var read = Native.native_read({|#1:mine.DangerousGetHandle()|});
        mine.Dispose();
        return read;
    }

    int FromAShared()
    {
        var shared = FileHandle.Shared();
        var read = Native.native_read({|#2:shared.DangerousGetHandle()|});
        shared.Dispose();
        return read;
    }
}", Passed(0, "given"), Passed(1, "mine"), Passed(2, "shared"));

        [Fact]
        public Task AFreshHandleHandedOnBeforeTheUseIsStillReported() => Check(@"
class C
{
    private FileHandle? _kept;

    int Stored(string path)
    {
        var opened = Native.native_open(path);
        _kept = opened;
        var read = Native.native_read({|#0:opened.DangerousGetHandle()|});
        opened.Dispose();
        return read;
    }

    int Listed(string path)
    {
        var opened = Native.native_open(path);
        Registry.Open.Add(opened);
        var read = Native.native_read({|#1:opened.DangerousGetHandle()|});
        opened.Dispose();
        return read;
    }

    int Captured(string path)
    {
        var opened = Native.native_open(path);
        Task.Run(() => opened.Dispose());
        var read = Native.native_read({|#2:opened.DangerousGetHandle()|});
        opened.Dispose();
        return read;
    }

    void Looped(string[] paths)
    {
        FileHandle? opened = null;
        foreach (var path in paths)
        {
            if (opened == null)
            {
                opened = Native.native_open(path);
            }

            Native.native_read({|#3:opened.DangerousGetHandle()|});
            Registry.Open.Add(opened);
        }
    }
}", Passed(0, "opened"), Passed(1, "opened"), Passed(2, "opened"), Passed(3, "opened"));

        // DuckDB.NET's appender: the constructor fills an array field with handles a native call returns and gives their raw
        // values, gathered in a local array, to a native call that copies them. Nobody else can reach the object yet.
        [Fact]
        public Task AnElementOfAnArrayTheConstructorIsFillingNeedsNoReference() => Check(@"
class Chunk
{
    private readonly FileHandle[] _columns;
    private readonly IntPtr _made;

    public Chunk(string[] paths)
    {
        _columns = new FileHandle[paths.Length];
        var raw = new IntPtr[paths.Length];
        for (var i = 0; i < paths.Length; i++)
        {
            _columns[i] = Native.native_open(paths[i]);
            raw[i] = _columns[i].DangerousGetHandle();
        }

        _made = Native.native_make(raw, paths.Length);
    }
}");

        private static DiagnosticResult StoredInElement(int location)
            => Verify.Diagnostic("IG3006").WithLocation(location).WithMessage(
                "'_columns[i].DangerousGetHandle()' is stored in an array element without DangerousAddRef/DangerousRelease around the use: another thread may dispose '_columns[i]' while the stored value is still used; the released handle value can be reused");

        [Fact]
        public Task AnElementOfAnArrayFieldOthersCanReachIsStillReported() => Check(@"
class Given
{
    private readonly FileHandle[] _columns;
    private readonly IntPtr _made;

    public Given(FileHandle[] columns)
    {
        _columns = columns;
        var raw = new IntPtr[columns.Length];
        for (var i = 0; i < columns.Length; i++)
        {
            raw[i] = {|#0:_columns[i].DangerousGetHandle()|};
        }

        _made = Native.native_make(raw, columns.Length);
    }
}

class Published
{
    private readonly FileHandle[] _columns;
    private readonly IntPtr _made;

    public Published(string[] paths)
    {
        Registry.Builders.Add(this);
        _columns = new FileHandle[paths.Length];
        var raw = new IntPtr[paths.Length];
        for (var i = 0; i < paths.Length; i++)
        {
            _columns[i] = Native.native_open(paths[i]);
            raw[i] = {|#1:_columns[i].DangerousGetHandle()|};
        }

        _made = Native.native_make(raw, paths.Length);
    }
}

class Shared
{
    private readonly FileHandle[] _columns;
    private readonly IntPtr _made;

    public Shared(int count)
    {
        _columns = new FileHandle[count];
        var raw = new IntPtr[count];
        for (var i = 0; i < count; i++)
        {
            _columns[i] = FileHandle.Shared();
            raw[i] = {|#2:_columns[i].DangerousGetHandle()|};
        }

        _made = Native.native_make(raw, count);
    }
}

class Refilled
{
    private readonly FileHandle[] _columns = new FileHandle[4];
    private IntPtr _made;

    public void Refill(string[] paths)
    {
        var raw = new IntPtr[paths.Length];
        for (var i = 0; i < paths.Length; i++)
        {
            _columns[i] = Native.native_open(paths[i]);
            raw[i] = {|#3:_columns[i].DangerousGetHandle()|};
        }

        _made = Native.native_make(raw, paths.Length);
    }
}

class KeptRaw
{
    private readonly FileHandle[] _columns;
    private readonly IntPtr[] _raw;

    public KeptRaw(string[] paths)
    {
        _columns = new FileHandle[paths.Length];
        var raw = new IntPtr[paths.Length];
        for (var i = 0; i < paths.Length; i++)
        {
            _columns[i] = Native.native_open(paths[i]);
            raw[i] = {|#4:_columns[i].DangerousGetHandle()|};
        }

        _raw = raw;
    }
}

// Nothing uses the object after the call that reads the values: a caller that drops it lets the handles be finalized.
class Unread
{
    private readonly FileHandle[] _columns;

    public Unread(string[] paths)
    {
        _columns = new FileHandle[paths.Length];
        var raw = new IntPtr[paths.Length];
        for (var i = 0; i < paths.Length; i++)
        {
            _columns[i] = Native.native_open(paths[i]);
            raw[i] = {|#5:_columns[i].DangerousGetHandle()|};
        }

        Native.native_make(raw, paths.Length);
    }
}", StoredInElement(0), StoredInElement(1), StoredInElement(2), StoredInElement(3), StoredInElement(4), StoredInElement(5));

        // Nothing reads the handle after the native call: the finalizer thread may release it during the call.
        [Fact]
        public Task AFreshHandleNothingReadsAfterTheUseIsStillReported() => Check(@"
class C
{
    int M(string path)
    {
        var opened = Native.native_open(path);
        return Native.native_read({|#0:opened.DangerousGetHandle()|});
    }
}", Passed(0, "opened"));

        // The raw value stays in the object while the caller, who now holds the handle, may dispose it.
        [Fact]
        public Task AFreshHandleWhoseRawValueIsKeptInAFieldIsStillReported() => Check(@"
unsafe class C
{
    private IntPtr _raw;

    FileHandle Field(string path)
    {
        var opened = Native.native_open(path);
        _raw = {|#0:opened.DangerousGetHandle()|};
        return opened;
    }

    Pending Pointer(IntPtr block, string path)
    {
        var opened = Native.native_open(path);
        var request = (Request*)block;
        request->Handle = {|#1:opened.DangerousGetHandle()|};
        Registry.Open.Add(opened);
        return new Pending(opened, block);
    }
}", Stored(0, "opened", "field 'C._raw'"), Stored(1, "opened", "field 'Request.Handle'"));

        // A stream the method opens and hands out through its out parameter as the lock that keeps the file in place, whose
        // own handle's raw value goes into a local struct for one native call: the caller gets the stream only on return.
        [Fact]
        public Task TheHandleOfAFreshStreamHandedOutThroughAnOutParameterNeedsNoReference() => Check(@"
class C
{
    static int Verify(string path, out IDisposable? fileLock)
    {
        fileLock = null;
        System.IO.FileStream stream = System.IO.File.OpenRead(path);
        fileLock = stream;
        var request = new Request { Handle = stream.SafeFileHandle.DangerousGetHandle(), Length = 1 };
        return Native.native_read(request.Handle);
    }

    static int Event(out IDisposable? signal)
    {
        var ready = new System.Threading.ManualResetEvent(false);
        signal = ready;
        var request = new Request();
        request.Handle = ready.SafeWaitHandle.DangerousGetHandle();
        return Native.native_read(request.Handle);
    }
}");

        // Look-alikes: a stream the caller gave, a stream kept in a field first, a stream handed into a ref parameter
        // (the caller's variable may be read meanwhile), and a handle taken out of its stream into a local.
        [Fact]
        public Task TheHandleOfAStreamOthersCanReachIsStillReported() => Check(@"
class C
{
    private System.IO.FileStream? _kept;

    int Given(System.IO.FileStream stream)
    {
        var request = new Request { Handle = {|#0:stream.SafeFileHandle.DangerousGetHandle()|} };
        return Native.native_read(request.Handle);
    }

    int Kept(string path)
    {
        var stream = System.IO.File.OpenRead(path);
        _kept = stream;
        var request = new Request { Handle = {|#1:stream.SafeFileHandle.DangerousGetHandle()|} };
        return Native.native_read(request.Handle);
    }

    int ByRef(string path, ref IDisposable? fileLock)
    {
        var stream = System.IO.File.OpenRead(path);
        fileLock = stream;
        var request = new Request { Handle = {|#2:stream.SafeFileHandle.DangerousGetHandle()|} };
        return Native.native_read(request.Handle);
    }

    int FromAnother(string path, out IDisposable? fileLock)
    {
        var stream = System.IO.File.OpenRead(path);
        fileLock = stream;
        var handle = stream.SafeFileHandle;
        var request = new Request { Handle = {|#3:handle.DangerousGetHandle()|} };
        return Native.native_read(request.Handle);
    }
}", Stored(0, "stream.SafeFileHandle", "field 'Request.Handle'"), Stored(1, "stream.SafeFileHandle", "field 'Request.Handle'"),
    Stored(2, "stream.SafeFileHandle", "field 'Request.Handle'"), Stored(3, "handle", "field 'Request.Handle'"));

        [Fact]
        public Task AHandleOpenedHereAndDisposedByAUsingBlockAroundTheUseNeedsNoReference() => Check(@"
class C
{
    int M(string path)
    {
        if (Native.native_open_into(path, out FileHandle opened) != 0)
        {
            return -1;
        }

        using (opened)
        {
            return Native.native_read(opened.DangerousGetHandle());
        }
    }
}");

        [Fact]
        public Task AUsingBlockOverAHandleFromElsewhereOrOneReplacedInsideStillCounts() => Check(@"
class C
{
    int Given(FileHandle given)
    {
        using (given)
        {
            return Native.native_read({|#0:given.DangerousGetHandle()|});
        }
    }

    int Replaced(string path)
    {
        Native.native_open_into(path, out FileHandle opened);
        using (opened)
        {
            // The block disposes the first handle; the second is read by nothing after the call.
            opened = Native.native_open(path);
            return Native.native_read({|#1:opened.DangerousGetHandle()|});
        }
    }
}", Passed(0, "given"), Passed(1, "opened"));

        // A port that keeps its handle's number only to print it in its trace lines: the number never reaches native code.
        [Fact]
        public Task ARawValueKeptOnlyForMessagesIsNotAUse() => Check(@"
class Port
{
    private readonly FileHandle _handle;
    private readonly IntPtr _number;

    public Port(FileHandle handle)
    {
        _handle = handle;
        _number = _handle.DangerousGetHandle();
    }

    public string Describe() => $""port {_number}"";
    public string Name() => ""port "" + _number;
    public string Text() => _number.ToString();
}");

        [Fact]
        public Task ARawValueKeptForMessagesAndANativeCallStillCounts() => Check(@"
class Port
{
    private readonly FileHandle _handle;
    private readonly IntPtr _number;

    public Port(FileHandle handle)
    {
        _handle = handle;
        _number = {|#0:_handle.DangerousGetHandle()|};
    }

    public string Describe() => $""port {_number}"";
    public int Read() => Native.native_read(_number);
}", Stored(0, "_handle", "field 'Port._number'"));
    }
}
