using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001/IG5002 on delegates a native callback invokes that only the library can supply (Flow/ClosedDelegates,
    /// Flow/AwaiterContinuations) and on <c>Thread.Sleep</c> of a constant (Flow/InfallibleCalls): the continuation an
    /// internal awaiter receives only from <c>await</c> in a task-returning async method is the state machine's step, which
    /// keeps what the method throws in its task; a delegate field filled only through an internal method every call of
    /// which passes one of the library's methods runs those methods. An awaiter awaited in an <c>async void</c> method,
    /// one whose continuation method the library calls itself, a public method anyone can hand a delegate to, and a
    /// sleep of a computed length still count.
    /// </summary>
    public class NativeCallbackLibraryContinuationTests
    {
        private const string Prelude = @"using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

static class Native
{
    [DllImport(""sample"")] public static extern void wait_closed(IntPtr state);
    [DllImport(""sample"")] public static extern void read_start(IntPtr state);
    [DllImport(""sample"")] public static extern void ack(int code);
}
";

        private const string Awaiter = @"
internal sealed class Unmounted : ICriticalNotifyCompletion
{
    private Action? _continuation;
    private IntPtr _wait;

    public Unmounted GetAwaiter() => this;
    public bool IsCompleted => false;
    public void GetResult() { }
    public void OnCompleted(Action continuation) => throw new NotSupportedException();

    public void UnsafeOnCompleted(Action continuation)
    {
        _continuation = continuation;
        _wait = GCHandle.ToIntPtr(GCHandle.Alloc(this));
        Native.wait_closed(_wait);
    }

    [UnmanagedCallersOnly]
    static void {|#0:OnClosed|}(IntPtr state, int timedOut)
    {
        var handle = GCHandle.FromIntPtr(state);
        var target = (Unmounted)handle.Target!;
        while (target._wait == IntPtr.Zero)
        {
            Thread.Sleep(20);
        }

        target._wait = IntPtr.Zero;
        handle.Free();
        target._continuation!();
    }
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task AContinuationOnlyAwaitInATaskMethodSuppliesThrowsNothing() => Check(Awaiter + @"
sealed class Mount
{
    public async Task<bool> WaitClosedAsync()
    {
        await new Unmounted();
        return true;
    }

    public async Task WaitAsync() => await (new Unmounted());
}");

        [Fact]
        public Task AContinuationOfAnAsyncVoidMethodStillCounts() => Check(Awaiter + @"
sealed class Mount
{
    public async void WaitClosed() => await new Unmounted();
}", Verify.Diagnostic("IG5002").WithLocation(0));

        [Fact]
        public Task AContinuationTheLibraryHandsInItselfStillCounts() => Check(Awaiter + @"
sealed class Mount
{
    public async Task<bool> WaitClosedAsync()
    {
        await new Unmounted();
        return true;
    }

    public void WhenClosed(Action then) => new Unmounted().UnsafeOnCompleted(then);
}", Verify.Diagnostic("IG5002").WithLocation(0));

        [Fact]
        public Task ASleepOfAComputedLengthStillThrows() => Check(@"
static class Exports
{
    static int s_delay = 20;

    [UnmanagedCallersOnly]
    static void {|#0:OnBusy|}(IntPtr state)
    {
        Thread.Sleep(s_delay);
        Native.ack(0);
    }

    [UnmanagedCallersOnly]
    static void OnIdle(IntPtr state)
    {
        Thread.Sleep(20);
        Thread.Sleep(Timeout.Infinite);
        Native.ack(0);
    }
}", Verify.Diagnostic("IG5001").WithLocation(0));

        private const string Pipe = @"
internal sealed class Pipe
{
    private Action<Pipe, int>? _onRead;

    public void ReadStart(Action<Pipe, int> onRead)
    {
        Native.read_start(GCHandle.ToIntPtr(GCHandle.Alloc(this)));
        _onRead = onRead;
    }

    [UnmanagedCallersOnly]
    static void {|#0:OnRead|}(IntPtr state, int count)
    {
        var pipe = (Pipe)GCHandle.FromIntPtr(state).Target!;
        pipe._onRead!(pipe, count);
    }
}
";

        [Fact]
        public Task ADelegateFilledOnlyWithTheLibrarysMethodsIsNotTheUsers() => Check(Pipe + @"
sealed class Worker
{
    private int _total;

    public void Start(Pipe pipe) => pipe.ReadStart(OnData);

    public void StartOther(Pipe pipe) => pipe.ReadStart(OnData);

    private void OnData(Pipe pipe, int count) => _total += count;
}");

        [Fact]
        public Task ADelegateFilledWithALambdaOrThroughAPublicMethodStillCounts() => Check(Pipe + @"
sealed class Worker
{
    public void Start(Pipe pipe, Action<int> report) => pipe.ReadStart((p, n) => report(n));
}", Verify.Diagnostic("IG5002").WithLocation(0));
    }
}
