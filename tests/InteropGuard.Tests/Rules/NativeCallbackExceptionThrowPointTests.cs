using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001 on the shared model of what throws (Flow/ThrowPoints): native calls and calls that cannot fail do not make a
    /// callback throw; helpers of this compilation throw when their bodies can; the likeliest escaping operation is named.
    /// </summary>
    public class NativeCallbackExceptionThrowPointTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""sample"")] public static extern void ack(int code);
}

sealed class Sink
{
    public int Last;
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(int location, string callback, string operation, string? inside = null)
            => Verify.Diagnostic("IG5001").WithLocation(location).WithMessage(
                "Callback '" + callback + "' is [UnmanagedCallersOnly], and '" + operation + "' may throw " + Inside(inside) + "outside a catch-all: an exception escaping to native code terminates the process");

        // Where the exception starts inside the library's own helper the callback calls, as the message names it.
        private static string Inside(string? inside) => inside == null ? string.Empty : "(" + inside + ") ";

        [Fact]
        public Task NativeCallsHandleLookupsAndQuietHelpersDoNotThrow() => Check(@"
static class Exports
{
    static int Clamp(int value) => value < 0 ? 0 : value;

    [UnmanagedCallersOnly]
    static void OnEvent(IntPtr user, int code)
    {
        if (GCHandle.FromIntPtr(user).Target is Sink sink)
            sink.Last = Clamp(code);
        Native.ack(code);
    }
}");

        [Fact]
        public Task NamesTheHelperThatCanThrowRatherThanTheNativeCall() => Check(@"
static class Exports
{
    static int Checked(int code) => code >= 0 ? code : throw new ArgumentOutOfRangeException(nameof(code));

    [UnmanagedCallersOnly]
    static void {|#0:OnEvent|}(int code)
    {
        Native.ack(code);
        Native.ack(Checked(code));
    }
}", Finding(0, "OnEvent", "Checked(code)", inside: "'throw new ArgumentOutOfRangeException(…)' in 'Checked'"));

        // The callback family counts indexing and casts as failures, in the helpers it calls too.
        [Fact]
        public Task AHelperThatIndexesCanThrow() => Check(@"
static class Exports
{
    static readonly int[] s_table = new int[4];

    static int Lookup(int code) => s_table[code];

    [UnmanagedCallersOnly]
    static void {|#0:OnEvent|}(int code)
    {
        Native.ack(Lookup(code));
    }
}", Finding(0, "OnEvent", "Lookup(code)", inside: "'s_table[code]' in 'Lookup'"));
        // A bridge copying its native argument vector, counting into a queue under a lock, reading a native header.
        [Fact]
        public Task IndexingWithinBoundsGuardedQueuesAndTypedStructuresDoNotThrow() => Check(@"
[StructLayout(LayoutKind.Sequential)] struct Header { public IntPtr Data; public int Length; }
sealed class Bridge
{
    static Queue<int> s_events = new Queue<int>();

    [UnmanagedCallersOnly]
    static void OnValues(int count, IntPtr argv)
    {
        var values = new IntPtr[count];
        for (int i = 0; i < count; i++)
            values[i] = Marshal.ReadIntPtr(argv, i * IntPtr.Size);
        long total = 0;
        for (int i = 0; i < values.Length; i++)
            total += (long)values[i];
        Native.ack((int)total);
    }

    [UnmanagedCallersOnly]
    static void OnEvent(int code, IntPtr header, IntPtr guid)
    {
        lock (s_events)
        {
            while (s_events.Count >= 16) { s_events.Dequeue(); }
            s_events.Enqueue(code);
        }
        var read = (Header)Marshal.PtrToStructure(header, typeof(Header));
        var bytes = new byte[16];
        Marshal.Copy(guid, bytes, 0, 16);
        var id = new Guid(bytes);
        Native.ack(read.Length);
    }
}");

        [Fact]
        public Task IndexingOutOfItsLoopUnguardedQueuesAndOtherStructuresStillThrow() => Check(@"
[StructLayout(LayoutKind.Sequential)] struct Header { public IntPtr Data; public int Length; }
[StructLayout(LayoutKind.Sequential)] struct Other { public int Value; }
sealed class Bridge
{
    static Queue<int> s_events = new Queue<int>();

    [UnmanagedCallersOnly]
    static void {|#0:ShiftedIndex|}(int count, IntPtr argv)
    {
        var values = new IntPtr[count];
        for (int i = 0; i < count; i++)
            values[i + 1] = Marshal.ReadIntPtr(argv, i * IntPtr.Size);
    }

    [UnmanagedCallersOnly]
    static void {|#1:OtherBound|}(int count, int limit)
    {
        var values = new int[count];
        for (int i = 0; i < limit; i++)
            values[i] = i;
    }

    [UnmanagedCallersOnly]
    static void {|#2:Unguarded|}(int code)
    {
        lock (s_events)
        {
            s_events.Dequeue();
        }
    }

    [UnmanagedCallersOnly]
    static void {|#3:TwiceUnderOneTest|}(int code)
    {
        if (s_events.Count > 0) { s_events.Dequeue(); s_events.Dequeue(); }
    }

    [UnmanagedCallersOnly]
    static void {|#4:WrongStructure|}(IntPtr header)
    {
        var read = (Other)Marshal.PtrToStructure(header, typeof(Header));
        Native.ack(read.Value);
    }

    [UnmanagedCallersOnly]
    static void {|#5:ShortGuid|}(IntPtr guid)
    {
        var bytes = new byte[8];
        var id = new Guid(bytes);
    }
}", Finding(0, "ShiftedIndex", "values[i + 1]"), Finding(1, "OtherBound", "values[i]"), Finding(2, "Unguarded", "s_events.Dequeue()"),
            Finding(3, "TwiceUnderOneTest", "s_events.Dequeue()"), Finding(4, "WrongStructure", "(Other)Marshal.PtrToStructure(header, typeof(Header))"),
            Finding(5, "ShortGuid", "new Guid(bytes)"));

        // A fatal-error handler whose whole body throws stops the process on purpose; one that also does work does not.
        [Fact]
        public Task ACallbackThatOnlyThrowsIsADeliberateStop() => Check(@"
static class Handlers
{
    [UnmanagedCallersOnly]
    static void OnMisuse() { throw new InvalidOperationException(""misuse""); }

    [UnmanagedCallersOnly]
    static void {|#0:OnMisuseAfterWork|}(int code)
    {
        Native.ack(code);
        throw new InvalidOperationException(""misuse"");
    }
}", Finding(0, "OnMisuseAfterWork", "throw new InvalidOperationException(\"misuse\")"));

        // ---- broken invariants of the callback's own code (docs/rules/IG5001.md "What is not a throw point") ----

        // A HID-style input callback: it casts the stream's own device to the platform type and sizes the report buffer
        // with checked arithmetic on the native length. Neither is a failure of the input: the device is the one the stream
        // was built with, and a size that overflows is an array that could not be allocated anyway.
        [Fact]
        public Task CastsOfOwnStateAndCheckedArraySizesDoNotThrow() => Check(@"
delegate void ReportCallback(IntPtr report, IntPtr length);
static class ReportNative
{
    [DllImport(""sample"")] public static extern void register_report(ReportCallback callback);
}
class Device { }
sealed class UsbDevice : Device { public bool UsesIds; }
class DeviceStream
{
    public DeviceStream(Device device) { Device = device; }
    public Device Device { get; }
}
sealed class UsbStream : DeviceStream
{
    private readonly Queue<byte[]> _reports = new Queue<byte[]>();
    private object _lastLength = 0;

    public UsbStream(UsbDevice device) : base(device) { ReportNative.register_report(OnReport); }

    void OnReport(IntPtr report, IntPtr length)
    {
        int offset = ((UsbDevice)Device).UsesIds ? 0 : 1;
        var bytes = new byte[checked((int)length + offset)];
        Marshal.Copy(report, bytes, offset, (int)length);
        var previous = (int)_lastLength;
        lock (_reports)
        {
            if (_reports.Count < 64) _reports.Enqueue(bytes);
        }
        Native.ack(previous);
    }
}");

        // The same operations on values that come from outside the object: a parameter, a call's result, a sum that is not
        // an array size.
        [Fact]
        public Task CastsOfOutsideValuesAndOtherCheckedArithmeticStillThrow() => Check(@"
class Device { }
sealed class UsbDevice : Device { public bool UsesIds; }
static class Registry
{
    public static Device? Current;
}
static class Exports
{
    [UnmanagedCallersOnly]
    static void {|#0:OnLookup|}(IntPtr key)
    {
        Native.ack(((UsbDevice)Registry.Current!).UsesIds ? 1 : 0);
    }

    [UnmanagedCallersOnly]
    static void {|#1:OnLength|}(IntPtr length)
    {
        var total = checked((int)length + 1);
        Native.ack(total);
    }
}", Finding(0, "OnLookup", "(UsbDevice)Registry.Current!"), Finding(1, "OnLength", "(int)length + 1"));

        // A tensor-style wrapper refuses to hand out a handle it already gave away: the explicit form of dereferencing a
        // released handle. A flag the object documents and a check of the argument are contracts a caller can break.
        [Fact]
        public Task AReleasedHandleGuardIsNotAThrowButOtherChecksAre() => Check(@"
sealed class Tensor
{
    private IntPtr _handle;
    private bool _closed;

    public Tensor(IntPtr handle) { _handle = handle; }

    public void Close() => _closed = true;

    public IntPtr Detach()
    {
        if (_handle == IntPtr.Zero)
            throw new InvalidOperationException(""Tensor was already detached."");
        var handle = _handle;
        _handle = IntPtr.Zero;
        return handle;
    }

    public IntPtr DetachOpen()
    {
        if (_closed)
            throw new InvalidOperationException(""Tensor is closed."");
        return _handle;
    }

    public IntPtr DetachChecked(int code)
    {
        if (code < 0)
            throw new InvalidOperationException(""Bad code."");
        return _handle;
    }
}
static class Exports
{
    [UnmanagedCallersOnly]
    static IntPtr OnForward(IntPtr tensor) => new Tensor(tensor).Detach();

    [UnmanagedCallersOnly]
    static IntPtr {|#0:OnClosed|}(IntPtr tensor) => new Tensor(tensor).DetachOpen();

    [UnmanagedCallersOnly]
    static IntPtr {|#1:OnCode|}(IntPtr tensor, int code) => new Tensor(tensor).DetachChecked(code);
}", Finding(0, "OnClosed", "new Tensor(tensor).DetachOpen()", inside: "'throw new InvalidOperationException(…)' in 'DetachOpen'"), Finding(1, "OnCode", "new Tensor(tensor).DetachChecked(code)", inside: "'throw new InvalidOperationException(…)' in 'DetachChecked'"));

        // The library's own Dispose must not throw (CA1065), whatever it checks deep down; a Dispose reached through the
        // framework's IDisposable can be anyone's.
        [Fact]
        public Task TheLibrarysOwnDisposeDoesNotThrowButAnyDisposableMay() => Check(@"
sealed class Node : IDisposable
{
    private IntPtr _handle;

    public Node(IntPtr handle) { _handle = handle; }

    public void Dispose()
    {
        if (_handle != IntPtr.Zero)
        {
            Native.ack(0);
            CheckForErrors();
            _handle = IntPtr.Zero;
        }
    }

    static void CheckForErrors()
    {
        if (Environment.TickCount < 0) throw new InvalidOperationException(""native error"");
    }
}
static class Exports
{
    [UnmanagedCallersOnly]
    static void OnDelete(IntPtr handle) => new Node(handle).Dispose();

    [UnmanagedCallersOnly]
    static void {|#0:OnRelease|}(IntPtr user)
    {
        var disposable = (IDisposable)GCHandle.FromIntPtr(user).Target!;
        disposable.Dispose();
    }
}", Finding(0, "OnRelease", "disposable.Dispose()"));

        // An internal abstract member has only the compilation's overrides: the call throws only if one of them can.
        [Fact]
        public Task AVirtualCallThrowsOnlyIfAnImplementationInTheCompilationCan() => Check(@"
abstract class Port
{
    internal abstract void Free();
    internal void Release() { Free(); }
}
sealed class UsbPort : Port { internal override void Free() => Native.ack(1); }
sealed class SerialPort : Port { internal override void Free() => Native.ack(2); }
abstract class Line
{
    internal abstract void Free();
}
sealed class QuietLine : Line { internal override void Free() => Native.ack(3); }
sealed class BusyLine : Line { internal override void Free() => throw new InvalidOperationException(""busy""); }
static class Exports
{
    public static Port? Current;
    public static Line? Active;

    [UnmanagedCallersOnly]
    static void OnRemoved() => Current!.Release();

    [UnmanagedCallersOnly]
    static void {|#0:OnHangUp|}() => Active!.Free();
}", Finding(0, "OnHangUp", "Active!.Free()", "'throw new InvalidOperationException(…)' in 'Free'"));

        // libgit2sharp's shape: lax decoders share one helper that takes the encoding as a parameter. Read with the encoding
        // its caller passes, the lax one cannot throw; the strict one can.
        [Fact]
        public Task ADecoderIsReadWithTheEncodingItsCallerPasses() => Check(@"
static unsafe class Text
{
    public static readonly System.Text.Encoding Lax = new System.Text.UTF8Encoding(false, false);
    public static readonly System.Text.Encoding Strict = new System.Text.UTF8Encoding(false, true);

    static string Decode(System.Text.Encoding encoding, byte* data, int length)
    {
        if (data == null) return null!;
        if (length == 0) return string.Empty;
        return new string((sbyte*)data, 0, length, encoding);
    }

    public static string FromLax(byte* data, int length) => Decode(Lax, data, length);
    public static string FromStrict(byte* data, int length) => Decode(Strict, data, length);
}
static unsafe class Exports
{
    static readonly List<string> s_lines = new List<string>();

    [UnmanagedCallersOnly]
    static void OnLine(byte* data, int length)
    {
        lock (s_lines) s_lines.Add(Text.FromLax(data, length));
    }

    [UnmanagedCallersOnly]
    static void {|#0:OnStrictLine|}(byte* data, int length)
    {
        lock (s_lines) s_lines.Add(Text.FromStrict(data, length));
    }
}", Finding(0, "OnStrictLine", "Text.FromStrict(data, length)", inside: "'new string((sbyte*)data, 0, length, enc…' in 'Decode'"));

        // Framework calls that fail only on arguments the shape rules out, or not at all in a release build.
        [Fact]
        public Task FrameworkCallsThatCannotFailHere() => Check(@"
delegate void Tick(int code);
sealed class Registration
{
    private GCHandle _self;
    private IntPtr _tick;
    private string? _name;

    static void OnTick(int code) => Native.ack(code);

    [UnmanagedCallersOnly]
    static unsafe void OnCreate(IntPtr name, int length)
    {
        var registration = new Registration();
        registration._self = GCHandle.Alloc(registration);
        registration._tick = Marshal.GetFunctionPointerForDelegate<Tick>(OnTick);
        registration._name = string.Concat(registration.GetType().Name, "":"", ""tick"").Replace('/', '.');
        var bytes = System.Text.Encoding.UTF8.GetBytes(registration._name);
        new Span<byte>((void*)name, length).Clear();
        System.Diagnostics.Debug.Assert(bytes.Length > 0);
    }
}");

        [Fact]
        public Task PrintingAStringOrANumberToTheConsoleDoesNotThrow() => Check(@"
static class Log
{
    [UnmanagedCallersOnly]
    static unsafe void OnMessage(int level, sbyte* text)
    {
        var message = Marshal.PtrToStringUTF8((IntPtr)text);
        Console.WriteLine(message);
        Console.Write(level);
        Console.WriteLine();
    }
}");

        [Fact]
        public Task FormattingOrPrintingAnObjectToTheConsoleMayThrow() => Check(@"
static class Log
{
    public static object? Last;

    [UnmanagedCallersOnly]
    static void {|#0:OnFormat|}(int level) => Console.WriteLine(""{0} {1}"", level, Last);

    [UnmanagedCallersOnly]
    static void {|#1:OnObject|}(int level) => Console.WriteLine(Last);
}", Finding(0, "OnFormat", "Console.WriteLine(\"{0} {1}\", level, Last)"), Finding(1, "OnObject", "Console.WriteLine(Last)"));

        [Fact]
        public Task TheSameFrameworkCallsOnArgumentsThatMayFail() => Check(@"
delegate void Tick(int code);
static class Exports
{
    public static Tick? Handler;
    public static System.Text.Encoding Current = System.Text.Encoding.UTF8;

    [UnmanagedCallersOnly]
    static void {|#0:OnRegister|}() => Native.ack((int)Marshal.GetFunctionPointerForDelegate(Handler!));

    [UnmanagedCallersOnly]
    static void {|#1:OnName|}(int code) => Native.ack(Current.GetBytes(code.ToString()).Length);
}", Finding(0, "OnRegister", "Marshal.GetFunctionPointerForDelegate(Handler!)"), Finding(1, "OnName", "Current.GetBytes(code.ToString())"));

        // A path type converted from the decoded string (libgit2sharp's FilePath): the conversion operator is a call of the
        // library and is read as deep as a call, down to a separator replacement that cannot fail.
        [Fact]
        public Task AConversionOperatorIsReadAsDeepAsACall() => Check(@"
sealed class PathName
{
    private readonly string _native;

    private PathName(string path) { _native = Normalize(path); }

    static string Normalize(string path) => path.Replace('\\', '/');

    public static implicit operator PathName?(string? path) => path == null ? null : new PathName(path);
}
static unsafe class Paths
{
    static string? Decode(byte* p) => p == null ? null : new string((sbyte*)p, 0, 4, System.Text.Encoding.UTF8);

    public static PathName? FromNative(byte* p) => Decode(p);
}
static unsafe class Exports
{
    static readonly List<PathName?> s_paths = new List<PathName?>();

    [UnmanagedCallersOnly]
    static void OnPath(byte* p)
    {
        lock (s_paths) s_paths.Add(Paths.FromNative(p));
    }
}");

        [Fact]
        public Task CreatingAnObjectWithConstantInitializersDoesNotThrowButOneWithACallingInitializerMay() => Check(@"
static class Limits { public const int Retries = 3; }
sealed class Quiet
{
    public int Retries = Limits.Retries;
    public string Name = ""event"";
    public List<int> Seen = new List<int>();
}
sealed class Loud
{
    public int[] Table = int.Parse(""12"") > 0 ? new int[4] : null;
}
static class Exports
{
    [UnmanagedCallersOnly]
    static void OnQuiet(int code)
    {
        var state = new Quiet();
        Native.ack(code + state.Retries);
    }

    [UnmanagedCallersOnly]
    static void {|#0:OnLoud|}(int code)
    {
        var state = new Loud();
        Native.ack(code);
    }
}", Finding(0, "OnLoud", "new Loud()"));
    
        // FNA's logging bridge: a NUL-terminated UTF-8 message measured by hand, decoded into as many chars as it has bytes
        // and copied into a string. No byte decodes to more than one char, so nothing there throws; what the bridge then
        // calls decides: the library's own list cannot throw, a delegate the library's user set can (IG5002).
        private const string Utf8 = @"
static unsafe class Utf8
{
    public static string ToManaged(IntPtr s)
    {
        byte* end = (byte*)s;
        while (*end != 0)
        {
            end++;
        }

        int count = (int)(end - (byte*)s);
        if (count == 0)
        {
            return string.Empty;
        }

        char* chars = stackalloc char[count];
        int written = System.Text.Encoding.UTF8.GetChars((byte*)s, count, chars, count);
        return new string(chars, 0, written);
    }

    // Half as many chars as bytes: too short for ASCII text, so GetChars throws.
    public static string ToManagedHalf(IntPtr s, int count)
    {
        char* chars = stackalloc char[count / 2];
        int written = System.Text.Encoding.UTF8.GetChars((byte*)s, count, chars, count / 2);
        return new string(chars, 0, written);
    }
}
";

        [Fact]
        public Task DecodingIntoAsManyCharsAsBytesDoesNotThrow() => Check(Utf8 + @"
static class Logger
{
    public static Action<string>? LogInfo;
    static readonly List<string> s_lines = new List<string>();

    [UnmanagedCallersOnly]
    static void OnLog(IntPtr message)
    {
        lock (s_lines) s_lines.Add(Utf8.ToManaged(message));
    }

    [UnmanagedCallersOnly]
    static void {|#0:OnInfo|}(IntPtr message) => LogInfo!(Utf8.ToManaged(message));
}", Verify.Diagnostic("IG5002").WithLocation(0).WithMessage(
            "Callback 'OnInfo' is [UnmanagedCallersOnly], and 'LogInfo!(Utf8.ToManaged(message))' invokes the user's delegate 'LogInfo' outside a catch-all: an exception the user's code throws there terminates the process"));

        [Fact]
        public Task DecodingIntoFewerCharsThanBytesStillThrows() => Check(Utf8 + @"
static class Logger
{
    static readonly List<string> s_lines = new List<string>();

    [UnmanagedCallersOnly]
    static void {|#0:OnShortLog|}(IntPtr message, int count)
    {
        lock (s_lines) s_lines.Add(Utf8.ToManagedHalf(message, count));
    }
}", Finding(0, "OnShortLog", "Utf8.ToManagedHalf(message, count)", inside: "'System.Text.Encoding.UTF8.GetChars(…)' in 'ToManagedHalf'"));

        // An error's name reported by the native side, read back into the library's enum: TryParse of a concrete enum
        // answers false for unknown or null text (DotNetty's libuv errors); Parse throws for them.
        [Fact]
        public Task TryParseOfAConcreteEnumCannotThrowButParseCan() => Check(@"
enum Fault { Unknown, Busy, Closed }

static class Exports
{
    [UnmanagedCallersOnly]
    static void OnFault(IntPtr name)
    {
        if (!Enum.TryParse(Marshal.PtrToStringAnsi(name), out Fault fault))
            fault = Fault.Unknown;
        Native.ack((int)fault);
    }

    [UnmanagedCallersOnly]
    static void OnFaultIgnoringCase(IntPtr name)
    {
        Enum.TryParse<Fault>(Marshal.PtrToStringAnsi(name), true, out var fault);
        Native.ack((int)fault);
    }

    [UnmanagedCallersOnly]
    static void {|#0:OnFaultParsed|}(IntPtr name)
    {
        var fault = Enum.Parse<Fault>(Marshal.PtrToStringAnsi(name)!);
        Native.ack((int)fault);
    }
}", Finding(0, "OnFaultParsed", "Enum.Parse<Fault>(Marshal.PtrToStringAnsi(name)!)"));
    }
}
