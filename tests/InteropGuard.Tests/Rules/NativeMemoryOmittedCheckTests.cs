using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3001 and the calls a build leaves out: between an allocation and its release, a <c>Debug.Assert</c> of a check
    /// that can throw, or a contract method <c>[Conditional]</c> on a symbol the build does not define, is compiled out with
    /// its arguments and makes no leak path. In a file that defines the symbols both run, and the leak is reported.
    /// </summary>
    public class NativeMemoryOmittedCheckTests
    {
        private const string Body = @"using System;
using System.Diagnostics;
using System.Runtime.InteropServices;

static class Guard
{
    [Conditional(""STRICT_CONTRACTS"")]
    public static void Positive(int value)
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(nameof(value));
    }

    public static bool Fits(int size) => size <= 4096 ? true : throw new ArgumentOutOfRangeException(nameof(size));
}

static class Scratch
{
    static void Asserted(int size)
    {
        IntPtr block = {|#0:Marshal.AllocHGlobal(16)|};
        Debug.Assert(Guard.Fits(size));
        Marshal.FreeHGlobal(block);
    }

    static void Contracted(int size)
    {
        IntPtr block = {|#1:Marshal.AllocHGlobal(16)|};
        Guard.Positive(size);
        Marshal.FreeHGlobal(block);
    }
}
";

        private static Task Check(string defines, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = defines + Body };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Leak(int location, string thrower)
            => Verify.Diagnostic("IG3001").WithLocation(location).WithMessage(
                "Native memory from 'Marshal.AllocHGlobal' in 'block' is not released by 'Marshal.FreeHGlobal' if '" + thrower + "' throws");

        [Fact]
        public Task ChecksTheBuildLeavesOutMakeNoLeakPath() => Check("");

        [Fact]
        public Task TheSameChecksInAFileThatDefinesTheirSymbolsAreReported() => Check("#define DEBUG\n#define STRICT_CONTRACTS\n",
            Leak(0, "Guard.Fits(size)"),
            Leak(1, "Guard.Positive(size)"));
    }
}
