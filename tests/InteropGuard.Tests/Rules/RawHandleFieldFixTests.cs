using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using System.Threading.Tasks;
using InteropGuard.CodeFixes;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG3007 fix: generate a SafeHandle subclass and move the class's handle onto it.</summary>
    public class RawHandleFieldFixTests
    {
        private static Task VerifyFix(string source, string fixedSource, string? batchFixedSource = null, string? editorConfig = null)
        {
            var test = new CodeFixTest<RawHandleFieldAnalyzer, GenerateSafeHandleCodeFix>
            {
                Source = source,
                FixedSource = fixedSource,
                BatchFixedSource = batchFixedSource,
                EditorConfig = editorConfig,
                CodeActionEquivalenceKey = "IG3007.GenerateSafeHandle",
            };
            return test.RunAsync();
        }

        [Fact]
        public Task RewritesDisposeAndRemovesFinalizer() => VerifyFix(@"using System;
using System.Runtime.InteropServices;

public sealed class Context : IDisposable
{
    private IntPtr [|_ctx|];

    public Context()
    {
        _ctx = NativeMethods.mylib_ctx_create();
        if (_ctx == IntPtr.Zero)
        {
            throw new InvalidOperationException(""mylib_ctx_create failed"");
        }
    }

    public int Run(int input) => NativeMethods.mylib_ctx_run(_ctx, input);

    public void Dispose()
    {
        if (_ctx != IntPtr.Zero)
        {
            NativeMethods.mylib_ctx_destroy(_ctx);
            _ctx = IntPtr.Zero;
        }

        GC.SuppressFinalize(this);
    }

    ~Context()
    {
        if (_ctx != IntPtr.Zero)
        {
            NativeMethods.mylib_ctx_destroy(_ctx);
        }
    }
}

internal static class NativeMethods
{
    [DllImport(""mylib"")]
    internal static extern IntPtr mylib_ctx_create();

    [DllImport(""mylib"")]
    internal static extern int mylib_ctx_run(IntPtr ctx, int input);

    [DllImport(""mylib"")]
    internal static extern void mylib_ctx_destroy(IntPtr ctx);
}", @"using System;
using System.Runtime.InteropServices;

public sealed class Context : IDisposable
{
    private MylibCtxHandle _ctx;

    public Context()
    {
        _ctx = NativeMethods.mylib_ctx_create();
        if (_ctx.IsInvalid)
        {
            throw new InvalidOperationException(""mylib_ctx_create failed"");
        }
    }

    public int Run(int input) => NativeMethods.mylib_ctx_run(_ctx, input);

    public void Dispose()
    {
        if (!_ctx.IsInvalid)
        {
            _ctx.Dispose();
        }
    }
}

internal sealed class MylibCtxHandle : SafeHandle
{
    public MylibCtxHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.mylib_ctx_destroy(handle);
        return true;
    }
}

internal static class NativeMethods
{
    [DllImport(""mylib"")]
    internal static extern MylibCtxHandle mylib_ctx_create();

    [DllImport(""mylib"")]
    internal static extern int mylib_ctx_run(MylibCtxHandle ctx, int input);

    [DllImport(""mylib"")]
    internal static extern void mylib_ctx_destroy(IntPtr ctx);
}");

        [Fact]
        public Task OutParameterWithStatusAndNestedPInvokes() => VerifyFix(@"using System;
using System.IO;
using System.Runtime.InteropServices;

public sealed class Database : IDisposable
{
    [DllImport(""sqlite3"")]
    private static extern int sqlite3_open(string path, out IntPtr db);

    [DllImport(""sqlite3"")]
    private static extern int sqlite3_exec(IntPtr db, string sql);

    [DllImport(""sqlite3"")]
    private static extern int sqlite3_close(IntPtr db);

    private readonly IntPtr [|_db|];

    public Database(string path)
    {
        if (sqlite3_open(path, out _db) != 0)
        {
            throw new IOException(""cannot open "" + path);
        }
    }

    public void Execute(string sql) => sqlite3_exec(_db, sql);

    public void Dispose() => sqlite3_close(_db);
}", @"using System;
using System.IO;
using System.Runtime.InteropServices;

public sealed class Database : IDisposable
{
    [DllImport(""sqlite3"")]
    private static extern int sqlite3_open(string path, out Sqlite3Handle db);

    [DllImport(""sqlite3"")]
    private static extern int sqlite3_exec(Sqlite3Handle db, string sql);

    [DllImport(""sqlite3"")]
    private static extern int sqlite3_close(IntPtr db);

    private readonly Sqlite3Handle _db;

    public Database(string path)
    {
        if (sqlite3_open(path, out _db) != 0)
        {
            throw new IOException(""cannot open "" + path);
        }
    }

    public void Execute(string sql) => sqlite3_exec(_db, sql);

    public void Dispose() => _db.Dispose();

    private sealed class Sqlite3Handle : SafeHandle
    {
        public Sqlite3Handle() : base(IntPtr.Zero, ownsHandle: true)
        {
        }

        public override bool IsInvalid => handle == IntPtr.Zero;

        protected override bool ReleaseHandle()
        {
            return sqlite3_close(handle) == 0;
        }
    }
}");

        [Fact]
        public Task LocalCheckedThenStored() => VerifyFix(@"using System;
using System.Runtime.InteropServices;

class Engine : IDisposable
{
    [DllImport(""engine"")]
    static extern IntPtr CreateContext(int flags);

    [DllImport(""engine"")]
    static extern bool DestroyContext(IntPtr context);

    private IntPtr [|_context|];

    public Engine(int flags)
    {
        IntPtr context = CreateContext(flags);
        if (context == IntPtr.Zero)
        {
            throw new InvalidOperationException();
        }

        _context = context;
    }

    public void Dispose()
    {
        DestroyContext(_context);
        _context = IntPtr.Zero;
    }
}", @"using System;
using System.Runtime.InteropServices;

class Engine : IDisposable
{
    [DllImport(""engine"")]
    static extern ContextHandle CreateContext(int flags);

    [DllImport(""engine"")]
    static extern bool DestroyContext(IntPtr context);

    private ContextHandle _context;

    public Engine(int flags)
    {
        ContextHandle context = CreateContext(flags);
        if (context.IsInvalid)
        {
            throw new InvalidOperationException();
        }

        _context = context;
    }

    public void Dispose()
    {
        _context.Dispose();
    }

    private sealed class ContextHandle : SafeHandle
    {
        public ContextHandle() : base(IntPtr.Zero, ownsHandle: true)
        {
        }

        public override bool IsInvalid => handle == IntPtr.Zero;

        protected override bool ReleaseHandle()
        {
            return DestroyContext(handle);
        }
    }
}");

        [Fact]
        public Task SeveralFieldsViaFixAll() => VerifyFix(@"using System;
using System.Runtime.InteropServices;

sealed class Player : IDisposable
{
    private IntPtr [|_decoder|];
    private IntPtr [|_output|];

    public Player(string device)
    {
        _decoder = Native.audio_decoder_new();
        Native.audio_output_open(device, out _output);
    }

    public void Play() => Native.audio_play(_decoder, _output);

    public void Dispose()
    {
        Native.audio_decoder_free(_decoder);
        Native.audio_output_close(_output);
    }
}

static class Native
{
    [DllImport(""audio"")] public static extern IntPtr audio_decoder_new();
    [DllImport(""audio"")] public static extern void audio_decoder_free(IntPtr decoder);
    [DllImport(""audio"")] public static extern int audio_output_open(string device, out IntPtr output);
    [DllImport(""audio"")] public static extern int audio_output_close(IntPtr output);
    [DllImport(""audio"")] public static extern void audio_play(IntPtr decoder, IntPtr output);
}", @"using System;
using System.Runtime.InteropServices;

sealed class Player : IDisposable
{
    private AudioDecoderHandle _decoder;
    private AudioOutputHandle _output;

    public Player(string device)
    {
        _decoder = Native.audio_decoder_new();
        Native.audio_output_open(device, out _output);
    }

    public void Play() => Native.audio_play(_decoder, _output);

    public void Dispose()
    {
        _decoder.Dispose();
        _output.Dispose();
    }
}

internal sealed class AudioDecoderHandle : SafeHandle
{
    public AudioDecoderHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Native.audio_decoder_free(handle);
        return true;
    }
}

internal sealed class AudioOutputHandle : SafeHandle
{
    public AudioOutputHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        return Native.audio_output_close(handle) == 0;
    }
}

static class Native
{
    [DllImport(""audio"")] public static extern AudioDecoderHandle audio_decoder_new();
    [DllImport(""audio"")] public static extern void audio_decoder_free(IntPtr decoder);
    [DllImport(""audio"")] public static extern int audio_output_open(string device, out AudioOutputHandle output);
    [DllImport(""audio"")] public static extern int audio_output_close(IntPtr output);
    [DllImport(""audio"")] public static extern void audio_play(AudioDecoderHandle decoder, AudioOutputHandle output);
}");

        [Fact]
        public Task OneAcquireTwoFieldsRewrittenTogether() => VerifyFix(@"using System;
using System.Runtime.InteropServices;

class Mirror : IDisposable
{
    [DllImport(""mylib"")]
    static extern nint mylib_ctx_create();

    [DllImport(""mylib"")]
    static extern void mylib_ctx_destroy(nint ctx);

    private readonly nint [|_primary = mylib_ctx_create()|];
    private readonly nint [|_secondary = mylib_ctx_create()|];

    ~Mirror() => mylib_ctx_destroy(_primary);

    public void Dispose()
    {
        mylib_ctx_destroy(this._primary);
        mylib_ctx_destroy(this._secondary);
        GC.SuppressFinalize(this);
    }
}", @"using System;
using System.Runtime.InteropServices;

class Mirror : IDisposable
{
    [DllImport(""mylib"")]
    static extern MylibCtxHandle mylib_ctx_create();

    [DllImport(""mylib"")]
    static extern void mylib_ctx_destroy(nint ctx);

    private readonly MylibCtxHandle _primary = mylib_ctx_create();
    private readonly MylibCtxHandle _secondary = mylib_ctx_create();

    public void Dispose()
    {
        _primary.Dispose();
        _secondary.Dispose();
    }

    private sealed class MylibCtxHandle : SafeHandle
    {
        public MylibCtxHandle() : base(nint.Zero, ownsHandle: true)
        {
        }

        public override bool IsInvalid => handle == nint.Zero;

        protected override bool ReleaseHandle()
        {
            mylib_ctx_destroy(handle);
            return true;
        }
    }
}");

        [Fact]
        public Task ConfiguredPairAndOutVarLocal() => VerifyFix(@"using System;
using System.Runtime.InteropServices;

class Session : IDisposable
{
    private IntPtr [|_session = IntPtr.Zero|];

    public Session(string user)
    {
        Vendor.vendor_begin(user, out var session);
        _session = session;
    }

    public void Dispose() => Vendor.vendor_end(_session);

    private static class Vendor
    {
        [DllImport(""vendor"")]
        internal static extern int vendor_begin(string user, out IntPtr session);

        [DllImport(""vendor"")]
        internal static extern void vendor_end(IntPtr session);
    }
}", @"using System;
using System.Runtime.InteropServices;

class Session : IDisposable
{
    private VendorBeginHandle _session;

    public Session(string user)
    {
        Vendor.vendor_begin(user, out var session);
        _session = session;
    }

    public void Dispose() => _session.Dispose();

    private static class Vendor
    {
        [DllImport(""vendor"")]
        internal static extern int vendor_begin(string user, out VendorBeginHandle session);

        [DllImport(""vendor"")]
        internal static extern void vendor_end(IntPtr session);
    }

    private sealed class VendorBeginHandle : SafeHandle
    {
        public VendorBeginHandle() : base(IntPtr.Zero, ownsHandle: true)
        {
        }

        public override bool IsInvalid => handle == IntPtr.Zero;

        protected override bool ReleaseHandle()
        {
            Vendor.vendor_end(handle);
            return true;
        }
    }
}", editorConfig: "interopguard.allocator_pairs = vendor_begin:vendor_end");

        [Fact]
        public Task DisposePatternWithSealedClass() => VerifyFix(@"using System;
using System.Runtime.InteropServices;

public sealed class Connection : IDisposable
{
    private IntPtr [|_conn|];
    private bool _disposed;

    public Connection(string host)
    {
        _conn = NativeMethods.net_connect(host);
    }

    public void Send(byte[] data) => NativeMethods.net_send(_conn, data, data.Length);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    ~Connection()
    {
        Dispose(false);
    }

    private void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        if (_conn != IntPtr.Zero)
        {
            NativeMethods.net_disconnect(_conn);
            _conn = IntPtr.Zero;
        }

        _disposed = true;
    }
}

internal static class NativeMethods
{
    [DllImport(""net"")]
    internal static extern IntPtr net_connect(string host);

    [DllImport(""net"")]
    internal static extern int net_send(IntPtr connection, byte[] data, int length);

    [DllImport(""net"")]
    internal static extern void net_disconnect(IntPtr connection);
}", @"using System;
using System.Runtime.InteropServices;

public sealed class Connection : IDisposable
{
    private NetHandle _conn;
    private bool _disposed;

    public Connection(string host)
    {
        _conn = NativeMethods.net_connect(host);
    }

    public void Send(byte[] data) => NativeMethods.net_send(_conn, data, data.Length);

    public void Dispose()
    {
        Dispose(true);
    }

    private void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        if (!_conn.IsInvalid)
        {
            _conn.Dispose();
        }

        _disposed = true;
    }
}

internal sealed class NetHandle : SafeHandle
{
    public NetHandle() : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.net_disconnect(handle);
        return true;
    }
}

internal static class NativeMethods
{
    [DllImport(""net"")]
    internal static extern NetHandle net_connect(string host);

    [DllImport(""net"")]
    internal static extern int net_send(NetHandle connection, byte[] data, int length);

    [DllImport(""net"")]
    internal static extern void net_disconnect(IntPtr connection);
}");

        [Fact]
        public Task ExplicitLocalReleasedOnTheErrorPath() => VerifyFix(@"using System;
using System.Runtime.InteropServices;

namespace Grammar
{
    public sealed class Parser : IDisposable
    {
        private readonly IntPtr [|_parser|];

        public Parser(string grammar)
        {
            IntPtr parser;
            if (Native.parser_open(grammar, out parser) != 0)
            {
                throw new ArgumentException(""bad grammar"", nameof(grammar));
            }

            if (Native.parser_validate(parser) != 0)
            {
                Native.parser_close(parser);
                throw new InvalidOperationException(""invalid grammar"");
            }

            _parser = parser;
        }

        public void Dispose() => Native.parser_close(_parser);
    }

    internal static class Native
    {
        [DllImport(""grammar"")]
        internal static extern int parser_open(string grammar, out IntPtr parser);

        [DllImport(""grammar"")]
        internal static extern int parser_validate(IntPtr parser);

        [DllImport(""grammar"")]
        internal static extern void parser_close(IntPtr parser);
    }
}", @"using System;
using System.Runtime.InteropServices;

namespace Grammar
{
    public sealed class Parser : IDisposable
    {
        private readonly ParserHandle _parser;

        public Parser(string grammar)
        {
            ParserHandle parser;
            if (Native.parser_open(grammar, out parser) != 0)
            {
                throw new ArgumentException(""bad grammar"", nameof(grammar));
            }

            if (Native.parser_validate(parser) != 0)
            {
                parser.Dispose();
                throw new InvalidOperationException(""invalid grammar"");
            }

            _parser = parser;
        }

        public void Dispose() => _parser.Dispose();
    }

    internal sealed class ParserHandle : SafeHandle
    {
        public ParserHandle() : base(IntPtr.Zero, ownsHandle: true)
        {
        }

        public override bool IsInvalid => handle == IntPtr.Zero;

        protected override bool ReleaseHandle()
        {
            Native.parser_close(handle);
            return true;
        }
    }

    internal static class Native
    {
        [DllImport(""grammar"")]
        internal static extern int parser_open(string grammar, out ParserHandle parser);

        [DllImport(""grammar"")]
        internal static extern int parser_validate(ParserHandle parser);

        [DllImport(""grammar"")]
        internal static extern void parser_close(IntPtr parser);
    }
}");

        // ---- no fix: the rewrite cannot be done whole and safely ----

        private const string NativeContext = @"
static class Native
{
    [DllImport(""mylib"")] internal static extern IntPtr mylib_ctx_create();
    [DllImport(""mylib"")] internal static extern void mylib_ctx_destroy(IntPtr ctx);
    [DllImport(""mylib"")] internal static extern void mylib_ctx_run(IntPtr ctx);
    [DllImport(""mylib"")] internal static extern int mylib_ctx_destroy_checked(IntPtr ctx);
}";

        // P/Invokes and a field private to a class declared in one document can only be referred to from it: planning
        // the action for the light bulb searches that document alone, never the solution.
        [Fact]
        public async Task OfferingForPrivatePInvokesSearchesOnlyTheDocument()
        {
            var project = TestProject.Create(
                new[]
                {
                    @"using System;
using System.Runtime.InteropServices;

sealed class Context : IDisposable
{
    private IntPtr _ctx;

    public Context() { _ctx = mylib_ctx_create(); }

    public void Dispose()
    {
        mylib_ctx_destroy(_ctx);
        _ctx = IntPtr.Zero;
    }

    [DllImport(""mylib"")]
    private static extern IntPtr mylib_ctx_create();

    [DllImport(""mylib"")]
    private static extern void mylib_ctx_destroy(IntPtr ctx);
}",
                    @"class Other
{
    public int Twice(int x) => 2 * x;
}",
                },
                TestProjectOptions.Default);
            var analysis = await AnalyzerRunner.AnalyzeAsync(project, ImmutableArray.Create<DiagnosticAnalyzer>(new RawHandleFieldAnalyzer()), allowCompilerErrors: false, "test source");
            var diagnostic = Assert.Single(analysis.AnalyzerDiagnostics);
            var document = project.GetDocument(diagnostic.Location.SourceTree)!;

            var searches = new SearchCounter();
            ReferenceScope.SolutionSearches.Value = searches;
            var actions = new List<CodeAction>();
            var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None);
            await new GenerateSafeHandleCodeFix().RegisterCodeFixesAsync(context);

            Assert.Single(actions);
            Assert.Equal(0, searches.Count);
        }

        private static Task VerifyNoFix(string classSource)
        {
            var source = "using System;\nusing System.Runtime.InteropServices;\n" + classSource + NativeContext;
            return VerifyFix(source, source);
        }

        [Fact]
        public Task NoFixWhenHandlePassedToManagedCode() => VerifyNoFix(@"
class Context
{
    private IntPtr [|_ctx|];
    public Context() { _ctx = Native.mylib_ctx_create(); }
    public void Log() => Console.WriteLine(_ctx);
}");

        [Fact]
        public Task NoFixWhenHandleUsedInArithmetic() => VerifyNoFix(@"
class Context
{
    private IntPtr [|_ctx|];
    public Context() { _ctx = Native.mylib_ctx_create(); }
    public IntPtr Second => _ctx + 8;
}");

        [Fact]
        public Task NoFixForPublicField() => VerifyNoFix(@"
class Context
{
    public IntPtr [|Handle|];
    public Context() { Handle = Native.mylib_ctx_create(); }
}");

        [Fact]
        public Task NoFixWhenAssignedOutsideConstructors() => VerifyNoFix(@"
class Context
{
    private IntPtr [|_ctx|];
    public void Open() { _ctx = Native.mylib_ctx_create(); }
    public void Close() { Native.mylib_ctx_destroy(_ctx); }
}");

        [Fact]
        public Task NoFixWhenAnotherCallerPassesARawHandle() => VerifyNoFix(@"
class Context
{
    private IntPtr [|_ctx|];
    public Context() { _ctx = Native.mylib_ctx_create(); }
    public void Run() => Native.mylib_ctx_run(_ctx);
    public static void RunDefault() => Native.mylib_ctx_run(IntPtr.Zero);
}");

        [Fact]
        public Task NoFixWhenDerivedClassesMayRelyOnTheFinalizer() => VerifyNoFix(@"
class Context : IDisposable
{
    private IntPtr [|_ctx|];
    public Context() { _ctx = Native.mylib_ctx_create(); }
    ~Context() { Dispose(false); }
    public void Dispose() { Dispose(true); GC.SuppressFinalize(this); }
    protected virtual void Dispose(bool disposing) { Native.mylib_ctx_destroy(_ctx); }
}");

        [Fact]
        public Task NoFixWhenAFinalizerWithOtherWorkWouldStay() => VerifyNoFix(@"
class Context : IDisposable
{
    private static int s_live;
    private IntPtr [|_ctx|];
    public Context() { _ctx = Native.mylib_ctx_create(); s_live++; }
    ~Context() { s_live--; Native.mylib_ctx_destroy(_ctx); }
    public void Dispose() { Native.mylib_ctx_destroy(_ctx); GC.SuppressFinalize(this); }
}");

        [Fact]
        public Task NoFixWhenTheHandleIsReturned() => VerifyNoFix(@"
class Context
{
    private IntPtr [|_ctx|];
    public Context() { _ctx = Native.mylib_ctx_create(); }
    public IntPtr Detach() { var h = _ctx; _ctx = IntPtr.Zero; return h; }
}");

        [Fact]
        public Task NoFixWhenAnotherReleaseReceivesTheHandle() => VerifyNoFix(@"
class Context
{
    private IntPtr [|_ctx|];
    public Context() { _ctx = Native.mylib_ctx_create(); }
    public bool Close() => Native.mylib_ctx_destroy_checked(_ctx) == 0;
}");

        [Fact]
        public Task NoFixWhenTheHandleNameIsTaken() => VerifyNoFix(@"
class MylibCtxHandle { }

class Context
{
    private IntPtr [|_ctx|];
    public Context() { _ctx = Native.mylib_ctx_create(); }
}");

        [Fact]
        public Task NoFixForStaticField() => VerifyNoFix(@"
class Context
{
    private static IntPtr [|s_ctx|];
    static Context() { s_ctx = Native.mylib_ctx_create(); }
}");

        [Fact]
        public Task NoFixWhenAcquiredElsewhereToo() => VerifyNoFix(@"
class Context
{
    private IntPtr [|_ctx|];
    public Context() { _ctx = Native.mylib_ctx_create(); }
    public static void Probe() { Native.mylib_ctx_destroy(Native.mylib_ctx_create()); }
}");

        [Fact]
        public Task NoFixWhenOtherDocumentsCallTheRetypedFunctions()
        {
            var source = @"using System;
using System.Runtime.InteropServices;

class Context
{
    private IntPtr [|_ctx|];
    public Context() { _ctx = Native.mylib_ctx_create(); }
    public void Run() => Native.mylib_ctx_run(_ctx);
}" + NativeContext;
            var test = new CodeFixTest<RawHandleFieldAnalyzer, GenerateSafeHandleCodeFix>
            {
                Source = source,
                FixedSource = source,
                CodeActionEquivalenceKey = "IG3007.GenerateSafeHandle",
            };
            test.AdditionalSources.Add(@"using System;

static class Elsewhere
{
    public static void Probe(IntPtr ctx) => Native.mylib_ctx_run(ctx);
}");
            test.AdditionalSources.Add(@"using System;

static class Factory
{
    public static IntPtr Make() => Native.mylib_ctx_create();
}");
            return test.RunAsync();
        }

        [Fact]
        public Task NoFixForLibraryImport()
        {
            var source = @"using System;
using System.Runtime.InteropServices;

sealed partial class Context : IDisposable
{
    [LibraryImport(""mylib"")]
    private static partial IntPtr mylib_ctx_create();

    [LibraryImport(""mylib"")]
    private static partial void mylib_ctx_destroy(IntPtr ctx);

    private readonly IntPtr [|_ctx|];

    public Context() { _ctx = mylib_ctx_create(); }

    public void Dispose() => mylib_ctx_destroy(_ctx);
}";
            var test = new CodeFixTest<RawHandleFieldAnalyzer, GenerateSafeHandleCodeFix>
            {
                Source = source,
                FixedSource = source,
                CodeActionEquivalenceKey = "IG3007.GenerateSafeHandle",
            };
            test.AdditionalSources.Add(@"// <auto-generated/>
sealed partial class Context
{
    private static partial global::System.IntPtr mylib_ctx_create() => __PInvoke();

    [global::System.Runtime.InteropServices.DllImportAttribute(""mylib"", EntryPoint = ""mylib_ctx_create"", ExactSpelling = true)]
    static extern global::System.IntPtr __PInvoke();

    private static partial void mylib_ctx_destroy(global::System.IntPtr ctx) => __PInvoke_Destroy(ctx);

    [global::System.Runtime.InteropServices.DllImportAttribute(""mylib"", EntryPoint = ""mylib_ctx_destroy"", ExactSpelling = true)]
    static extern void __PInvoke_Destroy(global::System.IntPtr ctx);
}");
            return test.RunAsync();
        }
    }
}
