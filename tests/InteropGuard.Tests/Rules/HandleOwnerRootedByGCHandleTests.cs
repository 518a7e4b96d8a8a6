using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Xunit;
using static InteropGuard.Tests.Rules.HandleOwnerLifetimeTests;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001 and owners that root themselves: a class whose every constructor takes a strong GCHandle of the new object
    /// and leaves it where native code keeps it, freed only where the native memory is released, cannot be collected while
    /// its handle is open. Silent for those; reported where the root is weak, of another object, taken on some paths only,
    /// handed to other code, or freed where nothing is released.
    /// </summary>
    public class HandleOwnerRootedByGCHandleTests
    {
        // An event-loop binding in the manner of libuv: the native struct's user data holds the owner's GCHandle.
        private const string Binding = @"
[StructLayout(LayoutKind.Sequential)]
struct Watch { public IntPtr loop; public IntPtr data; }
static class Uv
{
    public delegate void CloseCallback(IntPtr watch);
    [DllImport(""uv"")] public static extern int watch_init(IntPtr loop, IntPtr watch);
    [DllImport(""uv"")] public static extern int watch_start(IntPtr watch, int ms);
    [DllImport(""uv"")] public static extern void watch_close(IntPtr watch, CloseCallback closed);
    [DllImport(""uv"")] public static extern void set_data(IntPtr watch, IntPtr data);
    [DllImport(""uv"")] public static extern int run(IntPtr loop);
}
abstract unsafe class Watcher : IDisposable
{
    private static readonly Uv.CloseCallback Closed = OnClosed;
    internal IntPtr Handle;
    protected Watcher() { }
    public int Start(int ms) => Uv.watch_start({|#0:Handle|}, ms);
    public void Dispose()
    {
        IntPtr watch = Handle;
        if (watch != IntPtr.Zero)
        {
            Uv.watch_close(watch, Closed);
        }
    }
    private static void OnClosed(IntPtr watch)
    {
        IntPtr data = ((Watch*)watch)->data;
        if (data != IntPtr.Zero)
        {
            GCHandle self = GCHandle.FromIntPtr(data);
            if (self.IsAllocated)
            {
                self.Free();
                ((Watch*)watch)->data = IntPtr.Zero;
            }
        }

        Marshal.FreeHGlobal(watch);
    }
    ~Watcher() => Dispose();
}
";

        // The concrete watcher: every constructor roots the object before it hands the handle out.
        private const string RootingTicker = @"
sealed unsafe class Ticker : Watcher
{
    public Ticker(IntPtr loop)
    {
        IntPtr watch = Marshal.AllocHGlobal(sizeof(Watch));
        try
        {
            Uv.watch_init(loop, watch);
        }
        catch
        {
            Marshal.FreeHGlobal(watch);
            throw;
        }

        GCHandle self = GCHandle.Alloc(this, GCHandleType.Normal);
        ((Watch*)watch)->data = GCHandle.ToIntPtr(self);
        Handle = watch;
    }
    public Ticker(IntPtr loop, int ms) : this(loop) { Start(ms); }
    public int Restart() => Uv.watch_start({|#1:Handle|}, 0);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<HandleOwnerLifetimeAnalyzer> { Source = HandleOwnerLifetimeTests.Prelude + Binding + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult[] Both => new[] { Finding(0, "this", "Handle", "Uv.watch_start"), Finding(1, "this", "Handle", "Uv.watch_start") };

        [Fact]
        public Task EveryConstructorRootsTheObject() => Check(RootingTicker);

        // A loop that keeps its GCHandle in a field, gives native code the pointer through a call, and frees it where it
        // releases the loop's memory; the loop given as a parameter is the owner.
        [Fact]
        public Task ARootKeptInAFieldAndFreedWithTheMemory() => Check(@"
sealed class Loop
{
    private IntPtr _handle;
    private GCHandle _self;
    public Loop()
    {
        _handle = Marshal.AllocHGlobal(64);
        _self = GCHandle.Alloc(this);
        Uv.set_data(_handle, GCHandle.ToIntPtr(_self));
    }
    public IntPtr Handle => _handle;
    public int Run() => Uv.run(_handle);
    public void Close()
    {
        if (_self.IsAllocated)
        {
            _self.Free();
        }

        Marshal.FreeHGlobal(_handle);
        _handle = IntPtr.Zero;
    }
    ~Loop() => Close();
}
class Use
{
    int Init(Loop loop, IntPtr watch) => Uv.watch_init(loop.Handle, watch);
}
sealed class Unused : Watcher { public Unused() { Handle = IntPtr.Zero; var self = GCHandle.Alloc(this); Uv.set_data(Handle, (IntPtr)self); } }
");

        // The root taken in a private method the constructor calls on every path.
        [Fact]
        public Task ARootTakenInAMethodTheConstructorCalls() => Check(@"
sealed unsafe class Ticker : Watcher
{
    public Ticker(IntPtr watch)
    {
        Handle = watch;
        Attach();
    }
    private void Attach()
    {
        GCHandle self = GCHandle.Alloc(this, GCHandleType.Normal);
        ((Watch*)Handle)->data = GCHandle.ToIntPtr(self);
    }
    public int Restart() => Uv.watch_start({|#1:Handle|}, 0);
}
");

        [Fact]
        public Task AWeakHandleIsNoRoot() => Check(RootingTicker.Replace("GCHandleType.Normal", "GCHandleType.Weak"), Both);

        [Fact]
        public Task AHandleOfAnotherObjectIsNoRoot() => Check(RootingTicker.Replace("GCHandle.Alloc(this, GCHandleType.Normal)", "GCHandle.Alloc(loop.ToString(), GCHandleType.Normal)"), Both);

        // The second constructor does not chain to the rooting one.
        [Fact]
        public Task ARootOnOneConstructorOnly() => Check(RootingTicker.Replace("public Ticker(IntPtr loop, int ms) : this(loop) { Start(ms); }", "public Ticker(IntPtr loop, int ms) { Handle = loop; }"), Both);

        [Fact]
        public Task ARootOnSomePathsOnly() => Check(RootingTicker.Replace("        GCHandle self = GCHandle.Alloc(this, GCHandleType.Normal);\r\n", string.Empty)
                                                                 .Replace("        GCHandle self = GCHandle.Alloc(this, GCHandleType.Normal);\n", string.Empty)
                                                                 .Replace("((Watch*)watch)->data = GCHandle.ToIntPtr(self);", "if (loop != IntPtr.Zero) { GCHandle self = GCHandle.Alloc(this, GCHandleType.Normal); ((Watch*)watch)->data = GCHandle.ToIntPtr(self); }"), Both);

        [Fact]
        public Task AFreeRightAfterTheAlloc() => Check(RootingTicker.Replace("Handle = watch;", "Handle = watch; self.Free();"), Both);

        [Fact]
        public Task ARootHandedToOtherCode() => Check(RootingTicker.Replace("Handle = watch;", "Handle = watch; Roots.Add(self);") + @"
static class Roots { public static void Add(GCHandle handle) { } }", Both);

        // A public method frees the root while the handle stays open.
        [Fact]
        public Task AFreeInAMethodCallableWhileOpen() => Check(RootingTicker.Replace("public int Restart()", @"public void Detach()
    {
        GCHandle.FromIntPtr(((Watch*)Handle)->data).Free();
    }
    public int Restart()"), Both);

        // Dispose frees the root and only asks for an asynchronous close: the handle is still open after the Free.
        [Fact]
        public Task AFreeBeforeTheNativeClose() => Check(RootingTicker.Replace("public int Restart()", @"public void Close()
    {
        GCHandle.FromIntPtr(((Watch*)Handle)->data).Free();
        Uv.watch_close({|#2:Handle|}, null);
    }
    public int Restart()"), Finding(0, "this", "Handle", "Uv.watch_start"), Finding(1, "this", "Handle", "Uv.watch_start"), Finding(2, "this", "Handle", "Uv.watch_close"));

        // The memory released beside the Free is not the one the GCHandle was read from.
        [Fact]
        public Task AFreeBesideTheReleaseOfOtherMemory() => Check(RootingTicker.Replace("public int Restart()", @"public void Drop(IntPtr buffer)
    {
        GCHandle.FromIntPtr(((Watch*)Handle)->data).Free();
        Marshal.FreeHGlobal(buffer);
    }
    public int Restart()"), Both);

        // A public abstract base others may derive from: its own constructors root nothing.
        [Fact]
        public Task AnOpenBaseClass() => Check(RootingTicker.Replace("sealed unsafe class Ticker : Watcher", "sealed unsafe class Ticker : Open").Replace("public int Restart() => Uv.watch_start({|#1:Handle|}, 0);", "public int Again() => Uv.watch_start(Handle, 0);") + @"
public abstract class Open : IDisposable
{
    internal IntPtr Handle;
    protected Open() { }
    internal int Start(int ms) => Uv.watch_start({|#1:Handle|}, ms);
    public void Dispose() { }
    ~Open() { }
}", Finding(0, "this", "Handle", "Uv.watch_start"), Finding(1, "this", "Handle", "Uv.watch_start"));
    }
}
