using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// A clipboard writer empties the clipboard (a P/Invoke declared without SetLastError), allocates a block and throws
    /// a <c>Win32Exception</c> if the allocation came back empty: the read is about the allocation, a managed call, not
    /// about the P/Invoke before it. A managed check handed the P/Invoke's own result (<c>IsEmpty(data)</c> after
    /// <c>data = GetClipboardData(…)</c>) tests the P/Invoke through it and is still reported.
    /// </summary>
    public class LastErrorManagedGuardTests
    {
        private const string Prelude = @"using System;
using System.ComponentModel;
using System.Runtime.InteropServices;

static class User32
{
    [DllImport(""user32.dll"")] public static extern bool EmptyClipboard();
    [DllImport(""user32.dll"")] public static extern IntPtr GetClipboardData(uint format);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<LastErrorAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task GuardTestsAnAllocationMadeAfterTheCall() => Check(@"
class Clipboard
{
    public IntPtr Put(string text)
    {
        User32.EmptyClipboard();
        int bytes = (text.Length + 1) * 2;
        IntPtr block = Marshal.AllocHGlobal(bytes);
        if (block == IntPtr.Zero)
        {
            throw new Win32Exception(Marshal.GetLastWin32Error());
        }

        return block;
    }
}");

        [Fact]
        public Task ManagedCheckGivenTheNativeResult() => Check(@"
class Clipboard
{
    private static bool IsEmpty(IntPtr value) => value == IntPtr.Zero;

    public IntPtr Get()
    {
        IntPtr data = User32.GetClipboardData(13);
        if (IsEmpty(data))
        {
            throw new Win32Exception({|#0:Marshal.GetLastWin32Error()|});
        }

        return data;
    }
}", Verify.Diagnostic("IG4001").WithLocation(0).WithMessage(
            "'Marshal.GetLastWin32Error()' reads the last error of 'User32.GetClipboardData', which is declared without SetLastError = true: the marshaller does not save the error it sets, so the value read is whatever an earlier call left"));
    }
}
