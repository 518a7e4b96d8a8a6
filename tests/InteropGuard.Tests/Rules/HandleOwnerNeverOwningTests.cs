using System.Threading.Tasks;
using InteropGuard.Tests.Verification;
using static InteropGuard.Tests.Rules.HandleOwnerLifetimeTests;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001 on wrappers whose finalizer destroys nothing: it unregisters the handle from a peer table and zeroes it, and
    /// destroys the native object only under a bool member every instance is made with false (internal constructors only,
    /// every creation passing the constant false, subclass chains included), or through a virtual the sealed class does not
    /// override. Any way the member can be true, a release outside it, or a SafeHandle the object holds (released by its
    /// own finalizer when the owner is collected) keeps the owner.
    /// </summary>
    public class HandleOwnerNeverOwningTests
    {
        // A peer table in the SkiaSharp manner: the finalizer forgets the handle and zeroes it, releasing it only when owned.
        private const string Peers = @"
static class Lib
{
    [DllImport(""mylib"")] public static extern void part_release(IntPtr part);
    [DllImport(""mylib"")] public static extern float part_mass(IntPtr part);
}
static class PeerTable
{
    private static readonly Dictionary<IntPtr, WeakReference> s_peers = new Dictionary<IntPtr, WeakReference>();
    private static readonly object s_gate = new object();
    public static void Forget(IntPtr key, Peer peer)
    {
        if (key == IntPtr.Zero) return;
        lock (s_gate)
        {
            if (s_peers.TryGetValue(key, out var weak) && (!weak.IsAlive || weak.Target == peer))
            {
                s_peers.Remove(key);
            }
        }
    }
    public static void Remember(IntPtr key, Peer peer)
    {
        lock (s_gate) { s_peers[key] = new WeakReference(peer); }
    }
}
public abstract class Peer
{
    private int _closed;
    private IntPtr _raw;
    internal Peer(IntPtr raw, bool owned) { Raw = raw; Owned = owned; }
    ~Peer() => Close(false);
    public IntPtr Raw
    {
        get => _raw;
        protected set
        {
            if (value == IntPtr.Zero) { PeerTable.Forget(_raw, this); _raw = value; }
            else { _raw = value; PeerTable.Remember(_raw, this); }
        }
    }
    protected internal virtual bool Owned { get; protected set; }
    public void Dispose() { Close(true); GC.SuppressFinalize(this); }
    private void Close(bool closing)
    {
        if (System.Threading.Interlocked.Exchange(ref _closed, 1) != 0) return;
        if (Raw != IntPtr.Zero && Owned) ReleaseNative();
        Raw = IntPtr.Zero;
    }
    protected virtual void ReleaseNative() { }
    internal static T Find<T>(IntPtr raw, Func<IntPtr, T> make) where T : Peer => make(raw);
}
";

        [Fact]
        public Task WrappersMadeOnlyWithoutOwnershipAreNoOwners() => Check(Peers + @"
public sealed class Part : Peer
{
    internal Part(IntPtr raw, bool owned = true) : base(raw, owned) { }
    internal static Part Wrap(IntPtr raw) => Find(raw, r => new Part(r, false));
    public float Mass => Lib.part_mass(Raw);
    protected override void ReleaseNative() => Lib.part_release(Raw);
}
public class Joint : Peer
{
    internal Joint(IntPtr raw, bool owned) : base(raw, owned) { }
    public float Strength => Lib.part_mass(Raw);
    protected override void ReleaseNative() => Lib.part_release(Raw);
}
public sealed class Hinge : Joint
{
    internal Hinge(IntPtr raw, bool owned) : base(raw, owned) { }
    internal static Hinge Wrap(IntPtr raw) => Find(raw, r => new Hinge(r, false));
    public float Angle => Lib.part_mass(Raw);
}
public sealed class Spring : Joint
{
    private Spring(IntPtr raw) : base(raw, false) { }
    internal static Spring Wrap(IntPtr raw) { Spring made = new(raw); return made; }
}
public sealed class Marker : Peer
{
    public Marker(IntPtr raw) : base(raw, true) { }
    public float Mass => Lib.part_mass(Raw);
}");

        [Fact]
        public Task WrappersThatMayOwnStayOwners() => Check(Peers + @"
public sealed class Shape : Peer
{
    public Shape(IntPtr raw, bool owned) : base(raw, owned) { }
    internal static Shape Wrap(IntPtr raw) => new Shape(raw, false);
    public float Area => Lib.part_mass({|#0:Raw|});
    protected override void ReleaseNative() => Lib.part_release(Raw);
}
public sealed class Wheel : Peer
{
    internal Wheel(IntPtr raw, bool owned) : base(raw, owned) { }
    internal static Wheel Wrap(IntPtr raw) => new Wheel(raw, false);
    internal static Wheel Adopt(IntPtr raw, bool owned) => new Wheel(raw, owned);
    public float Radius => Lib.part_mass({|#1:Raw|});
    protected override void ReleaseNative() => Lib.part_release(Raw);
}
public sealed class Axle : Peer
{
    internal Axle(IntPtr raw, bool owned = true) : base(raw, owned) { }
    internal static Axle Wrap(IntPtr raw) => new Axle(raw, false);
    internal static Axle Make(IntPtr raw) => new Axle(raw);
    public float Length => Lib.part_mass({|#2:Raw|});
    protected override void ReleaseNative() => Lib.part_release(Raw);
}
public class Rail : Peer
{
    internal Rail(IntPtr raw, bool owned) : base(raw, owned) { }
    internal static Rail Wrap(IntPtr raw) => new Rail(raw, false);
    public float Span => Lib.part_mass({|#3:Raw|});
    protected override void ReleaseNative() => Lib.part_release(Raw);
}
public sealed class Track : Rail
{
    internal Track(IntPtr raw) : base(raw, true) { }
    internal static Track Make(IntPtr raw) => new Track(raw);
}
public abstract class Node
{
    private IntPtr {|#6:_raw|};
    private bool _owned;
    internal Node(IntPtr raw, bool owned) { _raw = raw; _owned = owned; }
    ~Node() => Close(false);
    public IntPtr Raw => _raw;
    internal void TakeOver() => _owned = true;
    private void Close(bool closing)
    {
        if (_raw != IntPtr.Zero && _owned) Lib.part_release(_raw);
        _raw = IntPtr.Zero;
    }
}
public sealed class Leaf : Node
{
    internal Leaf(IntPtr raw, bool owned) : base(raw, owned) { }
    internal static Leaf Wrap(IntPtr raw) => new Leaf(raw, false);
    public float Weight => Lib.part_mass({|#4:Raw|});
}
public abstract class Blob
{
    private IntPtr {|#7:_raw|};
    private readonly bool _owned;
    internal Blob(IntPtr raw, bool owned) { _raw = raw; _owned = owned; }
    ~Blob() => Close(false);
    public IntPtr Raw => _raw;
    private void Close(bool closing)
    {
        if (_owned) Console.WriteLine(""closing an owned blob"");
        Lib.part_release(_raw);
    }
}
public sealed class Chunk : Blob
{
    internal Chunk(IntPtr raw, bool owned) : base(raw, owned) { }
    internal static Chunk Wrap(IntPtr raw) => new Chunk(raw, false);
    public float Size => Lib.part_mass({|#5:Raw|});
}
public sealed class Tether : SafeHandle
{
    public Tether(IntPtr raw) : base(IntPtr.Zero, true) { SetHandle(raw); }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() { Lib.part_release(handle); return true; }
}
public abstract class Cable
{
    private readonly Tether _tether;
    private int _closed;
    internal Cable(IntPtr raw) { Raw = raw; _tether = new Tether(raw); }
    public IntPtr Raw { get; }
    ~Cable() => Close(false);
    private void Close(bool closing)
    {
        if (System.Threading.Interlocked.Exchange(ref _closed, 1) != 0) return;
        if (closing) _tether.Dispose();
    }
}
public sealed class Strand : Cable
{
    internal Strand(IntPtr raw) : base(raw) { }
    public float Pull => Lib.part_mass({|#8:Raw|});
}",
            Finding(0, "this", "Raw", "Lib.part_mass"),
            Finding(1, "this", "Raw", "Lib.part_mass"),
            Finding(2, "this", "Raw", "Lib.part_mass"),
            Finding(3, "this", "Raw", "Lib.part_mass"),
            Design(4, "Node"),
            Design(5, "Blob"),
            Released(6, "Node"),
            Released(7, "Blob"),
            Finding(8, "this", "Raw", "Lib.part_mass"));

        // A class that releases its raw field in its finalizer also gets IG3008, which the IG1001 message names.
        private static DiagnosticResult Design(int location, string type)
            => Verify.Diagnostic("IG1001").WithLocation(location)
                .WithMessage($"'this' is not used after 'Lib.part_mass' receives its handle 'Raw': the GC may collect 'this' and release the handle while native code still uses it; '{type}' releases its raw handle in its finalizer (IG3008): a SafeHandle that the P/Invokes take protects every such call");

        private static DiagnosticResult Released(int location, string type)
            => Verify.Diagnostic("IG3008").WithLocation(location)
                .WithMessage($"'{type}' releases its raw handle '_raw' through 'Lib.part_release' in its finalizer and hands it out through 'Raw': 1 native call(s) given it do not keep the '{type}' alive (IG1001); a SafeHandle that the P/Invokes take instead protects every call at once");
    }
}
