using System.Threading.Tasks;
using static InteropGuard.Tests.Rules.HandleOwnerLifetimeTests;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001 on owners whose finalizer may release nothing: only a finalizer that provably releases nothing when the
    /// object is collected (its work all under 'if (disposing)') takes the owner out; any doubt keeps it.
    /// </summary>
    public class HandleOwnerSilentFinalizerTests
    {
        private const string Lib = @"
static class Lib
{
    [DllImport(""mylib"")] public static extern void destroy(IntPtr handle);
}
interface IReleaser { void Release(); }
";

        [Fact]
        public Task ReleaseOutsideTheDisposingBranchKeepsTheOwner() => Check(Lib + @"
class Device
{
    private IntPtr _device;
    private List<object> _children = new List<object>();
    ~Device() => Dispose(false);
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _children.Clear();
        }
        Lib.destroy(_device);
    }
    public void Present() => Native.draw({|#0:_device|}, 0);
}", Finding(0, "this", "_device", "Native.draw"));

        [Fact]
        public Task SubclassOverrideReleasingOnTheFinalizerPathKeepsTheOwner() => Check(Lib + @"
class Surface
{
    protected IntPtr _surface;
    ~Surface() { Dispose(false); }
    protected virtual void Dispose(bool disposing)
    {
        if (disposing) { Lib.destroy(_surface); }
    }
    public void Blit() => Native.draw({|#0:_surface|}, 0);
}
class WindowSurface : Surface
{
    protected override void Dispose(bool disposing)
    {
        Lib.destroy(_surface);
        base.Dispose(disposing);
    }
}", Finding(0, "this", "_surface", "Native.draw"));

        [Fact]
        public Task FinalizerCallingUnknownCodeKeepsTheOwner() => Check(Lib + @"
class Stream2
{
    private IntPtr _stream;
    private IReleaser _releaser;
    ~Stream2() { _releaser.Release(); }
    public void Flush() => Native.draw({|#0:_stream|}, 0);
}", Finding(0, "this", "_stream", "Native.draw"));

        [Fact]
        public Task ConditionThatIsNotTheFlagKeepsTheOwner() => Check(Lib + @"
class Port
{
    private IntPtr _port;
    private bool _open;
    ~Port() => Dispose(false);
    private void Dispose(bool disposing)
    {
        if (disposing || _open) { Lib.destroy(_port); }
    }
    public void Open() => _open = true;
    public void Write(Port other) => Native.draw({|#0:other._port|}, 0);
}", Finding(0, "other", "other._port", "Native.draw"));

        [Fact]
        public Task ConditionOnAMemberNeverSetIsNoOwner() => Check(Lib + @"
class Pipe
{
    private IntPtr _pipe;
    private bool _open;
    ~Pipe() => Dispose(false);
    private void Dispose(bool disposing)
    {
        if (disposing || _open) { Lib.destroy(_pipe); }
    }
    public void Write(Pipe other) => Native.draw(other._pipe, 0);
}");

        [Fact]
        public Task DisposePatternReleasingOnlyWhenDisposingIsNoOwner() => Check(Lib + @"
class Renderer
{
    private IntPtr _context;
    public IntPtr Context => _context;
    public bool IsDisposed { get; private set; }
    public event EventHandler Closing;
    ~Renderer()
    {
        Dispose(false);
    }
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }
    protected virtual void Dispose(bool disposing)
    {
        if (!IsDisposed)
        {
            IsDisposed = true;
            if (disposing)
            {
                Closing?.Invoke(this, EventArgs.Empty);
                Lib.destroy(_context);
            }
        }
    }
    public void Render() => Native.draw(_context, 0);
}
class Scene
{
    void Draw(Renderer renderer) => Native.draw(renderer.Context, 1);
}");

        [Fact]
        public Task EarlyReturnWhenNotDisposingIsNoOwner() => Check(Lib + @"
class Codec
{
    private IntPtr _codec;
    ~Codec() { Dispose(false); }
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
            return;
        Lib.destroy(_codec);
        _codec = IntPtr.Zero;
    }
    public void Decode() => Native.draw(_codec, 0);
}");

        [Fact]
        public Task FinalizerThatOnlyLogsIsNoOwner() => Check(Lib + @"
class Tracker
{
    private IntPtr _tracked;
    ~Tracker()
    {
        System.Diagnostics.Debug.WriteLine(""Tracker collected without Dispose"");
        GC.SuppressFinalize(this);
    }
    public void Poll() => Native.draw(_tracked, 0);
}");

        [Fact]
        public Task EmptyBaseDisposeAndADisposingOnlyOverrideIsNoOwner() => Check(Lib + @"
class Resource
{
    ~Resource() => Dispose(false);
    protected virtual void Dispose(bool disposing) { }
}
class Texture : Resource
{
    private IntPtr _texture;
    protected override void Dispose(bool disposing)
    {
        if (disposing && _texture != IntPtr.Zero)
        {
            Lib.destroy(_texture);
        }
        base.Dispose(disposing);
    }
    public void Bind() => Native.draw(_texture, 0);
}");
        [Fact]
        public Task DisposeThatRefusesTheFinalizersThreadIsNoOwner() => Check(Lib + @"
class Environment2
{
    private IntPtr _env;
    private bool _closed;
    ~Environment2() => Dispose(false);
    public void Dispose() => Dispose(true);
    private void Dispose(bool disposing)
    {
        if (_closed)
            return;
        _closed = true;
        if (!disposing)
            throw new InvalidOperationException(""not disposed: cannot be closed from the finalizer"");
        Lib.destroy(_env);
        GC.SuppressFinalize(this);
    }
    public void Sync() => Native.draw(_env, 0);
}");

        [Fact]
        public Task ThrowAfterTheReleaseKeepsTheOwner() => Check(Lib + @"
class Journal
{
    private IntPtr _journal;
    ~Journal() => Dispose(false);
    private void Dispose(bool disposing)
    {
        Lib.destroy(_journal);
        if (!disposing)
            throw new InvalidOperationException(""not disposed"");
    }
    public void Append() => Native.draw({|#0:_journal|}, 0);
}", Finding(0, "this", "_journal", "Native.draw"));

        [Fact]
        public Task FinalizerThatCatchesTheThrowAndReleasesKeepsTheOwner() => Check(Lib + @"
class Session2
{
    private IntPtr _session;
    ~Session2()
    {
        try
        {
            Dispose(false);
        }
        catch (InvalidOperationException)
        {
            Lib.destroy(_session);
        }
    }
    private void Dispose(bool disposing)
    {
        if (!disposing)
            throw new InvalidOperationException(""not disposed"");
        Lib.destroy(_session);
    }
    public void Send() => Native.draw({|#0:_session|}, 0);
}", Finding(0, "this", "_session", "Native.draw"));

        [Fact]
        public Task ThrowOfAnExceptionMadeByTheLibraryKeepsTheOwner() => Check(Lib + @"
class ClosingException : Exception
{
    public ClosingException(IntPtr handle) { Lib.destroy(handle); }
}
class Socket2
{
    private IntPtr _socket;
    ~Socket2() => Dispose(false);
    private void Dispose(bool disposing)
    {
        if (!disposing)
            throw new ClosingException(_socket);
    }
    public void Send() => Native.draw({|#0:_socket|}, 0);
}", Finding(0, "this", "_socket", "Native.draw"));
        // The finalizer calls Dispose(false) only when the object was already closed, and Dispose(bool) starts by refusing a
        // closed object: collection never reaches the release.
        [Fact]
        public Task FinalizerGuardThatTheCalleeRefusesIsNoOwner() => Check(Lib + @"
class Cursor2
{
    private IntPtr _cursor;
    private bool _closed;
    ~Cursor2() { if (_closed) Close(false); }
    public void Close() { Close(true); GC.SuppressFinalize(this); }
    protected virtual void Close(bool disposing)
    {
        if (_closed) throw new ObjectDisposedException(nameof(Cursor2));
        _closed = true;
        Lib.destroy(_cursor);
    }
    public void Step() => Native.draw(_cursor, 0);
}");

        // The usual guard: the finalizer calls Dispose(false) when the object is still open, and the callee's early
        // return is for a closed one: the release runs on collection.
        [Fact]
        public Task FinalizerGuardThatTheCalleeLetsThroughKeepsTheOwner() => Check(Lib + @"
class Cursor3
{
    private IntPtr _cursor;
    private bool _closed;
    ~Cursor3() { if (!_closed) Close(false); }
    protected virtual void Close(bool disposing)
    {
        if (_closed) return;
        _closed = true;
        Lib.destroy(_cursor);
    }
    public void Step() => Native.draw({|#0:_cursor|}, 0);
}", Finding(0, "this", "_cursor", "Native.draw"));

        // The callee tests another field than the finalizer's guard: nothing is known of it, the release may run.
        [Fact]
        public Task FinalizerGuardOnAnotherFieldKeepsTheOwner() => Check(Lib + @"
class Cursor4
{
    private IntPtr _cursor;
    private bool _closed;
    private bool _detached;
    ~Cursor4() { if (_closed) Close(false); }
    protected virtual void Close(bool disposing)
    {
        if (_detached) throw new ObjectDisposedException(nameof(Cursor4));
        _closed = true;
        Lib.destroy(_cursor);
    }
    public void Step() => Native.draw({|#0:_cursor|}, 0);
}", Finding(0, "this", "_cursor", "Native.draw"));

        // Something runs before the callee's test (it may change the field): the test is not taken as known.
        [Fact]
        public Task FinalizerGuardWithCodeBeforeTheCalleesTestKeepsTheOwner() => Check(Lib + @"
class Cursor5
{
    private IntPtr _cursor;
    private bool _closed;
    ~Cursor5() { if (_closed) Close(false); }
    private void Reopen() { _closed = false; }
    public void Detach() { _closed = true; }
    protected virtual void Close(bool disposing)
    {
        Reopen();
        if (_closed) throw new ObjectDisposedException(nameof(Cursor5));
        Lib.destroy(_cursor);
    }
    public void Step() => Native.draw({|#0:_cursor|}, 0);
}", Finding(0, "this", "_cursor", "Native.draw"));
    }
}
