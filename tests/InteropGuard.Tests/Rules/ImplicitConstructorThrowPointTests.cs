using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// A class without a constructor of its own gets one from the compiler, which only runs the instance initializers and
    /// the base class's parameterless constructor. A wrapper of a native image whose constructors store a pointer and chain
    /// (explicitly or not) to such bases cannot throw, so a pin held around <c>new Image(...)</c> does not leak there. A
    /// base whose initializer or written constructor can throw, or a base outside the compilation, still makes the
    /// creation a throw point.
    /// </summary>
    public class ImplicitConstructorThrowPointTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""imaging"")] public static extern IntPtr image_wrap(IntPtr pixels, int count);
    [DllImport(""imaging"")] public static extern void image_blur(IntPtr image);
    [DllImport(""imaging"")] public static extern void image_free(IntPtr image);
}

abstract class Releasable : IDisposable
{
    bool _released;
    public void Dispose() { if (!_released) { _released = true; Release(); } GC.SuppressFinalize(this); }
    protected abstract void Release();
    ~Releasable() { Release(); }
}

abstract class NativeObject : Releasable
{
    protected IntPtr _native;
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private const string Pinned = "The GCHandle in 'pin' from 'GCHandle.Alloc' is not released by 'GCHandle.Free' if '{0}' throws, so the object stays pinned and can never be collected";

        [Fact]
        public Task ConstructorChainingThroughCompilerMadeBases() => Check(@"
class Image : NativeObject
{
    internal Image(IntPtr native) { _native = native; }
    public Image(IntPtr pixels, int count) : this(Native.image_wrap(pixels, count)) { }
    protected override void Release() => Native.image_free(_native);
}

static class Filters
{
    public static void Blur(float[] pixels)
    {
        GCHandle pin = GCHandle.Alloc(pixels, GCHandleType.Pinned);
        using (var image = new Image(pin.AddrOfPinnedObject(), pixels.Length))
            Native.image_blur(image.Handle());
        pin.Free();
    }

    static IntPtr Handle(this Image image) => IntPtr.Zero;
}");

        [Fact]
        public Task CompilerMadeConstructorOverAWrittenOne() => Check(@"
abstract class Counted : Releasable
{
    protected IntPtr _native;
    protected Counted() { _native = IntPtr.Zero; }
}

sealed class Scratch : Counted
{
    protected override void Release() { }
}

static class Filters
{
    public static void Blur(float[] pixels)
    {
        GCHandle pin = GCHandle.Alloc(pixels, GCHandleType.Pinned);
        var scratch = new Scratch();
        Native.image_blur(pin.AddrOfPinnedObject());
        pin.Free();
        GC.KeepAlive(scratch);
    }
}");

        [Fact]
        public Task BaseInitializerThatThrowsIsStillAThrowPoint() => Check(@"
static class Budget
{
    public static int Reserve() => Environment.ProcessorCount > 64 ? throw new InvalidOperationException() : 1;
}

abstract class Metered : Releasable
{
    protected int _slot = Budget.Reserve();
}

class Image : Metered
{
    internal Image(IntPtr native) { }
    protected override void Release() { }
}

static class Filters
{
    public static void Blur(float[] pixels)
    {
        GCHandle pin = {|#0:GCHandle.Alloc(pixels, GCHandleType.Pinned)|};
        var image = new Image(pin.AddrOfPinnedObject());
        pin.Free();
        GC.KeepAlive(image);
    }
}", Verify.Diagnostic("IG3004").WithLocation(0).WithMessage(string.Format(Pinned, "new Image(pin.AddrOfPinnedObject())")));

        [Fact]
        public Task WrittenBaseConstructorThatThrowsIsStillAThrowPoint() => Check(@"
abstract class Loaded : Releasable
{
    protected Loaded() { if (Environment.ProcessorCount > 64) throw new PlatformNotSupportedException(); }
}

abstract class Middle : Loaded { }

sealed class Scratch : Middle
{
    protected override void Release() { }
}

static class Filters
{
    public static void Blur(float[] pixels)
    {
        GCHandle pin = {|#0:GCHandle.Alloc(pixels, GCHandleType.Pinned)|};
        var scratch = new Scratch();
        pin.Free();
        GC.KeepAlive(scratch);
    }
}", Verify.Diagnostic("IG3004").WithLocation(0).WithMessage(string.Format(Pinned, "new Scratch()")));

        [Fact]
        public Task FrameworkBaseIsStillAThrowPoint() => Check(@"
sealed class Names : System.Collections.ObjectModel.Collection<string> { }

static class Filters
{
    public static void Blur(float[] pixels)
    {
        GCHandle pin = {|#0:GCHandle.Alloc(pixels, GCHandleType.Pinned)|};
        var names = new Names();
        pin.Free();
        GC.KeepAlive(names);
    }
}", Verify.Diagnostic("IG3004").WithLocation(0).WithMessage(string.Format(Pinned, "new Names()")));
    }
}
