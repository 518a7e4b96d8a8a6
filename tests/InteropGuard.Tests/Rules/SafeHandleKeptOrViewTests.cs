using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3005 on two shapes of DuckDB.NET: a handle given to a type's primary constructor is kept by the new object when a
    /// member initializer stores it or a member uses it (the compiler captures it), and a handle made by a constructor
    /// that passes <c>ownsHandle: false</c> to its base is a view, which disposing would not close, and so is a handle whose
    /// reference is raised and never given back; a handle a helper gives, under a type test, to a wrapper that stores it is
    /// kept. The look-alikes — an
    /// initializer that only computes from the handle, a constructor of the same type that owns — are still reported.
    /// </summary>
    public class SafeHandleKeptOrViewTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

sealed class ConnectionHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public ConnectionHandle() : base(true) { }
    protected override bool ReleaseHandle() => Native.disconnect(handle) == 0;
}

class ChunkHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public ChunkHandle() : base(true) { }
    public ChunkHandle(IntPtr chunk) : base(false) { SetHandle(chunk); }
    protected override bool ReleaseHandle() => Native.destroy_chunk(handle) == 0;
}

static class Native
{
    [DllImport(""mylib"")] public static extern int connect(string path, out ConnectionHandle connection);
    [DllImport(""mylib"")] public static extern int disconnect(IntPtr connection);
    [DllImport(""mylib"")] public static extern int chunk_size(ChunkHandle chunk);
    [DllImport(""mylib"")] public static extern int destroy_chunk(IntPtr chunk);
    [DllImport(""mylib"")] public static extern int query(ConnectionHandle connection);
    [DllImport(""mylib"")] public static extern ChunkHandle create_chunk();
}

sealed class ConnectionReference(string path, ConnectionHandle connection)
{
    public string Path { get; } = path;
    public ConnectionHandle Connection { get; } = connection;
}

sealed class Session(ConnectionHandle connection)
{
    public int Query() => Native.query(connection);
}

sealed class Probe(ConnectionHandle connection)
{
    public int Answer { get; } = Native.query(connection);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task APrimaryConstructorThatStoresOrCapturesTheHandleKeepsIt() => Check(@"
static class Connections
{
    public static ConnectionReference Open(string path)
    {
        Native.connect(path, out var connection);
        return new ConnectionReference(path, connection);
    }

    public static Session Start(string path)
    {
        Native.connect(path, out var connection);
        return new Session(connection);
    }
}");

        [Fact]
        public Task AnInitializerThatOnlyComputesFromTheHandleDoesNotKeepIt() => Check(@"
static class Connections
{
    public static Probe Ask(string path)
    {
        Native.connect(path, {|#0:out var connection|});
        return new Probe(connection);
    }
}", Verify.Diagnostic("IG3005").WithLocation(0).WithMessage(
            "SafeHandle 'connection' from 'Native.connect' is not disposed on the 'return new Probe(connection)'; the native handle stays open until the finalizer runs"));

        [Fact]
        public Task AHandleMadeByAConstructorThatDisownsIsAView() => Check(@"
static class Chunks
{
    public static int Size(IntPtr chunk)
    {
        var view = new ChunkHandle(chunk);
        return Native.chunk_size(view);
    }
}");

        [Fact]
        public Task TheSameTypeMadeByItsOwningConstructorIsStillReported() => Check(@"
static class Chunks
{
    public static int Size()
    {
        var owned = {|#0:new ChunkHandle()|};
        return Native.chunk_size(owned);
    }
}", Verify.Diagnostic("IG3005").WithLocation(0).WithMessage(
            "SafeHandle 'owned' from 'new ChunkHandle' is not disposed on the 'return Native.chunk_size(owned)'; the native handle stays open until the finalizer runs"));

        // A helper that tells the handle's kind by a type test and gives the tested name to a wrapper that stores it:
        // the wrapper keeps the handle (Realm's collection helper). A helper that only reads through the tested name
        // keeps nothing.
        private const string Fill = @"
sealed class Chunk
{
    private readonly ChunkHandle _handle;
    public Chunk(ChunkHandle handle) { _handle = handle; }
}

static class Chunks
{
    static void Fill(SafeHandle handle)
    {
        if (handle is ChunkHandle chunk)
        {
            USE;
        }
    }

    public static void Add()
    {
        Fill({|#0:Native.create_chunk()|});
    }
}";

        [Fact]
        public Task AHandleGivenToAWrapperUnderATypeTestIsKept() => Check(Fill.Replace("{|#0:", string.Empty).Replace("|}", string.Empty).Replace("USE", "new Chunk(chunk)"));

        [Fact]
        public Task AHandleOnlyReadUnderATypeTestIsStillReported() => Check(Fill.Replace("USE", "Native.chunk_size(chunk)"),
            Verify.Diagnostic("IG3005").WithLocation(0).WithMessage(
                "SafeHandle that is only passed to 'Chunks.Fill' from 'Native.create_chunk' is not disposed on any path; the native handle stays open until the finalizer runs"));

        // A reference taken and never given back: the count stays raised, so no Dispose could release the chunk any more
        // (the binding made it a view of memory another object owns). IG3006 reports the unmatched AddRef.
        [Fact]
        public Task AHandleWhoseReferenceIsNeverGivenBackIsNotADisposeCandidate() => Check(@"
static class Chunks
{
    public static int Size()
    {
        var part = Native.create_chunk();
        var added = false;
        part.DangerousAddRef(ref added);
        return Native.chunk_size(part);
    }
}");

        [Fact]
        public Task AHandleWhoseReferenceIsGivenBackIsStillReported() => Check(@"
static class Chunks
{
    public static int Size()
    {
        var part = {|#0:Native.create_chunk()|};
        var added = false;
        part.DangerousAddRef(ref added);
        try
        {
            return Native.chunk_size(part);
        }
        finally
        {
            if (added) part.DangerousRelease();
        }
    }
}", Verify.Diagnostic("IG3005").WithLocation(0).WithMessage(
            "SafeHandle 'part' from 'Native.create_chunk' is not disposed on the 'return Native.chunk_size(part)'; the native handle stays open until the finalizer runs"));

        // A buffer type five levels below the framework's handle, each level forwarding the ownership flag to the next
        // (NtCoreLib's token buffers): the empty instance its private constructor makes with 'false' owns nothing.
        private const string Layers = @"
class LayerOne : SafeHandleZeroOrMinusOneIsInvalid
{
    protected LayerOne(bool owns) : base(owns) { }
    protected override bool ReleaseHandle() => Native.destroy_chunk(handle) == 0;
}

class LayerTwo : LayerOne { protected LayerTwo(bool keeps) : base(keeps) { } }

class LayerThree : LayerTwo { protected LayerThree(bool mine) : base(mine) { } }

class LayerFour : LayerThree { protected LayerFour(bool flag) : base(flag) { } }

class LayerFive : LayerFour { protected LayerFive(bool release) : base(release) { } }

sealed class GroupList : LayerFive
{
    private GroupList() : base(false) { }
    private GroupList(int capacity) : base(true) { }

    public static GroupList Empty() => new GroupList();
    public static GroupList Sized(int capacity) => new GroupList(capacity);
}

static class Lists
{
    public static bool IsEmptyInvalid()
    {
        var empty = EMPTY;
        return empty.IsInvalid;
    }
}";

        [Fact]
        public Task AnEmptyInstanceWhoseFalseCrossesSixConstructorsIsAView() => Check(Layers.Replace("EMPTY", "GroupList.Empty()"));

        [Fact]
        public Task TheSameChainGivenTrueIsStillReported() => Check(Layers.Replace("EMPTY", "{|#0:GroupList.Sized(4)|}"),
            Verify.Diagnostic("IG3005").WithLocation(0));
    }
}
