using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Corpus;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis.Diagnostics;
using static InteropGuard.Tests.Rules.HandleOwnerLifetimeTests;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3008 and the IG1001 message it shapes: a class releasing its raw handle in its finalizer through native code and
    /// handing it out is the one remedy behind all the IG1001 findings it owns.
    /// </summary>
    public class FinalizerReleasedHandleTests
    {
        private const string Releases = @"
static class Lib
{
    [DllImport(""mylib"")] public static extern void image_free(IntPtr image);
    [DllImport(""mylib"")] public static extern void scalar_free(IntPtr scalar);
    public static void Free(IntPtr image) => image_free(image);
}
class Image
{
    private IntPtr _handle;
    public IntPtr Handle
    {
        get
        {
            if (_handle == IntPtr.Zero) throw new ObjectDisposedException(nameof(Image));
            return _handle;
        }
    }
    ~Image() => Dispose(false);
    public void Dispose() { Dispose(true); GC.SuppressFinalize(this); }
    protected virtual void Dispose(bool disposing)
    {
        if (_handle != IntPtr.Zero)
        {
            Lib.image_free(_handle);
            _handle = IntPtr.Zero;
        }
    }
}
class Photo : Image
{
}
sealed class Scalar
{
    internal IntPtr Handle { get; private set; }
    ~Scalar() { Lib.Free(Handle); }
}
";

        private const string ImageRemedy = "; 'Image' releases its raw handle in its finalizer (IG3008): a SafeHandle that the P/Invokes take protects every such call";

        private static Task CheckDesign(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<HandleOwnerLifetimeAnalyzer> { Source = Prelude + Releases + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult OwnerFinding(int location, string owner, string handle, string function, string remedy)
            => Verify.Diagnostic("IG1001").WithLocation(location)
                .WithMessage($"'{owner}' is not used after '{function}' receives its handle '{handle}': the GC may collect '{owner}' and release the handle while native code still uses it{remedy}");

        /// <summary>IG3008 on the handle's declaration in <see cref="Releases"/>, at a line and column of the whole source.</summary>
        private static DiagnosticResult Design(int line, int column, string type, string handle, string release, string exposed, int count)
            => Verify.Diagnostic("IG3008").WithLocation(line, column).WithMessage(DesignMessage(type, handle, release, exposed, count));

        private static string DesignMessage(string type, string handle, string release, string exposed, int count)
            => $"'{type}' releases its raw handle '{handle}' through '{release}' in its finalizer and hands it out through '{exposed}': {count} native call(s) given it do not keep the '{type}' alive (IG1001); a SafeHandle that the P/Invokes take instead protects every call at once";

        [Fact]
        public Task FindingsOfTheDesignNameItsRemedyAndTheClassIsReportedOnce() => CheckDesign(@"
class C
{
    int M(Image image) => Native.draw({|#0:image.Handle|}, 1);
    int N(Photo photo) => Native.draw({|#1:photo.Handle|}, 2);
    void O(Image image)
    {
        Native.draw(image.Handle, 3);
        GC.KeepAlive(image);
    }
}", OwnerFinding(0, "image", "image.Handle", "Native.draw", ImageRemedy),
            OwnerFinding(1, "photo", "photo.Handle", "Native.draw", ImageRemedy),
            Design(55, 20, "Image", "_handle", "Lib.image_free", "Handle", 2));

        /// <summary>
        /// Block actions of many bodies count one design's findings at the same time: every concurrent run must name the
        /// same number in IG3008 as the sequential run, and that number is the number of IG1001 findings of the design.
        /// </summary>
        [Fact]
        public async Task TheCountAddsUpUnderConcurrentAnalysis()
        {
            const int callers = 60;
            var methods = string.Concat(Enumerable.Range(0, callers).Select(i => $"    int M{i}(Image image) => Native.draw(image.Handle, {i});\n"));
            var project = TestProject.Create(new[] { Prelude + Releases + "class C\n{\n" + methods + "}\n" }, TestProjectOptions.Default);
            var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new HandleOwnerLifetimeAnalyzer());
            var sequential = await AnalyzerRunner.AnalyzeAsync(project, analyzers, allowCompilerErrors: false, "callers of one design");

            Assert.Equal(callers, sequential.AnalyzerDiagnostics.Count(d => d.Id == "IG1001" && d.GetMessage().EndsWith(ImageRemedy, System.StringComparison.Ordinal)));
            var design = Assert.Single(sequential.AnalyzerDiagnostics, d => d.Id == "IG3008");
            Assert.Equal(DesignMessage("Image", "_handle", "Lib.image_free", "Handle", callers), design.GetMessage());
            // On the handle field's declaration in the shared prelude, where the one-site test above expects it.
            var start = design.Location.GetLineSpan().StartLinePosition;
            Assert.Equal((55, 20), (start.Line + 1, start.Character + 1));
            await ConcurrentAnalysisTests.AssertConcurrentRunsAgreeAsync(sequential, analyzers, rounds: 20);
        }

        [Fact]
        public Task AutoPropertyReleasedThroughAWrapper() => CheckDesign(@"
class C
{
    void M() => Native.draw({|#0:new Scalar().Handle|}, 1);
}", OwnerFinding(0, "new Scalar()", "new Scalar().Handle", "Native.draw", "; 'Scalar' releases its raw handle in its finalizer (IG3008): a SafeHandle that the P/Invokes take protects every such call"),
            Design(80, 21, "Scalar", "Handle", "Lib.image_free", "Handle", 1));

        /// <summary>An internal field with a public getter (TorchSharp's Tensor): the getter is the API named.</summary>
        [Fact]
        public Task InternalFieldWithAGetterNamesTheGetter() => CheckDesign(@"
class Tensor
{
    internal IntPtr handle;
    public IntPtr Handle => handle;
    ~Tensor() { Lib.image_free(handle); }
}
class C
{
    void M(Tensor tensor) => Native.draw({|#0:tensor.handle|}, 1);
}", OwnerFinding(0, "tensor", "tensor.handle", "Native.draw", "; 'Tensor' releases its raw handle in its finalizer (IG3008): a SafeHandle that the P/Invokes take protects every such call"),
            Design(86, 21, "Tensor", "handle", "Lib.image_free", "Handle", 1));

        /// <summary>
        /// The finalizer passes false down, and the release sits under 'if (disposing)': on the finalizer thread nothing is
        /// released, so the class is not of the design (FNA's GraphicsDevice). A release after the branch still is.
        /// </summary>
        [Fact]
        public Task ReleaseOnlyWhenDisposingIsNotAFinalizerRelease() => CheckDesign(@"
class Device
{
    private IntPtr _device;
    private bool _gone;
    public IntPtr Raw => _device;
    ~Device() { Dispose(false); }
    protected virtual void Dispose(bool disposing)
    {
        if (!_gone)
        {
            _gone = true;
            if (disposing)
                Lib.image_free(_device);
        }
    }
}
class Gadget
{
    private IntPtr _gadget;
    private IDisposable _log;
    public IntPtr Raw => _gadget;
    ~Gadget() { Dispose(false); }
    private void Dispose(bool disposing)
    {
        if (disposing && _log != null)
            _log.Dispose();
        if (!disposing || _gadget != IntPtr.Zero)
            Lib.image_free(_gadget);
    }
}
class C
{
    // Device's finalizer releases nothing, so collecting it during the call releases nothing either: no IG1001.
    int M(Device device) => Native.draw(device.Raw, 1);
    int N(Gadget gadget) => Native.draw({|#1:gadget.Raw|}, 1);
}", OwnerFinding(1, "gadget", "gadget.Raw", "Native.draw", "; 'Gadget' releases its raw handle in its finalizer (IG3008): a SafeHandle that the P/Invokes take protects every such call"),
            Design(102, 20, "Gadget", "_gadget", "Lib.image_free", "Raw", 1));

        [Fact]
        public Task CallersThatKeepTheOwnerAliveMakeNoFinding() => CheckDesign(@"
class C
{
    void M(Image image, Scalar scalar)
    {
        Native.draw(image.Handle, 1);
        Native.draw(scalar.Handle, 1);
        GC.KeepAlive(image);
        GC.KeepAlive(scalar);
    }
}");

        [Fact]
        public Task OwnersOfOtherDesignsKeepThePlainMessage() => CheckDesign(@"
class Private
{
    private IntPtr _handle;
    ~Private() { Lib.image_free(_handle); }
    public void Draw() => Native.draw({|#0:_handle|}, 1);
}
class ManagedRelease
{
    private IntPtr _handle;
    public IntPtr Handle => _handle;
    ~ManagedRelease() { Marshal.FreeHGlobal(_handle); }
}
class ReleasesAnother
{
    private IntPtr _handle;
    private IntPtr _other;
    public IntPtr Handle => _handle;
    internal IntPtr Other => _other;
    ~ReleasesAnother() { Lib.image_free(_other); }
}
class C
{
    void M(ManagedRelease managed, Bitmap bitmap)
    {
        Native.draw({|#1:managed.Handle|}, 1);
        Native.draw({|#2:bitmap.Handle|}, 1);
    }
    void N(ReleasesAnother another) => Native.draw({|#3:another.Handle|}, 1);
}", Finding(0, "this", "_handle", "Native.draw"), Finding(1, "managed", "managed.Handle", "Native.draw"), Finding(2, "bitmap", "bitmap.Handle", "Native.draw"),
            Finding(3, "another", "another.Handle", "Native.draw"));
    }
}
