using System.Threading.Tasks;
using Xunit;
using static InteropGuard.Tests.Rules.HandleOwnerLifetimeTests;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001 in a method only the release path calls: a base class's <c>protected abstract ReleaseCore()</c>, called from
    /// nothing but its <c>Dispose(bool)</c>, whose overrides free the handle, or a private helper of <c>Dispose</c>. They run
    /// inside the disposer or the finalizer, like <c>Dispose</c> itself, so no finding; the same method also called from an
    /// ordinary method, handed out as a method group, or public stays a caller to protect.
    /// </summary>
    public class HandleOwnerDisposerOnlyTests
    {
        private const string Base = @"
static class Ov
{
    [DllImport(""ov"")] public static extern void model_free(IntPtr model);
    [DllImport(""ov"")] public static extern int model_size(IntPtr model);
}
abstract class NativeObject : IDisposable
{
    protected IntPtr Handle;
    protected NativeObject(IntPtr handle) { Handle = handle; }
    protected abstract void ReleaseCore();
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }
    ~NativeObject() { Dispose(false); }
    protected virtual void Dispose(bool disposing)
    {
        if (Handle != IntPtr.Zero)
        {
            ReleaseCore();
        }
        Handle = IntPtr.Zero;
    }
}
";

        [Fact]
        public Task OverrideOfAReleaseStepTheDisposerAloneCalls() => Check(Base + @"
sealed class Model : NativeObject
{
    public Model(IntPtr handle) : base(handle) { }
    public int Size => Ov.model_size({|#0:Handle|});
    protected override void ReleaseCore() => Ov.model_free(Handle);
}", Finding(0, "this", "Handle", "Ov.model_size"));

        [Fact]
        public Task PrivateHelperOfDispose() => Check(@"
sealed class Model : IDisposable
{
    private IntPtr _model;
    public Model(IntPtr model) { _model = model; }
    ~Model() { Dispose(false); }
    public void Dispose() { Dispose(true); GC.SuppressFinalize(this); }
    private void Dispose(bool disposing) { if (_model != IntPtr.Zero) Free(); _model = IntPtr.Zero; }
    private void Free() => Native.draw(_model, -1);
}");

        // Calls bind to a partial method's declaring part; the body is the implementing part's (MethodCallers reads both as one).
        [Fact]
        public Task PartialHelperOfDispose() => Check(@"
sealed partial class Model : IDisposable
{
    private IntPtr _model;
    public Model(IntPtr model) { _model = model; }
    ~Model() { Dispose(false); }
    public void Dispose() { Dispose(true); GC.SuppressFinalize(this); }
    private void Dispose(bool disposing) { if (_model != IntPtr.Zero) Free(); _model = IntPtr.Zero; }
    private partial void Free();
}

sealed partial class Model
{
    private partial void Free() => Native.draw(_model, -1);
}");

        [Fact]
        public Task PartialHelperAlsoCalledByAnOrdinaryMethodIsStillReported() => Check(@"
sealed partial class Model : IDisposable
{
    private IntPtr _model;
    public Model(IntPtr model) { _model = model; }
    ~Model() { Dispose(); }
    public void Dispose() { Free(); _model = IntPtr.Zero; GC.SuppressFinalize(this); }
    public void Redraw() => Free();
    private partial void Free();
}

sealed partial class Model
{
    private partial void Free() => Native.draw({|#0:_model|}, -1);
}", Finding(0, "this", "_model", "Native.draw"));

        [Fact]
        public Task ReleaseStepAlsoCalledByAnOrdinaryMethodIsStillReported() => Check(Base + @"
sealed class Model : NativeObject
{
    public Model(IntPtr handle) : base(handle) { }
    public void Reset() => ReleaseCore();
    protected override void ReleaseCore() => Ov.model_free({|#0:Handle|});
}", Finding(0, "this", "Handle", "Ov.model_free"));

        [Fact]
        public Task HelperHandedOutAsAMethodGroupIsStillReported() => Check(@"
sealed class Model : IDisposable
{
    private IntPtr _model;
    public Model(IntPtr model) { _model = model; }
    ~Model() { Dispose(); }
    public void Dispose() { Free(); _model = IntPtr.Zero; GC.SuppressFinalize(this); }
    public Action Closer => Free;
    private void Free() => Native.draw({|#0:_model|}, -1);
}", Finding(0, "this", "_model", "Native.draw"));

        [Fact]
        public Task PublicHelperIsStillReported() => Check(@"
public sealed class Model : IDisposable
{
    private IntPtr _model;
    public Model(IntPtr model) { _model = model; }
    ~Model() { Dispose(); }
    public void Dispose() { Free(); _model = IntPtr.Zero; GC.SuppressFinalize(this); }
    public void Free() => Native.draw({|#0:_model|}, -1);
}", Finding(0, "this", "_model", "Native.draw"));
        // The callers' search is asked only for a method whose name a release path spells, or one level up a helper of
        // one spells (ReleasePathNames): each kind of release path below is found where the helper is silent.
        [Fact]
        public Task HelperOfAHelperOfDispose() => Check(@"
sealed class Model : IDisposable
{
    private IntPtr _model;
    public Model(IntPtr model) { _model = model; }
    ~Model() { Dispose(false); }
    public void Dispose() { Dispose(true); GC.SuppressFinalize(this); }
    private void Dispose(bool disposing) { if (_model != IntPtr.Zero) Release(); }
    private void Release() { Unmap(); _model = IntPtr.Zero; }
    private void Unmap() => Native.draw(_model, -1);
}");

        // Two levels between Dispose and the call: past the search's depth, a caller to protect.
        [Fact]
        public Task HelperTwoLevelsBelowDisposeIsStillReported() => Check(@"
sealed class Model : IDisposable
{
    private IntPtr _model;
    public Model(IntPtr model) { _model = model; }
    ~Model() { Dispose(); }
    public void Dispose() { GC.SuppressFinalize(this); Release(); }
    private void Release() => Unmap();
    private void Unmap() => Flush();
    private void Flush() => Native.draw({|#0:_model|}, -1);
}", Finding(0, "this", "_model", "Native.draw"));

        // One level up through a partial method: its calls are in the implementing part, which no declaration lists.
        [Fact]
        public Task HelperOfAPartialHelperOfDispose() => Check(@"
sealed partial class Model : IDisposable
{
    private IntPtr _model;
    public Model(IntPtr model) { _model = model; }
    ~Model() { Dispose(); }
    public void Dispose() { Release(); GC.SuppressFinalize(this); }
    private partial void Release();
    private void Unmap() => Native.draw(_model, -1);
}

sealed partial class Model
{
    private partial void Release() { Unmap(); _model = IntPtr.Zero; }
}");

        [Fact]
        public Task HelperOfTheFinalizerAlone() => Check(@"
sealed class Model
{
    private IntPtr _model;
    public Model(IntPtr model) { _model = model; }
    ~Model() { Unmap(); }
    private void Unmap() => Native.draw(_model, -1);
}");

        [Fact]
        public Task HelperOfAStaticConstructorAlone() => Check(@"
sealed class Model
{
    private static readonly int Ready;
    private IntPtr _model;
    public Model(IntPtr model) { _model = model; }
    ~Model() { Native.draw(_model, -1); }
    static Model() { new Model(IntPtr.Zero).Probe(); Ready = 1; }
    private void Probe() => Native.draw(_model, 0);
}");

        // The release paths are named: a local function named Dispose is one, though no declaration table lists it.
        [Fact]
        public Task HelperOfALocalFunctionNamedDispose() => Check(@"
sealed class Model
{
    private IntPtr _model;
    public Model(IntPtr model) { _model = model; }
    ~Model() { Native.draw(_model, -1); }
    public void Close()
    {
        Dispose();
        GC.SuppressFinalize(this);
        void Dispose() => Unmap();
    }
    private void Unmap() => Native.draw(_model, -1);
}");

        // The finalizers and static constructors are read from the type declarations of each tree, nested types and
        // namespaces included: helpers of a nested class's finalizer and static constructor stay silent.
        [Fact]
        public Task HelpersOfANestedClassFinalizerAndStaticConstructor() => Check(@"
namespace Imaging.Models
{
    static class Registry
    {
        internal sealed class Model
        {
            private static readonly int Ready;
            private IntPtr _model;
            public Model(IntPtr model) { _model = model; }
            ~Model() { Unmap(); }
            static Model() { new Model(IntPtr.Zero).Probe(); Ready = 1; }
            private void Unmap() => Native.draw(_model, -1);
            private void Probe() => Native.draw(_model, 0);
        }
    }
}");

        // The names are read per asked name where the tree's identifiers spell it; a tree whose text may spell an identifier
        // otherwise (an escape in a name, or any backslash in a string) is read by its tokens: Dispose calls its helper
        // through an escaped name, and the helper's helper stays silent.
        [Fact]
        public Task HelperOfAHelperCalledThroughAnEscapedName() => Check(@"
sealed class Model : IDisposable
{
    private IntPtr _model;
    public string Label => ""model\n"";
    public Model(IntPtr model) { _model = model; }
    ~Model() { Dispose(); }
    public void Dispose() { GC.SuppressFinalize(this); Rel\u0065ase(); }
    private void Release() => Unmap();
    private void Unmap() => Native.draw(_model, -1);
}");

        // The same helper's helper, its helper also called from an ordinary method: reported.
        [Fact]
        public Task HelperOfAHelperCalledThroughAnEscapedNameAndElsewhere() => Check(@"
sealed class Model : IDisposable
{
    private IntPtr _model;
    public Model(IntPtr model) { _model = model; }
    ~Model() { Dispose(); }
    public void Dispose() { GC.SuppressFinalize(this); Rel\u0065ase(); }
    public void Reset() => Release();
    private void Release() => Unmap();
    private void Unmap() => Native.draw({|#0:_model|}, -1);
}", Finding(0, "this", "_model", "Native.draw"));

        // The same nesting, the finalizer's helper also called from an ordinary method: a caller to protect, reported.
        [Fact]
        public Task HelperOfANestedClassFinalizerAlsoCalledElsewhere() => Check(@"
namespace Imaging.Models
{
    static class Registry
    {
        internal sealed class Model
        {
            private IntPtr _model;
            public Model(IntPtr model) { _model = model; }
            ~Model() { Unmap(); }
            public void Redraw() => Unmap();
            private void Unmap() => Native.draw({|#0:_model|}, -1);
        }
    }
}", Finding(0, "this", "_model", "Native.draw"));
    }
}
