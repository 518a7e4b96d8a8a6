using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Xunit;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001 in a lambda a LINQ operator runs on each element of an array or <c>List&lt;T&gt;</c>: the element is kept
    /// while the lambda runs when the variable the collection is read from (a field's object, a local, a parameter) is
    /// read after the call that walks the query. Silent there, and for a method such a lambda calls with its element;
    /// reported for a generator's element, a collection nobody reads after, a property that may copy, a query stored,
    /// returned or walked by a <c>foreach</c>, <c>Aggregate</c>'s running result, and a lambda that replaces its element.
    /// A method group of the caller's own object handed to such a walk is read as a call of the method: its target is kept
    /// when the caller reads its object after the walk, or the caller's callers keep it; a query returned, or a caller that
    /// ends with the walk, is reported.
    /// </summary>
    public class HandleOwnerCollectionElementTests
    {
        // A gallery of finalizable bitmaps (the prelude's Bitmap) kept in an array and a list.
        private const string Gallery = @"
sealed partial class Gallery
{
    private Bitmap[] _frames = { new Bitmap(), new Bitmap() };
    private List<Bitmap> _thumbnails = new List<Bitmap> { new Bitmap() };
    private IEnumerable<Bitmap> _stream = Enumerable.Empty<Bitmap>();
    private int _total;
    private Bitmap[] Frames => (Bitmap[])_frames.Clone();
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<HandleOwnerLifetimeAnalyzer> { Source = "using System.Linq;\n" + HandleOwnerLifetimeTests.Prelude + Gallery + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult OnFrame(int location, string owner = "f")
            => HandleOwnerLifetimeTests.Finding(location, owner, owner + ".Handle", "Native.draw");

        [Fact]
        public Task TheCollectionsHolderIsReadAfterTheWalk() => Check(@"
sealed partial class Gallery
{
    public void Measure()
    {
        var widths = _frames.Select(f => Native.draw(f.Handle, 1)).ToList();
        _total = widths.Count;
    }
    public int CountLit()
    {
        var lit = _thumbnails.Where(f => Native.draw(f.Handle, 2) > 0).Count();
        return lit + _total;
    }
    public static int Sum(List<Bitmap> pictures)
    {
        var sum = pictures.Select((f, i) => Native.draw(f.Handle, i)).OrderBy(w => w).ToArray().Length;
        Console.WriteLine(pictures.Count);
        return sum;
    }
    public bool AnyDark()
    {
        var dark = _frames.Any(f => Native.draw(f.Handle, 3) == 0);
        if (dark) _total = 0;
        return dark;
    }
}");

        [Fact]
        public Task AMethodTheLambdaGivesItsElementIsKeptToo() => Check(@"
sealed partial class Gallery
{
    public void Refresh()
    {
        var shades = _frames.Select(f => Shade(f)).ToArray();
        _total = shades.Length;
    }
    private static int Shade(Bitmap picture) => Native.draw(picture.Handle, 4);
}");

        [Fact]
        public Task AMethodGroupOfThisRunByAWalkIsReadThroughItsCaller() => Check(@"
sealed partial class Gallery
{
    private IntPtr _canvas = (IntPtr)1;
    ~Gallery() { }
    public List<int> Paint(int[] colors)
    {
        var painted = colors.Select(Stroke).ToList();
        _total = painted.Count;
        return painted;
    }
    public int[] Tint(int[] colors)
    {
        var mixed = Mix(colors);
        _total = mixed.Length;
        return mixed;
    }
    private int[] Mix(int[] colors) => colors.Select(Blend).ToArray();
    private int Stroke(int color) => Native.draw(_canvas, color);
    private int Blend(int color) => Native.draw(_canvas, color * 2);
}");

        [Fact]
        public Task AMethodGroupRunLaterOrByAnEndingCallerIsReported() => Check(@"
sealed partial class Gallery
{
    private IntPtr _canvas = (IntPtr)1;
    ~Gallery() { }
    public List<int> Paint(int[] colors) => colors.Select(Stroke).ToList();
    public IEnumerable<int> Later(int[] colors)
    {
        var query = colors.Select(Blend);
        _total = 0;
        return query;
    }
    private int Stroke(int color) => Native.draw({|#0:_canvas|}, color);
    private int Blend(int color) => Native.draw({|#1:_canvas|}, color * 2);
}", OnCanvas(0), OnCanvas(1));

        private static DiagnosticResult OnCanvas(int location) => HandleOwnerLifetimeTests.Finding(location, "this", "_canvas", "Native.draw");

        [Fact]
        public Task ElementsNobodyElseHoldsAreReported() => Check(@"
sealed partial class Gallery
{
    public int FromAGenerator()
    {
        var made = Enumerable.Range(0, 3).Select(i => new Bitmap()).Select(f => Native.draw({|#0:f.Handle|}, 1)).ToList();
        return made.Count + _total;
    }
    public int FromAStream()
    {
        var widths = _stream.Select(f => Native.draw({|#1:f.Handle|}, 1)).ToList();
        return widths.Count + _total;
    }
    public static int NotReadAfter(Bitmap[] pictures)
    {
        var widths = pictures.Select(f => Native.draw({|#2:f.Handle|}, 1)).ToList();
        return widths.Count;
    }
    public int FromACopy()
    {
        var widths = Frames.Select(f => Native.draw({|#3:f.Handle|}, 1)).ToList();
        return widths.Count + _total;
    }
}", OnFrame(0), OnFrame(1), OnFrame(2), OnFrame(3));

        [Fact]
        public Task QueriesNotWalkedAtOnceAreReported() => Check(@"
sealed partial class Gallery
{
    public IEnumerable<int> Later()
    {
        var query = _frames.Select(f => Native.draw({|#0:f.Handle|}, 1));
        _total = 0;
        return query;
    }
    public void Looped()
    {
        foreach (var width in _frames.Select(f => Native.draw({|#1:f.Handle|}, 2)))
        {
            _total += width;
        }
    }
    public Bitmap Folded()
    {
        var last = _frames.Aggregate((f, next) => Native.draw({|#2:f.Handle|}, 3) > 0 ? next : next);
        _total = 1;
        return last;
    }
    public int Replaced()
    {
        var widths = _frames.Select(f => { f = Bitmap.Create(); return Native.draw({|#3:f.Handle|}, 4); }).ToList();
        return widths.Count + _total;
    }
}", OnFrame(0), OnFrame(1), OnFrame(2), OnFrame(3));
    }
}
