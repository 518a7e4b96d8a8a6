using System.Threading.Tasks;
using InteropGuard.CodeFixes;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// The fix for IG3004 on a GCHandle field its class never frees: <c>if (_h.IsAllocated) _h.Free();</c> at the end of
    /// the Dispose the finding is reported on, outside any <c>if (disposing)</c> (the finalizer's path frees too), and
    /// not offered where the end of Dispose is not reached on every disposing path or the field cannot be freed in place.
    /// </summary>
    public class NeverFreedHandleFieldFixTests
    {
        private const string Usings = @"using System;
using System.Runtime.InteropServices;
";

        private static Task Fix(string source, string fixedSource, string? batch = null) => new CodeFixTest<OwnershipAnalyzer, ReleaseHandleCodeFix>
        {
            DefaultDiagnosticId = "IG3004",
            Source = Usings + source,
            FixedSource = Usings + fixedSource,
            BatchFixedSource = batch == null ? null : Usings + batch,
        }.RunAsync();

        [Fact]
        public Task FreedAfterTheDisposingBlockOfDisposeBool() => Fix(@"
class Recorder : IDisposable
{
    private readonly byte[] _samples = new byte[4096];
    private IntPtr _native;
    private GCHandle _pin;

    public void Start() => _pin = GCHandle.Alloc(_samples, GCHandleType.Pinned);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    ~Recorder() => Dispose(false);

    protected virtual void [|Dispose|](bool disposing)
    {
        if (disposing)
        {
            Console.WriteLine(""closing"");
        }

        _native = IntPtr.Zero;
    }
}", @"
class Recorder : IDisposable
{
    private readonly byte[] _samples = new byte[4096];
    private IntPtr _native;
    private GCHandle _pin;

    public void Start() => _pin = GCHandle.Alloc(_samples, GCHandleType.Pinned);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    ~Recorder() => Dispose(false);

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Console.WriteLine(""closing"");
        }

        _native = IntPtr.Zero;
        if (_pin.IsAllocated)
            _pin.Free();
    }
}");

        [Fact]
        public Task SeveralFieldsAreFreedInDeclarationOrderBeforeTheBaseDispose() => Fix(@"
class Stream : IDisposable
{
    public virtual void Dispose() { }
    protected virtual void Dispose(bool disposing) { }
}
class Capture : Stream
{
    private bool _disposed;
    private GCHandle _self;
    private GCHandle _frame;

    public Capture(byte[] frame)
    {
        _self = GCHandle.Alloc(this);
        _frame = GCHandle.Alloc(frame, GCHandleType.Pinned);
    }

    protected override void {|IG3004:{|IG3004:Dispose|}|}(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        base.Dispose(disposing);
    }
}", @"
class Stream : IDisposable
{
    public virtual void Dispose() { }
    protected virtual void Dispose(bool disposing) { }
}
class Capture : Stream
{
    private bool _disposed;
    private GCHandle _self;
    private GCHandle _frame;

    public Capture(byte[] frame)
    {
        _self = GCHandle.Alloc(this);
        _frame = GCHandle.Alloc(frame, GCHandleType.Pinned);
    }

    protected override void Dispose(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        if (_self.IsAllocated)
            _self.Free();
        if (_frame.IsAllocated)
            _frame.Free();
        base.Dispose(disposing);
    }
}");

        [Fact]
        public Task ExpressionBodiedDisposeWithoutDisposeBoolBecomesABlock() => Fix(@"
static class Native
{
    [DllImport(""player"")] public static extern IntPtr player_new();
    [DllImport(""player"")] public static extern void player_free(IntPtr p);
}
sealed class Player : IDisposable
{
    private readonly IntPtr _native = Native.player_new();
    private GCHandle _self;

    public Player() { _self = GCHandle.Alloc(this, GCHandleType.Normal); }

    public void [|Dispose|]() => Native.player_free(_native);
}", @"
static class Native
{
    [DllImport(""player"")] public static extern IntPtr player_new();
    [DllImport(""player"")] public static extern void player_free(IntPtr p);
}
sealed class Player : IDisposable
{
    private readonly IntPtr _native = Native.player_new();
    private GCHandle _self;

    public Player() { _self = GCHandle.Alloc(this, GCHandleType.Normal); }

    public void Dispose()
    {
        Native.player_free(_native);
        if (_self.IsAllocated)
            _self.Free();
    }
}");

        [Fact]
        public Task AFieldHiddenByALocalIsFreedThroughThis() => Fix(@"
sealed class Pinner : IDisposable
{
    private GCHandle handle;
    public Pinner(int[] data) { handle = GCHandle.Alloc(data, GCHandleType.Pinned); }

    public void [|Dispose|]()
    {
        var handle = IntPtr.Zero;
        Console.WriteLine(handle);
    }
}", @"
sealed class Pinner : IDisposable
{
    private GCHandle handle;
    public Pinner(int[] data) { handle = GCHandle.Alloc(data, GCHandleType.Pinned); }

    public void Dispose()
    {
        var handle = IntPtr.Zero;
        Console.WriteLine(handle);
        if (this.handle.IsAllocated)
            this.handle.Free();
    }
}");

        [Fact]
        public Task FixAllFreesFieldsAndLocalsInOneDocument() => Fix(@"
sealed class Buffers : IDisposable
{
    private GCHandle _pin;
    public Buffers(byte[] data) { _pin = GCHandle.Alloc(data, GCHandleType.Pinned); }

    static void Validate(byte[] data) { if (data.Length == 0) throw new ArgumentException(); }

    public static void Send(byte[] data)
    {
        var pin = [|GCHandle.Alloc(data, GCHandleType.Pinned)|];
        Validate(data);
        pin.Free();
    }

    public void [|Dispose|]() { }
}", @"
sealed class Buffers : IDisposable
{
    private GCHandle _pin;
    public Buffers(byte[] data) { _pin = GCHandle.Alloc(data, GCHandleType.Pinned); }

    static void Validate(byte[] data) { if (data.Length == 0) throw new ArgumentException(); }

    public static void Send(byte[] data)
    {
        var pin = GCHandle.Alloc(data, GCHandleType.Pinned);
        try
        {
            Validate(data);
        }
        finally
        {
            pin.Free();
        }
    }

    public void Dispose()
    {
        if (_pin.IsAllocated)
            _pin.Free();
    }
}");

        [Fact]
        public Task NoFixWhereTheEndOfDisposeIsNotReachedOrTheFieldCannotBeFreedInPlace()
        {
            const string source = @"
sealed class ReadOnlyField : IDisposable
{
    private readonly GCHandle _h;
    public ReadOnlyField() { _h = GCHandle.Alloc(this); }
    public void [|Dispose|]() { }
}
class OnlyWhenDisposing : IDisposable
{
    private GCHandle _h;
    public OnlyWhenDisposing() { _h = GCHandle.Alloc(this); }
    public void Dispose() => Dispose(true);
    protected virtual void [|Dispose|](bool disposing)
    {
        if (!disposing) return;
        Console.WriteLine(""disposed"");
    }
}
sealed class ReturnsEarly : IDisposable
{
    private GCHandle _h;
    private int _uses;
    public ReturnsEarly() { _h = GCHandle.Alloc(this); }
    public void [|Dispose|]()
    {
        Console.WriteLine(""closing"");
        if (--_uses > 0) return;
        Console.WriteLine(""closed"");
    }
}
sealed class NoDispose
{
    private GCHandle _h;
    public NoDispose(object o) { _h = [|GCHandle.Alloc(o)|]; }
    public object Target => _h.Target;
}";
            return Fix(source, source);
        }
    }
}
