using System.Threading.Tasks;
using Xunit;
using static InteropGuard.Tests.Rules.HandleOwnerLifetimeTests;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001 where a later operand branches (<c>?:</c>, <c>??</c>, <c>?.</c>), so the control-flow graph moves what is
    /// already evaluated into flow captures and reads them back after the native call. A capture of the owner read after
    /// the call holds the owner across it; a capture of a handle found where it was written still has an owner to ask
    /// about. Still reported: a capture that holds the owner only on some paths to the call, and one that holds a copy
    /// read out of the owner (its handle, a number, a struct) rather than the owner.
    /// </summary>
    public class HandleOwnerCapturedOperandTests
    {
        private const string Kiln = @"
static class Kiln
{
    public static int Fire(Bitmap glaze, int heat, int minutes) => heat + minutes;
    public static int Vent(IntPtr raw, int heat, int minutes) => heat;
    public static int Weigh(int width, int heat, int minutes) => heat;
    public static int Stack(Value tray, int heat, int minutes) => heat;
}
class Tray
{
    public Bitmap Glaze = new Bitmap();
    public int Load(int heat) => heat;
}
class Firing
{
    public Firing(Bitmap glaze, int heat, int minutes) { }
}
";

        [Fact]
        public Task AnOwnerTheGraphCapturedBeforeTheNativeCallIsHeldUntilItIsTaken() => Check(Kiln + @"
class Potter
{
    int Captured(Bitmap glaze, bool slow) => Kiln.Fire(glaze, Native.draw(glaze.Handle, 1), slow ? 40 : 20);
    Firing Created(Bitmap glaze, bool slow) => new Firing(glaze, Native.draw(glaze.Handle, slow ? 2 : 1), 30);
    int Coalesced(Bitmap glaze, int? preset) => Kiln.Fire(glaze, preset ?? Native.draw(glaze.Handle, 3), 10);
    int Receiver(Tray tray) => tray?.Load(Native.draw(tray.Glaze.Handle, 4)) ?? 0;
    int OnTheNormalPathOnly(Bitmap glaze, int? minutes) => Kiln.Fire(glaze, Native.draw(glaze.Handle, 5), minutes ?? throw new ArgumentException());
}
class Studio : Bitmap
{
    private IntPtr _wheel;
    ~Studio() { }
    public Firing Spin(bool fast) => new Firing(this, Native.draw(_wheel, 6), fast ? 2 : 1);
}");

        [Fact]
        public Task AnOwnerHeldInACaptureOnlyOnSomePathsIsReported() => Check(Kiln + @"
class Potter
{
    int EitherGlaze(Bitmap glaze, Bitmap spare, bool swap) => Kiln.Fire(swap ? spare : glaze, Native.draw({|#0:glaze.Handle|}, 1), 20);
}",
            Finding(0, "glaze", "glaze.Handle", "Native.draw"));

        [Fact]
        public Task ACaptureOfAValueReadOutOfTheOwnerDoesNotHoldIt() => Check(Kiln + @"
class Potter
{
    int TheHandle(Bitmap glaze, bool slow) => Kiln.Vent(glaze.Handle, Native.draw({|#0:glaze.Handle|}, 1), slow ? 40 : 20);
    int ANumber(Bitmap glaze, bool slow) => Kiln.Weigh(glaze.Width, Native.draw({|#1:glaze.Handle|}, 2), slow ? 40 : 20);
    int AStruct(Bitmap glaze, bool slow) => Kiln.Stack(new Value { Handle = glaze.Handle }, Native.draw({|#2:glaze.Handle|}, 3), slow ? 40 : 20);
}",
            Finding(0, "glaze", "glaze.Handle", "Native.draw"),
            Finding(1, "glaze", "glaze.Handle", "Native.draw"),
            Finding(2, "glaze", "glaze.Handle", "Native.draw"));

        [Fact]
        public Task AHandleTheGraphCapturedBeforeABranchingArgumentStillHasItsOwner() => Check(@"
class Decoder
{
    private IntPtr _state;
    ~Decoder() { }
    public int Decode(bool recover) => Native.draw({|#0:_state|}, recover ? 1 : 0);
    public int Paint(Bitmap glaze, int? heat) => Native.draw({|#1:glaze.Handle|}, heat ?? 0);
    public int Kept(Bitmap glaze, bool slow) { var r = Native.draw(glaze.Handle, slow ? 1 : 0); GC.KeepAlive(glaze); return r; }
}",
            Finding(0, "this", "_state", "Native.draw"),
            Finding(1, "glaze", "glaze.Handle", "Native.draw"));
    }
}
