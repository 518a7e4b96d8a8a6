using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// Win32's <c>SetClipboardData</c> takes ownership of the global memory block it is given when it succeeds ("the
    /// system owns the object identified by the hMem parameter"): the caller frees the block only when the call fails.
    /// Zeroing the local after a successful call is not a leak; a block that leaks when the call fails, or the same name
    /// in a library the catalogue does not know, is still reported.
    /// </summary>
    public class ClipboardHandOverTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

static class Win
{
    [DllImport(""user32.dll"")] public static extern IntPtr SetClipboardData(uint format, IntPtr memory);
    [DllImport(""kernel32.dll"")] public static extern IntPtr GlobalAlloc(uint flags, UIntPtr bytes);
    [DllImport(""kernel32.dll"")] public static extern IntPtr GlobalFree(IntPtr memory);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        // The shape of a clipboard writer that zeroes its block once the system took it: CALLEE names the function called,
        // ALLOCATION is the allocation (with the test's markup where a finding is expected).
        private const string Publish = @"
    public static bool Publish(uint format, int size)
    {
        bool published = false;
        IntPtr block = ALLOCATION;
        try
        {
            if (CALLEE(format, block).ToInt64() != 0)
            {
                block = IntPtr.Zero;
                published = true;
            }
        }
        finally
        {
            if (block != IntPtr.Zero)
                Win.GlobalFree(block);
        }

        return published;
    }";

        private const string Allocation = "Win.GlobalAlloc(0x0042, (UIntPtr)size)";

        [Fact]
        public Task BlockZeroedAfterTheSystemTookIt() => Check(@"
static class Clipboard
{" + Publish.Replace("CALLEE", "Win.SetClipboardData").Replace("ALLOCATION", Allocation) + @"
}");

        [Fact]
        public Task BlockFreedOnlyWhenTheCallFails() => Check(@"
static class Clipboard
{
    public static bool Publish(uint format, int size)
    {
        IntPtr block = Win.GlobalAlloc(0x0042, (UIntPtr)size);
        if (Win.SetClipboardData(format, block) == IntPtr.Zero)
        {
            Win.GlobalFree(block);
            return false;
        }

        return true;
    }
}");

        [Fact]
        public Task BlockLeakedWhenTheCallFails() => Check(@"
static class Clipboard
{
    public static bool Publish(uint format, int size)
    {
        IntPtr block = {|#0:Win.GlobalAlloc(0x0042, (UIntPtr)size)|};
        IntPtr taken = Win.SetClipboardData(format, block);
        if (taken == IntPtr.Zero)
            return false;

        return true;
    }
}", Verify.Diagnostic("IG3001").WithLocation(0));

        [Fact]
        public Task SameNameInAnotherLibraryIsStillReported() => Check(@"
static class Board
{
    [DllImport(""whiteboard"")] public static extern IntPtr SetClipboardData(uint format, IntPtr memory);
" + Publish.Replace("CALLEE", "SetClipboardData").Replace("ALLOCATION", "{|#0:" + Allocation + "|}") + @"
}", Verify.Diagnostic("IG3001").WithLocation(0));
    }
}
