using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001 and a library's "throw or return the status" switch (ThrowOrigins' false-flag fact): a helper whose only throw
    /// is <c>if (raise) throw ...</c> on a <c>bool</c> parameter cannot throw for a call that passes <c>false</c>, directly
    /// or through a parameter of its own that its callers fill with <c>false</c>, however many helpers down. A call passing
    /// <c>true</c> or a value read at run time, a flag the helper writes before the test, or a helper that can also throw
    /// otherwise still counts. Past the depth the split follows, a helper the shared model reads as quiet is quiet.
    /// </summary>
    public class NativeCallbackFalseFlagTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""sample"")] public static extern int query(int code);
}

class StatusException : Exception
{
    public StatusException(int status) : base(""failed"") { }
}

readonly struct Outcome
{
    public Outcome(int status) { Status = status; }
    public int Status { get; }
}

static class Status
{
    public static int Compose(int severity, int code) => (severity << 30) | (code & 0xFFFF);

    public static int Shift(int code) => Compose(2, code);

    public static int Widen(int code) => Shift(code);

    public static int Map(int code) => Widen(code);

    public static Outcome Fail(int status, bool raise)
    {
        if (raise)
        {
            throw new StatusException(status);
        }

        return new Outcome(status);
    }

    public static Outcome FailMapped(int code, bool raise) => Fail(Map(code), raise);

    public static Outcome FailReset(int status, bool raise)
    {
        raise = status < 0;
        if (raise)
        {
            throw new StatusException(status);
        }

        return new Outcome(status);
    }
}

static class Reader
{
    public static Outcome Read(int code, bool raise)
    {
        var status = Native.query(code);
        if (status != 0)
        {
            return Status.FailMapped(status, raise);
        }

        return new Outcome(0);
    }
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(int location, string callback, string operation, string method)
            => Verify.Diagnostic("IG5001").WithLocation(location).WithMessage(
                "Callback '" + callback + "' is [UnmanagedCallersOnly], and '" + operation
                + "' may throw ('throw new StatusException(status)' in '" + method + "') outside a catch-all: an exception escaping to native code terminates the process");

        [Fact]
        public Task AFlagEveryCallFillsWithFalseGuardsAThrowThatCannotRun() => Check(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static int OnDirect(int code)
    {
        return Status.Fail(code, false).Status;
    }

    [UnmanagedCallersOnly]
    static int OnThroughHelpers(int code)
    {
        return Reader.Read(code, raise: false).Status;
    }
}");

        [Fact]
        public Task AFlagThatMayBeTrueOrIsWrittenBeforeTheTestStillCounts() => Check(@"
static class Exports
{
    static bool s_strict;

    [UnmanagedCallersOnly]
    static int {|#0:OnTrue|}(int code)
    {
        return Status.Fail(code, true).Status;
    }

    [UnmanagedCallersOnly]
    static int {|#1:OnRead|}(int code)
    {
        return Reader.Read(code, s_strict).Status;
    }

    [UnmanagedCallersOnly]
    static int {|#2:OnReset|}(int code)
    {
        return Status.FailReset(code, false).Status;
    }
}", Finding(0, "OnTrue", "Status.Fail(code, true)", "Fail"), Finding(1, "OnRead", "Reader.Read(code, s_strict)", "Fail"), Finding(2, "OnReset", "Status.FailReset(code, false)", "FailReset"));
    }
}
