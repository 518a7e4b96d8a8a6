using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// Throw-model cases found on Realm and ClrMD (the seventeenth session's precision set): framework calls that fail
    /// only through the delegate they are given (Flow/DelegateTakingCalls) — a cancellation registration or a list search
    /// with a lambda that cannot throw, work queued to the thread pool —, a function pointer of a delegate held in a local
    /// declared with a method group, a helper's null check of a value the caller has just tested (Flow/DereferencedBefore),
    /// trimming a string and printing a Uri. Each beside the look-alike that still throws.
    /// </summary>
    public class DelegateAndGuardThrowPointTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

static class Native
{
    [DllImport(""sync"")] public static extern void wait_async(IntPtr state);
    [DllImport(""sync"")] public static extern IntPtr open_client(IntPtr state, IntPtr url);
}

static class Check
{
    public static void NotNull(object value, string name)
    {
        if (value is null) throw new ArgumentNullException(name);
    }
}

sealed class Scheduler
{
    private readonly SynchronizationContext _context;

    public Scheduler(SynchronizationContext context)
    {
        Check.NotNull(context, nameof(context));
        _context = context;
    }
}
";

        private static Task Run<TAnalyzer>(string source, params DiagnosticResult[] expected)
            where TAnalyzer : Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer, new()
        {
            var test = new AnalyzerTest<TAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Kept(string thrower)
            => Verify.Diagnostic("IG3004").WithLocation(0).WithMessage(
                "The GCHandle in 'state' from 'GCHandle.Alloc' is not released by 'GCHandle.Free' if '" + thrower
                + "' throws, so the object it refers to can never be collected");

        private static DiagnosticResult Escapes(string operation, string inside)
            => Verify.Diagnostic("IG5001").WithLocation(0).WithMessage(
                "Callback 'OnEvent' is [UnmanagedCallersOnly], and '" + operation + "' may throw (" + inside
                + ") outside a catch-all: an exception escaping to native code terminates the process");

        // A waiter registered before the native call that takes the handle: were the token already cancelled, Register
        // would run the lambda at once. The handle is freed only when the native call fails.
        private static string Waiter(string allocation, string registration) => @"
static class Waiter
{
    static void Abort(TaskCompletionSource<bool> done) => throw new InvalidOperationException(""cannot abort"");

    public static Task WaitAsync(CancellationToken token)
    {
        var done = new TaskCompletionSource<bool>();
        var state = " + allocation + @";
        " + registration + @";
        try
        {
            Native.wait_async(GCHandle.ToIntPtr(state));
        }
        catch
        {
            state.Free();
            throw;
        }

        return done.Task;
    }
}";

        // Completing a task source with TrySet* cannot fail.
        [Fact]
        public Task RegisteringALambdaThatCannotThrowIsNotAThrowPoint()
            => Run<OwnershipAnalyzer>(Waiter("GCHandle.Alloc(done)", "token.Register(() => done.TrySetCanceled(token))"));

        [Fact]
        public Task RegisteringALambdaThatThrowsStillIs()
            => Run<OwnershipAnalyzer>(Waiter("{|#0:GCHandle.Alloc(done)|}", "token.Register(() => Abort(done))"), Kept("token.Register(() => Abort(done))"));

        // Reporting progress on the thread pool: whatever the user's observer throws ends in the task, not in the callback.
        // A list search whose lambda only reads weak references cannot fail either.
        [Fact]
        public Task QueuedWorkAndAQuietListSearchAreNotThrowPoints() => Run<NativeCallbackExceptionAnalyzer>(@"
sealed class Observers
{
    public static readonly Observers Shared = new Observers();
    private readonly List<WeakReference<Action<double>>> _live = new List<WeakReference<Action<double>>>();

    public void Notify(double progress)
    {
        var alive = new List<Action<double>>();
        _live.RemoveAll(r =>
        {
            if (r.TryGetTarget(out var observer))
            {
                alive.Add(observer);
                return false;
            }

            return true;
        });
        foreach (var observer in alive)
        {
            Task.Run(() => observer(progress));
        }
    }
}

static class Exports
{
    [UnmanagedCallersOnly]
    static void OnEvent(double progress) => Observers.Shared.Notify(progress);
}");

        [Fact]
        public Task AListSearchWhoseLambdaThrowsStillIs() => Run<NativeCallbackExceptionAnalyzer>(@"
sealed class Observers
{
    public static readonly Observers Shared = new Observers();
    private readonly List<string> _names = new List<string>();

    public void Notify(string text)
    {
        _names.RemoveAll(n => int.Parse(n) > text.Length);
    }
}

static class Exports
{
    [UnmanagedCallersOnly]
    static void {|#0:OnEvent|}(IntPtr text) => Observers.Shared.Notify(Marshal.PtrToStringUTF8(text) ?? string.Empty);
}", Escapes("Observers.Shared.Notify(…)", "'_names.RemoveAll(…)' in 'Notify'"));

        // The helper throws only for a null context; the callback has just returned when there is none.
        [Fact]
        public Task AHelpersNullCheckOfAValueTestedJustBeforeIsNotAThrowPoint() => Run<NativeCallbackExceptionAnalyzer>(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static IntPtr OnEvent()
    {
        var context = SynchronizationContext.Current;
        if (context is null)
        {
            return IntPtr.Zero;
        }

        return GCHandle.ToIntPtr(GCHandle.Alloc(new Scheduler(context)));
    }
}");

        [Fact]
        public Task AHelpersNullCheckOfAnUntestedValueStillIs() => Run<NativeCallbackExceptionAnalyzer>(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static IntPtr {|#0:OnEvent|}()
    {
        var context = SynchronizationContext.Current;
        return GCHandle.ToIntPtr(GCHandle.Alloc(new Scheduler(context!)));
    }
}", Escapes("new Scheduler(context!)", "'throw new ArgumentNullException(name)' in 'NotNull'"));

        // A vtable slot filled from a delegate held in a local declared with a method group: never null, not generic.
        [Fact]
        public Task AFunctionPointerOfADelegateHeldInALocalIsNotAThrowPoint() => Run<OwnershipAnalyzer>(@"
delegate int QueryDelegate(IntPtr self);

sealed class Table
{
    private readonly List<Delegate> _keep = new List<Delegate>();
    public IntPtr Slots;

    static int Query(IntPtr self) => 0;

    public unsafe Table()
    {
        var slots = (IntPtr*)Marshal.AllocHGlobal(IntPtr.Size);
        QueryDelegate query = Query;
        slots[0] = Marshal.GetFunctionPointerForDelegate(query);
        _keep.Add(query);
        Slots = (IntPtr)slots;
    }
}");

        [Fact]
        public Task AFunctionPointerOfADelegatePassedInStillIs() => Run<OwnershipAnalyzer>(@"
sealed class Table
{
    private readonly List<Delegate> _keep = new List<Delegate>();
    public IntPtr Slots;

    public unsafe Table(Delegate given)
    {
        var slots = (IntPtr*){|#0:Marshal.AllocHGlobal(IntPtr.Size)|};
        Delegate query = given;
        slots[0] = Marshal.GetFunctionPointerForDelegate(query);
        _keep.Add(query);
        Slots = (IntPtr)slots;
    }
}", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'Marshal.AllocHGlobal' in 'slots' is not released by 'Marshal.FreeHGlobal' if 'Marshal.GetFunctionPointerForDelegate(query)' throws"));

        // Printing a Uri made earlier and trimming the text cannot fail; parsing a new one can.
        [Fact]
        public Task PrintingAUriAndTrimmingTheTextIsNotAThrowPoint() => Run<OwnershipAnalyzer>(@"
static class Client
{
    public static IntPtr Open(object owner, Uri baseUri)
    {
        var state = GCHandle.Alloc(owner);
        var url = Marshal.StringToHGlobalAnsi(baseUri.ToString().TrimEnd('/'));
        try
        {
            return Native.open_client(GCHandle.ToIntPtr(state), url);
        }
        finally
        {
            Marshal.FreeHGlobal(url);
        }
    }
}");

        [Fact]
        public Task ParsingAUriStillIs() => Run<OwnershipAnalyzer>(@"
static class Client
{
    public static IntPtr Open(object owner, string text)
    {
        var state = {|#0:GCHandle.Alloc(owner)|};
        var url = Marshal.StringToHGlobalAnsi(new Uri(text).ToString().TrimEnd('/'));
        try
        {
            return Native.open_client(GCHandle.ToIntPtr(state), url);
        }
        finally
        {
            Marshal.FreeHGlobal(url);
        }
    }
}", Kept("new Uri(text)"));
    }
}
