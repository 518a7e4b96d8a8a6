using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG4001/IG4002 around native functions called through delegates from <c>GetDelegateForFunctionPointer</c>: a delegate
    /// type marked <c>[UnmanagedFunctionPointer(SetLastError = true)]</c> saves the error its call sets, as a P/Invoke
    /// declared with SetLastError does.
    /// </summary>
    public class LastErrorDelegateTests
    {
        private const string Usings = "using System;\nusing System.ComponentModel;\nusing System.Runtime.InteropServices;\n";

        private const string Native = @"
static class Native
{
    [DllImport(""kernel32.dll"", SetLastError = true, CharSet = CharSet.Unicode)] internal static extern IntPtr LoadLibraryW(string path);
    [DllImport(""kernel32.dll"", SetLastError = true, CharSet = CharSet.Ansi)] internal static extern IntPtr GetProcAddress(IntPtr module, string name);
}

[UnmanagedFunctionPointer(CallingConvention.StdCall, CharSet = CharSet.Unicode, SetLastError = true)]
delegate bool OpenSession(IntPtr process, string searchPath, bool scan);

[UnmanagedFunctionPointer(CallingConvention.StdCall)]
delegate bool OpenSessionQuietly(IntPtr process, string searchPath, bool scan);
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<LastErrorAnalyzer> { Source = Usings + source + Native };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        // The read follows the delegate's call, whose error the marshaller saved: not the export lookup's, whatever ran
        // between the lookup and the call.
        [Fact]
        public Task ReadAfterADelegateThatSavesTheLastErrorIsThatCallsError() => Check(@"
sealed class Symbols
{
    private readonly OpenSession _open;

    Symbols(string library, string searchPath)
    {
        IntPtr module = Native.LoadLibraryW(library);
        _open = Marshal.GetDelegateForFunctionPointer<OpenSession>(Native.GetProcAddress(module, ""OpenSession""));
        Console.WriteLine(""loaded "" + library);
        if (!_open(IntPtr.Zero, searchPath, true))
        {
            throw new Win32Exception();
        }
    }
}");

        // Look-alike: a delegate type without SetLastError saves nothing, so the read is still the lookup's error, read
        // after the console output.
        [Fact]
        public Task ADelegateThatDoesNotSaveTheLastErrorLeavesTheEarlierRead() => Check(@"
sealed class Symbols
{
    private readonly OpenSessionQuietly _open;

    Symbols(string library, string searchPath)
    {
        IntPtr module = Native.LoadLibraryW(library);
        _open = Marshal.GetDelegateForFunctionPointer<OpenSessionQuietly>(Native.GetProcAddress(module, ""OpenSession""));
        Console.WriteLine(""loaded "" + library);
        if (!_open(IntPtr.Zero, searchPath, true))
        {
            throw {|#0:new Win32Exception()|};
        }
    }
}",
            Verify.Diagnostic("IG4002").WithLocation(0));

        // The saving delegate's call replaces the error of a P/Invoke made before it: a read after both is an overwrite.
        [Fact]
        public Task ADelegateThatSavesTheLastErrorOverwritesAnEarlierOne() => Check(@"
static class Symbols
{
    static IntPtr Open(OpenSession open, string library)
    {
        IntPtr module = Native.LoadLibraryW(library);
        open(IntPtr.Zero, library, false);
        if (module == IntPtr.Zero)
        {
            throw {|#0:new Win32Exception()|};
        }

        return module;
    }
}",
            Verify.Diagnostic("IG4002").WithLocation(0).WithMessage(
                "'new Win32Exception()' reads the last error of 'Native.LoadLibraryW' after 'OpenSession', which calls native code through a delegate marked SetLastError = true and saves its own last error: capture the error right after 'Native.LoadLibraryW'"));
    }
}
