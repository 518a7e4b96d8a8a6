using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG3007: raw handles with a paired release kept in fields, and the look-alikes that must stay silent.</summary>
    public class RawHandleFieldTests
    {
        private const string Usings = "using System;\nusing System.Runtime.InteropServices;\n";

        private static Task Check(string source, params DiagnosticResult[] expected) => Check(source, null, expected);

        private static Task Check(string source, string? editorConfig, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<RawHandleFieldAnalyzer> { Source = Usings + source, EditorConfig = editorConfig };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Field(int location, string field, string acquire, string release)
            => Verify.Diagnostic("IG3007").WithLocation(location).WithSeverity(DiagnosticSeverity.Info).WithMessage(
                "Field '" + field + "' keeps the raw handle from '" + acquire + "'; a SafeHandle whose ReleaseHandle calls '" + release
                + "' would make release, reference counting and finalization correct");

        // ---- positives ----

        [Fact]
        public Task ReturnedHandleStoredInConstructor() => Check(@"
class Context : IDisposable
{
    [DllImport(""mylib"")] static extern IntPtr mylib_ctx_create();
    [DllImport(""mylib"")] static extern void mylib_ctx_destroy(IntPtr ctx);

    private IntPtr {|#0:_ctx|};

    public Context() { _ctx = mylib_ctx_create(); }

    public void Dispose() { mylib_ctx_destroy(_ctx); }
}", Field(0, "_ctx", "mylib_ctx_create", "mylib_ctx_destroy"));

        [Fact]
        public Task OutParameterHandle() => Check(@"
class Database
{
    [DllImport(""sqlite3"")] static extern int sqlite3_open(string path, out IntPtr db);
    [DllImport(""sqlite3"")] static extern int sqlite3_close(IntPtr db);
    [DllImport(""sqlite3"")] static extern void sqlite3_free(IntPtr p);

    private IntPtr {|#0:_db|};

    public Database(string path) { sqlite3_open(path, out _db); }
}", Field(0, "_db", "sqlite3_open", "sqlite3_close"));

        [Fact]
        public Task HandleThroughALocal() => Check(@"
class Context
{
    [DllImport(""mylib"")] static extern IntPtr mylib_ctx_create();
    [DllImport(""mylib"")] static extern void mylib_ctx_destroy(IntPtr ctx);

    private IntPtr {|#0:_ctx|};

    public Context()
    {
        var ctx = mylib_ctx_create();
        if (ctx == IntPtr.Zero) throw new InvalidOperationException();
        _ctx = ctx;
    }
}", Field(0, "_ctx", "mylib_ctx_create", "mylib_ctx_destroy"));

        [Fact]
        public Task OutLocalStoredLater() => Check(@"
class Stream
{
    [DllImport(""mylib"")] static extern int mylib_stream_open(string name, out IntPtr stream);
    [DllImport(""mylib"")] static extern int mylib_stream_close(IntPtr stream);

    private IntPtr {|#0:_stream|};

    public void Open(string name)
    {
        if (mylib_stream_open(name, out var stream) != 0) throw new InvalidOperationException();
        _stream = stream;
    }
}", Field(0, "_stream", "mylib_stream_open", "mylib_stream_close"));

        [Fact]
        public Task PascalCaseStemAndNativeMethodsClass() => Check(@"
static class NativeMethods
{
    [DllImport(""engine"")] internal static extern IntPtr CreateContext(int flags);
    [DllImport(""engine"")] internal static extern void DestroyContext(IntPtr context);
}

class Engine
{
    private readonly nint {|#0:_context = NativeMethods.CreateContext(0)|};
}", Field(0, "_context", "CreateContext", "DestroyContext"));

        [Theory]
        [InlineData("mylib_buf_new", "mylib_buf_free")]
        [InlineData("mylib_init_session", "mylib_cleanup_session")]
        [InlineData("AcquireLock", "ReleaseLock")]
        [InlineData("plugin_load", "plugin_unload")]
        [InlineData("net_connect", "net_disconnect")]
        [InlineData("db_open_v2", "db_close_v2")]
        [InlineData("XMLAllocParser", "XMLFreeParser")]
        public Task StemVariants(string acquire, string release) => Check(@"
class Owner
{
    [DllImport(""lib"")] static extern IntPtr " + acquire + @"();
    [DllImport(""lib"")] static extern void " + release + @"(IntPtr h);

    private IntPtr {|#0:_h|};

    public Owner() { _h = " + acquire + @"(); }
}", Field(0, "_h", acquire, release));

        [Fact]
        public Task PrefersTheConventionalRelease() => Check(@"
class Database
{
    [DllImport(""sqlite3"")] static extern void sqlite3_free(IntPtr p);
    [DllImport(""sqlite3"")] static extern IntPtr sqlite3_open_handle();
    [DllImport(""sqlite3"")] static extern int sqlite3_close_handle(IntPtr db);

    private IntPtr {|#0:_db|};

    public Database() { _db = sqlite3_open_handle(); }
}", Field(0, "_db", "sqlite3_open_handle", "sqlite3_close_handle"));

        [Fact]
        public Task ConfiguredPair() => Check(@"
class Session
{
    [DllImport(""vendor"")] static extern IntPtr vendor_begin();
    [DllImport(""vendor"")] static extern void vendor_end(IntPtr s);

    private IntPtr {|#0:_session|};

    public Session() { _session = vendor_begin(); }
}", "interopguard.allocator_pairs = vendor_begin:vendor_end", Field(0, "_session", "vendor_begin", "vendor_end"));

        [Fact]
        public Task StaticMutableFieldIsReported() => Check(@"
class Shared
{
    [DllImport(""mylib"")] static extern IntPtr mylib_pool_create();
    [DllImport(""mylib"")] static extern void mylib_pool_destroy(IntPtr pool);

    private static IntPtr {|#0:s_pool|};

    public static void Start() { s_pool = mylib_pool_create(); }
}", Field(0, "s_pool", "mylib_pool_create", "mylib_pool_destroy"));

        [Fact]
        public Task OneDiagnosticPerFieldAssignedTwice() => Check(@"
class Context
{
    [DllImport(""mylib"")] static extern IntPtr mylib_ctx_create();
    [DllImport(""mylib"")] static extern void mylib_ctx_destroy(IntPtr ctx);

    private IntPtr {|#0:_ctx|};

    public Context() { _ctx = mylib_ctx_create(); }

    public void Reset()
    {
        mylib_ctx_destroy(_ctx);
        _ctx = mylib_ctx_create();
    }
}", Field(0, "_ctx", "mylib_ctx_create", "mylib_ctx_destroy"));

        [Fact]
        public Task TwoAcquireFunctionsNameTheFirstByName() => Check(@"
class Stream
{
    [DllImport(""mylib"")] static extern IntPtr mylib_stream_open(string path);
    [DllImport(""mylib"")] static extern IntPtr mylib_stream_create();
    [DllImport(""mylib"")] static extern void mylib_stream_close(IntPtr stream);

    private IntPtr {|#0:_stream|};

    public Stream(string? path) { if (path == null) this._stream = mylib_stream_create(); else this._stream = mylib_stream_open(path); }
}", Field(0, "_stream", "mylib_stream_create", "mylib_stream_close"));

        // A field filled by two acquire functions of the same name from two classes: the message reads the same either
        // way, but the properties the fixer generates the SafeHandle from differ. Operation callbacks run in any order
        // under concurrent analysis, so the choice must not be "whichever was seen first": the first by declaration id.
        private const string SameNamedAcquires = @"
static class Microphone
{
    [DllImport(""microphone"")] public static extern IntPtr device_open();
    [DllImport(""microphone"")] public static extern void device_close(IntPtr device);
}

static class Camera
{
    [DllImport(""camera"")] public static extern IntPtr device_open();
    [DllImport(""camera"")] public static extern void device_close(IntPtr device);
}

class Recorder
{
    private IntPtr {|#0:_device|};

    public void UseMicrophone() { _device = Microphone.device_open(); }

    public void UseCamera() { _device = Camera.device_open(); }
}";

        [Fact]
        public Task FieldFilledByTwoAcquiresOfTheSameName() => Check(SameNamedAcquires, Field(0, "_device", "device_open", "device_close"));

        [Fact]
        public async Task FieldFilledByTwoAcquiresOfTheSameNameNamesTheFirstByDeclarationId()
        {
            var source = Usings + SameNamedAcquires.Replace("{|#0:", string.Empty).Replace("|}", string.Empty);
            var diagnostics = await AnalyzerRunner.GetDiagnosticsAsync(new[] { new RawHandleFieldAnalyzer() }, new[] { source });
            var finding = Assert.Single(diagnostics);
            Assert.Equal("M:Camera.device_open~System.IntPtr", finding.Properties[RawHandleFieldAnalyzer.AcquireProperty]);
            Assert.Equal("M:Camera.device_close(System.IntPtr)", finding.Properties[RawHandleFieldAnalyzer.ReleaseProperty]);
        }

        // ---- negatives ----

        [Fact]
        public Task FieldAlreadyASafeHandle() => Check(@"
sealed class CtxHandle : SafeHandle
{
    public CtxHandle() : base(IntPtr.Zero, true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() { Native.mylib_ctx_destroy(handle); return true; }
}

static class Native
{
    [DllImport(""mylib"")] internal static extern CtxHandle mylib_ctx_create();
    [DllImport(""mylib"")] internal static extern void mylib_ctx_destroy(IntPtr ctx);
}

class Context
{
    private readonly CtxHandle _ctx = Native.mylib_ctx_create();
}");

        [Fact]
        public Task SafeHandleSubclassKeepsItsOwnHandle() => Check(@"
sealed class CtxHandle : SafeHandle
{
    [DllImport(""mylib"")] static extern IntPtr mylib_ctx_create();
    [DllImport(""mylib"")] static extern void mylib_ctx_destroy(IntPtr ctx);

    private IntPtr _raw;

    public CtxHandle() : base(IntPtr.Zero, true) { _raw = mylib_ctx_create(); SetHandle(_raw); }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() { mylib_ctx_destroy(handle); return true; }
}");

        [Fact]
        public Task NoReleaseFunction() => Check(@"
class Window
{
    [DllImport(""user32"")] static extern IntPtr GetDesktopWindow();
    [DllImport(""mylib"")] static extern IntPtr mylib_ctx_create();

    private IntPtr _desktop;
    private IntPtr _ctx;

    public Window() { _desktop = GetDesktopWindow(); _ctx = mylib_ctx_create(); }
}");

        [Fact]
        public Task ReleaseWithDifferentStem() => Check(@"
class Context
{
    [DllImport(""mylib"")] static extern IntPtr mylib_ctx_create();
    [DllImport(""mylib"")] static extern void mylib_buf_destroy(IntPtr buf);
    [DllImport(""mylib"")] static extern void mylib_ctx_destroy_all();

    private IntPtr _ctx;

    public Context() { _ctx = mylib_ctx_create(); }
}");

        [Fact]
        public Task HandleOnlyInALocal() => Check(@"
class Tool
{
    [DllImport(""mylib"")] static extern IntPtr mylib_ctx_create();
    [DllImport(""mylib"")] static extern void mylib_ctx_destroy(IntPtr ctx);
    [DllImport(""mylib"")] static extern void mylib_ctx_run(IntPtr ctx);

    private IntPtr _last;

    public void Run()
    {
        var ctx = mylib_ctx_create();
        try { mylib_ctx_run(ctx); }
        finally { mylib_ctx_destroy(ctx); }
        _last = IntPtr.Zero;
    }
}");

        [Fact]
        public Task StaticReadonlyProcessLifetimeHandle() => Check(@"
static class Runtime
{
    [DllImport(""mylib"")] static extern IntPtr mylib_runtime_init();
    [DllImport(""mylib"")] static extern void mylib_runtime_fini(IntPtr rt);

    private static readonly IntPtr s_runtime = mylib_runtime_init();
}");

        [Fact]
        public Task StructFieldIsLeftAlone() => Check(@"
struct View
{
    [DllImport(""mylib"")] static extern IntPtr mylib_view_create();
    [DllImport(""mylib"")] static extern void mylib_view_destroy(IntPtr view);

    private IntPtr _view;

    public View(int unused) { _view = mylib_view_create(); }
}");

        [Fact]
        public Task CataloguedMemoryIsNotAHandle() => Check(@"
class Buffer
{
    [DllImport(""kernel32"")] static extern IntPtr LocalAlloc(uint flags, UIntPtr size);
    [DllImport(""kernel32"")] static extern IntPtr LocalFree(IntPtr mem);

    private IntPtr _block;

    public Buffer() { _block = LocalAlloc(0, (UIntPtr)16); }
}");

        [Fact]
        public Task ReleaseNeedingMoreThanTheHandle() => Check(@"
class Pool
{
    [DllImport(""mylib"")] static extern IntPtr mylib_item_alloc(IntPtr pool);
    [DllImport(""mylib"")] static extern void mylib_item_free(IntPtr pool, IntPtr item);

    private IntPtr _item;

    public Pool(IntPtr pool) { _item = mylib_item_alloc(pool); }
}");

        [Fact]
        public Task FieldFromAnotherSource() => Check(@"
class Context
{
    [DllImport(""mylib"")] static extern IntPtr mylib_ctx_create();
    [DllImport(""mylib"")] static extern void mylib_ctx_destroy(IntPtr ctx);
    [DllImport(""mylib"")] static extern IntPtr mylib_ctx_get_default();

    private IntPtr _borrowed;

    public Context(IntPtr given) { _borrowed = mylib_ctx_get_default(); _borrowed = given; }
}");

        [Fact]
        public Task ManagedMethodNamedLikeAnAcquire() => Check(@"
class Context
{
    static IntPtr CreateContext() => IntPtr.Zero;
    static void DestroyContext(IntPtr context) { }

    private IntPtr _context = CreateContext();
}");
    }
}
