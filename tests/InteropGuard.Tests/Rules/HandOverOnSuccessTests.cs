using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// What counts as handing a value on. A native function that keeps a pointer takes it only if it succeeds: when a
    /// checker of its status throws, the block is still the method's. A GCHandle's number read by a library method
    /// (<c>Marshal.Copy((IntPtr)h, ..)</c>) is not handed to anyone.
    /// </summary>
    public class HandOverOnSuccessTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
static class Device
{
    [DllImport(""driver"")] public static extern int add_buffer(IntPtr device, IntPtr header, int size);
    [DllImport(""driver"")] public static extern void add_buffer_void(IntPtr device, IntPtr header, int size);
    [DllImport(""driver"")] public static extern int set_user_data(IntPtr device, IntPtr data);
}
class DriverException : Exception
{
    public static void Check(int result, string function)
    {
        if (result != 0)
        {
            throw new DriverException();
        }
    }
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source, EditorConfig = "interopguard.retaining_functions = add_buffer, add_buffer_void" };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task BufferKeptByTheDriverIsStillOwnedWhenTheStatusCheckThrows() => Check(@"
class Recorder
{
    private readonly IntPtr[] _headers = new IntPtr[4];

    void Queue(IntPtr device, int i)
    {
        var header = {|#0:Marshal.AllocHGlobal(64)|};
        DriverException.Check(Device.add_buffer(device, header, 64), ""add_buffer"");
        _headers[i] = header;
    }
}", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'Marshal.AllocHGlobal' in 'header' is not released by 'Marshal.FreeHGlobal' if 'DriverException.Check(...)' throws"));

        [Fact]
        public Task BufferKeptOnlyWhenTheStoredStatusSaysSo() => Check(@"
class Recorder
{
    private IntPtr _header;

    int Queue(IntPtr device)
    {
        var header = {|#0:Marshal.AllocHGlobal(64)|};
        int rc = Device.add_buffer(device, header, 64);
        if (rc == 0)
        {
            _header = header;
        }

        return rc;
    }

    bool QueueOrRelease(IntPtr device)
    {
        var header = Marshal.AllocHGlobal(64);
        int rc = Device.add_buffer(device, header, 64);
        if (rc != 0)
        {
            Marshal.FreeHGlobal(header);
            return false;
        }

        _header = header;
        return true;
    }
}", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'Marshal.AllocHGlobal' in 'header' is not released by 'Marshal.FreeHGlobal' on the 'return rc'"));

        [Fact]
        public Task KeptBuffersWithoutAFailingCheckAreHandedOn() => Check(@"
class Recorder
{
    void Unchecked(IntPtr device)
    {
        var header = Marshal.AllocHGlobal(64);
        Device.add_buffer(device, header, 64);
    }

    void NoStatus(IntPtr device)
    {
        var header = Marshal.AllocHGlobal(64);
        Device.add_buffer_void(device, header, 64);
        DriverException.Check(1, ""later"");
    }

    void Released(IntPtr device)
    {
        var header = Marshal.AllocHGlobal(64);
        try
        {
            DriverException.Check(Device.add_buffer(device, header, 64), ""add_buffer"");
        }
        catch
        {
            Marshal.FreeHGlobal(header);
            throw;
        }
    }
}");

        [Fact]
        public Task UserDataHandleIsStillOwnedWhenTheRegistrationsCheckThrows() => Check(@"
class Window
{
    private static readonly System.Collections.Generic.Dictionary<IntPtr, GCHandle> Registered = new System.Collections.Generic.Dictionary<IntPtr, GCHandle>();

    static void Watch(IntPtr device, object state)
    {
        var context = {|#0:GCHandle.Alloc(state)|};
        DriverException.Check(Device.set_user_data(device, GCHandle.ToIntPtr(context)), ""set_user_data"");
        lock (Registered) Registered[device] = context;
    }
}", Verify.Diagnostic("IG3004").WithLocation(0).WithMessage(
            "The GCHandle in 'context' from 'GCHandle.Alloc' is not released by 'GCHandle.Free' if 'DriverException.Check(...)' throws, so the object it refers to can never be collected"));

        [Fact]
        public Task UserDataHandleFreedWhenTheRegistrationFailsOrNeverChecked() => Check(@"
class Window
{
    private static readonly System.Collections.Generic.Dictionary<IntPtr, GCHandle> Registered = new System.Collections.Generic.Dictionary<IntPtr, GCHandle>();

    static void Watch(IntPtr device, object state)
    {
        var context = GCHandle.Alloc(state);
        try
        {
            DriverException.Check(Device.set_user_data(device, GCHandle.ToIntPtr(context)), ""set_user_data"");
        }
        catch
        {
            context.Free();
            throw;
        }

        lock (Registered) Registered[device] = context;
    }

    // Handed over with no check that can throw: the native side keeps the number from here on.
    static void Attach(IntPtr device, object state)
    {
        var context = GCHandle.Alloc(state);
        Device.set_user_data(device, GCHandle.ToIntPtr(context));
    }
}");

        [Fact]
        public Task HandleNumberOnlyReadAsACopySourceIsNotHandedOn() => Check(@"
struct Pair { public int A, B; }
class Writer
{
    void Write(Pair value, byte[] buffer)
    {
        object boxed = value;
        GCHandle handle = {|#0:GCHandle.Alloc(boxed, GCHandleType.Pinned)|};
        Marshal.Copy((IntPtr)handle, buffer, 0, buffer.Length);
    }

    void GivenAsUserData(IntPtr device, object state)
    {
        var handle = GCHandle.Alloc(state);
        Device.set_user_data(device, (IntPtr)handle);
    }
}", Verify.Diagnostic("IG3004").WithLocation(0).WithMessage(
            "The GCHandle in 'handle' from 'GCHandle.Alloc' is not released by 'GCHandle.Free' when the method returns, so the object stays pinned and can never be collected"));
    }
}
