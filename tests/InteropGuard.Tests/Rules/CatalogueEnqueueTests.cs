using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG2003 on a compute queue's enqueue functions: an "enqueue … buffer" name keeps every pointer by its name alone,
    /// but the catalogue knows that only the host pointer of a read or write outlives the call, while the event list,
    /// the origin and region arrays and a fill pattern are read before the function returns.
    /// </summary>
    public class CatalogueEnqueueTests
    {
        private const string Api = @"using System;
using System.Runtime.InteropServices;
struct QueueEvent { public IntPtr Handle; }
static unsafe class Cl
{
    [DllImport(""OpenCL.dll"", EntryPoint = ""clEnqueueReadBuffer"")]
    public static extern int ReadBuffer(IntPtr queue, IntPtr buffer, bool blocking, UIntPtr offset, UIntPtr size, IntPtr host, uint waitCount, QueueEvent[] waitList, out QueueEvent done);
    [DllImport(""OpenCL.dll"", EntryPoint = ""clEnqueueWriteBufferRect"")]
    public static extern int WriteBufferRect(IntPtr queue, IntPtr buffer, bool blocking, UIntPtr[] bufferOrigin, UIntPtr[] hostOrigin, UIntPtr[] region,
        UIntPtr bufferRowPitch, UIntPtr bufferSlicePitch, UIntPtr hostRowPitch, UIntPtr hostSlicePitch, IntPtr host, uint waitCount, QueueEvent[] waitList, out QueueEvent done);
    [DllImport(""OpenCL"")]
    public static extern int clEnqueueCopyBuffer(IntPtr queue, IntPtr source, IntPtr target, UIntPtr sourceOffset, UIntPtr targetOffset, UIntPtr size, uint waitCount, QueueEvent[] waitList, out QueueEvent done);
    [DllImport(""OpenCL"")]
    public static extern int clEnqueueMigrateMemObjects(IntPtr queue, uint count, IntPtr[] memObjects, ulong flags, uint waitCount, QueueEvent[] waitList, out QueueEvent done);
    [DllImport(""OpenCL"")]
    public static extern int clEnqueueNDRangeKernel(IntPtr queue, IntPtr kernel, uint dimensions, UIntPtr[] offset, UIntPtr[] global, UIntPtr[] local, uint waitCount, QueueEvent[] waitList, out QueueEvent done);
    [DllImport(""gpuqueue"")]
    public static extern int gq_enqueue_copy_buffer(IntPtr queue, IntPtr source, IntPtr target, uint waitCount, QueueEvent[] waitList);
    [DllImport(""libOpenCL.so.1"", EntryPoint = ""clEnqueueFillBuffer"")]
    public static extern int FillBuffer(IntPtr queue, IntPtr buffer, IntPtr pattern, UIntPtr patternSize, UIntPtr offset, UIntPtr size, uint waitCount, QueueEvent[] waitList, out QueueEvent done);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<RetainedManagedBufferAnalyzer> { Source = Api + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private const string Kept = "is documented to keep this argument after it returns (InteropGuard's catalogue of OpenCL functions)"
                                    + "; it is pinned only for the duration of the call, so native code keeps the pointer and later writes into memory the GC may move or reuse";

        [Fact]
        public Task HostPointerOfAReadThatNeedNotBlockIsKept() => Check(@"
unsafe class Download
{
    int Read(IntPtr queue, IntPtr buffer, bool blocking, float[] target, QueueEvent[] after)
    {
        fixed (float* p = target)
        {
            return Cl.ReadBuffer(queue, buffer, blocking, UIntPtr.Zero, (UIntPtr)(target.Length * 4), {|#0:(IntPtr)p|}, (uint)after.Length, after, out _);
        }
    }
}",
            Verify.Diagnostic("IG2003").WithLocation(0).WithMessage("The fixed pointer 'p' to the array 'target' is given to 'Cl.ReadBuffer', which " + Kept));

        [Fact]
        public Task RegionArraysEventListsAndFillPatternsAreReadDuringTheCall() => Check(@"
unsafe class Upload
{
    void Write(IntPtr queue, IntPtr buffer, QueueEvent[] after, UIntPtr[] origin, UIntPtr[] region, IntPtr host)
    {
        Cl.WriteBufferRect(queue, buffer, true, origin, origin, region, UIntPtr.Zero, UIntPtr.Zero, UIntPtr.Zero, UIntPtr.Zero, host, (uint)after.Length, after, out _);
    }

    void Fill(IntPtr queue, IntPtr buffer, int[] pattern, QueueEvent[] after)
    {
        fixed (int* p = pattern)
        {
            Cl.FillBuffer(queue, buffer, (IntPtr)p, (UIntPtr)(pattern.Length * 4), UIntPtr.Zero, (UIntPtr)1024, (uint)after.Length, after, out _);
        }
    }
}");

        // The copy, migrate and kernel launches take only handles, sizes and lists they read before returning; the same
        // shape for a library the catalogue does not know is still judged by its name.
        [Fact]
        public Task CopyMigrateAndLaunchKeepNothingOfTheCaller() => Check(@"
unsafe class Commands
{
    void Run(IntPtr queue, IntPtr a, IntPtr b, IntPtr kernel, QueueEvent[] after, IntPtr[] objects, UIntPtr[] global)
    {
        Cl.clEnqueueCopyBuffer(queue, a, b, UIntPtr.Zero, UIntPtr.Zero, (UIntPtr)64, (uint)after.Length, after, out _);
        Cl.clEnqueueMigrateMemObjects(queue, (uint)objects.Length, objects, 0, (uint)after.Length, after, out _);
        Cl.clEnqueueNDRangeKernel(queue, kernel, 1, null, global, null, (uint)after.Length, after, out _);
    }

    void Other(IntPtr queue, IntPtr a, IntPtr b, QueueEvent[] after)
    {
        Cl.gq_enqueue_copy_buffer(queue, a, b, (uint)after.Length, {|#0:after|});
    }
}",
            Verify.Diagnostic("IG2003").WithLocation(0).WithMessage("The array 'after' is given to 'Cl.gq_enqueue_copy_buffer', which has a registration-style name and keeps what it is given after it returns; it is pinned only for the duration of the call, so native code keeps the pointer and later writes into memory the GC may move or reuse"));
    }
}
