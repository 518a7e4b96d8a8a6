using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// A native function given a block together with the function that frees it takes the block: it calls that function
    /// when it is done with the data (a tensor or blob made around the caller's bytes with a "deallocator" callback), so
    /// the block is no longer the method's to release. Only a callback of the compilation whose body frees one of its own
    /// parameters with a catalogued release counts; a callback that does something else, one that frees memory of its
    /// own, or a null deallocator leaves the block the method's.
    /// </summary>
    public class ReleaseCallbackHandOverTests
    {
        private const string Prelude = @"using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
public delegate void Dropper(IntPtr data, IntPtr length, IntPtr state);
static class Blobs
{
    [DllImport(""blobs"")] public static extern IntPtr blob_wrap(int kind, IntPtr data, UIntPtr length, Dropper drop, IntPtr state);
    [DllImport(""blobs"")] public static extern unsafe IntPtr blob_wrap_fn(IntPtr data, UIntPtr length, delegate* unmanaged<IntPtr, IntPtr, IntPtr, void> drop);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task BlockGivenWithAFieldHoldingItsRelease() => Check(@"
class Blob
{
    static Dropper s_drop = Drop;
    IntPtr _handle;

    static void Drop(IntPtr data, IntPtr length, IntPtr state)
    {
        Marshal.FreeHGlobal(data);
    }

    public unsafe Blob(int value)
    {
        var p = (int*)Marshal.AllocHGlobal(sizeof(int));
        *p = value;
        _handle = Blobs.blob_wrap(1, (IntPtr)p, (UIntPtr)sizeof(int), s_drop, IntPtr.Zero);
    }
}");

        [Fact]
        public Task BlockGivenWithAMethodGroupOrALambdaThatFreesIt() => Check(@"
class Blob
{
    IntPtr _a, _b;

    static void Drop(IntPtr data, IntPtr length, IntPtr state) => Marshal.FreeHGlobal(data);

    public Blob()
    {
        var first = Marshal.AllocHGlobal(8);
        _a = Blobs.blob_wrap(1, first, (UIntPtr)8, Drop, IntPtr.Zero);
        var second = Marshal.AllocHGlobal(8);
        _b = Blobs.blob_wrap(2, second, (UIntPtr)8, (d, n, s) => Marshal.FreeHGlobal(d), IntPtr.Zero);
    }
}");

        [Fact]
        public Task BlockGivenWithAnUnmanagedFunctionPointerToItsRelease() => Check(@"
unsafe class Blob
{
    IntPtr _handle;

    [UnmanagedCallersOnly]
    static void Drop(IntPtr data, IntPtr length, IntPtr state) => Marshal.FreeHGlobal(data);

    public Blob()
    {
        var p = Marshal.AllocHGlobal(8);
        _handle = Blobs.blob_wrap_fn(p, (UIntPtr)8, &Drop);
    }
}");

        [Fact]
        public Task BlockGivenWithACallbackThatFreesNothingIsStillOwned() => Check(@"
class Blob
{
    static Dropper s_drop = Drop;
    static int s_dropped;
    IntPtr _handle;

    static void Drop(IntPtr data, IntPtr length, IntPtr state) => s_dropped++;

    public Blob()
    {
        var p = {|#0:Marshal.AllocHGlobal(8)|};
        _handle = Blobs.blob_wrap(1, p, (UIntPtr)8, s_drop, IntPtr.Zero);
    }
}", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'Marshal.AllocHGlobal' in 'p' is not released by 'Marshal.FreeHGlobal' when the method returns"));

        [Fact]
        public Task BlockGivenWithACallbackThatFreesOtherMemoryIsStillOwned() => Check(@"
class Blob
{
    static IntPtr s_scratch;
    IntPtr _handle;

    static void Drop(IntPtr data, IntPtr length, IntPtr state) => Marshal.FreeHGlobal(s_scratch);

    public Blob()
    {
        var p = {|#0:Marshal.AllocHGlobal(8)|};
        _handle = Blobs.blob_wrap(1, p, (UIntPtr)8, Drop, IntPtr.Zero);
    }
}", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'Marshal.AllocHGlobal' in 'p' is not released by 'Marshal.FreeHGlobal' when the method returns"));

        [Fact]
        public Task BlockGivenWithoutADeallocatorIsStillOwned() => Check(@"
class Blob
{
    IntPtr _handle;

    public Blob()
    {
        var p = {|#0:Marshal.AllocHGlobal(8)|};
        _handle = Blobs.blob_wrap(1, p, (UIntPtr)8, null, IntPtr.Zero);
    }
}", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'Marshal.AllocHGlobal' in 'p' is not released by 'Marshal.FreeHGlobal' when the method returns"));

        [Fact]
        public Task BlockGivenWithAPublicFieldAnyoneCanReplaceIsStillOwned() => Check(@"
public class Blob
{
    public static Dropper Drop = (d, n, s) => Marshal.FreeHGlobal(d);
    IntPtr _handle;

    public Blob()
    {
        var p = {|#0:Marshal.AllocHGlobal(8)|};
        _handle = Blobs.blob_wrap(1, p, (UIntPtr)8, Drop, IntPtr.Zero);
    }
}", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'Marshal.AllocHGlobal' in 'p' is not released by 'Marshal.FreeHGlobal' when the method returns"));
    }
}
