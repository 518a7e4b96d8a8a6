using System.Threading.Tasks;
using Xunit;
using static InteropGuard.Tests.Rules.HandleOwnerLifetimeTests;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001 and an owner the method stores into its own object before the call: while <c>this</c> is used after the
    /// call it holds the owner, so the owner cannot be collected during the call. Silent for that; reported where the
    /// store is on one branch, into a static or another object, undone before the call, made of a variable given another
    /// object afterwards, or where nothing of <c>this</c> follows the call.
    /// </summary>
    public class HandleOwnerKeptByThisTests
    {
        private const string Canvas = @"
class Other { public Bitmap Source; }
class Canvas
{
    private static Bitmap Shared;
    private IntPtr _surface;
    private int _width;
    public Bitmap Source { get; private set; }
    public Canvas(Bitmap bitmap, bool keep, Other other)
    {
        BODY
    }
}";

        private static Task CheckCanvas(string body, params Verification.DiagnosticResult[] expected)
            => Check(Canvas.Replace("BODY", body), expected);

        private static Verification.DiagnosticResult Dropped() => Finding(0, "bitmap", "bitmap.Handle", "Native.draw");

        [Fact]
        public Task AnOwnerStoredInThisPropertyBeforeTheCallIsHeldWhileThisIsWrittenAfterIt() => CheckCanvas(@"
        Source = bitmap;
        var surface = Native.draw(bitmap.Handle, 1);
        _width = 4;
        _surface = (IntPtr)surface;");

        [Fact]
        public Task AnOwnerStoredInAFieldIsHeldWhenTheCallsResultGoesIntoThis() => Check(@"
class Painter
{
    private Bitmap _bitmap;
    private int _painted;
    public void Paint(Bitmap bitmap)
    {
        _bitmap = bitmap;
        _painted = Native.draw(bitmap.Handle, 2);
    }
}");

        [Fact]
        public Task AStoreOnOneBranchIsStillReported() => CheckCanvas(@"
        if (keep) { Source = bitmap; }
        var surface = Native.draw({|#0:bitmap.Handle|}, 1);
        _surface = (IntPtr)surface;", Dropped());

        [Fact]
        public Task AStoreUndoneBeforeTheCallIsStillReported() => CheckCanvas(@"
        Source = bitmap;
        Source = null;
        var surface = Native.draw({|#0:bitmap.Handle|}, 1);
        _surface = (IntPtr)surface;", Dropped());

        [Fact]
        public Task AStoreIntoAStaticOrAnotherObjectIsStillReported() => CheckCanvas(@"
        Shared = bitmap;
        other.Source = bitmap;
        var surface = Native.draw({|#0:bitmap.Handle|}, 1);
        _surface = (IntPtr)surface;", Dropped());

        [Fact]
        public Task AVariableGivenAnotherObjectAfterTheStoreIsStillReported() => CheckCanvas(@"
        Source = bitmap;
        bitmap = Bitmap.Create();
        var surface = Native.draw({|#0:bitmap.Handle|}, 1);
        _surface = (IntPtr)surface;", Dropped());

        [Fact]
        public Task NothingOfThisAfterTheCallIsStillReported() => Check(@"
class Painter
{
    private Bitmap _bitmap;
    public int Paint(Bitmap bitmap)
    {
        _bitmap = bitmap;
        return Native.draw({|#0:bitmap.Handle|}, 2);
    }
}", Dropped());
    }
}
