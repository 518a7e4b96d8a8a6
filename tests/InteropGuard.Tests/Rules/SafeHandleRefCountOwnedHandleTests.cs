using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3006 (a) on the handle an object of the compilation owns (Flow/OwnedHandleProperties): a wrapper class keeps its
    /// handle in a property only it can set and closes it in its own Dispose. Read through a wrapper the method holds with
    /// <c>using</c> and lends to nobody, the handle can be disposed by no other thread. A wrapper whose handle anyone may
    /// replace, one whose Dispose leaves the handle open, or a wrapper the method was given, stays reported.
    /// </summary>
    public class SafeHandleRefCountOwnedHandleTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""sample"")] public static extern int native_read(IntPtr handle);
    [DllImport(""sample"")] public static extern void native_close(IntPtr handle);
    [DllImport(""sample"")] public static extern DeviceHandle native_open(string path);
}

sealed class DeviceHandle : SafeHandle
{
    public DeviceHandle() : base(IntPtr.Zero, true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
        Native.native_close(handle);
        return true;
    }
}

struct Query
{
    public IntPtr Device;
    public int Flags;
}

class Device : IDisposable
{
    internal Device(DeviceHandle handle) { Handle = handle; }
    public DeviceHandle Handle { get; private set; }
    public static Device Open(string path) => new Device(Native.native_open(path));
    protected virtual void Dispose(bool disposing)
    {
        if (!Handle.IsInvalid)
        {
            Handle.Close();
        }
    }

    public void Dispose() => Dispose(true);
}

sealed class Port : Device
{
    internal Port(DeviceHandle handle) : base(handle) { }
    public static Port OpenPort(string path) => new Port(Native.native_open(path));
}

class Channel : IDisposable
{
    private readonly DeviceHandle _handle;
    public Channel(DeviceHandle handle) { _handle = handle; }
    public DeviceHandle Handle => _handle;
    public void Dispose() => _handle.Dispose();
}

class Borrowed : IDisposable
{
    public Borrowed(DeviceHandle handle) { Handle = handle; }
    public DeviceHandle Handle { get; private set; }
    public void Dispose() { }
}

class Swappable : IDisposable
{
    public Swappable(DeviceHandle handle) { Handle = handle; }
    public DeviceHandle Handle { get; set; }
    public void Dispose() => Handle.Dispose();
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

        [Fact]
        public Task TheHandleOfAUsingWrapperItOwnsNeedsNoReference() => Check(@"
class C
{
    int Read(string path)
    {
        using Device device = Device.Open(path);
        return Native.native_read(device.Handle.DangerousGetHandle());
    }

    int ReadPort(string path)
    {
        using var port = Port.OpenPort(path);
        var query = new Query { Device = port.Handle.DangerousGetHandle(), Flags = 1 };
        return Native.native_read(query.Device);
    }

    int ReadChannel(DeviceHandle handle)
    {
        using (var channel = new Channel(handle))
        {
            return Native.native_read(channel.Handle.DangerousGetHandle());
        }
    }
}");

        [Fact]
        public Task AWrapperWhoseDisposeLeavesTheHandleOpenStaysReported() => Check(@"
class C
{
    int Read(DeviceHandle handle)
    {
        using var borrowed = new Borrowed(handle);
        return Native.native_read({|#0:borrowed.Handle.DangerousGetHandle()|});
    }
}", Passed(0, "borrowed.Handle"));

        [Fact]
        public Task AWrapperWhoseHandleAnyoneMayReplaceStaysReported() => Check(@"
class C
{
    int Read(DeviceHandle handle)
    {
        using var swappable = new Swappable(handle);
        return Native.native_read({|#0:swappable.Handle.DangerousGetHandle()|});
    }
}", Passed(0, "swappable.Handle"));

        [Fact]
        public Task AnOwningWrapperTheMethodWasGivenOrLendsOutStaysReported() => Check(@"
class C
{
    static Device s_last;

    int Given(Device device)
    {
        return Native.native_read({|#0:device.Handle.DangerousGetHandle()|});
    }

    int Lent(string path)
    {
        using var device = Device.Open(path);
        s_last = device;
        return Native.native_read({|#1:device.Handle.DangerousGetHandle()|});
    }
}", Passed(0, "device.Handle"), Passed(1, "device.Handle"));
    }
}
