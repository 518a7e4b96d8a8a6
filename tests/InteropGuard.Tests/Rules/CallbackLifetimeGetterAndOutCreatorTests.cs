using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1002 on two shapes the recall rows out of sample (thirty-third session, hist34) missed: a property whose getter
    /// makes a new delegate on every read (<c>get { return this.OnStatus; }</c>), which is a helper like a method that
    /// returns one; and a native function that makes an object given a callback and hands the object out through an
    /// <c>out</c> parameter beside a status code (<c>…_create(…, cb, user, out obj)</c>, <c>…_alloc(out obj, cb, user)</c>),
    /// which keeps the callback for the object's life as one returning the object does.
    /// </summary>
    public class CallbackLifetimeGetterAndOutCreatorTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
public delegate int StatusFn(IntPtr job, int percent);
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
public delegate void PacketFn(IntPtr packets, IntPtr user, IntPtr source);
public struct QueueRef { private IntPtr _value; }
static class Store
{
    [DllImport(""toystore"")] public static extern int toy_repack(IntPtr job, string path, IntPtr status, IntPtr user);
}
static class Wire
{
    [DllImport(""toywire"")] public static extern int WireReceiverCreate(IntPtr client, string name, PacketFn onPackets, IntPtr user, out IntPtr listener);
    [DllImport(""toywire"")] public static extern int wire_queue_alloc(out QueueRef queue, PacketFn done, IntPtr user);
    [DllImport(""toywire"")] public static extern int wire_stats_create_from_dump(IntPtr dump, PacketFn each, IntPtr user, out IntPtr stats);
    [DllImport(""toywire"")] public static extern int wire_packet_inspect(IntPtr packet, PacketFn visit, IntPtr user, out int count);
}
sealed class Dispatcher
{
    public void OnPackets(IntPtr packets, IntPtr user, IntPtr source) { }
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
            => CollectedDelegateFindings.Check<CallbackLifetimeAnalyzer>(Prelude + source, expected);

        private static DiagnosticResult Finding(int location, string message, string end = CollectedDelegateFindings.NotKept)
            => CollectedDelegateFindings.Finding(location, message, end);

        private const string UntilReturn = " but is not kept reachable until that call returns; once the GC collects it, a call from native code through it crashes the process";

        [Fact]
        public Task GetterMakingANewDelegateOnEveryReadIsAHelper() => Check(@"
sealed class StatusRelay
{
    private readonly Action<int> _report;
    public StatusRelay(Action<int> report) { _report = report; }
    public StatusFn Native { get { return this.OnStatus; } }
    public StatusFn Arrow => OnStatus;
    private int OnStatus(IntPtr job, int percent) { _report(percent); return 0; }
}
public sealed class Repacker
{
    public int Repack(IntPtr job, string path, Action<int> report)
    {
        var relay = new StatusRelay(report);
        IntPtr status = Marshal.GetFunctionPointerForDelegate({|#0:relay.Native|});
        return Store.toy_repack(job, path, status, IntPtr.Zero);
    }
    public int RepackArrow(IntPtr job, string path, Action<int> report)
    {
        var relay = new StatusRelay(report);
        IntPtr status = Marshal.GetFunctionPointerForDelegate({|#1:relay.Arrow|});
        return Store.toy_repack(job, path, status, IntPtr.Zero);
    }
}",
            Finding(0, "The delegate returned by 'StatusRelay.Native' is turned into a function pointer for 'Store.toy_repack'", UntilReturn),
            Finding(1, "The delegate returned by 'StatusRelay.Arrow' is turned into a function pointer for 'Store.toy_repack'", UntilReturn));

        [Fact]
        public Task GetterHandingOutAKeptDelegateIsSilent() => Check(@"
class StatusRelay
{
    private readonly Action<int> _report;
    private readonly StatusFn _native;
    private static readonly StatusFn Shared = (job, percent) => 0;
    public StatusRelay(Action<int> report) { _report = report; _native = OnStatus; }
    public StatusFn Native { get { return _native; } }
    public StatusFn Quiet => Shared;
    public virtual StatusFn Overridable => OnStatus;
    public StatusFn Auto { get; set; } = (job, percent) => 0;
    private int OnStatus(IntPtr job, int percent) { _report(percent); return 0; }
}
public sealed class Repacker
{
    public int Repack(IntPtr job, string path, Action<int> report)
    {
        var relay = new StatusRelay(report);
        var a = Store.toy_repack(job, path, Marshal.GetFunctionPointerForDelegate(relay.Native), IntPtr.Zero);
        var b = Store.toy_repack(job, path, Marshal.GetFunctionPointerForDelegate(relay.Quiet), IntPtr.Zero);
        var c = Store.toy_repack(job, path, Marshal.GetFunctionPointerForDelegate(relay.Overridable), IntPtr.Zero);
        var d = Store.toy_repack(job, path, Marshal.GetFunctionPointerForDelegate(relay.Auto), IntPtr.Zero);
        GC.KeepAlive(relay);
        return a + b + c + d;
    }
}");

        [Fact]
        public Task CreatorHandingTheObjectOutThroughAnOutParameterKeepsTheCallback() => Check(@"
public sealed class Client
{
    private IntPtr _client;
    public IntPtr Listen(string name)
    {
        var dispatcher = new Dispatcher();
        Wire.WireReceiverCreate(_client, name, {|#0:dispatcher.OnPackets|}, IntPtr.Zero, out var listener);
        return listener;
    }
    public QueueRef Queue()
    {
        var dispatcher = new Dispatcher();
        Wire.wire_queue_alloc(out var queue, {|#1:dispatcher.OnPackets|}, IntPtr.Zero);
        return queue;
    }
}",
            Finding(0, "Delegate 'dispatcher.OnPackets' is registered with 'Wire.WireReceiverCreate'"),
            Finding(1, "Delegate 'dispatcher.OnPackets' is registered with 'Wire.wire_queue_alloc'"));

        [Fact]
        public Task OutCreatorLookAlikesStaySilent() => Check(@"
public sealed class Client
{
    private IntPtr _client;
    private PacketFn? _kept;
    public IntPtr Listen(string name)
    {
        var dispatcher = new Dispatcher();
        _kept = dispatcher.OnPackets;
        Wire.WireReceiverCreate(_client, name, _kept, IntPtr.Zero, out var listener);
        return listener;
    }
    public IntPtr Stats(IntPtr dump)
    {
        var dispatcher = new Dispatcher();
        Wire.wire_stats_create_from_dump(dump, dispatcher.OnPackets, IntPtr.Zero, out var stats);
        return stats;
    }
    public int Count(IntPtr packet)
    {
        var dispatcher = new Dispatcher();
        Wire.wire_packet_inspect(packet, dispatcher.OnPackets, IntPtr.Zero, out var count);
        return count;
    }
}");
    }
}
