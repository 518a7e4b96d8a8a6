using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG4002 and a message that interpolates only constants. A process launcher asks a Win32 function for a buffer size
    /// and, when the answer is unusable, throws with a message naming a <c>const int</c> and wraps <c>new Win32Exception()</c>:
    /// the constant is no value formatted at run time (as in a concatenation), so the error read is still the call's. A
    /// message that formats a variable, or a constant with a format string, still runs formatting code first.
    /// </summary>
    public class LastErrorConstantInterpolationTests
    {
        private const string Prelude = @"using System;
using System.ComponentModel;
using System.Runtime.InteropServices;

static class Threads32
{
    [DllImport(""kernel32.dll"", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    public static extern bool InitializeProcThreadAttributeList(IntPtr list, int count, int flags, ref IntPtr size);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<LastErrorAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task AMessageOfConstantsFormatsNothing() => Check(@"
class Launcher
{
    private const int Attributes = 1;
    private const string Kind = ""process"";

    public static IntPtr Measure()
    {
        var size = IntPtr.Zero;
        if (Threads32.InitializeProcThreadAttributeList(IntPtr.Zero, Attributes, 0, ref size) || size == IntPtr.Zero)
        {
            throw new InvalidOperationException($""No {Kind} attribute list size for {Attributes} attributes"", new Win32Exception());
        }

        return size;
    }
}");

        [Fact]
        public Task AVariableOrAFormattedConstantIsFormatting() => Check(@"
class Launcher
{
    private const int Attributes = 1;

    public static IntPtr Measure(int count)
    {
        var size = IntPtr.Zero;
        if (Threads32.InitializeProcThreadAttributeList(IntPtr.Zero, count, 0, ref size) || size == IntPtr.Zero)
        {
            throw new InvalidOperationException($""No attribute list size for {count} attributes"", {|#0:new Win32Exception()|});
        }

        return size;
    }

    public static IntPtr MeasureFormatted()
    {
        var size = IntPtr.Zero;
        if (Threads32.InitializeProcThreadAttributeList(IntPtr.Zero, Attributes, 0, ref size) || size == IntPtr.Zero)
        {
            throw new InvalidOperationException($""No attribute list size for {Attributes:N0} attributes"", {|#1:new Win32Exception()|});
        }

        return size;
    }
}",
            Verify.Diagnostic("IG4002").WithLocation(0).WithMessage(
                "'new Win32Exception()' reads the last error of 'Threads32.InitializeProcThreadAttributeList' after 'the string interpolation', which formats values (culture data and ToString overrides may call native code): capture the error right after 'Threads32.InitializeProcThreadAttributeList'"),
            Verify.Diagnostic("IG4002").WithLocation(1).WithMessage(
                "'new Win32Exception()' reads the last error of 'Threads32.InitializeProcThreadAttributeList' after 'the string interpolation', which formats values (culture data and ToString overrides may call native code): capture the error right after 'Threads32.InitializeProcThreadAttributeList'"));
    }
}
