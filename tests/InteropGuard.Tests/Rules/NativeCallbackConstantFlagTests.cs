using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5002 and a branch the callback's own call cannot take (ConstantConditions): a public dispatcher runs the work it is
    /// given at once only under <c>if (!deferred &amp;&amp; OnOwnThread)</c>, and queues it otherwise. A callback that leaves
    /// <c>deferred</c> to its default <c>true</c>, or passes <c>true</c>, or a constant that turns a <c>||</c> guard off,
    /// only queues the work: nothing of the user's runs inside the native frame. A call passing <c>false</c>, a flag read at
    /// run time, and a dispatcher that writes its flag before the test still invoke the delegate.
    /// </summary>
    public class NativeCallbackConstantFlagTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
public delegate void Notify(int code);

static class Native
{
    [DllImport(""sample"")] public static extern void watch(Notify notify);
}

public sealed class Dispatcher
{
    private Action? _pending;

    public bool OnOwnThread { get; set; }

    public bool Paused { get; set; }

    public void Post(Action work, bool deferred = true)
    {
        if (!deferred && OnOwnThread)
        {
            work();
            return;
        }

        _pending = work;
    }

    public void PostUnlessPaused(Action work, bool immediate)
    {
        if (Paused || !immediate)
        {
            _pending = work;
        }
        else
        {
            work.Invoke();
        }
    }

    public void PostReset(Action work, bool deferred = true)
    {
        deferred = Paused;
        if (!deferred)
        {
            work();
            return;
        }

        _pending = work;
    }
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Forwarding(int location, string callback, string operation)
            => Verify.Diagnostic("IG5002").WithLocation(location).WithMessage(
                "Callback '" + callback + "' is called by native function 'watch', and '" + operation
                + "' invokes the user's delegate 'work' outside a catch-all: an exception the user's code throws there terminates the process");

        [Fact]
        public Task AFlagTheCallLeavesToItsDefaultOrFillsWithAConstantKeepsTheUsersCodeOutOfTheFrame() => Check(@"
public sealed class Watcher
{
    private readonly Dispatcher _dispatcher = new Dispatcher();
    private Notify? _byDefault;
    private Notify? _explicitly;
    private Notify? _throughOr;

    public Action? Changed { get; set; }

    public void Start()
    {
        _byDefault = code => _dispatcher.Post(() => Changed?.Invoke());
        _explicitly = code => _dispatcher.Post(() => Changed?.Invoke(), deferred: true);
        _throughOr = code => _dispatcher.PostUnlessPaused(() => Changed?.Invoke(), false);
        Native.watch(_byDefault);
        Native.watch(_explicitly);
        Native.watch(_throughOr);
    }
}");

        [Fact]
        public Task AFlagThatMayLetTheWorkRunNowStillForwards() => Check(@"
public sealed class Watcher
{
    private readonly Dispatcher _dispatcher = new Dispatcher();
    private Notify? _now;
    private Notify? _read;
    private Notify? _reset;

    public Action? Changed { get; set; }

    public bool Eager { get; set; }

    public void Start()
    {
        _now = code {|#0:=>|} _dispatcher.Post(() => Changed?.Invoke(), false);
        _read = code {|#1:=>|} _dispatcher.PostUnlessPaused(() => Changed?.Invoke(), Eager);
        _reset = code {|#2:=>|} _dispatcher.PostReset(() => Changed?.Invoke());
        Native.watch(_now);
        Native.watch(_read);
        Native.watch(_reset);
    }
}", Forwarding(0, "code => …", "_dispatcher.Post(() => Changed?.Invoke(), false)"),
            Forwarding(1, "code => …", "_dispatcher.PostUnlessPaused(() => Changed?.Invoke(), Eager)"),
            Forwarding(2, "code => …", "_dispatcher.PostReset(() => Changed?.Invoke())"));
    }
}
