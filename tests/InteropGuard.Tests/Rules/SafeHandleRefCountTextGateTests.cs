using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3006's per-tree text gate (the tree's text positions of DangerousGetHandle and DangerousAddRef) in front of its
    /// token walk: a body is skipped only when its own text cannot name either member.
    /// </summary>
    public class SafeHandleRefCountTextGateTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

static class Native
{
    [DllImport(""sample"")] public static extern int native_read(IntPtr handle, byte[] buffer, int length);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<SafeHandleRefCountAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Raced(int location, string use)
            => Verify.Diagnostic("IG3006").WithLocation(location).WithMessage(
                "'" + use + "' is passed to 'native_read' without DangerousAddRef/DangerousRelease around the use: another thread may dispose 'h' during 'native_read'; the released handle value can be reused");

        // The escaped body's text does not hold the name; its backslash lets it through. (The vocabulary gate in front
        // reads plain words, so another body of the tree names the member plainly, correctly bracketed.)
        [Fact]
        public Task NameWrittenWithAUnicodeEscapeIsStillSeen() => Check(@"
class C
{
    int Read(SafeFileHandle h, byte[] buffer) => Native.native_read({|#0:h.\u0044angerousGetHandle()|}, buffer, buffer.Length);

    int Guarded(SafeFileHandle h, byte[] buffer)
    {
        var added = false;
        try
        {
            h.DangerousAddRef(ref added);
            return Native.native_read(h.DangerousGetHandle(), buffer, buffer.Length);
        }
        finally
        {
            if (added)
                h.DangerousRelease();
        }
    }
}", Raced(0, @"h.\u0044angerousGetHandle()"));

        [Fact]
        public Task OnlyTheBodyThatNamesTheMemberIsRead() => Check(@"
class C
{
    // A body that names nothing, before and after the one that does, in the same tree.
    int Before(SafeFileHandle h, byte[] buffer) => Native.native_read(IntPtr.Zero, buffer, buffer.Length);

    int Read(SafeFileHandle h, byte[] buffer) => Native.native_read({|#0:h.DangerousGetHandle()|}, buffer, buffer.Length);

    int After(SafeFileHandle h, byte[] buffer) => Native.native_read(IntPtr.Zero, buffer, buffer.Length);
}", Raced(0, "h.DangerousGetHandle()"));

        [Fact]
        public Task NameInACommentOrStringOnlyIsNoFinding() => Check(@"
class C
{
    int Read(SafeFileHandle h, byte[] buffer)
    {
        // h.DangerousGetHandle() would race with Dispose here.
        Console.WriteLine(""DangerousAddRef"");
        return Native.native_read(IntPtr.Zero, buffer, buffer.Length);
    }
}");
    }
}
