using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// A <c>[Conditional]</c> call whose symbol the build does not define is left out by the compiler, arguments and all:
    /// between a P/Invoke and the read of its last error it overwrites nothing. The same call in a file that defines the
    /// symbol runs, and is still reported.
    /// </summary>
    public class OmittedCallLastErrorTests
    {
        private const string Body = @"using System;
using System.Diagnostics;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""kernel32.dll"", SetLastError = true)] internal static extern IntPtr LoadLibraryW(string path);
}

static class Loader
{
    [Conditional(""NATIVE_TRACE"")]
    static void Note(string message) => Console.WriteLine(message);

    [Conditional(""NATIVE_TRACE""), Conditional(""NATIVE_LOG"")]
    static void Either(string message) => Console.WriteLine(message);

    static IntPtr Load(string path)
    {
        var module = Native.LoadLibraryW(path);
        if (module == IntPtr.Zero)
        {
            CALL;
            throw new InvalidOperationException(""load failed: "" + {|#0:Marshal.GetLastWin32Error()|});
        }

        return module;
    }
}
";

        private static Task Check(string defines, string call, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<LastErrorAnalyzer> { Source = defines + Body.Replace("CALL", call) };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task DebugWriteLineOfABuildWithoutDebug() => Check("", @"Debug.WriteLine($""cannot load {path} at {DateTime.Now}"")");

        [Fact]
        public Task OwnConditionalMethodWhoseSymbolIsNotDefined() => Check("", @"Note(""cannot load "" + path)");

        [Fact]
        public Task DebugWriteLineInAFileThatDefinesDebugIsStillReported() => Check("#define DEBUG\n", @"Debug.WriteLine(""cannot load"")",
            Verify.Diagnostic("IG4002").WithLocation(0).WithMessage(
                "'Marshal.GetLastWin32Error()' reads the last error of 'Native.LoadLibraryW' after 'Debug.WriteLine', which logs, and logging writes through native calls: capture the error right after 'Native.LoadLibraryW'"));

        [Fact]
        public Task OwnConditionalMethodInAFileThatDefinesItsSymbolIsStillReported() => Check("#define NATIVE_TRACE\n", @"Note(""cannot load"")",
            Verify.Diagnostic("IG4002").WithLocation(0).WithMessage(
                "'Marshal.GetLastWin32Error()' reads the last error of 'Native.LoadLibraryW' after 'Loader.Note', which may make a native call that sets the last error: capture the error right after 'Native.LoadLibraryW'"));

        [Fact]
        public Task MethodWithTwoConditionsNeitherDefined() => Check("", @"Either(""cannot load"")");

        // The compiler keeps a call when any one of the method's symbols is defined.
        [Fact]
        public Task MethodWithTwoConditionsOneDefinedIsStillReported() => Check("#define NATIVE_LOG\n", @"Either(""cannot load"")",
            Verify.Diagnostic("IG4002").WithLocation(0).WithMessage(
                "'Marshal.GetLastWin32Error()' reads the last error of 'Native.LoadLibraryW' after 'Loader.Either', which may make a native call that sets the last error: capture the error right after 'Native.LoadLibraryW'"));
    }
}
