using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG3001: where native memory leaks, and the look-alikes that must stay silent.</summary>
    public class NativeMemoryLeakTests
    {
        private const string Usings = "using System;\nusing System.Runtime.InteropServices;\n";

        private static Task Check(string source, params DiagnosticResult[] expected) => Check(source, null, expected);

        private static Task Check(string source, string? editorConfig, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Usings + source, EditorConfig = editorConfig };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Leak(int location, string message)
            => Verify.Diagnostic("IG3001").WithLocation(location).WithMessage(message);

        // ---- positives ----

        [Fact]
        public Task NeverReleased() => Check(@"
class C
{
    static void Use(IntPtr p) { }
    void M()
    {
        var p = {|#0:Marshal.AllocHGlobal(16)|};
        Use(p);
    }
}", Leak(0, "Native memory from 'Marshal.AllocHGlobal' in 'p' is not released by 'Marshal.FreeHGlobal' when the method returns"));

        [Fact]
        public Task ReleasedOnlyOnTheNormalPath() => Check(@"
class C
{
    static bool Validate() => throw new InvalidOperationException();
    void M()
    {
        var buffer = {|#0:Marshal.AllocHGlobal(16)|};
        Validate();
        Marshal.FreeHGlobal(buffer);
    }
}", Leak(0, "Native memory from 'Marshal.AllocHGlobal' in 'buffer' is not released by 'Marshal.FreeHGlobal' if 'Validate()' throws"));

        [Fact]
        public Task LeakedOnEarlyReturn() => Check(@"
class C
{
    bool M(bool ok)
    {
        var p = {|#0:Marshal.StringToHGlobalAnsi(""name"")|};
        if (!ok)
            return false;
        Marshal.FreeHGlobal(p);
        return true;
    }
}", Leak(0, "Native memory from 'Marshal.StringToHGlobalAnsi' in 'p' is not released by 'Marshal.FreeHGlobal' on the 'return false' in 'if (!ok)'"));

        [Fact]
        public Task LibcMallocByLibraryAndEntryPoint() => Check(@"
static class Libc
{
    [DllImport(""libc"", EntryPoint = ""malloc"")] public static extern IntPtr Allocate(nuint size);
    [DllImport(""libc.so.6"")] public static extern void free(IntPtr p);
    [DllImport(""mylib"")] public static extern int fill(IntPtr p);
}
class C
{
    void M()
    {
        var block = {|#0:Libc.Allocate(64)|};
        if (Libc.fill(block) != 0)
            throw new InvalidOperationException(""fill failed"");
        Libc.free(block);
    }
}", Leak(0, "Native memory from 'Libc.Allocate' in 'block' is not released by 'Libc.free' on the 'throw new InvalidOperationException(\"fill failed\")' in 'if (Libc.fill(block) != 0)'"));

        [Fact]
        public Task ConfiguredAllocatorPair() => Check(@"
static class Lib
{
    [DllImport(""mylib"")] public static extern IntPtr mylib_buf_new(int size);
    [DllImport(""mylib"")] public static extern void mylib_buf_free(IntPtr buffer);
}
class C
{
    void M()
    {
        var b = {|#0:Lib.mylib_buf_new(10)|};
    }
}", "interopguard.allocator_pairs = mylib_buf_new:mylib_buf_free",
            Leak(0, "Native memory from 'Lib.mylib_buf_new' in 'b' is not released by 'Lib.mylib_buf_free' when the method returns"));

        [Fact]
        public Task ConfiguredPairInACompilationWithoutInteropWords() => Check(@"
sealed class Pool
{
    private int _next;
    public IntPtr Rent() => new IntPtr(++_next);
    public void Return(IntPtr block) { }
}
class C
{
    void M(Pool pool)
    {
        var block = {|#0:pool.Rent()|};
    }
}", "interopguard.allocator_pairs = Pool.Rent:Pool.Return",
            Leak(0, "Native memory from 'Pool.Rent' in 'block' is not released by 'Pool.Return' when the method returns"));

        [Fact]
        public Task ConfiguredManagedPairByTypeAndMethod() => Check(@"
sealed class Pool
{
    public IntPtr Rent(int size)
    {
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size));
        return Marshal.AllocHGlobal(size);
    }
    public void Return(IntPtr block) => Marshal.FreeHGlobal(block);
}
class C
{
    static void Use(IntPtr p) { if (Marshal.ReadByte(p) == 0xFF) throw new InvalidOperationException(""unset""); }
    void M(Pool pool)
    {
        var block = {|#0:pool.Rent(16)|};
        Use(block);
        pool.Return(block);
    }
}", "interopguard.allocator_pairs = Pool.Rent:Pool.Return",
            Leak(0, "Native memory from 'Pool.Rent' in 'block' is not released by 'Pool.Return' if 'Use(block)' throws"));

        [Fact]
        public Task ConfiguredPairIsNotKnownWithoutTheOption() => Check(@"
static class Lib
{
    [DllImport(""mylib"")] public static extern IntPtr mylib_buf_new(int size);
}
class C
{
    void M() { var b = Lib.mylib_buf_new(10); }
}");

        [Fact]
        public Task ExplicitThrowWhileOwned() => Check(@"
class C
{
    void M(int size)
    {
        var p = {|#0:Marshal.AllocCoTaskMem(size)|};
        if (size > 100)
            throw new ArgumentOutOfRangeException(nameof(size));
        Marshal.FreeCoTaskMem(p);
    }
}", Leak(0, "Native memory from 'Marshal.AllocCoTaskMem' in 'p' is not released by 'Marshal.FreeCoTaskMem' on the 'throw new ArgumentOutOfRangeException(nameof(size))' in 'if (size > 100)'"));

        [Fact]
        public Task DiscardedResult() => Check(@"
class C
{
    void M() { {|#0:Marshal.StringToHGlobalUni(""x"")|}; }
}", Leak(0, "Native memory from 'Marshal.StringToHGlobalUni' that is never stored is not released by 'Marshal.FreeHGlobal' on any path"));

        [Fact]
        public Task TemporaryPassedToNativeCall() => Check(@"
static class Native
{
    [DllImport(""mylib"")] public static extern void set_name(IntPtr name);
}
class C
{
    void M(string s) { Native.set_name({|#0:Marshal.StringToHGlobalAnsi(s)|}); }
}", Leak(0, "Native memory from 'Marshal.StringToHGlobalAnsi' that is only passed to 'Native.set_name' is not released by 'Marshal.FreeHGlobal' on any path"));

        // Paths are named by their statement and the branch, case or loop around it, never by a line number: a line
        // number changes with every unrelated edit above it and churns SARIF baselines.
        [Fact]
        public Task ReturnInAnElseIsNamedByItsIf() => Check(@"
class C
{
    bool M(int mode)
    {
        var p = {|#0:Marshal.AllocHGlobal(8)|};
        if (mode == 0)
        {
            Marshal.FreeHGlobal(p);
        }
        else
        {
            return false;
        }

        return true;
    }
}", Leak(0, "Native memory from 'Marshal.AllocHGlobal' in 'p' is not released by 'Marshal.FreeHGlobal' on the 'return false' in the 'else' of 'if (mode == 0)'"));

        [Fact]
        public Task ReturnInASwitchCaseIsNamedByItsLabel() => Check(@"
class C
{
    bool M(int mode)
    {
        var p = {|#0:Marshal.AllocHGlobal(8)|};
        switch (mode)
        {
            case 1:
                return false;
        }

        Marshal.FreeHGlobal(p);
        return true;
    }
}", Leak(0, "Native memory from 'Marshal.AllocHGlobal' in 'p' is not released by 'Marshal.FreeHGlobal' on the 'return false' in 'case 1:'"));

        [Fact]
        public Task ForeachIterationLeakIsNamedByItsLoop() => Check(@"
class C
{
    static void Use(IntPtr p) { }
    void M(string[] parts)
    {
        foreach (var part in parts)
        {
            var p = {|#0:Marshal.StringToHGlobalAnsi(part)|};
            Use(p);
        }
    }
}", Leak(0, "Native memory from 'Marshal.StringToHGlobalAnsi' in 'p' is not released by 'Marshal.FreeHGlobal' before the next iteration of 'foreach (var part in parts)' allocates again"));

        [Fact]
        public Task LoopIterationLeaks() => Check(@"
class C
{
    static void Use(IntPtr p) { }
    void M()
    {
        for (var i = 0; i < 3; i++)
        {
            var p = {|#0:Marshal.AllocHGlobal(8)|};
            Use(p);
        }
    }
}", Leak(0, "Native memory from 'Marshal.AllocHGlobal' in 'p' is not released by 'Marshal.FreeHGlobal' before the next iteration of 'for (var i = 0; i < 3; i++)' allocates again"));

        [Fact]
        public Task NativeMemoryAllocPointer() => Check(@"
unsafe class C
{
    static void Fill(byte* b) { if (b[0] == 0xFF) throw new InvalidOperationException(""unset""); b[0] = 1; }
    void M()
    {
        byte* b = (byte*){|#0:NativeMemory.Alloc(10)|};
        Fill(b);
        NativeMemory.Free(b);
    }
}", Leak(0, "Native memory from 'NativeMemory.Alloc' in 'b' is not released by 'NativeMemory.Free' if 'Fill(b)' throws"));

        [Fact]
        public Task AllocationThroughTwoLevelWrapper() => Check(@"
static class NativeMethods
{
    [DllImport(""libc"")] public static extern IntPtr malloc(nuint size);
    [DllImport(""libc"")] public static extern void free(IntPtr p);
}
static class Proxy
{
    public static IntPtr Alloc(nuint size) => NativeMethods.malloc(size);
}
static class Buffers
{
    public static IntPtr Rent(nuint size) => Proxy.Alloc(size);
}
class C
{
    static void Use(IntPtr p) { }
    void M()
    {
        var p = {|#0:Buffers.Rent(32)|};
        Use(p);
    }
}", Leak(0, "Native memory from 'Buffers.Rent' in 'p' is not released by 'NativeMethods.free' when the method returns"));

        [Fact]
        public Task OverwrittenWhileOwned() => Check(@"
class C
{
    static void Use(IntPtr p) { }
    void M()
    {
        var p = {|#0:Marshal.AllocHGlobal(8)|};
        p = IntPtr.Zero;
        Use(p);
    }
}", Leak(0, "Native memory from 'Marshal.AllocHGlobal' in 'p' is not released by 'Marshal.FreeHGlobal' before 'p' is overwritten by 'p = IntPtr.Zero'"));

        [Fact]
        public Task InsideLambdaAndLocalFunction() => Check(@"
class C
{
    static void Use(IntPtr p) { }
    void M()
    {
        Action a = () => { var p = {|#0:Marshal.AllocHGlobal(1)|}; Use(p); };
        void Local() { var q = {|#1:Marshal.AllocHGlobal(2)|}; Use(q); }
        a();
        Local();
    }
}",
            Leak(0, "Native memory from 'Marshal.AllocHGlobal' in 'p' is not released by 'Marshal.FreeHGlobal' when the method returns"),
            Leak(1, "Native memory from 'Marshal.AllocHGlobal' in 'q' is not released by 'Marshal.FreeHGlobal' when the method returns"));

        [Fact]
        public Task AsyncMethodAwaitBeforeRelease() => Check(@"
class C
{
    async System.Threading.Tasks.Task M()
    {
        var p = {|#0:Marshal.AllocHGlobal(8)|};
        await System.Threading.Tasks.Task.Delay(1);
        Marshal.FreeHGlobal(p);
    }
}", Leak(0, "Native memory from 'Marshal.AllocHGlobal' in 'p' is not released by 'Marshal.FreeHGlobal' if 'await System.Threading.Tasks.Task.Delay(1)' throws"));

        [Fact]
        public Task TypedCatchDoesNotCoverEveryException() => Check(@"
class C
{
    static void Work(IntPtr p) { if (Marshal.ReadByte(p) == 0xFF) throw new InvalidOperationException(""unset""); }
    void M()
    {
        var p = {|#0:Marshal.AllocHGlobal(8)|};
        try
        {
            Work(p);
        }
        catch (System.IO.IOException)
        {
            Marshal.FreeHGlobal(p);
            throw;
        }
        Marshal.FreeHGlobal(p);
    }
}", Leak(0, "Native memory from 'Marshal.AllocHGlobal' in 'p' is not released by 'Marshal.FreeHGlobal' if 'Work(p)' throws"));

        // ---- negatives (look-alikes) ----

        [Fact]
        public Task ReleasedInFinally() => Check(@"
class C
{
    static bool Validate() => true;
    void M()
    {
        var p = Marshal.AllocHGlobal(16);
        try { Validate(); }
        finally { Marshal.FreeHGlobal(p); }
    }
}");

        [Fact]
        public Task ReturnedToCaller() => Check(@"
class C
{
    static IntPtr M(string s)
    {
        var p = Marshal.StringToCoTaskMemUTF8(s);
        return p;
    }
    static IntPtr Direct(int n) => Marshal.AllocHGlobal(n);
}");

        [Fact]
        public Task StoredInFieldArrayOrOut() => Check(@"
class C
{
    IntPtr _buffer;
    static IntPtr s_shared;
    void M(IntPtr[] slots, out IntPtr result)
    {
        _buffer = Marshal.AllocHGlobal(16);
        var p = Marshal.AllocHGlobal(8);
        s_shared = p;
        slots[0] = Marshal.AllocHGlobal(4);
        result = Marshal.AllocHGlobal(2);
    }
}");

        [Fact]
        public Task HandedToSafeHandle() => Check(@"
sealed class HGlobalHandle : SafeHandle
{
    public HGlobalHandle(IntPtr p) : base(IntPtr.Zero, true) { SetHandle(p); }
    public HGlobalHandle() : base(IntPtr.Zero, true) { }
    public void Adopt(IntPtr p) => SetHandle(p);
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() { Marshal.FreeHGlobal(handle); return true; }
}
class C
{
    HGlobalHandle M1() => new HGlobalHandle(Marshal.AllocHGlobal(10));
    HGlobalHandle M2()
    {
        var p = Marshal.AllocHGlobal(10);
        var h = new HGlobalHandle(p);
        return h;
    }
    HGlobalHandle M3()
    {
        var h = new HGlobalHandle();
        h.Adopt(Marshal.AllocHGlobal(4));
        return h;
    }
}");

        [Fact]
        public Task HandedToConfiguredOwnershipTransferFunction() => Check(@"
static class Native
{
    [DllImport(""mylib"")] public static extern void queue_take_buffer(IntPtr buffer);
}
class C
{
    static bool Validate() => true;
    void M()
    {
        var p = Marshal.AllocHGlobal(16);
        Native.queue_take_buffer(p);
    }
}", "interopguard.ownership_transfer_functions = queue_take_buffer");

        [Fact]
        public Task ZeroCheckBeforeUse() => Check(@"
class C
{
    static bool Validate() => true;
    void M()
    {
        var p = Marshal.AllocHGlobal(16);
        if (p == IntPtr.Zero)
            throw new OutOfMemoryException();
        try { Validate(); }
        finally { Marshal.FreeHGlobal(p); }
    }

    void N()
    {
        IntPtr p = IntPtr.Zero;
        try
        {
            p = Marshal.AllocHGlobal(16);
            Validate();
        }
        finally
        {
            if (p != IntPtr.Zero)
                Marshal.FreeHGlobal(p);
        }
    }
}");

        [Fact]
        public Task CatchAllReleasesAndRethrows() => Check(@"
class C
{
    static void Work(IntPtr p) { }
    void M()
    {
        var p = Marshal.AllocHGlobal(8);
        try
        {
            Work(p);
        }
        catch
        {
            Marshal.FreeHGlobal(p);
            throw;
        }
        Marshal.FreeHGlobal(p);
    }
}");

        [Fact]
        public Task ReleasedThroughOwnHelper() => Check(@"
class C
{
    static void Release(IntPtr p)
    {
        if (p != IntPtr.Zero)
            Marshal.FreeHGlobal(p);
    }
    void M()
    {
        var p = Marshal.AllocHGlobal(8);
        Release(p);
    }
}");

        [Fact]
        public Task StoredByOwnerConstructorOrCollection() => Check(@"
class Owner
{
    private readonly IntPtr _memory;
    public Owner(IntPtr memory) { _memory = memory; }
}
class C
{
    readonly System.Collections.Generic.List<IntPtr> _blocks = new();
    Owner M() => new Owner(Marshal.AllocHGlobal(8));
    void N() { _blocks.Add(Marshal.AllocHGlobal(8)); }
}");

        [Fact]
        public Task CapturedByLambda() => Check(@"
class C
{
    Action M()
    {
        var p = Marshal.AllocHGlobal(8);
        return () => Marshal.FreeHGlobal(p);
    }
}");

        [Fact]
        public Task ReallocatedThenReleased() => Check(@"
class C
{
    static bool Validate() => true;
    void M()
    {
        var p = Marshal.AllocHGlobal(8);
        p = Marshal.ReAllocHGlobal(p, (IntPtr)16);
        try { Validate(); }
        finally { Marshal.FreeHGlobal(p); }
    }
}");

        [Fact]
        public Task ReleasedImmediatelyWithNothingInBetween() => Check(@"
class C
{
    void M()
    {
        var a = Marshal.AllocHGlobal(8);
        var b = Marshal.AllocHGlobal(8);
        Marshal.FreeHGlobal(b);
        Marshal.FreeHGlobal(a);
    }
}");

        [Fact]
        public Task NativeLibraryKeptLoadedForItsExports() => Check(@"
class C
{
    static IntPtr s_fn;
    static void M(string path)
    {
        var library = NativeLibrary.Load(path);
        s_fn = NativeLibrary.GetExport(library, ""entry"");
    }
}");

        [Fact]
        public Task UnrelatedMethodsNamedLikeAllocators() => Check(@"
class Pool
{
    public IntPtr AllocHGlobal(int n) => IntPtr.Zero;
    public static IntPtr malloc(int n) => IntPtr.Zero;
}
class C
{
    void M(Pool pool)
    {
        var p = pool.AllocHGlobal(3);
        var q = Pool.malloc(3);
    }
}");

        [Fact]
        public Task MallocFromAnUnrelatedLibraryIsNotLibc() => Check(@"
static class Arena
{
    [DllImport(""myarena"")] public static extern IntPtr malloc(nuint size);
}
class C
{
    void M() { var p = Arena.malloc(4); }
}");

        [Fact]
        public Task ReleaseGuardedByAFlagSetWithTheAllocation() => Check(@"
class C
{
    static void Use(IntPtr p) { }
    void M(int n)
    {
        var allocated = false;
        var p = IntPtr.Zero;
        if (n > 0)
        {
            p = Marshal.AllocHGlobal(n);
            allocated = true;
        }
        try { Use(p); }
        finally
        {
            if (allocated)
                Marshal.FreeHGlobal(p);
        }
    }
}");

        [Fact]
        public Task StackOrHeapBufferReleasedUnderTheSameCondition() => Check(@"
unsafe class C
{
    static void Use(byte* p, int n) { }
    void M(int n)
    {
        byte* small = stackalloc byte[256];
        byte* buffer;
        if (n <= 256)
            buffer = small;
        else
            buffer = (byte*)NativeMemory.Alloc((nuint)n);
        try { Use(buffer, n); }
        finally
        {
            if (n > 256)
                NativeMemory.Free(buffer);
        }
    }
}");

        [Fact]
        public Task FlagThatIsNotSetWithTheAllocationStillLeaks() => Check(@"
class C
{
    static void Use(IntPtr p) { }
    void M(int n, bool release)
    {
        var p = {|#0:Marshal.AllocHGlobal(n)|};
        try { Use(p); }
        finally
        {
            if (release)
                Marshal.FreeHGlobal(p);
        }
    }
}", Leak(0, "Native memory from 'Marshal.AllocHGlobal' in 'p' is not released by 'Marshal.FreeHGlobal' when the method returns"));

        [Fact]
        public Task PatternAndSentinelChecks() => Check(@"
static class Libc
{
    public static readonly IntPtr MAP_FAILED = new IntPtr(-1);
    [DllImport(""libc"")] public static extern IntPtr malloc(nuint size);
    [DllImport(""libc"")] public static extern void free(IntPtr p);
    [DllImport(""libc"")] public static extern IntPtr mmap(IntPtr a, nuint n, int p, int f, int fd, nint o);
    [DllImport(""libc"")] public static extern int munmap(IntPtr a, nuint n);
}
class C
{
    static void Use(IntPtr p) { }
    void Pattern()
    {
        var p = Libc.malloc(8);
        if (p is 0)
            throw new OutOfMemoryException();
        try { Use(p); } finally { Libc.free(p); }
    }
    void NotPattern()
    {
        var p = Libc.malloc(8);
        if (p is not 0)
        {
            try { Use(p); } finally { Libc.free(p); }
        }
    }
    void Mapped(int fd)
    {
        var view = Libc.mmap(IntPtr.Zero, 4096, 1, 1, fd, 0);
        if (view == Libc.MAP_FAILED)
            throw new InvalidOperationException();
        try { Use(view); } finally { Libc.munmap(view, 4096); }
    }
    void MappedAsNumber(int fd)
    {
        var view = Libc.mmap(IntPtr.Zero, 4096, 1, 1, fd, 0);
        if (view.ToInt64() == -1)
            throw new InvalidOperationException();
        try { Use(view); } finally { Libc.munmap(view, 4096); }
    }
}");

        [Fact]
        public Task ANumberThatIsNotTheSentinelDoesNotExcuseTheLeak() => Check(@"
static class Libc
{
    [DllImport(""libc"")] public static extern IntPtr mmap(IntPtr a, nuint n, int p, int f, int fd, nint o);
    [DllImport(""libc"")] public static extern int munmap(IntPtr a, nuint n);
}
class C
{
    static void Use(IntPtr p) { }
    void Mapped(int fd)
    {
        var view = {|#0:Libc.mmap(IntPtr.Zero, 4096, 1, 1, fd, 0)|};
        if (view.ToInt64() == 4096)
            throw new InvalidOperationException();
        try { Use(view); } finally { Libc.munmap(view, 4096); }
    }
}", Leak(0, "Native memory from 'Libc.mmap' in 'view' is not released by 'Libc.munmap' on the 'throw new InvalidOperationException()' in 'if (view.ToInt64() == 4096)'"));

        [Fact]
        public Task WrittenIntoNativeMemoryOrPublishedAtomically() => Check(@"
class C
{
    static IntPtr s_cached;
    static void M(IntPtr block, string name)
    {
        Marshal.WriteIntPtr(block, 0, Marshal.StringToHGlobalAnsi(name));
    }
    static IntPtr Cached(string name)
    {
        var fresh = Marshal.StringToHGlobalAnsi(name);
        var raced = System.Threading.Interlocked.CompareExchange(ref s_cached, fresh, IntPtr.Zero);
        if (raced != IntPtr.Zero)
        {
            Marshal.FreeHGlobal(fresh);
            return raced;
        }
        return fresh;
    }
    static IntPtr Factory(byte[] data)
    {
        var block = Marshal.AllocHGlobal(data.Length);
        Marshal.Copy(data, 0, block, data.Length);
        return block;
    }
}");

        [Fact]
        public Task HandedOnAsNewIntPtr() => Check(@"
static class Blocks
{
    private static IntPtr s_cached;
    public static unsafe IntPtr Make(int size)
    {
        byte* raw = (byte*)Marshal.AllocHGlobal(size).ToPointer();
        raw[0] = 1;
        return new IntPtr(raw);
    }
    public static unsafe void Cache(int size)
    {
        void* raw = NativeMemory.Alloc((nuint)size);
        s_cached = new IntPtr(raw);
    }
}");

        [Fact]
        public Task StructCopiedIntoFreshBlockThenReturned() => Check(@"
[StructLayout(LayoutKind.Sequential)]
struct Header { public int Kind; public int Length; }
static class Headers
{
    public static IntPtr Create(int kind)
    {
        var header = new Header { Kind = kind, Length = 8 };
        IntPtr block = Marshal.AllocHGlobal(Marshal.SizeOf<Header>());
        Marshal.StructureToPtr(header, block, false);
        return block;
    }
    public static unsafe int Sum(int n)
    {
        var p = (byte*)NativeMemory.Alloc((nuint)n);
        var span = new Span<byte>(p, n);
        span[0] = 1;
        NativeMemory.Free(p);
        return n;
    }
}");

        // Span copies into a destination exactly as long as the source cannot fail (found on NAudio's VST3 host).
        [Fact]
        public Task SpanCopiedIntoAnEquallyLongFreshBlockThenReturned() => Check(@"
static class Copies
{
    public static unsafe IntPtr FromArray(byte[] encoded)
    {
        var buffer = (byte*)NativeMemory.Alloc((nuint)encoded.Length + 1);
        encoded.AsSpan().CopyTo(new Span<byte>(buffer, encoded.Length));
        buffer[encoded.Length] = 0;
        return (IntPtr)buffer;
    }
    public static unsafe IntPtr FromSpan(ReadOnlySpan<byte> data)
    {
        var block = Marshal.AllocHGlobal(data.Length);
        data.CopyTo(new Span<byte>((void*)block, data.Length));
        return block;
    }
    public static unsafe IntPtr FromArrayExtension(byte[] bytes)
    {
        var block = Marshal.AllocHGlobal(bytes.Length);
        bytes.CopyTo(new Span<byte>((void*)block, bytes.Length));
        return block;
    }
}");

        // A destination sized from something else can be too short: that copy still throws.
        [Fact]
        public Task SpanCopiedIntoADifferentlySizedBlockStillThrows() => Check(@"
static class Copies
{
    public static unsafe IntPtr Truncated(ReadOnlySpan<byte> data, int size)
    {
        var block = {|#0:Marshal.AllocHGlobal(size)|};
        data.CopyTo(new Span<byte>((void*)block, size));
        return block;
    }
}", Leak(0, "Native memory from 'Marshal.AllocHGlobal' in 'block' is not released by 'Marshal.FreeHGlobal' if 'data.CopyTo(new Span<byte>((void*)block, size))' throws"));

        [Fact]
        public Task MessageNamesTheCallThatCanReallyThrow() => Check(@"
static class Db
{
    [DllImport(""mydb"")] public static extern int load(IntPtr image, int length);
    static void Expect(bool ok) { if (!ok) throw new InvalidOperationException(); }
    public static void Open(byte[] image)
    {
        IntPtr copy = {|#0:Marshal.AllocHGlobal(image.Length)|};
        Marshal.Copy(image, 0, copy, image.Length);
        int rc = load(copy, image.Length);
        Expect(rc == 0);
        Marshal.FreeHGlobal(copy);
    }
}", Leak(0, "Native memory from 'Marshal.AllocHGlobal' in 'copy' is not released by 'Marshal.FreeHGlobal' if 'Expect(rc == 0)' throws"));

        [Fact]
        public Task TopLevelStatements()
        {
            var test = new AnalyzerTest<OwnershipAnalyzer>
            {
                Source = Usings + @"
var p = {|#0:Marshal.AllocHGlobal(4)|};
Console.WriteLine(p.ToInt64());
var q = Marshal.AllocHGlobal(4);
Marshal.FreeHGlobal(q);
",
                OutputKind = Microsoft.CodeAnalysis.OutputKind.ConsoleApplication,
            };
            test.ExpectedDiagnostics.Add(Leak(0, "Native memory from 'Marshal.AllocHGlobal' in 'p' is not released by 'Marshal.FreeHGlobal' when the method returns"));
            return test.RunAsync();
        }
    }
}
