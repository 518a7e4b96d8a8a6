using System.Threading.Tasks;
using Xunit;
using static InteropGuard.Tests.Rules.HandleOwnerLifetimeTests;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001 and an owner the method read from its own object's fields before the call: while <c>this</c> is used
    /// after the call, the fields and array elements the local was read along still hold its object, so it cannot be
    /// collected during the call. Silent for that; reported where a link is written before the call (directly, by a
    /// method given the array, or by a call on <c>this</c>), where the index is not a constant, where the local was read
    /// from another object, or where nothing of <c>this</c> follows the call.
    /// </summary>
    public class HandleOwnerReadFromThisTests
    {
        private const string Stage = @"
struct Slot
{
    private readonly Bitmap _picture;
    public Slot(Bitmap picture) { _picture = picture; }
    public Bitmap Picture => _picture;
}
static class Slots
{
    public static int Count(Slot[] slots)
    {
        var n = 0;
        for (var i = 0; i < slots.Length; i++) { if (slots[i].Picture != null) n++; }
        return n;
    }
    public static void Empty(Slot[] slots) { slots[0] = default; }
}
class Stage
{
    private Slot[] _saved = new Slot[1];
    private Bitmap _backdrop = new Bitmap();
    private int _drawn;
    public void Restore(Stage other)
    {
        BODY
    }
    private void Forget() { _saved = null; }
}";

        private static Task CheckStage(string body, params Verification.DiagnosticResult[] expected)
            => Check(Stage.Replace("BODY", body), expected);

        [Fact]
        public Task AnElementOfThisArrayIsHeldWhileThisIsWrittenAfterTheCall() => CheckStage(@"
        var picture = _saved[0].Picture as Bitmap;
        var counted = Slots.Count(_saved);
        Native.draw(picture.Handle, counted);
        _saved = null;");

        [Fact]
        public Task AFieldOfThisIsHeldWhenThisIsUsedAfterTheBlockOfTheCall() => CheckStage(@"
        var backdrop = _backdrop;
        if (backdrop != null)
        {
            Native.draw(backdrop.Handle, 1);
        }
        _drawn++;");

        [Fact]
        public Task AFieldClearedBeforeTheCallIsStillReported() => CheckStage(@"
        var backdrop = _backdrop;
        _backdrop = null;
        Native.draw({|#0:backdrop.Handle|}, 1);
        _drawn++;", Finding(0, "backdrop", "backdrop.Handle", "Native.draw"));

        [Fact]
        public Task AnArrayGivenToAMethodThatWritesItIsStillReported() => CheckStage(@"
        var picture = _saved[0].Picture;
        Slots.Empty(_saved);
        Native.draw({|#0:picture.Handle|}, 1);
        _saved = null;", Finding(0, "picture", "picture.Handle", "Native.draw"));

        [Fact]
        public Task ACallOnThisBeforeTheCallIsStillReported() => CheckStage(@"
        var picture = _saved[0].Picture;
        Forget();
        Native.draw({|#0:picture.Handle|}, 1);
        _drawn++;", Finding(0, "picture", "picture.Handle", "Native.draw"));

        [Fact]
        public Task NothingOfThisAfterTheCallIsStillReported() => CheckStage(@"
        var backdrop = _backdrop;
        Native.draw({|#0:backdrop.Handle|}, 1);", Finding(0, "backdrop", "backdrop.Handle", "Native.draw"));

        [Fact]
        public Task AnElementAtAVariableIndexIsStillReported() => CheckStage(@"
        var picture = _saved[_drawn].Picture;
        Native.draw({|#0:picture.Handle|}, 1);
        _saved = null;", Finding(0, "picture", "picture.Handle", "Native.draw"));

        [Fact]
        public Task AFieldOfAnotherObjectIsStillReported() => CheckStage(@"
        var backdrop = other._backdrop;
        Native.draw({|#0:backdrop.Handle|}, 1);
        _drawn++;", Finding(0, "backdrop", "backdrop.Handle", "Native.draw"));
    }
}
