using System.Threading.Tasks;
using InteropGuard.CodeFixes;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG1001 fix on the owner shapes of <see cref="HandleOwnerReadingTests"/>: the same GC.KeepAlive applies.</summary>
    public class HandleOwnerReadingFixTests
    {
        private const string Shapes = @"
static class Many
{
    [DllImport(""mylib"")] public static extern int draw_all(IntPtr[] bitmaps, int count);
}
class Scalar
{
    private IntPtr _handle;
    public IntPtr Handle => _handle;
    ~Scalar() { }
    public static explicit operator Scalar(double value) => new Scalar();
}
class Canvas
{
    private readonly int _id;
    public Canvas(IntPtr bitmap) { _id = Native.draw(bitmap, 0); }
}
";

        private static Task VerifyFix(string source, string fixedSource, string? batchFixedSource = null)
        {
            var test = new CodeFixTest<HandleOwnerLifetimeAnalyzer, KeepAliveCodeFix>
            {
                DefaultDiagnosticId = "IG1001",
                Source = HandleOwnerLifetimeTests.Prelude + Shapes + source,
                FixedSource = HandleOwnerLifetimeTests.Prelude + Shapes + fixedSource,
                BatchFixedSource = batchFixedSource == null ? null : HandleOwnerLifetimeTests.Prelude + Shapes + batchFixedSource,
                CodeActionEquivalenceKey = "IG1001.KeepAlive",
            };
            return test.RunAsync();
        }

        [Fact]
        public Task ConversionTemporaryIsHoisted() => VerifyFix(@"
class C
{
    void M(double d)
    {
        Native.draw([|((Scalar)d).Handle|], 1);
    }
}", @"
class C
{
    void M(double d)
    {
        var scalar = (Scalar)d;
        Native.draw(scalar.Handle, 1);
        GC.KeepAlive(scalar);
    }
}");

        // TorchSharp's argument packing: one conversion per switch section, each in its own parentheses (doubled in
        // one). The locals replace the parentheses as well, and the sections keep their layout.
        [Fact]
        public Task ConversionsInSwitchSectionsLoseTheirParentheses() => VerifyFix(@"
class C
{
    void M(object value)
    {
        switch (value)
        {
            case double d:
                Native.draw([|((Scalar)d).Handle|], 1);
                break;
            case int i:
                Native.draw([|(((Scalar)i)).Handle|], 2);
                break;
        }
    }
}", @"
class C
{
    void M(object value)
    {
        switch (value)
        {
            case double d:
                var scalar = (Scalar)d;
                Native.draw(scalar.Handle, 1);
                GC.KeepAlive(scalar);
                break;
            case int i:
                var scalar1 = (Scalar)i;
                Native.draw(scalar1.Handle, 2);
                GC.KeepAlive(scalar1);
                break;
        }
    }
}");

        [Fact]
        public Task EveryOwnerOfAnArrayIsKeptAlive() => VerifyFix(@"
class C
{
    int M(Bitmap first, Bitmap second)
    {
        return Many.draw_all(new[] { [|first.Handle|], [|second.Handle|] }, 2);
    }
}", @"
class C
{
    int M(Bitmap first, Bitmap second)
    {
        var result = Many.draw_all(new[] { first.Handle, second.Handle }, 2);
        GC.KeepAlive(second);
        GC.KeepAlive(first);
        return result;
    }
}", @"
class C
{
    int M(Bitmap first, Bitmap second)
    {
        var result = Many.draw_all(new[] { first.Handle, second.Handle }, 2);
        GC.KeepAlive(first);
        GC.KeepAlive(second);
        return result;
    }
}");

        [Fact]
        public Task ConstructorCalls() => VerifyFix(@"
class Framed : Canvas
{
    public Framed(Bitmap bitmap) : base([|bitmap.Handle|])
    {
        Console.WriteLine();
    }
}
class C
{
    Canvas M(Bitmap bitmap) => new Canvas([|bitmap.Handle|]);
}", @"
class Framed : Canvas
{
    public Framed(Bitmap bitmap) : base(bitmap.Handle)
    {
        GC.KeepAlive(bitmap);
        Console.WriteLine();
    }
}
class C
{
    Canvas M(Bitmap bitmap)
    {
        var result = new Canvas(bitmap.Handle);
        GC.KeepAlive(bitmap);
        return result;
    }
}");
    }
}
