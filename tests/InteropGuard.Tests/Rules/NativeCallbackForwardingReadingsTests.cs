using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// Callbacks that only hand native events on to the user's code, through library steps that cannot fail: finding the
    /// listener again through the weak reference the library put behind its own handle (and the library's own holder
    /// delegate that returns it), decoding with a sealed subclass of a lenient UTF-8 encoding, reading a constant corner
    /// of a fixed-size local array, converting a result through a struct's primary constructor, and looking an object up
    /// under a reader-writer lock. These callbacks report the user's code (IG5002), not a library throw that cannot run.
    /// A holder delegate type the user can make, a strict encoding, an index past the array, a struct constructor that
    /// checks its argument and a lock entered with a timeout the caller chose are still the library's own throws (IG5001).
    /// </summary>
    public class NativeCallbackForwardingReadingsTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
public delegate Flag Probe(IntPtr context, int value);

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
public delegate void Message(IntPtr context, IntPtr text, int length);

static class Native
{
    [DllImport(""sensor"")] public static extern void sensor_probe(Probe probe, IntPtr context);
    [DllImport(""sensor"")] public static extern void sensor_message(Message message, IntPtr context);
}

internal delegate object Keeper();

public delegate object OpenKeeper();

static class Contexts
{
    public static IntPtr Keep(object owner)
    {
        object kept = new WeakReference(owner);
        Keeper keeper = () => kept;
        return GCHandle.ToIntPtr(GCHandle.Alloc(keeper));
    }

    public static T? Fetch<T>(IntPtr context) where T : class
    {
        if (context == IntPtr.Zero)
        {
            return default;
        }

        return (T)GCHandle.FromIntPtr(context).Target!;
    }

    public static T Owner<T>(IntPtr context)
    {
        Keeper keeper = Fetch<Keeper>(context)!;
        object value = keeper();
        return value is WeakReference weak ? (T)weak.Target! : (T)value;
    }

    public static T OpenOwner<T>(IntPtr context)
    {
        OpenKeeper keeper = Fetch<OpenKeeper>(context)!;
        object value = keeper();
        return value is WeakReference weak ? (T)weak.Target! : (T)value;
    }
}

public readonly struct Flag(byte raw)
{
    public readonly byte Raw = raw;

    public static implicit operator Flag(bool value) => new Flag(value ? (byte)1 : (byte)0);
}

public readonly struct StrictFlag
{
    public readonly byte Raw;

    public StrictFlag(byte raw)
    {
        if (raw > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(raw));
        }

        Raw = raw;
    }
}

sealed class LenientUtf8 : UTF8Encoding
{
    public static readonly LenientUtf8 Shared = new LenientUtf8();

    private LenientUtf8() : base(false, false)
    {
    }
}

sealed class StrictUtf8 : UTF8Encoding
{
    public static readonly StrictUtf8 Shared = new StrictUtf8();

    private StrictUtf8() : base(false, true)
    {
    }
}

static class Registry
{
    private static readonly ReaderWriterLockSlim s_lock = new ReaderWriterLockSlim();
    private static readonly Dictionary<IntPtr, string> s_names = new Dictionary<IntPtr, string>();

    public static string? Name(IntPtr handle)
    {
        s_lock.EnterReadLock();
        try
        {
            return s_names.TryGetValue(handle, out var name) ? name : null;
        }
        finally
        {
            s_lock.ExitReadLock();
        }
    }

    public static string? NameWithin(IntPtr handle, int milliseconds)
    {
        if (!s_lock.TryEnterReadLock(milliseconds))
        {
            return null;
        }

        try
        {
            return s_names.TryGetValue(handle, out var name) ? name : null;
        }
        finally
        {
            s_lock.ExitReadLock();
        }
    }
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Forwarding(int location, string callback, string native, string operation, string reached)
            => Verify.Diagnostic("IG5002").WithLocation(location).WithMessage(
                "Callback '" + callback + "' is called by native function '" + native + "', and '" + operation + "' " + reached
                + " outside a catch-all: an exception the user's code throws there terminates the process");

        private static DiagnosticResult Own(int location, string callback, string native, string operation, string? besides = null)
            => Verify.Diagnostic("IG5001").WithLocation(location).WithMessage(
                "Callback '" + callback + "' is called by native function '" + native + "', and '" + operation
                + (besides == null ? string.Empty : (operation.EndsWith(")") ? ", as may " : " as may ") + besides + ",")
                + " outside a catch-all: an exception escaping to native code terminates the process");

        [Fact]
        public Task ListenersFoundThroughTheLibrarysOwnHandleForwardToTheUser() => Check(@"
public abstract class Sensor
{
    private static readonly Probe s_probe = OnProbe;
    private static readonly Message s_message = OnMessage;
    private readonly IntPtr _context;

    protected Sensor()
    {
        _context = Contexts.Keep(this);
        Native.sensor_probe(s_probe, _context);
        Native.sensor_message(s_message, _context);
    }

    public Action<string, float>? Received { get; set; }

    protected abstract bool Accept(int value);

    private static Flag {|#0:OnProbe|}(IntPtr context, int value)
    {
        Sensor sensor = Contexts.Owner<Sensor>(context);
        return sensor.Accept(value);
    }

    private static void {|#1:OnMessage|}(IntPtr context, IntPtr text, int length)
    {
        Sensor sensor = Contexts.Owner<Sensor>(context);
        var bytes = new byte[length];
        Marshal.Copy(text, bytes, 0, length);
        var corners = new float[4];
        Marshal.Copy(text, corners, 0, 4);
        string label = LenientUtf8.Shared.GetString(bytes);
        sensor.Received?.Invoke(label + Registry.Name(text), corners[3]);
    }
}", Forwarding(0, "OnProbe", "sensor_probe", "sensor.Accept(value)", "calls the user's override of 'Sensor.Accept'"),
            Forwarding(1, "OnMessage", "sensor_message", "sensor.Received?.Invoke(label + Registry.Name(text), corner…", "invokes the user's delegate 'sensor.Received'"));

        [Fact]
        public Task AnOpenHolderAStrictDecoderAnIndexPastTheEndAndACheckingConstructorAreTheLibrarysOwn() => Check(@"
public abstract class Sensor
{
    private static readonly Probe s_open = OnOpen;
    private static readonly Probe s_strictFlag = OnStrictFlag;
    private static readonly Message s_strict = OnStrict;
    private static readonly Message s_past = OnPast;
    private static readonly Message s_timed = OnTimed;
    private readonly IntPtr _context;

    protected Sensor()
    {
        _context = Contexts.Keep(this);
        Native.sensor_probe(s_open, _context);
        Native.sensor_probe(s_strictFlag, _context);
        Native.sensor_message(s_strict, _context);
        Native.sensor_message(s_past, _context);
        Native.sensor_message(s_timed, _context);
    }

    public Action<string, float>? Received { get; set; }

    public static int Patience { get; set; }

    protected abstract bool Accept(int value);

    private static Flag {|#0:OnOpen|}(IntPtr context, int value)
    {
        Sensor sensor = Contexts.OpenOwner<Sensor>(context);
        return sensor.Accept(value);
    }

    private static Flag {|#1:OnStrictFlag|}(IntPtr context, int value)
    {
        Sensor sensor = Contexts.Owner<Sensor>(context);
        var checkedFlag = new StrictFlag((byte)value);
        return sensor.Accept(checkedFlag.Raw);
    }

    private static void {|#2:OnStrict|}(IntPtr context, IntPtr text, int length)
    {
        Sensor sensor = Contexts.Owner<Sensor>(context);
        var bytes = new byte[length];
        Marshal.Copy(text, bytes, 0, length);
        sensor.Received?.Invoke(StrictUtf8.Shared.GetString(bytes), 0f);
    }

    private static void {|#3:OnPast|}(IntPtr context, IntPtr text, int length)
    {
        Sensor sensor = Contexts.Owner<Sensor>(context);
        var corners = new float[4];
        Marshal.Copy(text, corners, 0, 4);
        sensor.Received?.Invoke(string.Empty, corners[4]);
    }

    private static void {|#4:OnTimed|}(IntPtr context, IntPtr text, int length)
    {
        Sensor sensor = Contexts.Owner<Sensor>(context);
        sensor.Received?.Invoke(Registry.NameWithin(text, Patience) ?? string.Empty, 0f);
    }
}", Own(0, "OnOpen", "sensor_probe", "Contexts.OpenOwner<Sensor>(context)' may throw ('(T)value' in 'OpenOwner')",
                "'sensor.Accept(value)', which calls the user's override of 'Sensor.Accept'"),
            Own(1, "OnStrictFlag", "sensor_probe", "new StrictFlag((byte)value)' may throw ('throw new ArgumentOutOfRangeException(…)' in 'new StrictFlag')",
                "'sensor.Accept(checkedFlag.Raw)', which calls the user's override of 'Sensor.Accept'"),
            Own(2, "OnStrict", "sensor_message", "StrictUtf8.Shared.GetString(bytes)' may throw",
                "'sensor.Received?.Invoke(StrictUtf8.Shared.GetString(bytes),…', which invokes the user's delegate 'sensor.Received'"),
            Own(3, "OnPast", "sensor_message", "corners[4]' may throw", "'sensor.Received?.Invoke(string.Empty, corners[4])', which invokes the user's delegate 'sensor.Received'"),
            Own(4, "OnTimed", "sensor_message", "Registry.NameWithin(text, Patience)' may throw ('s_lock.TryEnterReadLock(milliseconds)' in 'NameWithin')",
                "'sensor.Received?.Invoke(Registry.NameWithin(text, Patience)…', which invokes the user's delegate 'sensor.Received'"));
    }
}
