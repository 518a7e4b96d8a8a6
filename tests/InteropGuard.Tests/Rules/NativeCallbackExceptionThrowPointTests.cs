using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001 on the shared model of what throws (Flow/ThrowPoints): native calls and calls that cannot fail do not make a
    /// callback throw; helpers of this compilation throw when their bodies can; the likeliest escaping operation is named.
    /// </summary>
    public class NativeCallbackExceptionThrowPointTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""sample"")] public static extern void ack(int code);
}

sealed class Sink
{
    public int Last;
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(int location, string callback, string operation)
            => Verify.Diagnostic("IG5001").WithLocation(location).WithMessage(
                "Callback '" + callback + "' is [UnmanagedCallersOnly], and '" + operation + "' may throw outside a catch-all: an exception escaping to native code terminates the process");

        [Fact]
        public Task NativeCallsHandleLookupsAndQuietHelpersDoNotThrow() => Check(@"
static class Exports
{
    static int Clamp(int value) => value < 0 ? 0 : value;

    [UnmanagedCallersOnly]
    static void OnEvent(IntPtr user, int code)
    {
        if (GCHandle.FromIntPtr(user).Target is Sink sink)
            sink.Last = Clamp(code);
        Native.ack(code);
    }
}");

        [Fact]
        public Task NamesTheHelperThatCanThrowRatherThanTheNativeCall() => Check(@"
static class Exports
{
    static int Checked(int code) => code >= 0 ? code : throw new ArgumentOutOfRangeException(nameof(code));

    [UnmanagedCallersOnly]
    static void {|#0:OnEvent|}(int code)
    {
        Native.ack(code);
        Native.ack(Checked(code));
    }
}", Finding(0, "OnEvent", "Checked(code)"));

        // The callback family counts indexing and casts as failures, in the helpers it calls too.
        [Fact]
        public Task AHelperThatIndexesCanThrow() => Check(@"
static class Exports
{
    static readonly int[] s_table = new int[4];

    static int Lookup(int code) => s_table[code];

    [UnmanagedCallersOnly]
    static void {|#0:OnEvent|}(int code)
    {
        Native.ack(Lookup(code));
    }
}", Finding(0, "OnEvent", "Lookup(code)"));
    }
}
