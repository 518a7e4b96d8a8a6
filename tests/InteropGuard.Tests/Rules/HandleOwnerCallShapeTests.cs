using System.Threading.Tasks;
using InteropGuard.Tests.Verification;
using static InteropGuard.Tests.Rules.HandleOwnerLifetimeTests;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001 finds its calls among those the driver hands over for each body (operation actions of a block start), not by
    /// a walk of its own: every shape of call that can hand a handle to native code, wherever it sits in the body, is still
    /// found.
    /// </summary>
    public class HandleOwnerCallShapeTests
    {
        private const string Wrappers = @"
static class BitmapExtensions
{
    public static int Paint(this IntPtr handle, int x) => Native.draw(handle, x);
}
class Painter
{
    public Painter(IntPtr handle) { Native.draw(handle, 0); }
}
class FramedPainter : Painter
{
    public FramedPainter(Bitmap bitmap) : base({|#9:bitmap.Handle|}) { }
}
";

        [Fact]
        public Task ExtensionMethodThatForwardsTheHandle() => Check(Wrappers + @"
class C
{
    int M(Bitmap bitmap) => {|#0:bitmap.Handle|}.Paint(1);
}", Finding(0, "bitmap", "bitmap.Handle", "Native.draw' through 'BitmapExtensions.Paint"),
            Finding(9, "bitmap", "bitmap.Handle", "Native.draw' through 'Painter constructor"));

        [Fact]
        public Task ConstructorThatForwardsTheHandle() => Check(Wrappers + @"
class C
{
    object M(Bitmap bitmap) => new Painter({|#0:bitmap.Handle|});
    Painter N(Bitmap bitmap) => new({|#1:bitmap.Handle|});
}", Finding(0, "bitmap", "bitmap.Handle", "Native.draw' through 'new Painter"),
            Finding(1, "bitmap", "bitmap.Handle", "Native.draw' through 'new Painter"),
            Finding(9, "bitmap", "bitmap.Handle", "Native.draw' through 'Painter constructor"));

        [Fact]
        public Task CallsThroughUsingStaticAndAnAlias() => Check(@"
namespace N
{
    using static Native;
    using Imports = Native;
    class C
    {
        int M(Bitmap bitmap) => draw({|#0:bitmap.Handle|}, 1);
        int P(Bitmap bitmap) => Imports.draw({|#1:bitmap.Handle|}, 1);
    }
}", Finding(0, "bitmap", "bitmap.Handle", "Native.draw"), Finding(1, "bitmap", "bitmap.Handle", "Native.draw"));

        [Fact]
        public Task CallsNestedInsideOtherExpressions() => Check(@"
class C
{
    List<int> Listed(Bitmap bitmap) => new List<int> { Native.draw({|#0:bitmap.Handle|}, 1) };
    string Interpolated(Bitmap bitmap) => $""{Native.draw({|#1:bitmap.Handle|}, 1)}"";
    int Switched(Bitmap bitmap, int k) => k switch { 0 => Native.draw({|#2:bitmap.Handle|}, 1), _ => 0 };
    int Argument(Bitmap bitmap) => Math.Max(Native.draw({|#3:bitmap.Handle|}, 1), 0);
    int Conditional(Bitmap? bitmap) => bitmap == null ? 0 : Native.draw({|#4:bitmap.Handle|}, 1);
}", Finding(0, "bitmap", "bitmap.Handle", "Native.draw"), Finding(1, "bitmap", "bitmap.Handle", "Native.draw"),
            Finding(2, "bitmap", "bitmap.Handle", "Native.draw"), Finding(3, "bitmap", "bitmap.Handle", "Native.draw"),
            Finding(4, "bitmap", "bitmap.Handle", "Native.draw"));

        [Fact]
        public Task CallsInAccessorsOperatorsAndConstructors() => Check(@"
class Canvas
{
    private IntPtr _handle;
    ~Canvas() { }
    public int Width => Native.draw({|#0:_handle|}, 0);
    public int this[int i] { get { return Native.draw({|#1:_handle|}, i); } }
    public static int operator +(Canvas c, int x) => Native.draw({|#2:c._handle|}, x);
    public static explicit operator int(Canvas c) => Native.draw({|#3:c._handle|}, 0);
    public Canvas(Bitmap bitmap)
    {
        int Draw(Bitmap b) => Native.draw({|#4:b.Handle|}, 0);
        Func<Bitmap, int> paint = b => Native.draw({|#5:b.Handle|}, 1);
        Draw(bitmap);
        paint(bitmap);
    }
}", Finding(0, "this", "_handle", "Native.draw"), Finding(1, "this", "_handle", "Native.draw"),
            Finding(2, "c", "c._handle", "Native.draw"), Finding(3, "c", "c._handle", "Native.draw"),
            Finding(4, "b", "b.Handle", "Native.draw"), Finding(5, "b", "b.Handle", "Native.draw"));
    }
}
