using System.Threading.Tasks;
using InteropGuard.CodeFixes;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG2002 fixes: wrap in fixed (IG2002.WrapInFixed), allocate the handle as Pinned (IG2002.PinnedHandle).</summary>
    public class UnpinnedAddressFixTests
    {
        private static Task VerifyFixed(string source, string fixedSource, string? batchFixedSource = null)
            => Verify(source, fixedSource, "IG2002.WrapInFixed", batchFixedSource);

        private static Task VerifyHandle(string source, string fixedSource, string? batchFixedSource = null)
            => Verify(source, fixedSource, "IG2002.PinnedHandle", batchFixedSource);

        private static Task Verify(string source, string fixedSource, string key, string? batchFixedSource)
        {
            var test = new CodeFixTest<UnpinnedAddressAnalyzer, PinBeforeTakingAddressCodeFix>
            {
                DefaultDiagnosticId = "IG2002",
                Source = UnpinnedAddressTests.Prelude + source,
                FixedSource = UnpinnedAddressTests.Prelude + fixedSource,
                BatchFixedSource = batchFixedSource == null ? null : UnpinnedAddressTests.Prelude + batchFixedSource,
                CodeActionEquivalenceKey = key,
            };
            return test.RunAsync();
        }

        [Fact]
        public Task ArrayElementPassedToANativeFunction() => VerifyFixed(@"
unsafe class C
{
    void M()
    {
        var buffer = new byte[64];
        // fill after a forced GC
        Native.igs_fill_after_gc([|Unsafe.AsPointer(ref buffer[0])|], buffer.Length, 0x5A);
        Console.WriteLine(buffer[0]);
    }
}", @"
unsafe class C
{
    void M()
    {
        var buffer = new byte[64];
        // fill after a forced GC
        fixed (byte* pBuffer = &buffer[0])
        {
            Native.igs_fill_after_gc(pBuffer, buffer.Length, 0x5A);
        }
        Console.WriteLine(buffer[0]);
    }
}");

        [Fact]
        public Task ReturnedCallWithATrailingComment() => VerifyFixed(@"
static unsafe class Program
{
    static int Fill(byte[] buffer)
    {
        return Native.igs_read(ref *(byte*)[|Unsafe.AsPointer(ref buffer[0])|], buffer.Length); // reads the buffer
    }
}", @"
static unsafe class Program
{
    static int Fill(byte[] buffer)
    {
        fixed (byte* pBuffer = &buffer[0])
        {
            return Native.igs_read(ref *(byte*)pBuffer, buffer.Length); // reads the buffer
        }
    }
}");

        [Fact]
        public Task ExpressionBodiesBecomeBlocks() => VerifyFixed(@"
unsafe class C
{
    static void Fill(byte[] buffer) => Native.igs_fill_after_gc([|Unsafe.AsPointer(ref buffer[0])|], buffer.Length, 1);

    static int Read(byte[] buffer) => Native.igs_read(ref *(byte*)[|Unsafe.AsPointer(ref buffer[0])|], buffer.Length);

    void M(byte[] buffer)
    {
        void Local() => Native.igs_fill_after_gc([|Unsafe.AsPointer(ref buffer[1])|], 1, 1);
        Local();
    }
}", @"
unsafe class C
{
    static void Fill(byte[] buffer)
    {
        fixed (byte* pBuffer = &buffer[0])
        {
            Native.igs_fill_after_gc(pBuffer, buffer.Length, 1);
        }
    }

    static int Read(byte[] buffer)
    {
        fixed (byte* pBuffer2 = &buffer[0])
        {
            return Native.igs_read(ref *(byte*)pBuffer2, buffer.Length);
        }
    }

    void M(byte[] buffer)
    {
        void Local()
        {
            fixed (byte* pBuffer3 = &buffer[1])
            {
                Native.igs_fill_after_gc(pBuffer3, 1, 1);
            }
        }
        Local();
    }
}");

        [Fact]
        public Task CastToIntPtrKeepsTheCast() => VerifyFixed(@"
unsafe class C
{
    void M(byte[] buffer)
    {
        Native.igs_fill_ptr((IntPtr)[|Unsafe.AsPointer(ref buffer[0])|], buffer.Length, 0x5A);
    }
}", @"
unsafe class C
{
    void M(byte[] buffer)
    {
        fixed (byte* pBuffer = &buffer[0])
        {
            Native.igs_fill_ptr((IntPtr)pBuffer, buffer.Length, 0x5A);
        }
    }
}");

        [Fact]
        public Task ArrayDataReferencePinsTheArray() => VerifyFixed(@"
unsafe class C
{
    void M(byte[] buffer)
    {
        Native.igs_fill_after_gc([|Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer))|], buffer.Length, 0x5A);
    }
}", @"
unsafe class C
{
    void M(byte[] buffer)
    {
        fixed (byte* pBuffer = buffer)
        {
            Native.igs_fill_after_gc(pBuffer, buffer.Length, 0x5A);
        }
    }
}");

        [Fact]
        public Task SpanIsPinnedThroughItsPinnableReference() => VerifyFixed(@"
unsafe class C
{
    int M(int[] values)
    {
        return Native.igs_read(ref *(byte*)[|Unsafe.AsPointer(ref MemoryMarshal.GetReference(values.AsSpan(1)))|], 4);
    }
}", @"
unsafe class C
{
    int M(int[] values)
    {
        fixed (int* pValues = values.AsSpan(1))
        {
            return Native.igs_read(ref *(byte*)pValues, 4);
        }
    }
}");

        [Fact]
        public Task ClassFieldAndFreshName() => VerifyFixed(@"
unsafe class Counter
{
    private int _value;
    private int pValue;
    void M()
    {
        if (pValue > 0)
            Native.igs_fill_after_gc([|Unsafe.AsPointer(ref _value)|], 4, 0);
    }
}", @"
unsafe class Counter
{
    private int _value;
    private int pValue;
    void M()
    {
        if (pValue > 0)
            fixed (int* pValue2 = &_value)
            {
                Native.igs_fill_after_gc(pValue2, 4, 0);
            }
    }
}");

        [Fact]
        public Task DeclarationIsSplitSoTheLocalStaysInScope() => VerifyFixed(@"
unsafe class C
{
    int M(byte[] buffer)
    {
        var read = Native.igs_read(ref *(byte*)[|Unsafe.AsPointer(ref buffer[1])|], 1);
        return read + 1;
    }
}", @"
unsafe class C
{
    int M(byte[] buffer)
    {
        int read;
        fixed (byte* pBuffer = &buffer[1])
        {
            read = Native.igs_read(ref *(byte*)pBuffer, 1);
        }
        return read + 1;
    }
}");

        [Fact]
        public Task UnsafeAddrOfPinnedArrayElementMakesTheMethodUnsafe() => VerifyFixed(@"
class C
{
    public void M()
    {
        var data = new byte[32];
        Native.igs_fill_ptr([|Marshal.UnsafeAddrOfPinnedArrayElement(data, 0)|], data.Length, 1);
        Native.igs_fill_ptr([|Marshal.UnsafeAddrOfPinnedArrayElement(data, 4)|], 4, 2);
    }
}", @"
class C
{
    public unsafe void M()
    {
        var data = new byte[32];
        fixed (byte* pData = data)
        {
            Native.igs_fill_ptr((IntPtr)pData, data.Length, 1);
        }
        fixed (byte* pData2 = &data[4])
        {
            Native.igs_fill_ptr((IntPtr)pData2, 4, 2);
        }
    }
}");

        [Fact]
        public Task LocalFunctionAndLambdaBlockInAnUnsafeType() => VerifyFixed(@"
unsafe class C
{
    void M(byte[] buffer)
    {
        Action a = () =>
        {
            Native.igs_fill_after_gc([|Unsafe.AsPointer(ref buffer[0])|], 1, 1);
        };
        void Local()
        {
            Native.igs_fill_after_gc([|Unsafe.AsPointer(ref buffer[1])|], 1, 1);
        }
    }
}", @"
unsafe class C
{
    void M(byte[] buffer)
    {
        Action a = () =>
        {
            fixed (byte* pBuffer = &buffer[0])
            {
                Native.igs_fill_after_gc(pBuffer, 1, 1);
            }
        };
        void Local()
        {
            fixed (byte* pBuffer2 = &buffer[1])
            {
                Native.igs_fill_after_gc(pBuffer2, 1, 1);
            }
        }
    }
}");

        [Fact]
        public Task TwoAddressesInOneStatementNestUnderFixAll() => VerifyFixed(@"
unsafe class C
{
    static extern void Copy(void* to, void* from);
    void M(byte[] a, byte[] b)
    {
        Copy([|Unsafe.AsPointer(ref a[0])|], [|Unsafe.AsPointer(ref b[0])|]);
    }
}", @"
unsafe class C
{
    static extern void Copy(void* to, void* from);
    void M(byte[] a, byte[] b)
    {
        fixed (byte* pA = &a[0])
        {
            fixed (byte* pB = &b[0])
            {
                Copy(pA, pB);
            }
        }
    }
}");

        [Fact]
        public Task NotOfferedWhenThePointerIsKeptInALocal() => VerifyFixed(@"
unsafe class C
{
    void M(byte[] buffer)
    {
        void* p = [|Unsafe.AsPointer(ref buffer[0])|];
        Native.igs_fill_after_gc(p, 1, 1);
    }
}", @"
unsafe class C
{
    void M(byte[] buffer)
    {
        void* p = Unsafe.AsPointer(ref buffer[0]);
        Native.igs_fill_after_gc(p, 1, 1);
    }
}");

        [Fact]
        public Task NotOfferedInLambdaExpressionBodiesReturnsOrWithEffectfulIndexes() => VerifyFixed(@"
unsafe class C
{
    int _i;
    void* M(byte[] buffer) => [|Unsafe.AsPointer(ref buffer[0])|];
    void N(byte[] buffer)
    {
        Action a = () => Native.igs_fill_after_gc([|Unsafe.AsPointer(ref buffer[0])|], 1, 1);
        Native.igs_fill_after_gc([|Unsafe.AsPointer(ref buffer[_i++])|], 1, 1);
    }
}", @"
unsafe class C
{
    int _i;
    void* M(byte[] buffer) => Unsafe.AsPointer(ref buffer[0]);
    void N(byte[] buffer)
    {
        Action a = () => Native.igs_fill_after_gc(Unsafe.AsPointer(ref buffer[0]), 1, 1);
        Native.igs_fill_after_gc(Unsafe.AsPointer(ref buffer[_i++]), 1, 1);
    }
}");

        [Fact]
        public Task NotOfferedInAsyncMethodsOrLambdas() => VerifyFixed(@"
class C
{
    async Task M()
    {
        await Task.Yield();
        var data = new byte[4];
        Native.igs_fill_ptr([|Marshal.UnsafeAddrOfPinnedArrayElement(data, 0)|], 4, 1);
    }
    void N()
    {
        Action a = () =>
        {
            var data = new byte[4];
            Native.igs_fill_ptr([|Marshal.UnsafeAddrOfPinnedArrayElement(data, 0)|], 4, 1);
        };
    }
}", @"
class C
{
    async Task M()
    {
        await Task.Yield();
        var data = new byte[4];
        Native.igs_fill_ptr(Marshal.UnsafeAddrOfPinnedArrayElement(data, 0), 4, 1);
    }
    void N()
    {
        Action a = () =>
        {
            var data = new byte[4];
            Native.igs_fill_ptr(Marshal.UnsafeAddrOfPinnedArrayElement(data, 0), 4, 1);
        };
    }
}");

        [Fact]
        public Task TopLevelStatementsInAnUnsafeBlock()
        {
            var test = new CodeFixTest<UnpinnedAddressAnalyzer, PinBeforeTakingAddressCodeFix>
            {
                DefaultDiagnosticId = "IG2002",
                OutputKind = OutputKind.ConsoleApplication,
                Source = @"using System;
using System.Runtime.CompilerServices;
unsafe
{
    var buffer = new byte[16];
    Native.igs_fill_after_gc([|Unsafe.AsPointer(ref buffer[0])|], buffer.Length, 1);
}
",
                FixedSource = @"using System;
using System.Runtime.CompilerServices;
unsafe
{
    var buffer = new byte[16];
    fixed (byte* pBuffer = &buffer[0])
    {
        Native.igs_fill_after_gc(pBuffer, buffer.Length, 1);
    }
}
",
                CodeActionEquivalenceKey = "IG2002.WrapInFixed",
            };
            test.AdditionalSources.Add(UnpinnedAddressTests.Prelude);
            test.FixedAdditionalSources.Add(UnpinnedAddressTests.Prelude);
            return test.RunAsync();
        }

        // ---- IG2002.PinnedHandle ----

        [Fact]
        public Task NormalHandleBecomesPinned() => VerifyHandle(@"
class C
{
    void M(byte[] data)
    {
        var handle = GCHandle.Alloc(data);
        try
        {
            Native.igs_fill_ptr([|handle.AddrOfPinnedObject()|], data.Length, 1);
        }
        finally
        {
            handle.Free();
        }
    }
}", @"
class C
{
    void M(byte[] data)
    {
        var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
        try
        {
            Native.igs_fill_ptr(handle.AddrOfPinnedObject(), data.Length, 1);
        }
        finally
        {
            handle.Free();
        }
    }
}");

        [Fact]
        public Task FieldHandleAllocatedAsNormal() => VerifyHandle(@"
sealed class Buffer : IDisposable
{
    private readonly byte[] _data = new byte[16];
    private GCHandle _handle;
    public Buffer() { _handle = GCHandle.Alloc(_data, GCHandleType.Normal); }
    public IntPtr Address => [|_handle.AddrOfPinnedObject()|];
    public IntPtr Second => [|_handle.AddrOfPinnedObject()|];
    public void Dispose() => _handle.Free();
}", @"
sealed class Buffer : IDisposable
{
    private readonly byte[] _data = new byte[16];
    private GCHandle _handle;
    public Buffer() { _handle = GCHandle.Alloc(_data, GCHandleType.Pinned); }
    public IntPtr Address => _handle.AddrOfPinnedObject();
    public IntPtr Second => _handle.AddrOfPinnedObject();
    public void Dispose() => _handle.Free();
}");

        [Fact]
        public Task NotOfferedForWeakHandlesOrUnpinnableObjects() => VerifyHandle(@"
class Node { public Node Next; }
class C
{
    void M(byte[] data, Node node, object unknown)
    {
        var weak = GCHandle.Alloc(data, GCHandleType.Weak);
        var p = [|weak.AddrOfPinnedObject()|];
        var n = GCHandle.Alloc(node);
        var q = [|n.AddrOfPinnedObject()|];
        var u = GCHandle.Alloc(unknown);
        var r = [|u.AddrOfPinnedObject()|];
    }
}", @"
class Node { public Node Next; }
class C
{
    void M(byte[] data, Node node, object unknown)
    {
        var weak = GCHandle.Alloc(data, GCHandleType.Weak);
        var p = weak.AddrOfPinnedObject();
        var n = GCHandle.Alloc(node);
        var q = n.AddrOfPinnedObject();
        var u = GCHandle.Alloc(unknown);
        var r = u.AddrOfPinnedObject();
    }
}");
    }
}
