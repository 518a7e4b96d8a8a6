using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001/IG5002 on a bridge that raises an event (or invokes a delegate field) no code outside the library can
    /// subscribe to: when the library only ever adds method groups of its own, raising it runs those handlers and none of
    /// the user's. Quiet handlers leave nothing to report, a throwing handler is the bridge's own exception, and so is
    /// raising the event without a null test when a handler can be removed.
    /// </summary>
    public class NativeCallbackClosedEventTests
    {
        private const string Prelude = @"using System;
using System.Diagnostics;
using System.Runtime.InteropServices;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
public delegate IntPtr WindowProc(IntPtr window, int message, IntPtr w, IntPtr l);

static class Native
{
    [DllImport(""user"")] public static extern IntPtr CallPrevious(IntPtr previous, IntPtr window, int message, IntPtr w, IntPtr l);
    [DllImport(""user"")] public static extern IntPtr SubclassWindow(IntPtr window, IntPtr procedure);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private const string How = "is turned into a native function pointer by 'Marshal.GetFunctionPointerForDelegate'";

        // The window procedure raises the drag events of an internal class; the only subscriber is the library's game
        // loop, which pauses and restarts its timer.
        private const string Subclass = @"
internal sealed class Subclass
{
    private readonly WindowProc _procedure;
    private readonly IntPtr _previous;

    public event Action? DragStarted;
    public event Action? DragEnded;

    public Subclass(IntPtr window)
    {
        _procedure = Procedure;
        _previous = Native.SubclassWindow(window, Marshal.GetFunctionPointerForDelegate(_procedure));
    }

    private IntPtr {|#0:Procedure|}(IntPtr window, int message, IntPtr w, IntPtr l)
    {
        if (message == 0x231)
        {
            DragStarted?.Invoke();
        }
        else if (message == 0x232)
        {
            DragEnded?.Invoke();
        }

        return Native.CallPrevious(_previous, window, message, w, l);
    }
}
";

        [Fact]
        public Task EventOnlyTheLibrarysQuietHandlersSubscribeTo() => Check(Subclass + @"
public sealed class GameLoop
{
    private readonly Stopwatch _update = new Stopwatch();

    internal void Attach(IntPtr window)
    {
        var subclass = new Subclass(window);
        subclass.DragStarted += OnDragStarted;
        subclass.DragEnded += OnDragEnded;
    }

    private void OnDragStarted() => _update.Stop();

    private void OnDragEnded() => _update.Restart();
}");

        [Fact]
        public Task EventWhoseLibraryHandlerThrows() => Check(Subclass + @"
public sealed class GameLoop
{
    private int _drags;

    internal void Attach(IntPtr window)
    {
        var subclass = new Subclass(window);
        subclass.DragStarted += OnDragStarted;
        subclass.DragEnded += OnDragEnded;
    }

    private void OnDragEnded() => _drags = 0;

    private void OnDragStarted()
    {
        if (++_drags > 1)
        {
            throw new InvalidOperationException(""nested drag"");
        }
    }
}",
            Verify.Diagnostic("IG5001").WithLocation(0).WithMessage(
                "Callback 'Procedure' " + How + ", and 'DragStarted?.Invoke()' may throw ('throw new InvalidOperationException(…)' in 'OnDragStarted') outside a catch-all: an exception escaping to native code terminates the process"));

        // The user can subscribe to a public class's event: raising it runs the user's handlers.
        [Fact]
        public Task EventOfAPublicClassIsTheUsers() => Check(Subclass.Replace("internal sealed class Subclass", "public sealed class Subclass").Replace("public Subclass(", "internal Subclass(") + @"
public sealed class GameLoop
{
    internal void Attach(IntPtr window) => new Subclass(window).DragStarted += OnDragStarted;

    private void OnDragStarted()
    {
    }
}",
            Verify.Diagnostic("IG5002").WithLocation(0).WithMessage(
                "Callback 'Procedure' " + How + ", and 'DragStarted?.Invoke()' invokes the user's delegate 'DragStarted' outside a catch-all: an exception the user's code throws there terminates the process"));

        // A lambda the library subscribes is not read: the event stays the user's delegate, as before.
        [Fact]
        public Task EventGivenALambdaIsNotRead() => Check(Subclass + @"
public sealed class GameLoop
{
    public Action? Dragging;

    internal void Attach(IntPtr window) => new Subclass(window).DragStarted += () => Dragging?.Invoke();
}",
            Verify.Diagnostic("IG5002").WithLocation(0).WithMessage(
                "Callback 'Procedure' " + How + ", and 'DragStarted?.Invoke()' invokes the user's delegate 'DragStarted' outside a catch-all: an exception the user's code throws there terminates the process"));

        // Each window adds its handler and removes it when closed: with no window left the event is null, and raising
        // it without a test throws NullReferenceException into the native caller, however quiet the handlers are.
        [Fact]
        public Task EventRaisedWithoutANullTestAfterItsHandlersCanBeRemoved() => Check(@"
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
public delegate void DeviceCallback(int id, int connected);

static class Devices
{
    [DllImport(""input"")] public static extern IntPtr SetDeviceCallback(DeviceCallback callback);

    public static event DeviceCallback? Changed;

    private static readonly DeviceCallback Callback = (id, connected) {|#0:=>|} Changed(id, connected);

    static Devices() => SetDeviceCallback(Callback);
}

public sealed class Window : IDisposable
{
    private readonly DeviceCallback _onDevice;
    private int _devices;

    public Window()
    {
        _onDevice = OnDevice;
        Devices.Changed += _onDevice;
    }

    private void OnDevice(int id, int connected) => _devices += connected;

    public void Dispose() => Devices.Changed -= _onDevice;
}",
            Verify.Diagnostic("IG5001").WithLocation(0).WithMessage(
                "Callback '(id, connected) => …' is called by native function 'SetDeviceCallback', and 'Changed(id, connected)' may throw outside a catch-all: an exception escaping to native code terminates the process"));
    }
}
