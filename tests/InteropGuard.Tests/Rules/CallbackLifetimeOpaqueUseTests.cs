using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis.CSharp;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1002 on a function pointer whose delegate is created inside the <c>GetFunctionPointerForDelegate</c> call and
    /// whose pointer goes somewhere the analysis cannot follow (a delegate call, a method of a referenced assembly, a
    /// conversion to <c>long</c> handed on): the delegate has no other reference, so the pointer dangles from the start.
    /// </summary>
    public class CallbackLifetimeOpaqueUseTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate int Hook(IntPtr user);
static class Native
{
    [DllImport(""mylib"")] public static extern void register_fn(IntPtr fn);
}
";

        private const string Dangling = " but is not kept reachable beyond the conversion; once the GC collects it, a call from native code through it crashes the process";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<CallbackLifetimeAnalyzer> { Source = Prelude + source, LanguageVersion = LanguageVersion.Latest };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(int location, string message) => Verify.Diagnostic("IG1002").WithLocation(location).WithMessage(message);

        [Fact]
        public Task TemporaryDelegateIntoOpaqueCalls() => Check(@"
class Bridge
{
    readonly Action<long, long> _install;
    readonly Func<IntPtr, int> _forward;
    Bridge(Action<long, long> install, Func<IntPtr, int> forward) { _install = install; _forward = forward; }
    int OnHook(IntPtr user) => 0;
    static int OnStaticHook(IntPtr user) => 0;
    void Install(long db, int limit)
    {
        _install(db, Marshal.GetFunctionPointerForDelegate({|#0:new Hook(OnHook)|}).ToInt64());
        _install(db, Marshal.GetFunctionPointerForDelegate({|#1:new Hook(OnStaticHook)|}).ToInt64());
        _forward(Marshal.GetFunctionPointerForDelegate({|#2:(Hook)(user => limit)|}));
    }
}",
            Finding(0, "Delegate 'new Hook(OnHook)' is turned into a function pointer that is passed on" + Dangling),
            Finding(1, "Delegate 'new Hook(OnStaticHook)' is turned into a function pointer that is passed on" + Dangling),
            Finding(2, "The lambda's delegate is turned into a function pointer that is passed on" + Dangling));

        [Fact]
        public Task KeptCachedOrLocalDelegatesStaySilent() => Check(@"
class Bridge
{
    static Hook? s_hook;
    readonly Hook _kept;
    readonly Action<long, long> _install;
    Bridge(Action<long, long> install) { _install = install; _kept = OnHook; }
    int OnHook(IntPtr user) => 0;
    static int OnStaticHook(IntPtr user) => 0;
    void Install(long db)
    {
        // A field, a cached static method group or non-capturing lambda, and a local kept after the call.
        _install(db, Marshal.GetFunctionPointerForDelegate(_kept).ToInt64());
        s_hook = OnHook;
        _install(db, Marshal.GetFunctionPointerForDelegate(s_hook).ToInt64());
        _install(db, Marshal.GetFunctionPointerForDelegate((Hook)OnStaticHook).ToInt64());
        _install(db, Marshal.GetFunctionPointerForDelegate((Hook)(user => 1)).ToInt64());
        Hook local = OnHook;
        _install(db, Marshal.GetFunctionPointerForDelegate(local).ToInt64());
        GC.KeepAlive(local);

        // A temporary's pointer given to a method of this compilation that calls nothing native with it.
        Note(Marshal.GetFunctionPointerForDelegate(new Hook(OnHook)));
    }

    static void Note(IntPtr fn) { }
}");

        [Fact]
        public Task PointerOnlyComparedStaysSilent() => Check(@"
class Bridge
{
    int OnHook(IntPtr user) => 0;
    bool Available() => Marshal.GetFunctionPointerForDelegate(new Hook(OnHook)) != IntPtr.Zero;
}");
    }
}
