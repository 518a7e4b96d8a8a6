using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3004 on a GCHandle field a class fills from GCHandle.Alloc and never frees anywhere: the handle, and for a
    /// Normal or Pinned one its object, stays for the life of the process. Reported on the class's Dispose when it has
    /// one. Silent whenever the handle goes where the reading cannot follow.
    /// </summary>
    public class NeverFreedHandleFieldTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
static class Player
{
    public delegate void Ended(IntPtr state);
    [DllImport(""player"")] public static extern IntPtr player_new();
    [DllImport(""player"")] public static extern void player_free(IntPtr p);
    [DllImport(""player"")] public static extern void player_on_end(IntPtr p, Ended callback, IntPtr state);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task HandleToItselfGivenAsUserDataAndNeverFreedInDispose() => Check(@"
sealed class Session : IDisposable
{
    private static readonly Player.Ended OnEnd = state => { };
    private readonly IntPtr _native = Player.player_new();
    private GCHandle _self;

    public Session()
    {
        _self = GCHandle.Alloc(this);
        Player.player_on_end(_native, OnEnd, GCHandle.ToIntPtr(_self));
    }

    public void {|#0:Dispose|}()
    {
        Player.player_free(_native);
    }
}", Verify.Diagnostic("IG3004").WithLocation(0).WithMessage(
            "The GCHandle in field '_self' from 'GCHandle.Alloc' is not released by 'GCHandle.Free' in 'Session.Dispose' or anywhere else in 'Session', so the 'Session' that holds it can never be collected (and its finalizer never runs)"));

        [Fact]
        public Task ProtectedDisposeBoolIsWhereTheReleaseBelongs() => Check(@"
class Buffered : IDisposable
{
    private readonly byte[] _data = new byte[64];
    private GCHandle _pin;

    public void Start() => _pin = GCHandle.Alloc(_data, GCHandleType.Pinned);
    public IntPtr Address => _pin.IsAllocated ? _pin.AddrOfPinnedObject() : IntPtr.Zero;

    public void Dispose() { Dispose(true); }
    protected virtual void {|#0:Dispose|}(bool disposing) { }
}", Verify.Diagnostic("IG3004").WithLocation(0).WithMessage(
            "The GCHandle in field '_pin' from 'GCHandle.Alloc' is not released by 'GCHandle.Free' in 'Buffered.Dispose' or anywhere else in 'Buffered', so the object stays pinned and can never be collected"));

        [Fact]
        public Task WithoutDisposeTheAllocationIsReported() => Check(@"
class Watcher
{
    private GCHandle _weak;
    public Watcher(object target) { _weak = {|#0:GCHandle.Alloc(target, GCHandleType.Weak)|}; }
    public object Target => _weak.Target;
}", Verify.Diagnostic("IG3004").WithLocation(0).WithMessage(
            "The GCHandle in field '_weak' from 'GCHandle.Alloc' is not released by 'GCHandle.Free' anywhere in 'Watcher', so its slot in the GC handle table is never freed (a weak handle does not keep the object alive)"));

        [Fact]
        public Task FreedInDisposeFinalizerOrNestedTypeIsSilent() => Check(@"
sealed class A : IDisposable
{
    private GCHandle _h;
    public A() { _h = GCHandle.Alloc(this); }
    public void Dispose() { if (_h.IsAllocated) _h.Free(); }
}
class B
{
    private GCHandle _h;
    public B(byte[] data) { _h = GCHandle.Alloc(data, GCHandleType.Pinned); }
    ~B() { _h.Free(); }
}
class C
{
    private GCHandle _h;
    public C() { _h = GCHandle.Alloc(new object()); }
    private sealed class Releaser { public void Run(C owner) => owner._h.Free(); }
}
partial class D
{
    private GCHandle _h;
    public D() { this._h = GCHandle.Alloc(this); }
}
partial class D : IDisposable
{
    public void Dispose() { this._h.Free(); _h = default; }
}");

        [Fact]
        public Task HandleThatGoesOutOfSightIsSilent() => Check(@"
static class Release
{
    public static void Free(ref GCHandle h) => h.Free();
    public static void Free(GCHandle h) => h.Free();
}
class ByRef { private GCHandle _h; public ByRef() { _h = GCHandle.Alloc(this); } public void Close() => Release.Free(ref _h); }
class ByValue { private GCHandle _h; public ByValue() { _h = GCHandle.Alloc(this); } public void Close() => Release.Free(_h); }
class Copied { private GCHandle _h; public Copied() { _h = GCHandle.Alloc(this); } public void Close() { var h = _h; h.Free(); } }
class Returned { private GCHandle _h; public Returned() { _h = GCHandle.Alloc(this); } public GCHandle Take() => _h; }
class AddressStored { private GCHandle _h; public static IntPtr Last; public AddressStored() { _h = GCHandle.Alloc(this); Last = GCHandle.ToIntPtr(_h); } }
class AddressReturned { private GCHandle _h; public AddressReturned() { _h = GCHandle.Alloc(this); } public IntPtr Cookie => (IntPtr)_h; }
class NotPrivate { internal GCHandle H; public NotPrivate() { H = GCHandle.Alloc(this); } }
class Shared { private static GCHandle s_h = GCHandle.Alloc(new object()); }
struct Carrier { private GCHandle _h; public Carrier(object o) { _h = GCHandle.Alloc(o); } }");

        [Fact]
        public Task UserDataFreedByACallbackThatRecoversTheHandleIsSilent() => Check(@"
sealed class Request : IDisposable
{
    private static readonly Player.Ended OnEnd = Ended;
    private readonly IntPtr _native = Player.player_new();
    private GCHandle _self;

    public Request()
    {
        _self = GCHandle.Alloc(this);
        Player.player_on_end(_native, OnEnd, GCHandle.ToIntPtr(_self));
    }

    private static void Ended(IntPtr state)
    {
        var handle = GCHandle.FromIntPtr(state);
        handle.Free();
    }

    public void Dispose() => Player.player_free(_native);
}");

        [Fact]
        public Task AddressLentToACallWithoutAnyRecoveringReleaseIsReported() => Check(@"
sealed class Subscription : IDisposable
{
    private static readonly Player.Ended OnEnd = state => Console.WriteLine(GCHandle.FromIntPtr(state).Target);
    private readonly IntPtr _native = Player.player_new();
    private GCHandle _self;

    public Subscription()
    {
        _self = GCHandle.Alloc(this);
        Player.player_on_end(_native, OnEnd, (IntPtr)_self);
    }

    public void {|#0:Dispose|}() => Player.player_free(_native);
}", Verify.Diagnostic("IG3004").WithLocation(0));
    }
}
