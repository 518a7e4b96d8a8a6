using System.Threading.Tasks;
using InteropGuard.Tests.Verification;
using static InteropGuard.Tests.Rules.HandleOwnerLifetimeTests;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001: owners and handles read through the shapes bindings use beyond a field or a one-line getter — an interface,
    /// a getter with several returns, a constructor, an array of handles, a user-defined conversion.
    /// </summary>
    public class HandleOwnerReadingTests
    {
        /// <summary>An image interface and a finalizable class implementing it with its own handle field.</summary>
        private const string PhotoImage = @"
interface IImage
{
    IntPtr Handle { get; }
}
class Photo : IImage
{
    private IntPtr _handle;
    public IntPtr Handle => _handle;
    ~Photo() { }
}
";

        private const string Many = @"
static class Many
{
    [DllImport(""mylib"")] public static extern int draw_all(IntPtr[] bitmaps, int count);
    public static int Sum(IntPtr[] bitmaps) => bitmaps.Length;
}
";

        [Fact]
        public Task GetterReturningZeroOnOnePath() => Check(@"
class Image
{
    private IntPtr _handle;
    private bool _closed;
    ~Image() { }
    public IntPtr Handle
    {
        get
        {
            if (_closed)
            {
                return IntPtr.Zero;
            }

            return _handle;
        }
    }
    public IntPtr OrDefault => _closed ? default : _handle;
}
class C
{
    void M(Image image) => Native.draw({|#0:image.Handle|}, 1);
    void N(Image image) => Native.draw({|#1:image.OrDefault|}, 1);
}", Finding(0, "image", "image.Handle", "Native.draw"), Finding(1, "image", "image.OrDefault", "Native.draw"));

        [Fact]
        public Task GetterWithSeveralReturnsThatDoNotAgreeIsNotAnOwner() => Check(@"
class Image
{
    private IntPtr _handle;
    private bool _shared;
    ~Image() { }
    public IntPtr Handle
    {
        get
        {
            if (_shared)
            {
                return Shared.Value;
            }

            return _handle;
        }
    }
}
static class Shared
{
    public static IntPtr Value;
}
class Plain2
{
    private IntPtr _handle;
    public IntPtr Handle
    {
        get
        {
            if (_handle == IntPtr.Zero) return IntPtr.Zero;
            return _handle;
        }
    }
}
class C
{
    void M(Image image, Plain2 plain)
    {
        Native.draw(image.Handle, 1);
        Native.draw(plain.Handle, 1);
    }
}");

        [Fact]
        public Task TemporaryOfAUserDefinedConversion() => Check(@"
class Scalar
{
    private IntPtr _handle;
    public IntPtr Handle => _handle;
    ~Scalar() { }
    public static Scalar From(double value) => new Scalar();
    public static explicit operator Scalar(double value) => new Scalar();
}
class C
{
    void M(double d)
    {
        Native.draw({|#0:((Scalar)d).Handle|}, 1);
        Native.draw({|#1:Scalar.From(d).Handle|}, 1);
    }
}", Finding(0, "(Scalar)d", "((Scalar)d).Handle", "Native.draw"), Finding(1, "Scalar.From(d)", "Scalar.From(d).Handle", "Native.draw"));

        [Fact]
        public Task ConversionsThatMakeNoOwnerAreNotFindings() => Check(@"
class Scalar
{
    private IntPtr _handle;
    public IntPtr Handle => _handle;
    ~Scalar() { }
    public static explicit operator Scalar(double value) => new Scalar();
}
class Loose
{
    public IntPtr Handle;
    public static explicit operator Loose(double value) => new Loose();
}
class C
{
    void M(double d, object boxed)
    {
        Native.draw(((Loose)d).Handle, 1);
        Native.draw(((Bitmap)boxed).Handle, 1);
        GC.KeepAlive(boxed);
        var scalar = (Scalar)d;
        Native.draw(scalar.Handle, 1);
        GC.KeepAlive(scalar);
    }
}");

        [Fact]
        public Task InterfaceWhoseImplementationsAllOwnTheHandle() => Check(PhotoImage + @"
class Icon : IImage
{
    private readonly FileHandle _file = new FileHandle();
    IntPtr IImage.Handle => _file.DangerousGetHandle();
}
abstract class Partial : IImage
{
    public abstract IntPtr Handle { get; }
}
class C
{
    private IImage _image = new Photo();
    void M(IImage image) => Native.draw({|#0:image.Handle|}, 1);
    void N() => Native.draw({|#1:_image.Handle|}, 1);
    void Kept(IImage image)
    {
        Native.draw(image.Handle, 1);
        GC.KeepAlive(image);
    }
}", Finding(0, "image", "image.Handle", "Native.draw"), Finding(1, "_image", "_image.Handle", "Native.draw"));

        /// <summary>
        /// An implementation whose collection releases nothing (no finalizer, no SafeHandle or finalizable object held)
        /// is only the case in which the call is safe: the others still own what they hand out (rec17; before, any
        /// implementation that did not own its handle silenced the interface).
        /// </summary>
        [Fact]
        public Task InterfaceWithAnImplementationThatReleasesNothingStillHasOwners() => Check(PhotoImage + @"
class View : IImage
{
    public IntPtr Handle { get; set; }
}
class C
{
    void M(IImage image) => Native.draw({|#0:image.Handle|}, 1);
    void N(View view) => Native.draw(((IImage)view).Handle, 1);
}", Finding(0, "image", "image.Handle", "Native.draw"));

        /// <summary>
        /// An implementation that may release something on collection but does not hand out what it releases (a view
        /// holding its source image and computing the handle) leaves the interface's owner unknown: silent.
        /// </summary>
        [Fact]
        public Task InterfaceWithAnImplementationThatOwnsNothingIsNotAnOwner() => Check(@"
interface IImage
{
    IntPtr Handle { get; }
}
interface IUnimplemented
{
    IntPtr Handle { get; }
}
class Photo : IImage
{
    private IntPtr _handle;
    public IntPtr Handle => _handle;
    ~Photo() { }
}
class View : IImage
{
    private readonly Bitmap _source = new Bitmap();
    public IntPtr Handle => Compute();
    private static IntPtr Compute() => IntPtr.Zero;
}
struct Borrowed : IUnimplemented
{
    public IntPtr Handle => IntPtr.Zero;
}
class C
{
    void M(IImage image, IUnimplemented other, IDisposable disposable)
    {
        Native.draw(image.Handle, 1);
        Native.draw(other.Handle, 1);
    }
}");

        /// <summary>
        /// An implementation that returns another object's interface handle ends at the depth bound instead of recursing
        /// (Decorated asks about IImage, which asks about Decorated…): such an interface is not an owner.
        /// </summary>
        [Fact]
        public Task InterfaceImplementationReturningAnotherInterfaceHandle() => Check(PhotoImage + @"
class Decorated : IImage
{
    private readonly IImage _inner = new Photo();
    public IntPtr Handle => _inner.Handle;
    ~Decorated() { }
}
class Loop : IImage
{
    private IImage _self;
    public IntPtr Handle => _self.Handle;
}
class C
{
    void M(IImage image, Decorated decorated)
    {
        Native.draw(image.Handle, 1);
        Native.draw(decorated.Handle, 1);
    }
}");

        [Fact]
        public Task ConstructorForwardingTheHandleToNativeCode() => Check(@"
class Canvas
{
    private readonly int _id;
    public Canvas(IntPtr bitmap) { _id = Native.draw(bitmap, 0); }
}
class Framed : Canvas
{
    public Framed(Bitmap bitmap) : base({|#1:bitmap.Handle|}) { }
}
class C
{
    Canvas M(Bitmap bitmap) => new Canvas({|#0:bitmap.Handle|});
}", Finding(0, "bitmap", "bitmap.Handle", "Native.draw' through 'new Canvas"), Finding(1, "bitmap", "bitmap.Handle", "Native.draw' through 'Canvas constructor"));

        [Fact]
        public Task ConstructorKeepingTheHandleIsNotANativeCall() => Check(@"
class View
{
    private readonly IntPtr _bitmap;
    public View(IntPtr bitmap) { _bitmap = bitmap; }
}
class Framed : View
{
    public Framed(Bitmap bitmap) : base(bitmap.Handle) { }
}
class Canvas
{
    private readonly int _id;
    public Canvas(IntPtr bitmap) { _id = Native.draw(bitmap, 0); }
}
class C
{
    View M(Bitmap bitmap) => new View(bitmap.Handle);
    Canvas N(Bitmap bitmap)
    {
        var canvas = new Canvas(bitmap.Handle);
        GC.KeepAlive(bitmap);
        return canvas;
    }
}");

        [Fact]
        public Task HandlesCopiedIntoAnArrayForNativeCode() => Check(Many + @"
class C
{
    int M(Bitmap first, Bitmap second)
    {
        return Many.draw_all(new[] { {|#0:first.Handle|}, {|#1:second.Handle|} }, 2);
    }

    int N(Bitmap first)
    {
        var handles = new IntPtr[] { {|#2:first.Handle|} };
        return Many.draw_all(handles, 1);
    }
}", Finding(0, "first", "first.Handle", "Many.draw_all"), Finding(1, "second", "second.Handle", "Many.draw_all"), Finding(2, "first", "first.Handle", "Many.draw_all"));

        [Fact]
        public Task HandleArraysThatAreNotFindings() => Check(Many + @"
class C
{
    int M(Bitmap first, Bitmap second)
    {
        var result = Many.draw_all(new[] { first.Handle, second.Handle }, 2);
        GC.KeepAlive(first);
        GC.KeepAlive(second);
        return result;
    }

    int Managed(Bitmap first) => Many.Sum(new[] { first.Handle });

    int Plain(Plain plain, IntPtr raw) => Many.draw_all(new[] { plain.Handle, raw }, 2);

    int Filled(Bitmap first)
    {
        var handles = new IntPtr[1];
        handles[0] = first.Handle;
        var other = new[] { first.Handle };
        other = new IntPtr[0];
        return Many.draw_all(handles, 1) + Many.draw_all(other, 0);
    }
}");
    }
}
