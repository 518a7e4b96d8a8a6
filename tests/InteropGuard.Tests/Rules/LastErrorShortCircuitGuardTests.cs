using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// A console helper reads the input code page (a function that sets no last error) and switches it only when it
    /// differs, in one condition: <c>if (cp == Utf8 || SetConsoleCP(Utf8)) return;</c>. A read after that runs only when
    /// <c>SetConsoleCP</c> ran and failed, and that one saves its error: no IG4001 for the code page read earlier. When the
    /// condition's first call is itself the failing one (<c>if (!Probe() || !Switch())</c>), the read can be about it.
    /// </summary>
    public class LastErrorShortCircuitGuardTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

static class Console32
{
    [DllImport(""kernel32.dll"")] public static extern uint GetConsoleCP();
    [DllImport(""kernel32.dll"", SetLastError = true)] public static extern bool SetConsoleCP(uint page);
    [DllImport(""kernel32.dll"")] public static extern bool ProbeConsole();
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<LastErrorAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task EarlierCallOfTheGuardRanBeforeTheSavingOne() => Check(@"
class CodePage
{
    private const uint Utf8 = 65001;
    private readonly uint _original;

    public CodePage()
    {
        _original = Console32.GetConsoleCP();
        if (_original == Utf8 || Console32.SetConsoleCP(Utf8))
        {
            return;
        }

        int error = Marshal.GetLastWin32Error();
        Console.Error.WriteLine(error);
    }
}");

        [Fact]
        public Task FirstCallOfTheGuardCanBeTheFailingOne() => Check(@"
class CodePage
{
    public static int Switch(uint page)
    {
        if (!Console32.ProbeConsole() || !Console32.SetConsoleCP(page))
        {
            return {|#0:Marshal.GetLastWin32Error()|};
        }

        return 0;
    }
}", Verify.Diagnostic("IG4001").WithLocation(0).WithMessage(
            "'Marshal.GetLastWin32Error()' reads the last error of 'Console32.ProbeConsole', which is declared without SetLastError = true: the marshaller does not save the error it sets, so the value read is whatever an earlier call left"));
    }
}
