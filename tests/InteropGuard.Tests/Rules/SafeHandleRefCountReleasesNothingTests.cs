using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3006 (a) on handles whose type releases nothing (Interop/HandleReleases): a marshalling-only wrapper's raw value
    /// cannot be invalidated by a concurrent dispose; a wrapper that releases, or may be a subclass that does, still can.
    /// </summary>
    public class SafeHandleRefCountReleasesNothingTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""sample"")] public static extern int native_read(IntPtr handle);
    [DllImport(""sample"")] public static extern void native_close(IntPtr handle);
}

sealed class BorrowedHandle : SafeHandle
{
    public BorrowedHandle() : base(IntPtr.Zero, true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => true;
}

sealed class ViewHandle : SafeHandle
{
    public ViewHandle() : base(IntPtr.Zero, true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
        return true;
    }
}

sealed class OwnedHandle : SafeHandle
{
    public OwnedHandle() : base(IntPtr.Zero, true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
        Native.native_close(handle);
        return true;
    }
}

class BaseHandle : SafeHandle
{
    public BaseHandle() : base(IntPtr.Zero, true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => true;
}

sealed class ClosingHandle : BaseHandle
{
    protected override bool ReleaseHandle()
    {
        Native.native_close(handle);
        return true;
    }
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<SafeHandleRefCountAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Unprotected(int location, string handle)
            => Verify.Diagnostic("IG3006").WithLocation(location).WithMessage(
                "'" + handle + ".DangerousGetHandle()' is passed to 'native_read' without DangerousAddRef/DangerousRelease around the use: another thread may dispose '"
                + handle + "' during 'native_read'; the released handle value can be reused");

        [Fact]
        public Task AHandleThatReleasesNothingNeedsNoReference() => Check(@"
class C
{
    int Expression(BorrowedHandle h) => Native.native_read(h.DangerousGetHandle());
    int Block(ViewHandle v) => Native.native_read(v.DangerousGetHandle());
}");

        [Fact]
        public Task AHandleThatReleasesIsStillReported() => Check(@"
class C
{
    int Owned(OwnedHandle h) => Native.native_read({|#0:h.DangerousGetHandle()|});
    int Abstract(SafeHandle s) => Native.native_read({|#1:s.DangerousGetHandle()|});
    int External(Microsoft.Win32.SafeHandles.SafeFileHandle f) => Native.native_read({|#2:f.DangerousGetHandle()|});
}", Unprotected(0, "h"), Unprotected(1, "s"), Unprotected(2, "f"));

        // BaseHandle releases nothing itself, but a ClosingHandle is a BaseHandle too.
        [Fact]
        public Task ATypeWithASubclassThatReleasesIsStillReported() => Check(@"
class C
{
    int M(BaseHandle b) => Native.native_read({|#0:b.DangerousGetHandle()|});
}", Unprotected(0, "b"));
    }
}
