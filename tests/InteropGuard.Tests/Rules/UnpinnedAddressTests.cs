using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG2002: the address of movable managed memory taken without pinning.</summary>
    public class UnpinnedAddressTests
    {
        internal const string Prelude = @"using System;
using System.Buffers;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
static unsafe class Native
{
    [DllImport(""igsample"")] public static extern void igs_fill_after_gc(void* buffer, int length, byte value);
    [DllImport(""igsample"")] public static extern void igs_fill_ptr(IntPtr buffer, int length, byte value);
    [DllImport(""igsample"")] public static extern int igs_read(ref byte first, int length);
}
";

        internal static Task Check(string source, params DiagnosticResult[] expected) => Check(source, OutputKind.DynamicallyLinkedLibrary, expected);

        internal static Task Check(string source, OutputKind kind, params DiagnosticResult[] expected)
        {
            // Top-level statements must come before any type declaration: the prelude then goes in a second file.
            var test = new AnalyzerTest<UnpinnedAddressAnalyzer> { Source = kind == OutputKind.ConsoleApplication ? source : Prelude + source, OutputKind = kind };
            if (kind == OutputKind.ConsoleApplication)
            {
                test.AdditionalSources.Add(Prelude);
            }

            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private const string Moves = "a compacting GC can move '{0}' while the pointer is in use, and reads and writes through it then hit whatever the GC put there";

        internal static DiagnosticResult AsPointer(int location, string what, string owner, string? native = "Native.igs_fill_after_gc")
            => Verify.Diagnostic("IG2002").WithLocation(location).WithMessage(
                "'Unsafe.AsPointer' takes the address of " + what + " without pinning it" + (native == null ? "" : " and passes it to '" + native + "'") + ": "
                + string.Format(Moves, owner));

        internal static DiagnosticResult FieldPointer(int location, string field, string owner, string? native = "Native.igs_fill_after_gc")
            => Verify.Diagnostic("IG2002").WithLocation(location).WithMessage(
                "'Unsafe.AsPointer' takes the address of field '" + field + "' of '" + owner + "' without pinning it" + (native == null ? "" : " and passes it to '" + native + "'")
                + ": a compacting GC can move the object '" + owner + "' while the pointer is in use, and reads and writes through it then hit whatever the GC put there");

        internal static DiagnosticResult UnsafeAddr(int location, string array, string? native = "Native.igs_fill_ptr")
            => Verify.Diagnostic("IG2002").WithLocation(location).WithMessage(
                "'Marshal.UnsafeAddrOfPinnedArrayElement' takes the address of an element of array '" + array + "' without pinning it"
                + (native == null ? "" : " and passes it to '" + native + "'")
                + ": no fixed statement or pinned GCHandle covers '" + array + "' here, so a compacting GC can move it while the address is in use");

        internal static DiagnosticResult AddrOf(int location, string handle, string kind = "GCHandleType.Normal", string? native = "Native.igs_fill_ptr")
            => Verify.Diagnostic("IG2002").WithLocation(location).WithMessage(
                "'" + handle + ".AddrOfPinnedObject' takes the address of the object of GCHandle '" + handle + "' without pinning it"
                + (native == null ? "" : " and passes it to '" + native + "'")
                + ": '" + handle + "' is allocated as " + kind + ", not GCHandleType.Pinned, so the call throws InvalidOperationException and the object is free to move");

        // ---- Unsafe.AsPointer ----

        [Fact]
        public Task ArrayElementPassedToNative() => Check(@"
unsafe class C
{
    void M()
    {
        var buffer = new byte[64];
        Native.igs_fill_after_gc({|#0:Unsafe.AsPointer(ref buffer[0])|}, buffer.Length, 0x5A);
    }
}", AsPointer(0, "array 'buffer'", "buffer"));

        [Fact]
        public Task ThroughAManagedWrapperTheNativeFunctionIsNamed() => Check(@"
unsafe class C
{
    static void Fill(void* target, int length) => Native.igs_fill_after_gc(target, length, 0x5A);
    void M(byte[] buffer)
    {
        Fill({|#0:Unsafe.AsPointer(ref buffer[0])|}, buffer.Length);
    }
}", AsPointer(0, "array 'buffer'", "buffer"));

        [Fact]
        public Task CastToIntPtr() => Check(@"
unsafe class C
{
    void M(byte[] buffer)
    {
        Native.igs_fill_ptr((IntPtr){|#0:Unsafe.AsPointer(ref buffer[0])|}, buffer.Length, 0x5A);
    }
}", AsPointer(0, "array 'buffer'", "buffer", "Native.igs_fill_ptr"));

        [Fact]
        public Task ArrayDataReference() => Check(@"
unsafe class C
{
    void M()
    {
        var buffer = new byte[64];
        Native.igs_fill_after_gc({|#0:Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer))|}, buffer.Length, 0x5A);
    }
}", AsPointer(0, "array 'buffer'", "buffer"));

        [Fact]
        public Task GetReferenceOfArrayBackedSpans() => Check(@"
unsafe class C
{
    void M(int[] values, string name)
    {
        Span<int> span = values;
        var a = {|#0:Unsafe.AsPointer(ref MemoryMarshal.GetReference(span))|};
        var b = {|#1:Unsafe.AsPointer(ref MemoryMarshal.GetReference(new Span<int>(values, 1, 2)))|};
        var c = {|#2:Unsafe.AsPointer(ref MemoryMarshal.GetReference(values.AsSpan(1)))|};
        var d = {|#3:Unsafe.AsPointer(ref MemoryMarshal.GetReference(name.AsSpan()))|};
        ReadOnlySpan<char> chars = name;
        var e = {|#4:Unsafe.AsPointer(ref Unsafe.AsRef(in MemoryMarshal.GetReference(chars)))|};
    }
}",
            AsPointer(0, "array 'values'", "values", null),
            AsPointer(1, "array 'values'", "values", null),
            AsPointer(2, "array 'values'", "values", null),
            AsPointer(3, "string 'name'", "name", null),
            AsPointer(4, "string 'name'", "name", null));

        [Fact]
        public Task ClassFields() => Check(@"
struct Pair { public int A; public int B; }
unsafe class Counter
{
    private int _value;
    private Pair _pair;
    void M(Counter other)
    {
        Native.igs_fill_after_gc({|#0:Unsafe.AsPointer(ref _value)|}, 4, 0);
        Native.igs_fill_after_gc({|#1:Unsafe.AsPointer(ref this._pair.B)|}, 4, 0);
        Native.igs_fill_after_gc({|#2:Unsafe.AsPointer(ref other._value)|}, 4, 0);
    }
}",
            FieldPointer(0, "_value", "this"),
            FieldPointer(1, "_pair", "this"),
            FieldPointer(2, "_value", "other"));

        [Fact]
        public Task ThroughUnsafeAddAndRefLocal() => Check(@"
unsafe class C
{
    void M(int[] values)
    {
        ref int first = ref values[0];
        var a = {|#0:Unsafe.AsPointer(ref Unsafe.Add(ref first, 2))|};
        Span<int> part = values.AsSpan().Slice(1);
        var b = {|#1:Unsafe.AsPointer(ref part[0])|};
    }
}", AsPointer(0, "array 'values'", "values", null), AsPointer(1, "array 'values'", "values", null));

        [Fact]
        public Task StructElementOfArray() => Check(@"
struct Pair { public int A; public int B; }
unsafe class C
{
    void M(Pair[] pairs)
    {
        var p = {|#0:Unsafe.AsPointer(ref pairs[1].B)|};
    }
}", AsPointer(0, "array 'pairs'", "pairs", null));

        [Fact]
        public Task TopLevelStatements() => Check(@"using System;
using System.Runtime.CompilerServices;
unsafe
{
    var buffer = new byte[16];
    Native.igs_fill_after_gc({|#0:Unsafe.AsPointer(ref buffer[0])|}, buffer.Length, 1);
}
", OutputKind.ConsoleApplication, AsPointer(0, "array 'buffer'", "buffer"));

        [Fact]
        public Task LambdaLocalFunctionAndAsync() => Check(@"
unsafe class C
{
    void M(byte[] buffer)
    {
        Action a = () => Native.igs_fill_after_gc({|#0:Unsafe.AsPointer(ref buffer[0])|}, 1, 1);
        void Local() => Native.igs_fill_after_gc({|#1:Unsafe.AsPointer(ref buffer[1])|}, 1, 1);
    }
    static void Fill(byte[] buffer) => Native.igs_fill_after_gc({|#2:Unsafe.AsPointer(ref buffer[0])|}, 1, 1);
}
class D
{
    async Task N(byte[] buffer)
    {
        await Task.Yield();
        unsafe { Native.igs_fill_after_gc({|#3:Unsafe.AsPointer(ref buffer[0])|}, 1, 1); }
    }
}", AsPointer(0, "array 'buffer'", "buffer"), AsPointer(1, "array 'buffer'", "buffer"), AsPointer(2, "array 'buffer'", "buffer"), AsPointer(3, "array 'buffer'", "buffer"));

        // ---- Unsafe.AsPointer look-alikes ----

        [Fact]
        public Task StackMemoryIsNotAFinding() => Check(@"
struct Pair { public int A; public int B; }
unsafe class C
{
    void M(int byValue, Pair pair)
    {
        int local = 0;
        Pair onStack = default;
        Span<byte> scratch = stackalloc byte[16];
        Span<byte> native = new Span<byte>((void*)0, 0);
        var a = Unsafe.AsPointer(ref local);
        var b = Unsafe.AsPointer(ref byValue);
        var c = Unsafe.AsPointer(ref onStack.B);
        var d = Unsafe.AsPointer(ref pair.A);
        var e = Unsafe.AsPointer(ref MemoryMarshal.GetReference(scratch));
        var f = Unsafe.AsPointer(ref scratch[0]);
        var g = Unsafe.AsPointer(ref MemoryMarshal.GetReference(native));
        var h = Unsafe.AsPointer(ref MemoryMarshal.GetReference(new Span<byte>((void*)0, 4)));
    }
}");

        [Fact]
        public Task ConstantDataAndStructSelfAreNotFindings() => Check(@"
struct Block
{
    private long _first;
    public unsafe void* First => Unsafe.AsPointer(ref _first);
}
unsafe class C
{
    static ReadOnlySpan<byte> Table => new byte[] { 1, 2, 3 };
    void M()
    {
        ReadOnlySpan<byte> inline = new byte[] { 4, 5, 6 };
        Span<int> collected = [1, 2, 3];
        var a = Unsafe.AsPointer(ref Unsafe.AsRef(in MemoryMarshal.GetReference(Table)));
        var b = Unsafe.AsPointer(ref Unsafe.AsRef(in MemoryMarshal.GetReference(inline)));
        var c = Unsafe.AsPointer(ref MemoryMarshal.GetReference(collected));
    }
}");

        [Fact]
        public Task UnknownRefsAndSpansAreNotFindings() => Check(@"
unsafe class C
{
    static int s_value;
    void M(ref int value, in long other, Span<byte> span, ReadOnlySpan<char> text, Memory<byte> memory)
    {
        var a = Unsafe.AsPointer(ref value);
        var b = Unsafe.AsPointer(ref Unsafe.AsRef(in other));
        var c = Unsafe.AsPointer(ref MemoryMarshal.GetReference(span));
        var d = Unsafe.AsPointer(ref Unsafe.AsRef(in MemoryMarshal.GetReference(text)));
        var e = Unsafe.AsPointer(ref MemoryMarshal.GetReference(memory.Span));
        var f = Unsafe.AsPointer(ref s_value);
        var g = Unsafe.AsPointer(ref Unsafe.AsRef(in MemoryMarshal.GetReference(""literal"".AsSpan())));
        Native.igs_read(ref MemoryMarshal.GetReference(span), span.Length);
    }
}");

        [Fact]
        public Task PinnedArraysAreNotFindings() => Check(@"
unsafe class C
{
    private readonly byte[] _pinned = GC.AllocateArray<byte>(64, pinned: true);
    private readonly byte[] _held = new byte[64];
    private GCHandle _holder;
    C() { _holder = GCHandle.Alloc(_held, GCHandleType.Pinned); }
    void M(byte[] parameter)
    {
        var poh = GC.AllocateUninitializedArray<byte>(32, pinned: true);
        Native.igs_fill_after_gc(Unsafe.AsPointer(ref poh[0]), poh.Length, 1);
        Native.igs_fill_after_gc(Unsafe.AsPointer(ref _pinned[0]), _pinned.Length, 1);
        Native.igs_fill_after_gc(Unsafe.AsPointer(ref _held[0]), _held.Length, 1);

        var buffer = new byte[8];
        fixed (byte* p = buffer)
        {
            Native.igs_fill_after_gc(Unsafe.AsPointer(ref buffer[0]), buffer.Length, 1);
        }
        fixed (byte* p = &parameter[2])
        {
            Native.igs_fill_after_gc(Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(parameter)), parameter.Length, 1);
        }

        var handled = new byte[8];
        var handle = GCHandle.Alloc(handled, GCHandleType.Pinned);
        try
        {
            Native.igs_fill_after_gc(Unsafe.AsPointer(ref handled[0]), handled.Length, 1);
        }
        finally
        {
            handle.Free();
        }

        var memory = new byte[8];
        using (var pin = memory.AsMemory().Pin())
        {
            Native.igs_fill_after_gc(Unsafe.AsPointer(ref memory[0]), memory.Length, 1);
        }
    }
}");

        [Fact]
        public Task PinThroughAMemoryLocalAndReferenceTypedReferentsAreNotFindings() => Check(@"
unsafe class C
{
    void M(byte[] buffer, object[] objects, string[] names)
    {
        var memory = buffer.AsMemory();
        using var pin = memory.Pin();
        Native.igs_fill_after_gc(Unsafe.AsPointer(ref buffer[0]), buffer.Length, 1);

        var data = new byte[8];
        var view = data.AsMemory(2);
        using var viewPin = view.Pin();
        Native.igs_fill_ptr(Marshal.UnsafeAddrOfPinnedArrayElement(data, 2), 6, 1);

        var a = Unsafe.AsPointer(ref objects[0]);
        var b = Unsafe.AsPointer(ref names[0]);
    }
}");

        [Fact]
        public Task FixedOverTheSameObjectCoversItsFields() => Check(@"
unsafe class Counter
{
    private int _value;
    private int _other;
    void M()
    {
        fixed (int* p = &_other)
        {
            Native.igs_fill_after_gc(Unsafe.AsPointer(ref _value), 4, 0);
        }
    }
}
unsafe class Self
{
    private int _value;
    private GCHandle _self;
    Self() { _self = GCHandle.Alloc(this, GCHandleType.Pinned); }
    void M() => Native.igs_fill_after_gc(Unsafe.AsPointer(ref _value), 4, 0);
}");

        [Fact]
        public Task ArrayFreedBeforeTheUseIsAFinding() => Check(@"
unsafe class C
{
    void M()
    {
        var buffer = new byte[8];
        var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        handle.Free();
        Native.igs_fill_after_gc({|#0:Unsafe.AsPointer(ref buffer[0])|}, buffer.Length, 1);
    }
}", AsPointer(0, "array 'buffer'", "buffer"));

        // ---- Marshal.UnsafeAddrOfPinnedArrayElement ----

        [Fact]
        public Task UnsafeAddrOfAFreshArray() => Check(@"
class C
{
    void M()
    {
        var data = new byte[32];
        Native.igs_fill_ptr({|#0:Marshal.UnsafeAddrOfPinnedArrayElement(data, 0)|}, data.Length, 1);
        var copy = GC.AllocateUninitializedArray<int>(4);
        IntPtr p = {|#1:Marshal.UnsafeAddrOfPinnedArrayElement(copy, 2)|};
        var q = {|#2:Marshal.UnsafeAddrOfPinnedArrayElement(new byte[4], 0)|};
    }
}", UnsafeAddr(0, "data"), UnsafeAddr(1, "copy", null), UnsafeAddr(2, "new byte[4]", null));

        [Fact]
        public Task UnsafeAddrAfterTheHandleIsFreed() => Check(@"
class C
{
    void M()
    {
        var data = new byte[32];
        var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
        Native.igs_fill_ptr(Marshal.UnsafeAddrOfPinnedArrayElement(data, 0), data.Length, 1);
        handle.Free();
        Native.igs_fill_ptr({|#0:Marshal.UnsafeAddrOfPinnedArrayElement(data, 0)|}, data.Length, 1);
    }
}", UnsafeAddr(0, "data"));

        [Fact]
        public Task UnsafeAddrOfPinnedOrUnknownArraysIsNotAFinding() => Check(@"
sealed class PinnedBuffer : IDisposable
{
    private GCHandle _handle;
    public PinnedBuffer(byte[] array) { _handle = GCHandle.Alloc(array, GCHandleType.Pinned); }
    public void Dispose() => _handle.Free();
}
unsafe class C
{
    private byte[] _field = new byte[4];
    private GCHandle _keep;
    void M(byte[] parameter)
    {
        Native.igs_fill_ptr(Marshal.UnsafeAddrOfPinnedArrayElement(parameter, 0), 1, 1);
        Native.igs_fill_ptr(Marshal.UnsafeAddrOfPinnedArrayElement(_field, 0), 1, 1);

        var a = new byte[4];
        var h = GCHandle.Alloc(a, GCHandleType.Pinned);
        Native.igs_fill_ptr(Marshal.UnsafeAddrOfPinnedArrayElement(a, 0), 1, 1);

        var b = new byte[4];
        _keep = GCHandle.Alloc(b, GCHandleType.Pinned);
        Native.igs_fill_ptr(Marshal.UnsafeAddrOfPinnedArrayElement(b, 0), 1, 1);

        var c = new byte[4];
        fixed (byte* p = c)
        {
            Native.igs_fill_ptr(Marshal.UnsafeAddrOfPinnedArrayElement(c, 1), 1, 1);
        }

        var d = new byte[4];
        using (new PinnedBuffer(d))
        {
            Native.igs_fill_ptr(Marshal.UnsafeAddrOfPinnedArrayElement(d, 0), 1, 1);
        }

        var e = GC.AllocateArray<byte>(4, pinned: true);
        Native.igs_fill_ptr(Marshal.UnsafeAddrOfPinnedArrayElement(e, 0), 1, 1);

        var f = Produce();
        Native.igs_fill_ptr(Marshal.UnsafeAddrOfPinnedArrayElement(f, 0), 1, 1);
        h.Free();
    }
    static byte[] Produce() => new byte[1];
}");

        // ---- the pinning model shared with IG2001 (Flow/PinningScopes) ----

        [Fact]
        public Task FreeInsideAnIfDoesNotUnpinTheRestOfTheLoop() => Check(@"
class C
{
    void M(int count)
    {
        var data = new byte[32];
        var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
        for (var i = 0; i < count; i++)
        {
            if (i == 8)
            {
                handle.Free();
                break;
            }

            Native.igs_fill_ptr(Marshal.UnsafeAddrOfPinnedArrayElement(data, i), 1, 1);
        }
    }
}");

        [Fact]
        public Task AHandleLocalPinnedAgainAfterAFreeCoversWhatFollows() => Check(@"
class C
{
    void M(int rounds)
    {
        var data = new byte[32];
        var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
        Native.igs_fill_ptr(Marshal.UnsafeAddrOfPinnedArrayElement(data, 0), data.Length, 1);
        handle.Free();
        handle = GCHandle.Alloc(data, GCHandleType.Pinned);
        Native.igs_fill_ptr(Marshal.UnsafeAddrOfPinnedArrayElement(data, 0), data.Length, 2);
        handle.Free();
        Native.igs_fill_ptr({|#0:Marshal.UnsafeAddrOfPinnedArrayElement(data, 0)|}, data.Length, 3);
    }
}", UnsafeAddr(0, "data"));

        [Fact]
        public Task APinTakenAndKeptByALocalFunctionHoldsAfterItRuns() => Check(@"
class C
{
    void M()
    {
        var data = new byte[32];
        GCHandle handle = default;
        void Pin() => handle = GCHandle.Alloc(data, GCHandleType.Pinned);
        Pin();
        Native.igs_fill_ptr(Marshal.UnsafeAddrOfPinnedArrayElement(data, 0), data.Length, 1);
        handle.Free();
    }
}");

        [Fact]
        public Task ALocalFunctionRunsWhereItIsCalled() => Check(@"
unsafe class C
{
    void M()
    {
        var data = new byte[16];
        using (var pin = data.AsMemory().Pin())
        {
            Fill();
        }

        var other = new byte[16];
        fixed (byte* p = other)
        {
            FillOther();
        }

        FillOther();

        void Fill() => Native.igs_fill_after_gc(Unsafe.AsPointer(ref data[0]), data.Length, 1);
        void FillOther() => Native.igs_fill_after_gc({|#0:Unsafe.AsPointer(ref other[0])|}, other.Length, 1);
    }
}", AsPointer(0, "array 'other'", "other"));

        [Fact]
        public Task FreeEarlierInTheSameBlockUnpinsAlsoInTopLevelCode() => Check(@"
using System;
using System.Runtime.InteropServices;

var data = new byte[32];
var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
Native.igs_fill_ptr(Marshal.UnsafeAddrOfPinnedArrayElement(data, 0), data.Length, 1);
handle.Free();
Native.igs_fill_ptr({|#0:Marshal.UnsafeAddrOfPinnedArrayElement(data, 0)|}, data.Length, 1);
", OutputKind.ConsoleApplication, UnsafeAddr(0, "data"));

        [Fact]
        public Task ALocalIsOnThePinnedHeapOnlyWhenEveryArrayItHoldsIs() => Check(@"
unsafe class C
{
    void M(bool grow, bool pinned)
    {
        var data = GC.AllocateArray<byte>(64, pinned: true);
        if (grow)
        {
            data = new byte[128];
        }

        Native.igs_fill_after_gc({|#0:Unsafe.AsPointer(ref data[0])|}, data.Length, 1);

        var both = grow ? GC.AllocateArray<byte>(128, pinned: true) : GC.AllocateUninitializedArray<byte>(64, true);
        Native.igs_fill_after_gc(Unsafe.AsPointer(ref both[0]), both.Length, 1);

        var maybe = GC.AllocateArray<byte>(64, pinned);
        Native.igs_fill_after_gc(Unsafe.AsPointer(ref maybe[0]), maybe.Length, 1);
    }
}", AsPointer(0, "array 'data'", "data"));

        [Fact]
        public Task AFieldClearedOnDisposeStaysOnThePinnedHeap() => Check(@"
unsafe sealed class C : IDisposable
{
    private byte[] _ring = GC.AllocateArray<byte>(64, pinned: true);
    public void Fill() => Native.igs_fill_after_gc(Unsafe.AsPointer(ref _ring[0]), _ring.Length, 1);
    public void Dispose() { _ring = null!; }
}");

        [Fact]
        public Task APinEndsWhenItsMemoryHandleIsDisposed() => Check(@"
unsafe class C
{
    void M()
    {
        var data = new byte[16];
        using (var pin = data.AsMemory().Pin())
        {
            Native.igs_fill_after_gc(Unsafe.AsPointer(ref data[0]), data.Length, 1);
        }

        Native.igs_fill_after_gc({|#0:Unsafe.AsPointer(ref data[0])|}, data.Length, 1);
    }
}", AsPointer(0, "array 'data'", "data"));

        [Fact]
        public Task FixedOverTheSameFieldOfAnotherObjectDoesNotPinThisOne() => Check(@"
unsafe class C
{
    private byte[] _data = new byte[4];
    void M(C other)
    {
        fixed (byte* p = other._data)
        {
            Native.igs_fill_after_gc({|#0:Unsafe.AsPointer(ref _data[0])|}, 4, 1);
            Native.igs_fill_after_gc(Unsafe.AsPointer(ref other._data[1]), 3, 1);
        }
    }
}", AsPointer(0, "array '_data'", "_data"));

        // ---- AddrOfPinnedObject ----

        [Fact]
        public Task AddrOfNormalAndWeakHandles() => Check(@"
class C
{
    void M(byte[] data)
    {
        var normal = GCHandle.Alloc(data);
        Native.igs_fill_ptr({|#0:normal.AddrOfPinnedObject()|}, data.Length, 1);
        normal.Free();
        var weak = GCHandle.Alloc(data, GCHandleType.Weak);
        IntPtr p = {|#1:weak.AddrOfPinnedObject()|};
        weak.Free();
    }
}", AddrOf(0, "normal"), AddrOf(1, "weak", "GCHandleType.Weak", null));

        [Fact]
        public Task AddrOfAHandleFieldAllocatedInTheConstructor() => Check(@"
sealed class Buffer : IDisposable
{
    private readonly byte[] _data = new byte[16];
    private GCHandle _handle;
    public Buffer() { _handle = GCHandle.Alloc(_data, GCHandleType.Normal); }
    public IntPtr Address => {|#0:_handle.AddrOfPinnedObject()|};
    public void Dispose() => _handle.Free();
}", AddrOf(0, "_handle", native: null));

        [Fact]
        public Task AddrOfPinnedOrUnknownHandlesIsNotAFinding() => Check(@"
sealed class Buffer
{
    private readonly byte[] _data = new byte[16];
    private GCHandle _handle;
    public GCHandle Exposed;
    public Buffer(bool pin) { _handle = GCHandle.Alloc(_data, pin ? GCHandleType.Pinned : GCHandleType.Normal); }
    public IntPtr Address => _handle.AddrOfPinnedObject();
    public IntPtr Other => Exposed.AddrOfPinnedObject();
    static IntPtr M(byte[] data, GCHandle given, IntPtr raw)
    {
        var pinned = GCHandle.Alloc(data, GCHandleType.Pinned);
        var a = pinned.AddrOfPinnedObject();
        var b = given.AddrOfPinnedObject();
        var c = GCHandle.FromIntPtr(raw).AddrOfPinnedObject();
        var restored = GCHandle.FromIntPtr(raw);
        pinned.Free();
        return restored.AddrOfPinnedObject();
    }
}");

        [Fact]
        public Task IncompleteCodeDoesNotThrow()
        {
            var test = new AnalyzerTest<UnpinnedAddressAnalyzer>
            {
                Source = Prelude + @"
unsafe class C
{
    void M(byte[] buffer, Missing m)
    {
        Native.igs_fill_after_gc(Unsafe.AsPointer(ref m.Field[0]), 1, 1);
        Native.igs_fill_after_gc(Unsafe.AsPointer(ref ), 1, 1);
        var h = GCHandle.Alloc(;
        h.AddrOfPinnedObject();
        Marshal.UnsafeAddrOfPinnedArrayElement(new byte[", 
                AllowCompilerErrors = true,
            };
            return test.RunAsync();
        }

        // Overlapped pin data is pinned until the NativeOverlapped is freed (PinningScopes.OverlappedPinData): an address
        // into it taken after the overlapped is allocated is pinned; one taken before is not.
        [Fact]
        public Task ArrayPinnedAsOverlappedPinData() => Check(@"
unsafe class C
{
    System.Threading.ThreadPoolBoundHandle _bound = null!;
    void M()
    {
        var data = new byte[16];
        Native.igs_fill_ptr({|#0:Marshal.UnsafeAddrOfPinnedArrayElement(data, 0)|}, data.Length, 1);
        var overlapped = _bound.AllocateNativeOverlapped((e, n, o) => { }, null, data);
        Native.igs_fill_ptr(Marshal.UnsafeAddrOfPinnedArrayElement(data, 0), data.Length, 1);
        var more = new byte[16];
        var packed = new System.Threading.Overlapped().Pack((e, n, o) => { }, new object[] { more });
        Native.igs_fill_ptr(Marshal.UnsafeAddrOfPinnedArrayElement(more, 0), more.Length, 1);
    }
}", UnsafeAddr(0, "data"));

        // Found unifying the type-wide pin check: it had taken any 'this' written in the pinned expression as pinning the
        // object, but pinning 'this.Frame' (or memory over it) pins the array, not the object whose field it is.
        [Fact]
        public Task PinningAFieldThroughThisDoesNotPinTheObject() => Check(@"
unsafe class Receiver
{
    public byte[] Frame = new byte[64];
    private int _count;
    private GCHandle _pin;
    private MemoryHandle _memoryPin;
    Receiver()
    {
        _pin = GCHandle.Alloc(this.Frame, GCHandleType.Pinned);
        _memoryPin = this.Frame.AsMemory().Pin();
    }
    void M() => Native.igs_fill_after_gc({|#0:Unsafe.AsPointer(ref _count)|}, 4, 0);
}", FieldPointer(0, "_count", "this"));

        // A fresh array handed to a helper returning a GCHandle, MemoryHandle, Memory<T> or something disposable may be
        // pinned there (recognized by symbol); GCHandle.Alloc itself is read by the pin model, so a Normal handle does not count.
        [Fact]
        public Task FreshArrayHandedToAPinningHelper() => Check(@"
static class Pins
{
    public static GCHandle Handle(byte[] a) => GCHandle.Alloc(a, GCHandleType.Pinned);
    public static MemoryHandle Memory(byte[] a) => a.AsMemory().Pin();
    public static ReadOnlyMemory<byte> Wrap(byte[] a) => a;
    public static IDisposable Enter(byte[] a) => a.AsMemory().Pin();
    public static int Count(byte[] a) => a.Length;
}
class C
{
    void M()
    {
        byte[] a = new byte[4], b = new byte[4], c = new byte[4], d = new byte[4], e = new byte[4], f = new byte[4];
        var ha = Pins.Handle(a);
        using var hb = Pins.Memory(b);
        var wc = Pins.Wrap(c);
        using var sd = Pins.Enter(d);
        var he = GCHandle.Alloc(e);
        Pins.Count(f);
        foreach (var pinned in new[] { Marshal.UnsafeAddrOfPinnedArrayElement(a, 0), Marshal.UnsafeAddrOfPinnedArrayElement(b, 0),
                                       Marshal.UnsafeAddrOfPinnedArrayElement(c, 0), Marshal.UnsafeAddrOfPinnedArrayElement(d, 0) })
            Native.igs_fill_ptr(pinned, 1, 1);
        Native.igs_fill_ptr({|#0:Marshal.UnsafeAddrOfPinnedArrayElement(e, 0)|}, 1, 1);
        Native.igs_fill_ptr({|#1:Marshal.UnsafeAddrOfPinnedArrayElement(f, 0)|}, 1, 1);
    }
}", UnsafeAddr(0, "e"), UnsafeAddr(1, "f"));
    }
}
