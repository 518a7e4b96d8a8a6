using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG3003: use after release and double release of pointers, GCHandles and SafeHandles.</summary>
    public class UseAfterReleaseTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
static class Native
{
    [DllImport(""mylib"")] public static extern int use(IntPtr p);
    [DllImport(""mylib"")] public static extern int read(FileHandle h);
    [DllImport(""mylib"")] public static extern FileHandle open(string path);
}
sealed class FileHandle : SafeHandle
{
    public FileHandle() : base(IntPtr.Zero, true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => true;
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(int location, string message) => Verify.Diagnostic("IG3003").WithLocation(location).WithMessage(message);

        [Fact]
        public Task PointerPassedToNativeCodeAfterFree() => Check(@"
class C
{
    void M()
    {
        var p = Marshal.AllocHGlobal(8);
        Marshal.FreeHGlobal(p);
        Native.use({|#0:p|});
    }
}", Finding(0, "'p' is passed to 'Native.use' after 'Marshal.FreeHGlobal(p)' released it"));

        [Fact]
        public Task DoubleReleaseOnSomePath() => Check(@"
class C
{
    void M(bool failed)
    {
        var p = Marshal.AllocHGlobal(8);
        if (failed)
            Marshal.FreeHGlobal(p);
        Marshal.FreeHGlobal({|#0:p|});
    }
}", Finding(0, "'p' is released again by 'Marshal.FreeHGlobal' after 'Marshal.FreeHGlobal(p)' released it in 'if (failed)'"));

        [Fact]
        public Task ReleaseInACatchIsNamedByItsHandler() => Check(@"
class C
{
    void M()
    {
        var p = Marshal.AllocHGlobal(8);
        try
        {
            if (Native.use(p) != 0)
                throw new InvalidOperationException();
        }
        catch (Exception)
        {
            Marshal.FreeHGlobal(p);
        }

        Marshal.FreeHGlobal({|#0:p|});
    }
}", Finding(0, "'p' is released again by 'Marshal.FreeHGlobal' after 'Marshal.FreeHGlobal(p)' released it in 'catch (Exception)'"));

        [Fact]
        public Task GCHandleAfterFree() => Check(@"
class C
{
    object M(object o)
    {
        var h = GCHandle.Alloc(o);
        h.Free();
        h.Free();
        return {|#0:h|}.Target;
    }
}",
            Verify.Diagnostic("IG3003").WithSpan(22, 9, 22, 10).WithMessage("'h' is released again by 'GCHandle.Free' after 'h.Free()' released it"),
            Finding(0, "'h' is read through 'Target' after 'h.Free()' released it"));

        [Fact]
        public Task SafeHandleUsedAfterDispose() => Check(@"
class C
{
    int M()
    {
        var h = Native.open(""x"");
        h.Dispose();
        return Native.read({|#0:h|});
    }
}", Finding(0, "'h' is passed to 'Native.read' after 'h.Dispose()' released it"));

        [Fact]
        public Task LookAlikesAreSilent() => Check(@"
class C
{
    IntPtr _p;
    void ResetAfterFree()
    {
        var p = Marshal.AllocHGlobal(8);
        Marshal.FreeHGlobal(p);
        p = IntPtr.Zero;
        Native.use(p);
    }
    void CheckAfterFree()
    {
        var p = Marshal.AllocHGlobal(8);
        Marshal.FreeHGlobal(p);
        if (p != IntPtr.Zero) Console.WriteLine(""freed"");
    }
    void HandleStateChecks(object o)
    {
        var h = GCHandle.Alloc(o);
        h.Free();
        if (h.IsAllocated) h.Free();
    }
    void DisposeTwice()
    {
        var h = Native.open(""x"");
        h.Dispose();
        h.Dispose();
        if (h.IsClosed) return;
    }
    void LoopAllocatesAfresh()
    {
        for (var i = 0; i < 3; i++)
        {
            var p = Marshal.AllocHGlobal(8);
            try { Native.use(p); }
            finally { Marshal.FreeHGlobal(p); }
        }
    }
    void ExclusiveBranches(bool fast)
    {
        var p = Marshal.AllocHGlobal(8);
        if (fast)
        {
            Marshal.FreeHGlobal(p);
            return;
        }
        try { Native.use(p); }
        finally { Marshal.FreeHGlobal(p); }
    }
}");
    }
}
