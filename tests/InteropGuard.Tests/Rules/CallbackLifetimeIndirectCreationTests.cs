using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis.CSharp;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1002 on two ways real bindings make or hand over a delegate: a method group of a local function that captures
    /// (net-vips' progress hook, fixed in a5ce84a), and a registration reached through a private delegate field the
    /// binding fills with a P/Invoke's method group, once per platform class (confluent-kafka-dotnet's librdkafka
    /// callbacks, fixed in 2cdde787 and 391a3c3c).
    /// </summary>
    public class CallbackLifetimeIndirectCreationTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
public delegate void Notify(IntPtr source, IntPtr detail, IntPtr state);
static class Native
{
    [DllImport(""toysignals"")] public static extern uint toy_signal_connect(IntPtr obj, string name, Notify handler, IntPtr state);
}
static class NativeLinux
{
    [DllImport(""toysignals.so"")] public static extern uint toy_signal_connect(IntPtr obj, string name, Notify handler, IntPtr state);
}
static class NativeOther
{
    [DllImport(""toysignals"")] public static extern uint toy_signal_emit(IntPtr obj, string name, Notify handler, IntPtr state);
}
static class Signals
{
    // Filled once per platform at start-up, as bindings do that pick a native library at run time.
    private static Func<IntPtr, string, Notify, IntPtr, uint> _connect = null!;

    public static void Load(bool linux)
    {
        if (linux)
        {
            _connect = NativeLinux.toy_signal_connect;
        }
        else
        {
            _connect = Native.toy_signal_connect;
        }
    }

    internal static uint Connect(IntPtr obj, string name, Notify handler) => _connect(obj, name, handler, IntPtr.Zero);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
            => CollectedDelegateFindings.Check<CallbackLifetimeAnalyzer>(Prelude + source, expected);

        private static DiagnosticResult Finding(int location, string message)
            => CollectedDelegateFindings.Finding(location, message);

        [Fact]
        public Task LocalFunctionReadingAnEnclosingVariableIsANewDelegateEachTime() => Check(@"
public sealed class Image
{
    private IntPtr _ptr;

    public void TrackProgress(IProgress<int> progress)
    {
        var seen = 0;
        void OnEval(IntPtr source, IntPtr detail, IntPtr state) { seen++; progress.Report(seen); }
        Native.toy_signal_connect(_ptr, ""eval"", {|#0:OnEval|}, IntPtr.Zero);
    }
}",
            Finding(0, "Delegate 'OnEval' is registered with 'Native.toy_signal_connect'"));

        [Fact]
        public Task LocalFunctionReadingThisIsBoundToTheInstance() => Check(@"
public sealed class Image
{
    private IntPtr _ptr;
    private int _events;

    public void Watch()
    {
        void OnEval(IntPtr source, IntPtr detail, IntPtr state) => _events++;
        Native.toy_signal_connect(_ptr, ""eval"", {|#0:OnEval|}, IntPtr.Zero);
    }
}",
            Finding(0, "Delegate 'OnEval' is registered with 'Native.toy_signal_connect'"));

        [Fact]
        public Task LocalFunctionCapturingNothingStaysUnjudged() => Check(@"
public sealed class Image
{
    private IntPtr _ptr;

    public void Watch()
    {
        void OnEval(IntPtr source, IntPtr detail, IntPtr state) { var local = 1; local++; }
        Native.toy_signal_connect(_ptr, ""eval"", OnEval, IntPtr.Zero);
    }
}");

        [Fact]
        public Task LocalFunctionWhoseDelegateIsKeptInAFieldIsSilent() => Check(@"
public sealed class Image
{
    private IntPtr _ptr;
    private Notify? _kept;

    public void TrackProgress(IProgress<int> progress)
    {
        void OnEval(IntPtr source, IntPtr detail, IntPtr state) => progress.Report(1);
        _kept = OnEval;
        Native.toy_signal_connect(_ptr, ""eval"", _kept, IntPtr.Zero);
    }
}");

        [Fact]
        public Task MethodGroupRegisteredThroughAFieldHoldingThePInvoke() => Check(@"
public sealed class Consumer
{
    private IntPtr _conf;

    private void OnError(IntPtr source, IntPtr detail, IntPtr state) { }

    public void Configure() => Signals.Connect(_conf, ""error"", {|#0:OnError|});
}",
            Finding(0, "Delegate 'OnError' is registered with 'NativeLinux.toy_signal_connect' through 'Signals.Connect'"));

        [Fact]
        public Task DelegateKeptInAFieldBeforeGoingThroughTheHeldPInvokeIsSilent() => Check(@"
public sealed class Consumer
{
    private IntPtr _conf;
    private Notify? _onError;

    private void OnError(IntPtr source, IntPtr detail, IntPtr state) { }

    public void Configure()
    {
        _onError = OnError;
        Signals.Connect(_conf, ""error"", _onError);
    }
}");

        [Fact]
        public Task FieldAlsoFilledWithAnotherEntryPointSaysNothing() => Check(@"
static class Mixed
{
    private static Func<IntPtr, string, Notify, IntPtr, uint> _call = null!;

    public static void Load(bool emit)
    {
        if (emit)
        {
            _call = NativeOther.toy_signal_emit;
        }
        else
        {
            _call = Native.toy_signal_connect;
        }
    }

    internal static uint Call(IntPtr obj, string name, Notify handler) => _call(obj, name, handler, IntPtr.Zero);
}
public sealed class Consumer
{
    private IntPtr _conf;
    private void OnError(IntPtr source, IntPtr detail, IntPtr state) { }
    public void Configure() => Mixed.Call(_conf, ""error"", OnError);
}");

        [Fact]
        public Task FieldAnyoneCanWriteSaysNothing() => Check(@"
static class Open
{
    public static Func<IntPtr, string, Notify, IntPtr, uint> Connect = Native.toy_signal_connect;

    internal static uint Register(IntPtr obj, string name, Notify handler) => Connect(obj, name, handler, IntPtr.Zero);
}
public sealed class Consumer
{
    private IntPtr _conf;
    private void OnError(IntPtr source, IntPtr detail, IntPtr state) { }
    public void Configure() => Open.Register(_conf, ""error"", OnError);
}");
    }
}
