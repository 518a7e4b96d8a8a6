using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001 on an allocation hook that records where it was called from: <c>new StackTrace()</c> of the calling thread,
    /// with a constant count of frames to skip of at least zero and a flag, cannot fail. A negative constant or a count the
    /// native caller passes in can.
    /// </summary>
    public class NativeCallbackStackTraceTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.InteropServices;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate IntPtr AllocHook(UIntPtr size, int depth);

static class Arena
{
    [DllImport(""arena"")] public static extern void arena_set_alloc_hook(AllocHook hook);
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
                "Callback '" + callback + "' is called by native function 'arena_set_alloc_hook', and '" + operation
                + "' may throw outside a catch-all: an exception escaping to native code terminates the process");

        [Fact]
        public Task CallerStackWithAConstantSkipIsSilent() => Check(@"
static class Tracker
{
    static readonly AllocHook Hook = Record;
    static readonly AllocHook Plain = RecordAll;
    static StackTrace _last;

    public static void Install()
    {
        Arena.arena_set_alloc_hook(Hook);
        Arena.arena_set_alloc_hook(Plain);
    }

    static IntPtr Record(UIntPtr size, int depth)
    {
        _last = new StackTrace(1, true);
        return IntPtr.Zero;
    }

    static IntPtr RecordAll(UIntPtr size, int depth)
    {
        _last = new StackTrace();
        return IntPtr.Zero;
    }
}");

        [Fact]
        public Task NegativeOrNativeSuppliedSkipStillThrows() => Check(@"
static class Tracker
{
    static readonly AllocHook Hook = Record;
    static readonly AllocHook Deep = RecordDeep;
    static StackTrace _last;

    public static void Install()
    {
        Arena.arena_set_alloc_hook(Hook);
        Arena.arena_set_alloc_hook(Deep);
    }

    static IntPtr {|#0:Record|}(UIntPtr size, int depth)
    {
        _last = new StackTrace(-1, true);
        return IntPtr.Zero;
    }

    static IntPtr {|#1:RecordDeep|}(UIntPtr size, int depth)
    {
        _last = new StackTrace(depth, false);
        return IntPtr.Zero;
    }
}",
            Finding(0, "Record", "new StackTrace(-1, true)"),
            Finding(1, "RecordDeep", "new StackTrace(depth, false)"));
    }
}
