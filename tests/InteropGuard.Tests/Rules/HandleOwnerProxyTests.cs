using System.Threading.Tasks;
using InteropGuard.CodeFixes;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using static InteropGuard.Tests.Rules.HandleOwnerLifetimeTests;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001 on handles that travel in a proxy struct next to their owner: a wrapper struct holds the owning object
    /// (typed object) and a by-value record with the raw handle read from it; native code gets the record.
    /// </summary>
    public class HandleOwnerProxyTests
    {
        /// <summary>A finalizable picture; a view wrapper whose own conversions tie the record's pointer to its origin.</summary>
        private const string Views = @"
class Picture
{
    private IntPtr _pixels;
    public IntPtr Pixels => _pixels;
    ~Picture() { }
}
class Album
{
    public Picture Cover { get; } = new Picture();
}
struct PixelRef
{
    public IntPtr Ptr;
    public int Tag;
}
readonly ref struct View
{
    internal readonly object? Origin;
    internal readonly PixelRef Ref;
    private View(object? origin, PixelRef r) { Origin = origin; Ref = r; }
    public static implicit operator View(Picture p) => new View(p, new PixelRef { Ptr = p.Pixels, Tag = 1 });
    public static implicit operator View(int constant) => new(null, new PixelRef { Tag = constant });
    public int Peek() => Paint.show(Ref);
}
static class Paint
{
    [DllImport(""paint"")] public static extern int show(PixelRef view);
    [DllImport(""paint"")] public static extern int blend(in PixelRef under, in PixelRef over);
}
";

        private static Task CheckViews(string source, params DiagnosticResult[] expected) => Check(Views + source, expected);

        [Fact]
        public Task ViewParameterWhoseOriginIsNotKeptAfterTheCall() => CheckViews(@"
class C
{
    int Show(View view) => Paint.show({|#0:view.Ref|});
    int Blend(View under, View over)
    {
        var result = Paint.blend({|#1:under.Ref|}, over.Ref);
        GC.KeepAlive(over.Origin);
        return result;
    }
}", Finding(0, "view.Origin", "view.Ref", "Paint.show"), Finding(1, "under.Origin", "under.Ref", "Paint.blend"));

        [Fact]
        public Task RecordCopiedIntoALocalFirst() => CheckViews(@"
class C
{
    int Show(View view)
    {
        var pixels = view.Ref;
        return Paint.show({|#0:pixels|});
    }
}", Finding(0, "view.Origin", "view.Ref", "Paint.show"));

        [Fact]
        public Task ViewConvertedFromATemporaryPicture() => CheckViews(@"
class C
{
    int Show()
    {
        View view = new Picture();
        return Paint.show({|#0:view.Ref|});
    }
}", Finding(0, "view.Origin", "view.Ref", "Paint.show"));

        [Fact]
        public Task OriginKeptAliveOrReadAfterTheCall() => CheckViews(@"
class C
{
    int KeptByKeepAlive(View view)
    {
        var result = Paint.show(view.Ref);
        GC.KeepAlive(view.Origin);
        return result;
    }
    int KeptOnABranch(View view, bool log)
    {
        var result = Paint.show(view.Ref);
        if (log) Console.WriteLine(view.Origin);
        return result;
    }
    int KeptByALaterCall(View view)
    {
        Paint.show(view.Ref);
        return view.Peek();
    }
}");

        [Fact]
        public Task ViewConvertedFromAPictureTheMethodKeeps() => CheckViews(@"
class C
{
    int ByName(Picture picture)
    {
        View view = picture;
        var result = Paint.show(view.Ref);
        GC.KeepAlive(picture);
        return result;
    }
    int ThroughItsHolder(Album album)
    {
        View view = album.Cover;
        var result = Paint.show(view.Ref);
        GC.KeepAlive(album);
        return result;
    }
    int NotKept(Picture picture)
    {
        View view = picture;
        return Paint.show({|#0:view.Ref|});
    }
}", Finding(0, "picture", "view.Ref", "Paint.show"));

        /// <summary>
        /// A view converted from a picture holds that picture in its origin field: keeping the view's origin alive after
        /// the call keeps the picture, whatever expression the view was converted from. The origin of another view, or
        /// one read before the call, keeps nothing.
        /// </summary>
        [Fact]
        public Task ConvertedViewWhoseOriginTheMethodKeeps() => CheckViews(@"
class C
{
    int CoverKeptThroughItsView(Album album)
    {
        View view = album.Cover;
        var result = Paint.show(view.Ref);
        GC.KeepAlive(view.Origin);
        return result;
    }
    int PictureLoggedThroughItsView(Picture picture, bool log)
    {
        View view = picture;
        var result = Paint.show(view.Ref);
        if (log) Console.WriteLine(view.Origin);
        return result;
    }
    int OriginOfAnotherView(Album album, Picture other)
    {
        View view = album.Cover;
        View second = other;
        var result = Paint.show({|#0:view.Ref|});
        GC.KeepAlive(second.Origin);
        return result;
    }
    int OriginKeptBeforeTheCall(Picture picture)
    {
        View view = picture;
        GC.KeepAlive(view.Origin);
        return Paint.show({|#1:view.Ref|});
    }
}", Finding(0, "album.Cover", "view.Ref", "Paint.show"), Finding(1, "picture", "view.Ref", "Paint.show"));

        [Fact]
        public Task WrapperThatNeverStoresAnOwnedPointerIsNotAnOwner() => CheckViews(@"
readonly ref struct Constant
{
    internal readonly object? Origin;
    internal readonly PixelRef Ref;
    private Constant(object? origin, PixelRef r) { Origin = origin; Ref = r; }
    public static implicit operator Constant(int tag) => new Constant(null, new PixelRef { Tag = tag });
    public static implicit operator Constant(string label) => new Constant(label, new PixelRef { Tag = label.Length });
}
class C
{
    int Show(Constant constant) => Paint.show(constant.Ref);
}");

        [Fact]
        public Task WrapperWhosePointerComesFromAnotherObjectIsNotSummarized() => CheckViews(@"
readonly ref struct Borrowed
{
    internal readonly object? Origin;
    internal readonly PixelRef Ref;
    private Borrowed(object? origin, PixelRef r) { Origin = origin; Ref = r; }
    public static Borrowed Of(Picture shown, Picture label) => new Borrowed(label, new PixelRef { Ptr = shown.Pixels });
    public static implicit operator Borrowed(Picture p) => new Borrowed(p, new PixelRef { Ptr = p.Pixels });
}
class C
{
    int Show(Borrowed view) => Paint.show(view.Ref);
}");

        [Fact]
        public Task WrapperOthersCanConstructIsNotSummarized() => CheckViews(@"
readonly ref struct OpenView
{
    internal readonly object? Origin;
    internal readonly PixelRef Ref;
    public OpenView(object? origin, PixelRef r) { Origin = origin; Ref = r; }
    public static implicit operator OpenView(Picture p) => new OpenView(p, new PixelRef { Ptr = p.Pixels });
}
class C
{
    int Show(OpenView view) => Paint.show(view.Ref);
}");

        [Fact]
        public Task RecordWithoutAWrapperAndTheWrappersOwnThisAreSilent() => CheckViews(@"
class C
{
    int Raw(PixelRef pixels) => Paint.show(pixels);
    int Local(Picture picture)
    {
        var pixels = new PixelRef { Ptr = IntPtr.Zero };
        return Paint.show(pixels);
    }
}");

        [Fact]
        public Task KeepAliveFixNamesTheWrappersOrigin() => new CodeFixTest<HandleOwnerLifetimeAnalyzer, KeepAliveCodeFix>
        {
            DefaultDiagnosticId = "IG1001",
            Source = Prelude + Views + @"
class C
{
    int Show(View view) => Paint.show([|view.Ref|]);
    void Fill(View target, View other)
    {
        Paint.show([|target.Ref|]);
        View local = new Picture();
        Paint.blend(other.Ref, [|local.Ref|]);
        GC.KeepAlive(other.Origin);
    }
}",
            FixedSource = Prelude + Views + @"
class C
{
    int Show(View view)
    {
        var result = Paint.show(view.Ref);
        GC.KeepAlive(view.Origin);
        return result;
    }

    void Fill(View target, View other)
    {
        Paint.show(target.Ref);
        GC.KeepAlive(target.Origin);
        View local = new Picture();
        Paint.blend(other.Ref, local.Ref);
        GC.KeepAlive(local.Origin);
        GC.KeepAlive(other.Origin);
    }
}",
            CodeActionEquivalenceKey = "IG1001.KeepAlive",
        }.RunAsync();

        [Fact]
        public Task KeepAliveFixOnAConvertedViewKeepsThePicture() => new CodeFixTest<HandleOwnerLifetimeAnalyzer, KeepAliveCodeFix>
        {
            DefaultDiagnosticId = "IG1001",
            Source = Prelude + Views + @"
class C
{
    void Show(Picture picture)
    {
        View view = picture;
        Paint.show([|view.Ref|]);
    }
}",
            FixedSource = Prelude + Views + @"
class C
{
    void Show(Picture picture)
    {
        View view = picture;
        Paint.show(view.Ref);
        GC.KeepAlive(picture);
    }
}",
            CodeActionEquivalenceKey = "IG1001.KeepAlive",
        }.RunAsync();
    }
}
