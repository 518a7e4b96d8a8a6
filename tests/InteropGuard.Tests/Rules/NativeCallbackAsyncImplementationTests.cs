using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001 on a callback that starts work through an interface whose one implementation the library holds is an async
    /// method returning a task: its throws, the ones before its first await included, go into the task, and the call
    /// returns. Beside it, an implementation that returns a task without being async throws from the call itself.
    /// </summary>
    public class NativeCallbackAsyncImplementationTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
using System.Threading.Tasks;

interface IJobs
{
    Task Start(int id);
}

sealed class QueuedJobs : IJobs
{
    public async Task Start(int id)
    {
        if (id < 0)
            throw new ArgumentOutOfRangeException(nameof(id));
        await Task.Yield();
        throw new InvalidOperationException(""job "" + id);
    }
}

sealed class EagerJobs : IJobs
{
    public Task Start(int id)
    {
        if (id < 0)
            throw new ArgumentOutOfRangeException(nameof(id));
        return Task.CompletedTask;
    }
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        // The binding's host: a private field filled with one implementation, and a callback that starts a job through it.
        private static string Host(string jobs, string callback) => @"
sealed class Host
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    delegate void StartFn(int id);

    private readonly IJobs _jobs;
    private readonly StartFn _start;

    Host()
    {
        _jobs = new " + jobs + @"();
        _start = OnStart;
        Register(Marshal.GetFunctionPointerForDelegate(_start));
    }

    [DllImport(""jobhost"")]
    static extern void Register(IntPtr start);

    void " + callback + @"(int id)
    {
        _jobs.Start(id);
    }
}";

        [Fact]
        public Task AnAsyncImplementationKeepsItsExceptionsInTheTask() => Check(Host("QueuedJobs", "OnStart"));

        [Fact]
        public Task AnImplementationThatIsNotAsyncThrowsFromTheCall()
            => Check(Host("EagerJobs", "{|#0:OnStart|}"), Verify.Diagnostic("IG5001").WithLocation(0).WithMessage(
                "Callback 'OnStart' is turned into a native function pointer by 'Marshal.GetFunctionPointerForDelegate', and '_jobs.Start(id)' may throw ('throw new ArgumentOutOfRangeException(…)' in 'Start') outside a catch-all: an exception escaping to native code terminates the process"));
    }
}
