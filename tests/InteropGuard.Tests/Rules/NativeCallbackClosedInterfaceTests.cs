using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001/IG5002 on a bridge that calls through an interface (or an overridable member) no code outside the library can
    /// implement: the implementations are all in the compilation, so what the call can throw is what they can throw — the
    /// bridge's own exception when one of them throws, a forwarding when they only run the user's handlers, nothing when
    /// none of them can fail.
    /// </summary>
    public class NativeCallbackClosedInterfaceTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
public delegate void Changed(IntPtr owner, int count);

static class Native
{
    [DllImport(""store"")] public static extern void store_watch(IntPtr table, Changed changed, IntPtr owner);
}

internal interface IWatcher
{
    void OnChanged(int count);
}

static class Bridge
{
    public static readonly Changed Callback = OnChanged;

    static void {|#0:OnChanged|}(IntPtr owner, int count)
    {
        if (GCHandle.FromIntPtr(owner).Target is IWatcher watcher)
        {
            watcher.OnChanged(count);
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

        private static DiagnosticResult At(string id) => Verify.Diagnostic(id).WithLocation(0);

        // The library's table and list types both implement the internal interface; each only hands the count to the
        // handlers its user subscribed: the bridge forwards, it does not throw on its own.
        [Fact]
        public Task ImplementationsThatOnlyRunTheUsersHandlersForward() => Check(@"
public sealed class Table : IWatcher
{
    public event Action<int>? Changed;
    void IWatcher.OnChanged(int count) => Changed?.Invoke(count);
    public void Watch(IntPtr native) => Native.store_watch(native, Bridge.Callback, GCHandle.ToIntPtr(GCHandle.Alloc(this)));
}
public sealed class Rows : IWatcher
{
    private readonly List<Action<int>> _handlers = new List<Action<int>>();
    public void Subscribe(Action<int> handler) => _handlers.Add(handler);
    public void OnChanged(int count)
    {
        foreach (var handler in _handlers.ToArray())
        {
            handler(count);
        }
    }
}",
            At("IG5002").WithMessage("Callback 'OnChanged' is called by native function 'store_watch', and 'watcher.OnChanged(count)' invokes the user's delegate 'Changed' outside a catch-all: an exception the user's code throws there terminates the process"));

        [Fact]
        public Task AnImplementationThatThrowsIsTheBridgesOwnException() => Check(@"
public sealed class Table : IWatcher
{
    public event Action<int>? Changed;
    void IWatcher.OnChanged(int count) => Changed?.Invoke(count);
    public void Watch(IntPtr native) => Native.store_watch(native, Bridge.Callback, GCHandle.ToIntPtr(GCHandle.Alloc(this)));
}
internal sealed class Counter : IWatcher
{
    public void OnChanged(int count)
    {
        if (count < 0)
        {
            throw new InvalidOperationException(""negative count"");
        }
    }
}",
            At("IG5001").WithMessage("Callback 'OnChanged' is called by native function 'store_watch', and 'watcher.OnChanged(count)' may throw ('throw new InvalidOperationException(…)' in 'OnChanged') outside a catch-all: an exception escaping to native code terminates the process"));

        [Fact]
        public Task ImplementationsThatCannotFailLeaveNothingToReport() => Check(@"
public sealed class Table : IWatcher
{
    private int _seen;
    void IWatcher.OnChanged(int count) => _seen = count;
    public void Watch(IntPtr native) => Native.store_watch(native, Bridge.Callback, GCHandle.ToIntPtr(GCHandle.Alloc(this)));
}");

        // The same bridge through a public interface: the user's classes implement it too, whatever the library's do.
        [Fact]
        public Task APublicInterfaceIsStillTheUsers() => Check(@"
public interface IPublicWatcher
{
    void OnChanged(int count);
}
static class PublicBridge
{
    public static readonly Changed Callback = OnChanged;

    static void {|#1:OnChanged|}(IntPtr owner, int count)
    {
        if (GCHandle.FromIntPtr(owner).Target is IPublicWatcher watcher)
        {
            watcher.OnChanged(count);
        }
    }
}
public sealed class Table : IWatcher, IPublicWatcher
{
    private int _seen;
    void IWatcher.OnChanged(int count) => _seen = count;
    void IPublicWatcher.OnChanged(int count) => _seen = count;
    public void Watch(IntPtr native)
    {
        Native.store_watch(native, Bridge.Callback, GCHandle.ToIntPtr(GCHandle.Alloc(this)));
        Native.store_watch(native, PublicBridge.Callback, GCHandle.ToIntPtr(GCHandle.Alloc(this)));
    }
}",
            Verify.Diagnostic("IG5002").WithLocation(1).WithMessage("Callback 'OnChanged' is called by native function 'store_watch', and 'watcher.OnChanged(count)' calls the user's implementation of 'IPublicWatcher.OnChanged' outside a catch-all: an exception the user's code throws there terminates the process"));
    }
}
