using System.Threading.Tasks;
using static InteropGuard.Tests.Rules.HandleOwnerLifetimeTests;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001 on owners whose finalizer first hands the handle over and zeroes it, then calls a <c>Close()</c> that destroys
    /// only a non-zero handle (dnYara's compiled rules, fresh35): the destroy never runs on the finalizer's thread, so a
    /// native call given the handle needs no keep-alive. Beside them the owners whose hand-over may leave the handle as it
    /// was (a zeroing under a condition, a return before it), which the finalizer's <c>Close()</c> then destroys.
    /// </summary>
    public class HandleOwnerZeroedHandleFinalizerTests
    {
        private const string Lib = @"
static class Lib
{
    [DllImport(""mylib"")] public static extern void destroy(IntPtr handle);
}
";

        [Fact]
        public Task FinalizerThatZeroesTheHandleBeforeACloseTestingItIsNoOwner() => Check(Lib + @"
sealed class Ruleset : IDisposable
{
    private IntPtr Handle { get; set; }
    ~Ruleset()
    {
        if (Handle != IntPtr.Zero)
            Detach();
        Dispose();
    }
    public IntPtr Detach()
    {
        var taken = Handle;
        Handle = IntPtr.Zero;
        return taken;
    }
    public void Dispose()
    {
        if (!Handle.Equals(IntPtr.Zero))
        {
            var doomed = Handle;
            Handle = IntPtr.Zero;
            Lib.destroy(doomed);
        }
    }
    public int Save() => Native.draw(Handle, 0);
}

sealed class Cursor
{
    private IntPtr _cursor;
    ~Cursor()
    {
        _cursor = IntPtr.Zero;
        Close();
    }
    private void Close()
    {
        if (_cursor == IntPtr.Zero)
            return;
        Lib.destroy(_cursor);
    }
    public int Step() => Native.draw(_cursor, 1);
}");

        [Fact]
        public Task FinalizerWhoseHandOverMayKeepTheHandleIsReported() => Check(Lib + @"
sealed class Ruleset : IDisposable
{
    private IntPtr Handle { get; set; }
    private bool Shared { get; set; }
    public void Share() => Shared = true;
    ~Ruleset()
    {
        if (Handle != IntPtr.Zero)
            Detach();
        Dispose();
    }
    public IntPtr Detach()
    {
        var taken = Handle;
        if (!Shared)
            Handle = IntPtr.Zero;
        return taken;
    }
    public void Dispose()
    {
        if (!Handle.Equals(IntPtr.Zero))
        {
            Lib.destroy(Handle);
            Handle = IntPtr.Zero;
        }
    }
    public int Save() => Native.draw({|#0:Handle|}, 0);
}

sealed class Cursor
{
    private IntPtr _cursor;
    private bool _borrowed;
    public void Borrow() => _borrowed = true;
    ~Cursor()
    {
        if (_cursor != IntPtr.Zero)
            Forget();
        Close();
    }
    private IntPtr Forget()
    {
        if (_borrowed)
            return _cursor;
        var taken = _cursor;
        _cursor = IntPtr.Zero;
        return taken;
    }
    private void Close()
    {
        if (_cursor == IntPtr.Zero)
            return;
        Lib.destroy(_cursor);
    }
    public int Step() => Native.draw({|#1:_cursor|}, 1);
}",
            Finding(0, "this", "Handle", "Native.draw"),
            Finding(1, "this", "_cursor", "Native.draw"));
    }
}
