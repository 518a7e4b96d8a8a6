using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG2001: a pointer valid only inside a pinning scope escapes it.</summary>
    public class EscapingPinnedPointerTests
    {
        internal const string Prelude = @"using System;
using System.Buffers;
using System.Collections.Generic;
using System.Threading;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
static unsafe class Native
{
    [DllImport(""igsample"")] public static extern void igs_fill_after_gc(byte* buffer, int length, byte value);
    [DllImport(""igsample"")] public static extern void igs_fill(IntPtr buffer, int length, byte value);
    [DllImport(""igsample"")] public static extern int igs_register_buffer(byte* buffer, int length);
    [DllImport(""igsample"")] public static extern int igs_register_block(IntPtr buffer, int length);
    [DllImport(""igsample"")] public static extern int igs_sum(byte* buffer, int length);
    [DllImport(""igsample"")] public static extern int igs_stream(IntPtr context, ref Window output, ref Window input);
}

struct Window
{
    public IntPtr Data;
    public UIntPtr Size;
    public UIntPtr Position;
}
";

        internal static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<EscapingPinnedPointerAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        internal static DiagnosticResult Finding(int location, string pointer, string origin, string escape, string consequence)
            => Verify.Diagnostic("IG2001").WithLocation(location).WithMessage($"Pointer '{pointer}' {origin} {escape}; {consequence}");

        private static DiagnosticResult Fixed(int location, string pointer, string pinned, string escape)
            => Finding(location, pointer, $"into '{pinned}' pinned by the fixed statement", escape, $"the GC may move '{pinned}' once it is unpinned");

        private static DiagnosticResult Stack(int location, string pointer, string function, string escape)
            => Finding(location, pointer, $"to stackalloc memory of {function}", escape, $"the stack memory is reused once {function} returns");

        private const string ReadAfterFixed = "is read after the fixed statement ends";

        [Fact]
        public Task OuterLocalReadAfterTheFixedStatement() => Check(@"
unsafe class C
{
    void M(byte[] buffer)
    {
        byte* kept;
        fixed (byte* p = buffer) { kept = p; }
        Native.igs_fill_after_gc({|#0:kept|}, buffer.Length, 0x5A);
    }
}", Fixed(0, "kept", "buffer", ReadAfterFixed));

        [Fact]
        public Task OuterLocalInitializedToNull() => Check(@"
unsafe class C
{
    void M(byte[] buffer)
    {
        byte* kept = null;
        fixed (byte* p = buffer)
        {
            kept = p + 1;
        }

        Native.igs_fill_after_gc({|#0:kept|}, buffer.Length - 1, 0x5A);
        kept[0] = 1;
    }
}", Fixed(0, "kept", "buffer", ReadAfterFixed));

        [Fact]
        public Task OuterIntPtrFromACast() => Check(@"
unsafe class C
{
    void M(byte[] buffer)
    {
        IntPtr kept;
        fixed (byte* p = buffer) kept = (IntPtr)p;
        Native.igs_fill({|#0:kept|}, buffer.Length, 0x5A);
    }
}", Fixed(0, "kept", "buffer", ReadAfterFixed));

        [Fact]
        public Task CopiesAndNewIntPtrAreFollowed() => Check(@"
unsafe class C
{
    void M(byte[] buffer)
    {
        nint kept = 0;
        fixed (byte* p = buffer)
        {
            var q = p + 4;
            var address = new IntPtr(q);
            kept = address;
        }

        Native.igs_fill((IntPtr){|#0:kept|}, 4, 0);
    }
}", Fixed(0, "kept", "buffer", ReadAfterFixed));

        [Fact]
        public Task StringAndFieldAddress() => Check(@"
unsafe class C
{
    private int _count;
    private char* _chars;
    private static int* s_count;
    void M(string text)
    {
        fixed (char* c = text) { _chars = {|#0:c|}; }
        fixed (int* n = &_count) { s_count = {|#1:n|}; }
    }
}", Fixed(0, "c", "text", "is stored in field '_chars'"),
            Fixed(1, "n", "_count", "is stored in static field 's_count'"));

        [Fact]
        public Task SeveralDeclaratorsAndSpanPatternPinning() => Check(@"
unsafe class C
{
    void M(byte[] first, Span<byte> second, out byte* end, IntPtr[] table)
    {
        fixed (byte* a = first, b = second)
        {
            end = {|#0:b|} + second.Length;
            table[0] = (IntPtr){|#1:a|};
        }
    }
}", Fixed(0, "b", "second", "is stored in out parameter 'end'"),
            Fixed(1, "a", "first", "is stored in an element of 'table'"));

        [Fact]
        public Task StoredThroughAPointerParameter() => Check(@"
unsafe class C
{
    void M(byte[] buffer, byte** slot)
    {
        fixed (byte* p = &buffer[0]) { *slot = {|#0:p|}; }
    }
}", Fixed(0, "p", "buffer", "is stored in memory that 'slot' points to"));

        [Fact]
        public Task PropertyRefParameterAndParameterCopy() => Check(@"
unsafe class C
{
    public IntPtr Current { get; set; }
    void M(byte[] buffer, ref IntPtr slot, byte* scratch)
    {
        fixed (byte* p = buffer)
        {
            Current = (IntPtr){|#0:p|};
            slot = (IntPtr){|#1:p|};
            scratch = p;
        }

        Native.igs_sum({|#2:scratch|}, 1);
    }
}", Fixed(0, "p", "buffer", "is stored in property 'Current'"),
            Fixed(1, "p", "buffer", "is stored in ref parameter 'slot'"),
            Fixed(2, "scratch", "buffer", ReadAfterFixed));

        [Fact]
        public Task LocalFunctionTurnedIntoAStoredDelegate() => Check(@"
unsafe class C
{
    private Action _pending;
    void M()
    {
        byte* p = stackalloc byte[8];
        _pending = Flush;
        void Flush() => Native.igs_sum({|#0:p|}, 8);
    }
}", Stack(0, "p", "'M'", "is captured by local function 'Flush', which can run after 'M' returns"));

        [Fact]
        public Task UsingDeclarationEndsWithItsBlock() => Check(@"
unsafe class C
{
    void M(Memory<byte> memory, bool flag)
    {
        void* kept = null;
        if (flag)
        {
            using var pin = memory.Pin();
            kept = pin.Pointer;
            Native.igs_sum((byte*)kept, 1);
        }

        Native.igs_sum((byte*){|#0:kept|}, 1);
    }
}", Finding(0, "kept", "into 'memory' pinned by MemoryHandle 'pin'", "is read after 'pin' is disposed", "the GC may move 'memory' once it is unpinned"));

        [Fact]
        public Task ReadOnAPathAfterAConditionalFree() => Check(@"
class C
{
    void M(byte[] buffer, bool early)
    {
        var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        var address = handle.AddrOfPinnedObject();
        if (early)
        {
            handle.Free();
        }

        Native.igs_fill({|#0:address|}, buffer.Length, 0);
        if (!early)
        {
            handle.Free();
        }
    }
}", Finding(0, "address", "into 'buffer' pinned by GCHandle 'handle'", "is read after 'handle' is freed", "the GC may move 'buffer' once it is unpinned"));

        [Fact]
        public Task ReturnedFromTheFixedStatement() => Check(@"
unsafe class C
{
    IntPtr M(byte[] buffer)
    {
        fixed (byte* p = buffer)
        {
            return (IntPtr)({|#0:p|} + 8);
        }
    }
}", Fixed(0, "p", "buffer", "is returned from 'M'"));

        [Fact]
        public Task SpanOverThePointerReturned() => Check(@"
unsafe class C
{
    Span<byte> Scratch()
    {
        byte* p = stackalloc byte[32];
        return new Span<byte>({|#0:p|}, 32);
    }

    ReadOnlySpan<char> View(string text)
    {
        fixed (char* c = text)
        {
            return new ReadOnlySpan<char>({|#1:c|} + 1, text.Length - 1);
        }
    }
}", Stack(0, "p", "'Scratch'", "is returned from 'Scratch' in a span"),
            Fixed(1, "c", "text", "is returned from 'View' in a span"));

        [Fact]
        public Task DifferenceOfTwoAddressesIsAnOffset() => Check(@"
unsafe class C
{
    nint M(byte[] buffer, byte* found)
    {
        fixed (byte* p = buffer)
        {
            var start = (nint)p;
            var offset = (nint)found - start;
            return offset + 1;
        }
    }
}");

        [Fact]
        public Task CapturedByALambdaThatRunsLater() => Check(@"
unsafe class C
{
    Task M(byte[] buffer)
    {
        IntPtr address;
        fixed (byte* p = buffer)
        {
            address = (IntPtr)p;
            return Task.Run(() => Native.igs_fill({|#0:address|}, 4, 0));
        }
    }
}", Fixed(0, "address", "buffer", "is captured by a lambda that can run after the fixed statement ends"));

        [Fact]
        public Task CapturedByALocalFunctionCalledLater() => Check(@"
unsafe class C
{
    void M(byte[] buffer)
    {
        byte* kept = null;
        fixed (byte* p = buffer) { kept = p; }
        Fill();
        void Fill() => Native.igs_fill_after_gc({|#0:kept|}, 4, 0);
    }
}", Fixed(0, "kept", "buffer", "is captured by local function 'Fill', which can run after the fixed statement ends"));

        [Fact]
        public Task ReadAfterTheLoopThatPinnedIt() => Check(@"
unsafe class C
{
    void M(byte[][] buffers)
    {
        byte* last = null;
        foreach (var buffer in buffers)
        {
            fixed (byte* p = buffer) { last = p; }
        }

        Native.igs_sum({|#0:last|}, 1);
    }
}", Fixed(0, "last", "buffer", ReadAfterFixed));

        [Fact]
        public Task PinnedGCHandleAddressReadAfterFree() => Check(@"
class C
{
    void M(byte[] buffer)
    {
        var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        var address = handle.AddrOfPinnedObject();
        handle.Free();
        Native.igs_fill({|#0:address|}, buffer.Length, 0);
    }
}", Finding(0, "address", "into 'buffer' pinned by GCHandle 'handle'", "is read after 'handle' is freed", "the GC may move 'buffer' once it is unpinned"));

        // Each pass pins its own key and frees it before the next; the address read at the top of a pass is that pass's.
        [Fact]
        public Task PinnedGCHandleAddressOfThisLoopPassIsNotTheFreedOneOfTheLast() => Check(@"
class C
{
    void M(IReadOnlyList<byte[]> keys, IntPtr list)
    {
        for (int x = 0; x < keys.Count; x++)
        {
            var key = keys[x];
            if (key == null)
            {
                throw new ArgumentNullException(nameof(keys));
            }
            GCHandle pinned = GCHandle.Alloc(key, GCHandleType.Pinned);
            IntPtr address = pinned.AddrOfPinnedObject();
            Native.igs_fill(address, key.Length, 0);
            pinned.Free();
        }
    }
}");

        // The look-alike's opposite: the address is taken once, before the loop, and the first pass frees the only pin.
        [Fact]
        public Task PinnedGCHandleAddressTakenBeforeTheLoopIsReadAfterTheFirstPassFreesIt() => Check(@"
class C
{
    void M(byte[] buffer, int passes)
    {
        GCHandle pinned = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        IntPtr address = pinned.AddrOfPinnedObject();
        for (int x = 0; x < passes; x++)
        {
            Native.igs_fill({|#0:address|}, buffer.Length, 0);
            pinned.Free();
        }
    }
}", Finding(0, "address", "into 'buffer' pinned by GCHandle 'pinned'", "is read after 'pinned' is freed", "the GC may move 'buffer' once it is unpinned"));

        // A streaming codec's step: the caller's in/out windows are pointed at pinned memory for the one native call that
        // reads and advances them; the caller only looks at their positions afterwards.
        [Fact]
        public Task CallersWindowFilledForANativeCallInsideTheScopeIsAnArgument() => Check(@"
class Encoder
{
    private readonly byte[] _output = new byte[4096];

    unsafe int Step(IntPtr context, ReadOnlySpan<byte> chunk, ref Window output, ref Window input)
    {
        fixed (byte* source = chunk)
        fixed (byte* target = &_output[0])
        {
            input.Data = new IntPtr(source);
            output.Data = new IntPtr(target);
            return Native.igs_stream(context, ref output, ref input);
        }
    }
}");

        // The caller's array of native column structs, reached through a pointer: each is pointed at the pinned buffer and
        // the array is handed to the retrieval inside the scope, directly or through the next level of a recursion that pins
        // the next buffer. The caller reads back only the sizes. Filled and handed to nothing, or handed on only after the
        // scope, the address is left for whoever reads the array next.
        [Fact]
        public Task CallersStructArrayFilledForACallInsideTheScopeIsAnArgument() => Check(@"
unsafe interface IColumns
{
    int Retrieve(Window* columns, int count);
}

unsafe class Columns
{
    private readonly IColumns _api;
    private readonly byte[][] _buffers;

    Columns(IColumns api, byte[][] buffers) { _api = api; _buffers = buffers; }

    int Pin(Window* columns, int count, int i)
    {
        fixed (byte* data = _buffers[i])
        {
            columns[i].Data = new IntPtr(data);
            return i + 1 == count ? _api.Retrieve(columns, count) : Pin(columns, count, i + 1);
        }
    }

    void Point(Window* columns, byte[] buffer)
    {
        fixed (byte* data = buffer)
        {
            columns->Data = new IntPtr({|#0:data|});
        }
    }

    int Late(Window* columns, byte[] buffer)
    {
        fixed (byte* data = buffer)
        {
            columns[0].Data = new IntPtr({|#1:data|});
        }

        return _api.Retrieve(columns, 1);
    }
}", Fixed(0, "data", "buffer", "is stored in field 'Data'"), Fixed(1, "data", "buffer", "is stored in field 'Data'"));

        // The look-alikes: the window goes to native code only after the scope, or to no native code at all.
        [Fact]
        public Task CallersWindowFilledButUsedOutsideTheScopeStillEscapes() => Check(@"
class Encoder
{
    unsafe int Late(IntPtr context, byte[] chunk, ref Window output, ref Window input)
    {
        fixed (byte* source = chunk)
        {
            input.Data = new IntPtr({|#0:source|});
        }
        return Native.igs_stream(context, ref output, ref input);
    }

    unsafe void Kept(byte[] chunk, ref Window input)
    {
        fixed (byte* source = chunk)
        {
            input.Data = new IntPtr({|#1:source|});
        }
    }
}", Fixed(0, "source", "chunk", "is stored in field 'Data'"), Fixed(1, "source", "chunk", "is stored in field 'Data'"));

        [Fact]
        public Task PinnedGCHandleAllocWrittenWithAUnicodeEscape() => Check(@"
class C
{
    void M(byte[] buffer)
    {
        var handle = GCHandle.\u0041lloc(buffer, GCHandleType.Pinned);
        var address = handle.AddrOfPinnedObject();
        handle.Free();
        Native.igs_fill({|#0:address|}, buffer.Length, 0);
    }
}", Finding(0, "address", "into 'buffer' pinned by GCHandle 'handle'", "is read after 'handle' is freed", "the GC may move 'buffer' once it is unpinned"));

        [Fact]
        public Task PinnedGCHandleAddressReturnedThroughFinallyFree() => Check(@"
class C
{
    IntPtr M(byte[] buffer)
    {
        var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        try
        {
            return {|#0:handle.AddrOfPinnedObject()|};
        }
        finally
        {
            handle.Free();
        }
    }
}", Finding(0, "handle.AddrOfPinnedObject()", "into 'buffer' pinned by GCHandle 'handle'", "is returned from 'M'", "the GC may move 'buffer' once it is unpinned"));

        [Fact]
        public Task PinnedGCHandleAddressStoredThenFreed() => Check(@"
class C
{
    private static IntPtr s_last;
    void M(byte[] buffer)
    {
        var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        try
        {
            s_last = {|#0:handle.AddrOfPinnedObject()|};
            Native.igs_fill(s_last, buffer.Length, 0);
        }
        finally
        {
            handle.Free();
        }
    }
}", Finding(0, "handle.AddrOfPinnedObject()", "into 'buffer' pinned by GCHandle 'handle'", "is stored in static field 's_last'", "the GC may move 'buffer' once it is unpinned"));

        [Fact]
        public Task PinnedGCHandleAddressRegisteredThenFreed() => Check(@"
class C
{
    void M(byte[] buffer)
    {
        var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        try
        {
            Native.igs_register_block({|#0:handle.AddrOfPinnedObject()|}, buffer.Length);
        }
        finally
        {
            handle.Free();
        }
    }
}", Finding(0, "handle.AddrOfPinnedObject()", "into 'buffer' pinned by GCHandle 'handle'", "is given to 'Native.igs_register_block', which keeps it after it returns", "the GC may move 'buffer' once it is unpinned"));

        [Fact]
        public Task MemoryHandlePointerStoredAndReadAfterUsing() => Check(@"
unsafe class C
{
    private void* _data;
    void M(Memory<byte> memory)
    {
        void* kept;
        using (var pin = memory.Pin())
        {
            kept = pin.Pointer;
            _data = {|#0:pin.Pointer|};
        }

        Native.igs_sum((byte*){|#1:kept|}, memory.Length);
    }
}", Finding(0, "pin.Pointer", "into 'memory' pinned by MemoryHandle 'pin'", "is stored in field '_data'", "the GC may move 'memory' once it is unpinned"),
            Finding(1, "kept", "into 'memory' pinned by MemoryHandle 'pin'", "is read after 'pin' is disposed", "the GC may move 'memory' once it is unpinned"));

        [Fact]
        public Task MemoryHandleDisposedExplicitly() => Check(@"
unsafe class C
{
    void M(ReadOnlyMemory<byte> memory)
    {
        var pin = memory.Pin();
        var start = (byte*)pin.Pointer;
        Native.igs_sum(start, memory.Length);
        pin.Dispose();
        Native.igs_sum({|#0:start|}, memory.Length);
    }
}", Finding(0, "start", "into 'memory' pinned by MemoryHandle 'pin'", "is read after 'pin' is disposed", "the GC may move 'memory' once it is unpinned"));

        [Fact]
        public Task RetainingThroughAWrapperAndThroughAnOption()
        {
            var test = new AnalyzerTest<EscapingPinnedPointerAnalyzer>
            {
                EditorConfig = "interopguard.retaining_functions = igs_fill",
                Source = Prelude + @"
unsafe class C
{
    static int Register(byte* data, int length) => Native.igs_register_buffer(data, length);

    void M(Memory<byte> memory)
    {
        byte* p = stackalloc byte[16];
        Register({|#0:p|}, 16);
        using (var pin = memory.Pin())
        {
            Native.igs_fill((IntPtr){|#1:pin.Pointer|}, memory.Length, 0);
        }
    }
}",
            };
            test.ExpectedDiagnostics.Add(Stack(0, "p", "'M'", "is given to 'Native.igs_register_buffer', which keeps it after it returns"));
            test.ExpectedDiagnostics.Add(Finding(1, "pin.Pointer", "into 'memory' pinned by MemoryHandle 'pin'", "is given to 'Native.igs_fill', which keeps it after it returns", "the GC may move 'memory' once it is unpinned"));
            return test.RunAsync();
        }

        [Fact]
        public Task StackallocPointerReturnedStoredOrRegistered() => Check(@"
unsafe class C
{
    private byte* _scratch;
    byte* M(bool keep)
    {
        byte* p = stackalloc byte[64];
        Native.igs_register_buffer({|#0:p|}, 64);
        if (keep)
        {
            _scratch = {|#1:p|};
        }

        return {|#2:p|} + 1;
    }
}", Stack(0, "p", "'M'", "is given to 'Native.igs_register_buffer', which keeps it after it returns"),
            Stack(1, "p", "'M'", "is stored in field '_scratch'"),
            Stack(2, "p", "'M'", "is returned from 'M'"));

        [Fact]
        public Task FixedOverAStackallocSpanIsStackMemory() => Check(@"
unsafe class C
{
    IntPtr M()
    {
        Span<byte> scratch = stackalloc byte[16];
        byte* kept;
        fixed (byte* p = scratch) { kept = p; }
        Native.igs_sum(kept, 16);
        return (IntPtr){|#0:kept|};
    }
}", Stack(0, "kept", "'M'", "is returned from 'M'"));

        [Fact]
        public Task StackallocInALambdaCapturedByAnEscapingLambda() => Check(@"
unsafe class C
{
    private Action _later;
    void M()
    {
        Action<int> setup = n =>
        {
            byte* p = stackalloc byte[n];
            _later = () => { Native.igs_sum({|#0:p|}, n); Native.igs_sum(p + 1, n); };
        };
        setup(4);
    }
}", Stack(0, "p", "the lambda", "is captured by a lambda that can run after the lambda returns"));

        [Fact]
        public Task UnsafeLocalFunctionInAnAsyncMethod() => Check(@"
class C
{
    async Task<int> M(byte[] buffer)
    {
        await Task.Yield();
        return Sum();

        unsafe int Sum()
        {
            byte* kept;
            fixed (byte* p = buffer) { kept = p; }
            return Native.igs_sum({|#0:kept|}, buffer.Length);
        }
    }
}", Fixed(0, "kept", "buffer", ReadAfterFixed));

        [Fact]
        public Task IteratorWithAnUnsafeLocalFunction() => Check(@"
class C
{
    IEnumerable<int> M(byte[] buffer)
    {
        yield return Sum();

        unsafe int Sum()
        {
            IntPtr kept;
            fixed (byte* p = buffer) { kept = (IntPtr)p; }
            return Native.igs_sum((byte*){|#0:kept|}, buffer.Length);
        }
    }
}", Fixed(0, "kept", "buffer", ReadAfterFixed));

        [Fact]
        public Task InsideALambda() => Check(@"
unsafe class C
{
    Func<byte[], int> M() => buffer =>
    {
        byte* kept;
        fixed (byte* p = buffer) { kept = p; }
        return Native.igs_sum({|#0:kept|}, buffer.Length);
    };
}", Fixed(0, "kept", "buffer", ReadAfterFixed));

        [Fact]
        public Task TopLevelStatements()
        {
            var test = new AnalyzerTest<EscapingPinnedPointerAnalyzer>
            {
                OutputKind = OutputKind.ConsoleApplication,
                Source = @"using System;
var buffer = new byte[16];
unsafe
{
    byte* kept;
    fixed (byte* p = buffer) { kept = p; }
    Native.igs_sum({|#0:kept|}, buffer.Length);
}
" + Prelude.Substring(Prelude.IndexOf("static unsafe class", System.StringComparison.Ordinal)).Replace("[DllImport", "[System.Runtime.InteropServices.DllImport"),
            };
            test.ExpectedDiagnostics.Add(Fixed(0, "kept", "buffer", ReadAfterFixed));
            return test.RunAsync();
        }

        [Fact]
        public Task EachEscapeIsReportedOnce() => Check(@"
unsafe class C
{
    void M(byte[] buffer)
    {
        byte* kept;
        fixed (byte* p = buffer) { kept = p; }
        Native.igs_sum({|#0:kept|}, 1);
        Native.igs_sum(kept, 2);
        Native.igs_sum(kept + 1, 3);
    }
}", Fixed(0, "kept", "buffer", ReadAfterFixed));

        // ---- look-alikes that must stay silent ----

        [Fact]
        public Task PointerUsedOnlyInsideTheScope() => Check(@"
unsafe class C
{
    int M(byte[] buffer, ReadOnlySpan<byte> data, string text)
    {
        fixed (byte* p = buffer)
        {
            var end = p + buffer.Length;
            for (var q = p; q < end; q++) { *q = 0; }
            Native.igs_fill_after_gc(p, buffer.Length, 1);
        }

        fixed (byte* d = data) { return Native.igs_sum(d, data.Length); }
    }
}");

        [Fact]
        public Task FixedPointerGivenToARetainingFunctionIsIG2003s() => Check(@"
unsafe class C
{
    void M(byte[] buffer)
    {
        fixed (byte* p = buffer) { Native.igs_register_buffer(p, buffer.Length); }
    }
}");

        [Fact]
        public Task PointeeCopiedIntoNativeMemory() => Check(@"
unsafe class C
{
    void M(byte[] buffer, byte* native, IntPtr* slots)
    {
        fixed (byte* p = buffer)
        {
            *native = *p;
            Buffer.MemoryCopy(p, native, 16, buffer.Length);
        }
    }
}");

        [Fact]
        public Task LongLivedPinningIsNotAFinding() => Check(@"
unsafe class C
{
    private GCHandle _handle;
    private MemoryHandle _pin;
    private IntPtr _address;
    private void* _pointer;
    void Start(byte[] buffer, Memory<byte> memory)
    {
        var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        _handle = handle;
        _address = handle.AddrOfPinnedObject();
        Native.igs_register_block(_address, buffer.Length);

        var pin = memory.Pin();
        _pin = pin;
        _pointer = pin.Pointer;
    }

    IntPtr Keep(byte[] buffer)
    {
        var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        return handle.AddrOfPinnedObject();
    }

    void Stop() { _handle.Free(); _pin.Dispose(); }
}");

        [Fact]
        public Task HandleReleasedByACompletionCallbackIsLongLived() => Check(@"
class C
{
    private Action _onDone;
    void M(byte[] buffer)
    {
        var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        _onDone = () => handle.Free();
        Native.igs_register_block(handle.AddrOfPinnedObject(), buffer.Length);
    }
}");

        [Fact]
        public Task HandleFreedOnlyOnTheFailurePath() => Check(@"
class C
{
    private IntPtr _address;
    void Start(byte[] buffer)
    {
        var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        if (Native.igs_register_block(handle.AddrOfPinnedObject(), buffer.Length) != 0)
        {
            handle.Free();
            throw new InvalidOperationException();
        }
    }
}");

        [Fact]
        public Task GCHandleAddressUsedBeforeFree() => Check(@"
class C
{
    void M(byte[] buffer)
    {
        var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        try
        {
            var address = handle.AddrOfPinnedObject();
            Native.igs_fill(address, buffer.Length, 0);
            if (address != IntPtr.Zero) { }
        }
        finally
        {
            handle.Free();
        }
    }
}");

        [Fact]
        public Task NormalGCHandleAndUnreleasedPinAreNotScopes() => Check(@"
class C
{
    void M(object state)
    {
        var handle = GCHandle.Alloc(state);
        var raw = GCHandle.ToIntPtr(handle);
        handle.Free();
        Console.WriteLine(raw);
    }
}");

        [Fact]
        public Task OuterLocalOverwrittenBeforeTheLaterRead() => Check(@"
unsafe class C
{
    void M(byte[] buffer, byte* other)
    {
        byte* kept;
        fixed (byte* p = buffer) { kept = p; Native.igs_sum(kept, 1); }
        kept = other;
        Native.igs_sum(kept, 1);
        if (kept == null) { }
    }
}");

        [Fact]
        public Task NullCheckAfterTheScopeOnlyInspects() => Check(@"
unsafe class C
{
    bool M(byte[] buffer)
    {
        byte* kept = null;
        fixed (byte* p = buffer) { kept = p; }
        return kept != null;
    }
}");

        [Fact]
        public Task StackallocUsedInTheMethodAndSpanOverNativeMemory() => Check(@"
unsafe class C
{
    int M(byte* native, int length)
    {
        byte* p = stackalloc byte[64];
        var sum = Native.igs_sum(p, 64);
        byte* kept;
        Span<byte> scratch = stackalloc byte[8];
        fixed (byte* s = scratch) { kept = s; }
        sum += Native.igs_sum(kept, 8);
        var view = new Span<byte>(native, length);
        fixed (byte* v = view) { kept = v; }
        return sum + Native.igs_sum(kept, length);
    }
}");

        [Fact]
        public Task ArraysOnThePinnedObjectHeapNeverMove() => Check(@"
unsafe class C
{
    private readonly byte[] _ring = GC.AllocateUninitializedArray<byte>(4096, pinned: true);
    private byte* _cursor;
    void Start()
    {
        fixed (byte* p = _ring) { _cursor = p; }
        var local = GC.AllocateArray<byte>(64, true);
        byte* kept;
        fixed (byte* q = local) { kept = q; }
        Native.igs_sum(kept, 64);
    }
}");

        [Fact]
        public Task ArraysThatMayBeOnThePinnedObjectHeapAreNotReported() => Check(@"
unsafe sealed class C : IDisposable
{
    private byte[] _ring = GC.AllocateArray<byte>(4096, pinned: true);
    private byte* _cursor;
    void Start(bool large, bool pinned)
    {
        fixed (byte* p = _ring) { _cursor = p; }
        var either = large ? GC.AllocateArray<byte>(4096, pinned: true) : GC.AllocateUninitializedArray<byte>(64, true);
        byte* kept;
        fixed (byte* q = either) { kept = q; }
        Native.igs_sum(kept, 64);
        var maybe = GC.AllocateArray<byte>(64, pinned);
        fixed (byte* r = maybe) { kept = r; }
        Native.igs_sum(kept, 64);
    }
    public void Dispose() { _ring = null!; }
}");

        [Fact]
        public Task HandleOfAnUnreadableTypeIsNoPinningScope() => Check(@"
class C
{
    void M(byte[] buffer, GCHandleType kind)
    {
        var handle = GCHandle.Alloc(buffer, kind);
        var address = handle.AddrOfPinnedObject();
        handle.Free();
        Native.igs_fill(address, buffer.Length, 0);
    }
}");

        [Fact]
        public Task FixedOverAViewOfStackMemoryIsStackMemory() => Check(@"
unsafe class C
{
    int M(bool big, byte* native, int length)
    {
        Span<byte> scratch = stackalloc byte[8];
        if (big)
        {
            scratch = stackalloc byte[64];
        }

        byte* kept;
        fixed (byte* p = scratch.Slice(2)) { kept = p; }
        var sum = Native.igs_sum(kept, 4);
        var view = new Span<byte>(native, length).Slice(1);
        fixed (byte* q = view) { kept = q; }
        return sum + Native.igs_sum(kept, 4);
    }
}");

        [Fact]
        public Task AFieldOfAnotherTypeWithTheSameNameIsNotAValueOfThisOne() => Check(@"
sealed class Other { public byte[] _ring = new byte[16]; }
unsafe sealed class C
{
    private readonly byte[] _ring = GC.AllocateArray<byte>(4096, pinned: true);
    private byte* _cursor;
    void Start(Other other)
    {
        other._ring = new byte[32];
        fixed (byte* p = _ring) { _cursor = p; }
    }
}");

        [Fact]
        public Task ArrayPinnedOnlyOnSomePathsIsStillReported() => Check(@"
unsafe class C
{
    void M(bool large)
    {
        var buffer = large ? new byte[4096] : GC.AllocateArray<byte>(64, pinned: true);
        byte* kept;
        fixed (byte* p = buffer) { kept = p; }
        Native.igs_sum({|#0:kept|}, 64);
    }
}", Fixed(0, "kept", "buffer", ReadAfterFixed));

        [Fact]
        public Task LambdaCapturingACopyRunsInsideTheScope() => Check(@"
unsafe class C
{
    void M(byte[] buffer)
    {
        fixed (byte* p = buffer)
        {
            var address = (IntPtr)p;
            Action fill = () => Native.igs_fill(address, buffer.Length, 0);
            fill();
            Parallel.For(0, 4, i => Native.igs_fill(address + i, 1, 0));
        }
    }
}");

        [Fact]
        public Task StructLocalFilledAndPassedInsideTheScope() => Check(@"
unsafe struct Args { public byte* Data; public int Length; }
unsafe class C
{
    [DllImport(""igsample"")] static extern int igs_run(Args* args);
    int M(byte[] buffer)
    {
        Args args;
        fixed (byte* p = buffer)
        {
            args.Data = p;
            args.Length = buffer.Length;
            return igs_run(&args);
        }
    }
}");

        [Fact]
        public Task StructLocalReadAfterTheScope() => Check(@"
unsafe struct Args { public byte* Data; public int Length; }
unsafe class C
{
    [DllImport(""igsample"")] static extern int igs_run(Args* args);
    int M(byte[] buffer)
    {
        Args args = default;
        fixed (byte* p = buffer)
        {
            args.Data = p;
        }

        Console.WriteLine(args.Length);
        return igs_run(&{|#0:args|});
    }
}", Fixed(0, "args", "buffer", ReadAfterFixed));

        // Win32 overlapped I/O with the OVERLAPPED on the stack: the method waits for the operation (directly or through a
        // helper that calls GetOverlappedResult) before it returns, so the stack memory outlives the operation.
        [Fact]
        public Task StackOverlappedOfAnOperationTheMethodWaitsFor() => Check(@"
static unsafe class Io
{
    [DllImport(""kernel32"")] static extern bool ReadFile(IntPtr file, byte* buffer, int count, IntPtr read, NativeOverlapped* overlapped);
    [DllImport(""kernel32"")] static extern bool GetOverlappedResult(IntPtr file, NativeOverlapped* overlapped, out uint transferred, bool wait);

    static void Complete(IntPtr file, bool started, NativeOverlapped* overlapped, out uint transferred)
    {
        if (!GetOverlappedResult(file, overlapped, out transferred, true)) throw new InvalidOperationException();
    }

    public static uint ReadWaiting(IntPtr file, byte* buffer, int count)
    {
        var overlapped = stackalloc NativeOverlapped[1];
        ReadFile(file, buffer, count, IntPtr.Zero, overlapped);
        GetOverlappedResult(file, overlapped, out var transferred, true);
        return transferred;
    }

    public static uint ReadThroughHelper(IntPtr file, byte* buffer, int count)
    {
        var overlapped = stackalloc NativeOverlapped[1];
        Complete(file, ReadFile(file, buffer, count, IntPtr.Zero, overlapped), overlapped, out var transferred);
        return transferred;
    }
}");

        // An event registration given a typed descriptor on the stack: a registration-style name alone does not say the
        // function keeps a typed struct (it reads it during the call); untyped user data next to a callback it does keep.
        [Fact]
        public Task StackDescriptorGivenToARegistrationByNameOnly() => Check(@"
unsafe struct EventFilter { public ushort Count; public ushort First; }
unsafe delegate void EventCallback(int kind, void* data, IntPtr context);
static unsafe class Events
{
    [DllImport(""bt"")] static extern int bt_register_event(IntPtr device, EventFilter* filter, EventCallback callback, IntPtr context, out IntPtr registration);
    [DllImport(""bt"")] static extern int bt_register_callback(IntPtr device, EventCallback callback, void* context);
    static EventCallback s_callback = (kind, data, context) => { };

    public static IntPtr Watch(IntPtr device)
    {
        var filter = stackalloc EventFilter[1];
        filter->Count = 1;
        bt_register_event(device, filter, s_callback, IntPtr.Zero, out var registration);
        return registration;
    }

    public static void WatchWithState(IntPtr device)
    {
        byte* state = stackalloc byte[16];
        bt_register_callback(device, s_callback, {|#0:state|});
    }
}", Stack(0, "state", "'WatchWithState'", "is given to 'Events.bt_register_callback', which keeps it after it returns"));

        // Freeing a GCHandle empties a slot of the runtime's table and tells the native side nothing: a stack block of
        // user data handed to a callback registration, whose handles are freed in a finally, is still kept by the native
        // side after the method returns (the block and the handles it holds are both gone by then). The look-alikes stay
        // silent: the registration undone before the handles are freed (the native side is done with the block), and a
        // callback the native function calls only during the call (a read, not a registration).
        [Fact]
        public Task StackUserDataOfARegistrationWhoseHandlesAreFreedAfter() => Check(@"
unsafe delegate void SampleCallback(int value, IntPtr userData);
sealed unsafe class Sensor
{
    [DllImport(""sensors"")] static extern void sensor_set_sample_callback(IntPtr sensor, SampleCallback callback, IntPtr userData);
    [DllImport(""sensors"")] static extern void sensor_unregister_sample_callback(IntPtr sensor);
    [DllImport(""sensors"")] static extern void sensor_read_all(IntPtr sensor, SampleCallback callback, IntPtr userData);
    static readonly SampleCallback s_forward = (value, userData) => { };
    IntPtr _sensor;

    public void OnSample(Action<int> listener, object state)
    {
        IntPtr* block = stackalloc IntPtr[2];
        block[0] = GCHandle.ToIntPtr(GCHandle.Alloc(listener));
        block[1] = GCHandle.ToIntPtr(GCHandle.Alloc(state));
        try
        {
            sensor_set_sample_callback(_sensor, s_forward, (IntPtr){|#0:block|});
        }
        finally
        {
            GCHandle.FromIntPtr(block[0]).Free();
            GCHandle.FromIntPtr(block[1]).Free();
        }
    }

    public void SampleFor(Action<int> listener, int milliseconds)
    {
        IntPtr* block = stackalloc IntPtr[1];
        block[0] = GCHandle.ToIntPtr(GCHandle.Alloc(listener));
        try
        {
            sensor_set_sample_callback(_sensor, s_forward, (IntPtr)block);
            Thread.Sleep(milliseconds);
        }
        finally
        {
            sensor_unregister_sample_callback(_sensor);
            GCHandle.FromIntPtr(block[0]).Free();
        }
    }

    public void ReadAll(Action<int> listener)
    {
        IntPtr* block = stackalloc IntPtr[1];
        block[0] = GCHandle.ToIntPtr(GCHandle.Alloc(listener));
        try
        {
            sensor_read_all(_sensor, s_forward, (IntPtr)block);
        }
        finally
        {
            GCHandle.FromIntPtr(block[0]).Free();
        }
    }
}", Stack(0, "block", "'OnSample'", "is given to 'Sensor.sensor_set_sample_callback', which keeps it after it returns"));

        [Fact]
        public Task StackOverlappedOfAnOperationLeftRunning() => Check(@"
static unsafe class Io
{
    [DllImport(""kernel32"")] static extern bool ReadFile(IntPtr file, byte* buffer, int count, IntPtr read, NativeOverlapped* overlapped);

    public static bool StartRead(IntPtr file, byte* buffer, int count)
    {
        var overlapped = stackalloc NativeOverlapped[1];
        return ReadFile(file, buffer, count, IntPtr.Zero, {|#0:overlapped|});
    }
}", Stack(0, "overlapped", "'StartRead'", "is given to 'Io.ReadFile', which keeps it after it returns"));

        // A descriptor struct built with an object initializer around a pinned handle's address and handed to native
        // code while the handle is pinned (the shape of audio and graphics bindings' buffer descriptions).
        [Fact]
        public Task ObjectInitializerOfALocalUsedInsideTheScope() => Check(@"
struct Description { public int Size; public IntPtr Format; }
class C
{
    [DllImport(""igsample"")] static extern int igs_create(in Description description, out IntPtr created);
    IntPtr M(byte[] format)
    {
        var handle = GCHandle.Alloc(format, GCHandleType.Pinned);
        IntPtr created;
        try
        {
            var description = new Description { Size = 8, Format = handle.AddrOfPinnedObject() };
            igs_create(in description, out created);
        }
        finally
        {
            handle.Free();
        }

        return created;
    }
}");

        [Fact]
        public Task ObjectInitializerOfALocalReadAfterTheScope() => Check(@"
struct Description { public int Size; public IntPtr Format; }
class C
{
    [DllImport(""igsample"")] static extern int igs_create(in Description description, out IntPtr created);
    unsafe IntPtr M(byte[] format)
    {
        Description description;
        fixed (byte* p = format)
        {
            description = new Description { Size = 8, Format = (IntPtr)p };
        }

        igs_create(in {|#0:description|}, out var created);
        return created;
    }
}", Fixed(0, "description", "format", ReadAfterFixed));

        [Fact]
        public Task ObjectInitializerStoredInAField() => Check(@"
struct Description { public int Size; public IntPtr Format; }
class C
{
    Description _description;
    unsafe void M(byte[] format)
    {
        fixed (byte* p = format)
        {
            _description = new Description { Size = 8, Format = (IntPtr){|#0:p|} };
        }
    }
}", Fixed(0, "p", "format", "is stored in field '_description'"));

        [Fact]
        public Task ObjectInitializerPassedToACallInsideTheScope() => Check(@"
struct Description { public int Size; public IntPtr Format; }
class C
{
    [DllImport(""igsample"")] static extern int igs_use(Description description);
    unsafe int M(byte[] format)
    {
        fixed (byte* p = format)
        {
            return igs_use(new Description { Size = 8, Format = (IntPtr)p });
        }
    }
}");

        // A fixed-size array of pointers as a struct with an indexer whose setter writes into the struct's own fields
        // through a pointer fixed on its first one (the shape binding generators emit for `T* name[4]` members), set in
        // an object initializer: the pointer goes where the struct goes, here a local that lives inside the scope.
        private const string PointerSlots = @"
unsafe struct PointerSlots
{
    byte* _0; byte* _1;
    public byte* this[uint i]
    {
        get { fixed (byte** first = &_0) { return *(first + i); } }
        set { fixed (byte** first = &_0) { *(first + i) = value; } }
    }
}
struct Frame { public PointerSlots Planes; public int Height; }
";

        [Fact]
        public Task IndexerOfAStructMadeInsideTheScopeKeepsThePointerThere() => Check(PointerSlots + @"
unsafe class C
{
    [DllImport(""igsample"")] static extern int igs_convert(Frame frame);
    int M(byte[] pixels)
    {
        fixed (byte* p = pixels)
        {
            var planes = new PointerSlots { [0] = p };
            var frame = new Frame { Planes = planes, Height = 1 };
            return igs_convert(frame);
        }
    }
}");

        [Fact]
        public Task IndexerOfAStructMadeInsideTheScopeReadAfterIt() => Check(PointerSlots + @"
unsafe class C
{
    [DllImport(""igsample"")] static extern int igs_convert(PointerSlots planes);
    int M(byte[] pixels)
    {
        PointerSlots planes;
        fixed (byte* p = pixels)
        {
            planes = new PointerSlots { [0] = p };
        }

        return igs_convert({|#0:planes|});
    }
}", Fixed(0, "planes", "pixels", ReadAfterFixed));

        [Fact]
        public Task AutoPropertyOfAnObjectMadeInsideTheScopeKeepsThePointerThere() => Check(@"
class Request { public IntPtr Data { get; set; } public int Length { get; set; } }
unsafe class C
{
    [DllImport(""igsample"")] static extern int igs_send(IntPtr data, int length);
    int M(byte[] payload)
    {
        fixed (byte* p = payload)
        {
            var request = new Request { Data = (IntPtr)p, Length = payload.Length };
            return igs_send(request.Data, request.Length);
        }
    }
}");

        // A setter that hands the value to a static field keeps it beyond the object: still a store it cannot follow.
        [Fact]
        public Task SetterThatKeepsTheValueElsewhereIsStillAStore() => Check(@"
class Request
{
    public static IntPtr Last;
    public IntPtr Data { get => Last; set => Last = value; }
}
unsafe class C
{
    [DllImport(""igsample"")] static extern int igs_send(IntPtr data, int length);
    int M(byte[] payload)
    {
        fixed (byte* p = payload)
        {
            var request = new Request { Data = (IntPtr){|#0:p|} };
            return igs_send(request.Data, payload.Length);
        }
    }
}", Fixed(0, "p", "payload", "is stored in property 'Data'"));

        [Fact]
        public Task IncompleteCodeDoesNotThrow()
        {
            var test = new AnalyzerTest<EscapingPinnedPointerAnalyzer>
            {
                AllowCompilerErrors = true,
                Source = Prelude + @"
unsafe class C
{
    void M(byte[] buffer)
    {
        byte* kept;
        fixed (byte* p = ) { kept = p; }
        fixed (byte* q = buffer) { kept = 
        Native.igs_sum(kept, 
        var h = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        h.Free(
        byte* s = stackalloc byte[;
        return s
    }
}",
            };
            return test.RunAsync();
        }
    }
}
