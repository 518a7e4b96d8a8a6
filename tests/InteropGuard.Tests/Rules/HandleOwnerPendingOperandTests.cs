using System.Threading.Tasks;
using Xunit;
using static InteropGuard.Tests.Rules.HandleOwnerLifetimeTests;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001 and an owner that an enclosing operation has already evaluated when the native call runs: the receiver or
    /// an earlier argument of the call or creation the native result goes into (a constructor initializer's too). That
    /// operation takes the owner only after the native call returns, so the owner stays reachable across it. Still
    /// reported: an earlier argument that is the handle or another value read from the owner, another object, the same
    /// property of another object, and an owner given only after the native call's argument.
    /// </summary>
    public class HandleOwnerPendingOperandTests
    {
        private const string Shapes = @"
class Sheet
{
    public Bitmap Page { get; }
    public int Ink;
    public Sheet(Bitmap page) { Page = page; }
    public static Sheet Wrap(Bitmap page, int drawn) => new Sheet(page);
    public static int Sum(IntPtr raw, int drawn) => drawn;
    public static int Measure(int width, int drawn) => width + drawn;
    public static int Pair(Bitmap page, int drawn) => drawn;
    public int Note(int drawn) => drawn + Ink;
}
class Label
{
    public Label(Bitmap page, int drawn) { }
}
";

        [Fact]
        public Task AnOwnerGivenBeforeTheNativeCallIsHeldUntilTheEnclosingCall() => Check(Shapes + @"
class Printer
{
    Label ByCreation(Bitmap page) => new Label(page, Native.draw(page.Handle, 1));
    Sheet ByArgument(Bitmap page) => Sheet.Wrap(page, Native.draw(page.Handle, 2));
    int ByProperty(Sheet sheet) => Sheet.Pair(sheet.Page, Native.draw(sheet.Page.Handle, 5));
}
class Stamp : Sheet
{
    public Stamp(Bitmap page) : base(Make(page, Native.draw(page.Handle, 0))) { }
    private static Bitmap Make(Bitmap page, int drawn) => page;
}
");

        [Fact]
        public Task ThisAsAnArgumentOrTheOwnerAsReceiverIsHeld() => Check(@"
class Canvas
{
    private IntPtr _surface;
    ~Canvas() { }
    public Frame Outline() => new Frame(this, Native.draw(_surface, 1));
    public static int Thrice(Canvas canvas) => canvas.Repeat(Native.draw(canvas._surface, 3));
    private int Repeat(int drawn) => drawn * 2;
}
class Frame
{
    private readonly Canvas _canvas;
    public Frame(Canvas canvas, int drawn) { _canvas = canvas; }
}");

        [Fact]
        public Task WhatIsGivenBeforeTheNativeCallMustBeTheOwnerItself() => Check(Shapes + @"
class Printer
{
    int TheHandle(Bitmap page) => Sheet.Sum(page.Handle, Native.draw({|#0:page.Handle|}, 1));
    int AValueOfIt(Bitmap page) => Sheet.Measure(page.Width, Native.draw({|#1:page.Handle|}, 2));
    Label AnotherObject(Bitmap page, Bitmap other) => new Label(other, Native.draw({|#2:page.Handle|}, 3));
    int TheSamePropertyOfAnother(Sheet sheet, Sheet other) => Sheet.Pair(other.Page, Native.draw({|#3:sheet.Page.Handle|}, 4));
    int AStaticCallHasNoReceiver(Bitmap page) => Native.Draw((IntPtr)Native.draw({|#4:page.Handle|}, 5));
}",
            Finding(0, "page", "page.Handle", "Native.draw"),
            Finding(1, "page", "page.Handle", "Native.draw"),
            Finding(2, "page", "page.Handle", "Native.draw"),
            Finding(3, "sheet.Page", "sheet.Page.Handle", "Native.draw"),
            Finding(4, "page", "page.Handle", "Native.draw"));

        [Fact]
        public Task AnOwnerGivenInsideALambdaIsNotPendingForTheCallAroundIt() => Check(Shapes + @"
class Printer
{
    static int Run(System.Func<int> work, int drawn) => work() + drawn;
    int Later(Bitmap page, Bitmap other) => Run(() => Sheet.Pair(other, 0), Native.draw({|#0:page.Handle|}, 1));
}",
            Finding(0, "page", "page.Handle", "Native.draw"));
    }
}
