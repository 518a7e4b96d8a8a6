using System.Threading.Tasks;
using Xunit;
using static InteropGuard.Tests.Rules.HandleOwnerLifetimeTests;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001 through a delegate field that holds a P/Invoke: a binding that exposes each native function as a
    /// <c>static readonly</c> delegate field initialized with the P/Invoke's method group, and whose static constructor
    /// swaps in the same export of another library, or a lambda that only throws when the loaded library is too old. A
    /// call through the field is the P/Invoke's call, so a handle of an owner that closes it in its finalizer, given to it
    /// with the owner unused afterwards, is reported as a direct call would be. Silent when the field may hold something
    /// else: a public settable field, a field also filled from a caller's argument, from a function pointer nothing names,
    /// or with a managed method, and a field swapped to a different native function (which one is called is unknown).
    /// </summary>
    public class HandleOwnerHeldFunctionFieldTests
    {
        private const string Binding = @"
static class Wire
{
    [DllImport(""libwire"", EntryPoint = ""wire_attach"")] private static extern int wire_attach(IntPtr port, IntPtr address);
    [DllImport(""__Internal"", EntryPoint = ""wire_attach"")] private static extern int wire_attach_static(IntPtr port, IntPtr address);
    [DllImport(""libwire"", EntryPoint = ""wire_shut"")] private static extern int wire_shut(IntPtr port);
    [DllImport(""libwire"", EntryPoint = ""wire_flush"")] private static extern int wire_flush(IntPtr port, int mode);
    [DllImport(""libwire"", EntryPoint = ""wire_flush_v2"")] private static extern int wire_flush_v2(IntPtr port, int mode);
    [DllImport(""libwire"", EntryPoint = ""wire_version"")] private static extern int wire_version();

    public delegate int PortAddress(IntPtr port, IntPtr address);
    public delegate int Port(IntPtr port);
    public delegate int PortMode(IntPtr port, int mode);

    public static readonly PortAddress attach = wire_attach;
    public static readonly PortAddress attachOld = wire_attach;
    public static readonly Port shut = wire_shut;
    public static readonly PortMode flush = wire_flush_v2;

    static Wire()
    {
        if (Environment.GetEnvironmentVariable(""WIRE_STATIC"") != null)
        {
            attach = wire_attach_static;
        }

        if (wire_version() < 2)
        {
            // Too old for this entry point: calling it says so.
            attachOld = (port, address) => { throw new NotSupportedException(""wire_attach needs v2""); };
            flush = wire_flush;
        }
    }
}
";

        [Fact]
        public Task AHandleGivenThroughAFieldHoldingOneExportIsReported() => Check(Binding + @"
class Link
{
    private IntPtr _port;
    ~Link() { Wire.shut(_port); }

    public int Attach(IntPtr address) => Wire.attach({|#0:_port|}, address);

    public int AttachOld(IntPtr address) => Wire.attachOld({|#1:_port|}, address);
}", Finding(0, "this", "_port", "Wire.wire_attach"), Finding(1, "this", "_port", "Wire.wire_attach"));

        [Fact]
        public Task AFieldThatMayHoldSomethingElseIsNotANativeCall() => Check(Binding + @"
static class Loose
{
    [DllImport(""libwire"", EntryPoint = ""wire_attach"")] private static extern int wire_attach(IntPtr port, IntPtr address);

    // Anyone may assign this one.
    public static Wire.PortAddress attach = wire_attach;

    private static Wire.PortAddress _given = wire_attach;
    private static Wire.PortAddress _loaded = wire_attach;
    private static readonly Wire.PortAddress _managed = wire_attach;

    public static void Use(Wire.PortAddress given) => _given = given;

    public static void Load(IntPtr symbol) => _loaded = Marshal.GetDelegateForFunctionPointer<Wire.PortAddress>(symbol);

    static Loose()
    {
        if (Environment.Is64BitProcess)
        {
            _managed = Pretend;
        }
    }

    private static int Pretend(IntPtr port, IntPtr address) => 0;

    public static int Given(IntPtr port, IntPtr address) => _given(port, address);
    public static int Loaded(IntPtr port, IntPtr address) => _loaded(port, address);
    public static int Managed(IntPtr port, IntPtr address) => _managed(port, address);
}

class Link
{
    private IntPtr _port;
    ~Link() { Wire.shut(_port); }

    public int Settable(IntPtr address) => Loose.attach(_port, address);
    public int Given(IntPtr address) => Loose.Given(_port, address);
    public int Loaded(IntPtr address) => Loose.Loaded(_port, address);
    public int Managed(IntPtr address) => Loose.Managed(_port, address);

    // wire_flush or wire_flush_v2, depending on the library: which function runs is not known.
    public int Flush() => Wire.flush(_port, 0);
}");
    }
}
