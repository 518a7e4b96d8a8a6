using System.Threading.Tasks;
using Xunit;
using static InteropGuard.Tests.Rules.HandleOwnerLifetimeTests;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001 and two shapes of a native-memory wrapper: the handle read through a user-defined conversion
    /// (<c>implicit operator IntPtr(Buffer b) =&gt; b._address</c>), which is the object's own handle as a getter would hand
    /// it out, and a call whose result is stored into a field of the owner (<c>_size = Native.f(_handle)</c>): the store
    /// runs after the call and needs the object, so the object is live across the call. A conversion that computes its
    /// handle elsewhere is not the object's; a result kept in a local leaves the owner unused after the call.
    /// </summary>
    public class HandleOwnerConversionAndStoreTests
    {
        private const string Types = @"
static class Buf
{
    [DllImport(""libbuf"")] public static extern int buf_size(IntPtr buffer);
    [DllImport(""libbuf"")] public static extern void buf_drop(IntPtr buffer);
    [DllImport(""libbuf"")] public static extern IntPtr buf_lookup(int key);
}
sealed class Block
{
    private IntPtr _address;
    ~Block() { Buf.buf_drop(_address); }
    public static implicit operator IntPtr(Block block) => block == null ? IntPtr.Zero : block._address;
}
sealed class Key
{
    private int _key;
    ~Key() { Buf.buf_drop(Buf.buf_lookup(_key)); }
    public static explicit operator IntPtr(Key key) => Buf.buf_lookup(key._key);
}
";

        [Fact]
        public Task AHandleReadThroughTheOwnersConversionIsReported() => Check(Types + @"
class Frame
{
    private Block _block;
    private IntPtr _raw;
    ~Frame() { Buf.buf_drop(_raw); }

    public int Size() => Buf.buf_size({|#0:_block|});

    public static int SizeOf(Block block) => Buf.buf_size({|#1:block|});

    public int RawSize()
    {
        var size = Buf.buf_size({|#2:_raw|});
        return size;
    }
}", Finding(0, "_block", "_block", "Buf.buf_size"), Finding(1, "block", "block", "Buf.buf_size"), Finding(2, "this", "_raw", "Buf.buf_size"));

        [Fact]
        public Task AConversionThatLooksTheHandleUpOrAResultStoredIntoTheOwnerIsSilent() => Check(Types + @"
class Frame
{
    private Block _block;
    private IntPtr _raw;
    private int _size;
    private int Cached { get; set; }
    ~Frame() { Buf.buf_drop(_raw); }

    public static int SizeOf(Key key) => Buf.buf_size((IntPtr)key);

    public void Measure() { _size = Buf.buf_size(_raw); }

    public void MeasureBlock() { _size = Buf.buf_size(_block); }

    public void Cache() { this.Cached = Buf.buf_size(_raw) + 1; }
}");
    }
}
