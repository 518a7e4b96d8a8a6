using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// An allocation assigned inside the condition that tests it — <c>if ((p = Alloc(n)) == IntPtr.Zero) throw …</c> —
    /// is tested like one assigned in a statement before the test: on the branch where the assignment's value is zero,
    /// nothing was allocated and nothing is owed. A test of another variable, or of the assignment compared with something
    /// that is not a failure value, leaves the obligation.
    /// </summary>
    public class AssignedInConditionTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
static class Native
{
    [DllImport(""store"")] public static extern int put(IntPtr data, int size);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task GrowingABufferWhoseFailureIsTestedInTheAssignment() => Check(@"
class Scratch
{
    IntPtr _block = Marshal.AllocCoTaskMem(0);
    int _size;

    public void Grow(int wanted)
    {
        IntPtr grown;
        if ((grown = Marshal.ReAllocCoTaskMem(_block, wanted)) == IntPtr.Zero)
            throw new OutOfMemoryException(""no memory"");
        _block = grown;
        _size = wanted;
    }
}");

        [Fact]
        public Task AnAllocationTestedInItsAssignmentAndThenReleased() => Check(@"
class Sender
{
    public static int Send(int size)
    {
        IntPtr p;
        if (IntPtr.Zero == (p = Marshal.AllocHGlobal(size)))
            throw new InvalidOperationException(""no memory"");
        try { return Native.put(p, size); }
        finally { Marshal.FreeHGlobal(p); }
    }

    public static unsafe int SendPointer(int size)
    {
        byte* p;
        if ((p = (byte*)NativeMemory.Alloc((nuint)size)) is null)
            throw new OutOfMemoryException();
        var result = Native.put((IntPtr)p, size);
        NativeMemory.Free(p);
        return result;
    }

    public static int SendNegated(int size)
    {
        IntPtr p;
        if (!((p = Marshal.AllocHGlobal(size)) != IntPtr.Zero))
            return -1;
        var result = Native.put(p, size);
        Marshal.FreeHGlobal(p);
        return result;
    }
}");

        [Fact]
        public Task ATestOfTheAssignmentAgainstAnotherValueStillLeaks() => Check(@"
class Sender
{
    public static int Send(int size, IntPtr previous)
    {
        IntPtr p;
        if ((p = {|#0:Marshal.AllocHGlobal(size)|}) == previous)
            throw new InvalidOperationException(""same block"");
        var result = Native.put(p, size);
        Marshal.FreeHGlobal(p);
        return result;
    }
}", Verify.Diagnostic("IG3001").WithLocation(0));
    }
}
