using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001 and the calls a build leaves out: a contract check that is <c>[Conditional]</c> on a symbol the build does not
    /// define, or a <c>Debug.Assert</c> without DEBUG, is compiled out with its arguments, so what it would throw cannot reach
    /// native code. The same callbacks in a file that defines the symbols still throw, and are still reported.
    /// </summary>
    public class NativeCallbackOmittedCheckTests
    {
        private const string Body = @"using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.InteropServices;

static class Checks
{
    [Conditional(""STRICT_CONTRACTS"")]
    public static void Requires(bool condition)
    {
        if (!condition) throw new ArgumentException(""contract broken"");
    }
}

static class Waiters
{
    static readonly Dictionary<long, string> Pending = new Dictionary<long, string>();

    static string Lookup(IntPtr key)
    {
        Checks.Requires(key != IntPtr.Zero);
        return Pending.TryGetValue(key.ToInt64(), out var name) ? name : null;
    }

    static bool IsKnown(IntPtr key) => Pending.ContainsKey(key.ToInt64()) ? true : throw new ArgumentException(""unknown key"");

    [UnmanagedCallersOnly]
    static void {|#0:OnSignalled|}(IntPtr key)
    {
        var name = Lookup(key);
        if (name != null) Pending.Remove(key.ToInt64());
    }

    [UnmanagedCallersOnly]
    static void {|#1:OnCleared|}(IntPtr key)
    {
        Debug.Assert(IsKnown(key));
        Pending.Remove(key.ToInt64());
    }
}
";

        private static Task Check(string defines, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = defines + Body };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task ChecksTheBuildLeavesOutThrowNothing() => Check("");

        [Fact]
        public Task TheSameChecksInAFileThatDefinesTheirSymbolsAreReported() => Check("#define STRICT_CONTRACTS\n#define DEBUG\n",
            Verify.Diagnostic("IG5001").WithLocation(0).WithMessage("Callback 'OnSignalled' is [UnmanagedCallersOnly], and 'Lookup(key)' may throw ('throw new ArgumentException(…)' in 'Requires') outside a catch-all: an exception escaping to native code terminates the process"),
            Verify.Diagnostic("IG5001").WithLocation(1).WithMessage("Callback 'OnCleared' is [UnmanagedCallersOnly], and 'IsKnown(key)' may throw ('throw new ArgumentException(…)' in 'IsKnown') outside a catch-all: an exception escaping to native code terminates the process"));
    }
}
