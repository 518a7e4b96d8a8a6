using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Xunit;
using static InteropGuard.Tests.Rules.HandleOwnerLifetimeTests;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001 and an owner rooted by a GCHandle it keeps in a private field: the root is freed beside the release the
    /// owner's acquire pairs with (<c>player_open</c> → <c>player_close</c>), so the owner cannot be collected while its
    /// handle is open; and GCHandles of other objects freed through <c>FromIntPtr</c> cannot be that root when it never
    /// became an IntPtr. Reported where the root is also handed out as an IntPtr, freed beside a call that releases
    /// nothing, or taken by one constructor only.
    /// </summary>
    public class HandleOwnerRootedBesideItsReleaseTests
    {
        // A media player binding: the owner pins the objects it passes as user data and roots itself while the player is open.
        private const string Player = @"
static class Media
{
    [DllImport(""media"")] public static extern IntPtr player_open(string path);
    [DllImport(""media"")] public static extern IntPtr player_copy(IntPtr player);
    [DllImport(""media"")] public static extern void player_close(IntPtr player);
    [DllImport(""media"")] public static extern int player_seek(IntPtr player, long at);
    [DllImport(""media"")] public static extern int player_rewind(IntPtr player);
    [DllImport(""media"")] public static extern int player_set_cookie(IntPtr player, IntPtr cookie);
}
public sealed class Player : IDisposable
{
    private IntPtr _player;
    private IntPtr _cookie;
    private GCHandle _root;
    public Player(string path)
    {
        _player = Media.player_open(path);
        Hook();
    }
    private Player(Player other)
    {
        _player = Media.player_copy(other._player);
        Hook();
    }
    private void Hook()
    {
        _root = GCHandle.Alloc(this);
    }
    public Player Copy() => new Player(this);
    public int Seek(long at) => Media.player_seek({|#0:_player|}, at);
    public int SetCookie(object cookie)
    {
        Unpin(ref _cookie);
        _cookie = GCHandle.ToIntPtr(GCHandle.Alloc(cookie, GCHandleType.Pinned));
        return Media.player_set_cookie({|#1:_player|}, _cookie);
    }
    private static void Unpin(ref IntPtr pinned)
    {
        if (pinned == IntPtr.Zero)
        {
            return;
        }

        GCHandle handle = GCHandle.FromIntPtr(pinned);
        handle.Free();
        pinned = IntPtr.Zero;
    }
    ~Player() => Dispose(false);
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }
    private void Dispose(bool disposing)
    {
        if (_player != IntPtr.Zero)
        {
            Unpin(ref _cookie);
            Media.player_close(_player);
            _root.Free();
            _player = IntPtr.Zero;
        }
    }
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<HandleOwnerLifetimeAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult[] Both => new[] { Finding(0, "this", "_player", "Media.player_seek"), Finding(1, "this", "_player", "Media.player_set_cookie") };

        // The root ends beside 'player_close', and the GCHandles 'Unpin' frees are the cookies', never the root.
        [Fact]
        public Task ARootFreedBesideTheHandlesOwnRelease() => Check(Player);

        // Cookies kept in native memory, no GCHandle read back: the paired release beside the Free is enough.
        [Fact]
        public Task ARootFreedBesideThePairedReleaseAlone() => Check(Player.Replace("handle.Free();", "Marshal.FreeHGlobal(pinned);")
                                                                            .Replace("GCHandle.ToIntPtr(GCHandle.Alloc(cookie, GCHandleType.Pinned))", "Marshal.AllocHGlobal(16)"));

        // Beside a catalogued release of memory, a Free through FromIntPtr elsewhere no longer counts as the root's.
        [Fact]
        public Task AFreeThroughFromIntPtrOfAnotherObjectsHandle() => Check(Player.Replace("_root.Free();", "_root.Free(); Marshal.FreeHGlobal(_cookie);")
                                                                                 .Replace("Media.player_close(_player);", "Media.player_rewind(_player);"));

        // The root is also given to native code as an IntPtr: the FromIntPtr in 'Unpin' may free it.
        [Fact]
        public Task ARootAlsoHandedOutAsAPointer() => Check(Player.Replace("_root = GCHandle.Alloc(this);", "_root = GCHandle.Alloc(this); Media.player_set_cookie(_player, GCHandle.ToIntPtr(_root));"), Both);

        // A public method frees the root beside a call that releases nothing: the player stays open.
        [Fact]
        public Task ARootFreedBesideACallThatIsNoRelease() => Check(Player.Replace("public Player Copy()", @"public void Restart()
    {
        _root.Free();
        Media.player_rewind({|#2:_player|});
    }
    public Player Copy()"), Finding(0, "this", "_player", "Media.player_seek"), Finding(1, "this", "_player", "Media.player_set_cookie"), Finding(2, "this", "_player", "Media.player_rewind"));

        // The copy constructor does not root the object.
        [Fact]
        public Task ARootTakenByOneConstructorOnly() => Check(Player.Replace("_player = Media.player_copy(other._player);\n        Hook();", "_player = Media.player_copy(other._player);")
                                                                     .Replace("_player = Media.player_copy(other._player);\r\n        Hook();", "_player = Media.player_copy(other._player);"), Both);
    }
}
