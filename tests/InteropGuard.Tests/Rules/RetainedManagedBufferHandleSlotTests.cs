using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG2003 on the out slot of a function that makes a handle: a <c>ref</c> to a pointer-sized value (IntPtr, or a
    /// struct around one, as ManagedCuda's <c>CUdeviceptr</c>) is where the function writes what it made before it
    /// returns, even when its name reads as a registration of memory (<c>cuMemAllocAsync</c>,
    /// <c>cuGraphicsGLRegisterBuffer</c>). A ref to a larger struct given to such a function is still a buffer it may keep.
    /// </summary>
    public class RetainedManagedBufferHandleSlotTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

struct DevicePointer
{
    public UIntPtr Pointer;
}

struct Resource
{
    public IntPtr Pointer;
}

struct Block
{
    public IntPtr First;
    public IntPtr Second;
}

static class Cuda
{
    [DllImport(""cuda"")] public static extern int cuMemAllocAsync(ref DevicePointer pointer, UIntPtr size, IntPtr stream);
    [DllImport(""cuda"")] public static extern int cuGraphicsGLRegisterBuffer(ref Resource resource, uint buffer, uint flags);
    [DllImport(""cuda"")] public static extern int cuRegisterBufferHandle(ref IntPtr handle, uint buffer);
    [DllImport(""cuda"")] public static extern int cuMemRegisterBlock(ref Block block, uint flags);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<RetainedManagedBufferAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task TheOutSlotOfAHandleIsWrittenBeforeTheCallReturns() => Check(@"
sealed class DeviceVariable
{
    private DevicePointer _pointer;
    private Resource _resource;
    private IntPtr _handle;

    public void Allocate(IntPtr stream)
    {
        Cuda.cuMemAllocAsync(ref _pointer, (UIntPtr)64, stream);
        Cuda.cuGraphicsGLRegisterBuffer(ref _resource, 7, 0);
        Cuda.cuRegisterBufferHandle(ref _handle, 7);
    }
}");

        [Fact]
        public Task ALargerStructGivenToAMemoryRegistrationIsStillKept() => Check(@"
sealed class Registered
{
    private Block _block;

    public void Register() => Cuda.cuMemRegisterBlock({|#0:ref _block|}, 0);
}", Verify.Diagnostic("IG2003").WithLocation(0).WithMessage(
            "A ref to the field '_block' of this object is given to 'Cuda.cuMemRegisterBlock', which has a registration-style name and keeps what it is given after it returns; it is pinned only for the duration of the call, so native code keeps the pointer and later writes into memory the GC may move or reuse"));
    }
}
