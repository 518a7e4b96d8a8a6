using System.Threading.Tasks;
using Xunit;
using static InteropGuard.Tests.Rules.HandleOwnerLifetimeTests;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001 on wrappers of a process-wide native object: the pointer comes from a native accessor that takes nothing and
    /// whose name says it makes nothing (every caller gets the same hub), the class never hands it to anything that ends it,
    /// and the finalizer only unhooks global settings (the pointer and constants given to functions that end nothing).
    /// Collecting such a wrapper destroys nothing a native call in flight uses. A pointer that is made, one the class
    /// ends anywhere, a finalizer call that ends it or gives it something more than constants, and a pointer the class
    /// hands to managed code keep the owner.
    /// </summary>
    public class HandleOwnerProcessWideTests
    {
        private const string Hub = @"
static class HubLib
{
    [DllImport(""hub"")] public static extern IntPtr hub_instance();
    [DllImport(""hub"")] public static extern IntPtr hub_for_device(int device);
    [DllImport(""hub"")] public static extern IntPtr hub_create();
    [DllImport(""hub"")] public static extern void hub_set_log_hook(IntPtr hub, IntPtr hook);
    [DllImport(""hub"")] public static extern void hub_set_verbosity(IntPtr hub, int level, IntPtr hook);
    [DllImport(""hub"")] public static extern void hub_shutdown(IntPtr hub);
    [DllImport(""hub"")] public static extern void hub_release(IntPtr hub);
    [DllImport(""hub"")] public static extern long hub_clock(IntPtr hub);
}
";

        [Fact]
        public Task WrapperOfAProcessWideObjectIsNoOwner() => Check(Hub + @"
public class HubSession : IDisposable
{
    private IntPtr _hub;
    public HubSession()
    {
        _hub = HubLib.hub_instance();
        if (_hub == IntPtr.Zero) throw new InvalidOperationException(""no hub"");
    }
    public void Dispose() { Dispose(true); GC.SuppressFinalize(this); }
    protected virtual void Dispose(bool disposing)
    {
        if (_hub != IntPtr.Zero)
        {
            HubLib.hub_set_log_hook(_hub, IntPtr.Zero);
            HubLib.hub_set_verbosity(_hub, 0, IntPtr.Zero);
            _hub = IntPtr.Zero;
        }
    }
    ~HubSession() { Dispose(false); }
    public long Clock => HubLib.hub_clock(_hub);
    public void Hook(IntPtr hook) => HubLib.hub_set_log_hook(_hub, hook);
}");

        [Fact]
        public Task WrappersThatMayEndTheObjectStayOwners() => Check(Hub + @"
public class EndingSession
{
    private IntPtr _hub;
    public EndingSession() { _hub = HubLib.hub_instance(); }
    ~EndingSession() { HubLib.hub_set_log_hook(_hub, IntPtr.Zero); HubLib.hub_shutdown(_hub); }
    public long Clock => HubLib.hub_clock({|#0:_hub|});
}
public class MadeSession
{
    private IntPtr _hub;
    public MadeSession() { _hub = HubLib.hub_create(); }
    ~MadeSession() { HubLib.hub_set_log_hook(_hub, IntPtr.Zero); }
    public long Clock => HubLib.hub_clock({|#1:_hub|});
}
public class DeviceSession
{
    private IntPtr _hub;
    public DeviceSession(int device) { _hub = HubLib.hub_for_device(device); }
    ~DeviceSession() { HubLib.hub_set_log_hook(_hub, IntPtr.Zero); }
    public long Clock => HubLib.hub_clock({|#2:_hub|});
}
public class ReleasingSession : IDisposable
{
    private IntPtr _hub;
    public ReleasingSession() { _hub = HubLib.hub_instance(); }
    public void Dispose() { Dispose(true); GC.SuppressFinalize(this); }
    private void Dispose(bool disposing)
    {
        HubLib.hub_set_log_hook(_hub, IntPtr.Zero);
        if (disposing) HubLib.hub_release(_hub);
    }
    ~ReleasingSession() { Dispose(false); }
    public long Clock => HubLib.hub_clock({|#3:_hub|});
}
public class HookingSession
{
    private static IntPtr s_fallback;
    private IntPtr _hub;
    public HookingSession() { _hub = HubLib.hub_instance(); }
    ~HookingSession() { HubLib.hub_set_log_hook(_hub, s_fallback); }
    public long Clock => HubLib.hub_clock({|#4:_hub|});
}
static class HubRegistry
{
    public static readonly List<IntPtr> Known = new List<IntPtr>();
    public static void Remember(IntPtr hub) => Known.Add(hub);
}
public class SharingSession
{
    private IntPtr _hub;
    public SharingSession() { _hub = HubLib.hub_instance(); HubRegistry.Remember(_hub); }
    ~SharingSession() { HubLib.hub_set_log_hook(_hub, IntPtr.Zero); }
    public long Clock => HubLib.hub_clock({|#5:_hub|});
}",
            Finding(0, "this", "_hub", "HubLib.hub_clock"),
            Finding(1, "this", "_hub", "HubLib.hub_clock"),
            Finding(2, "this", "_hub", "HubLib.hub_clock"),
            Finding(3, "this", "_hub", "HubLib.hub_clock"),
            Finding(4, "this", "_hub", "HubLib.hub_clock"),
            Finding(5, "this", "_hub", "HubLib.hub_clock"));
    }
}
