using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1002: a public API that receives the caller's delegate and keeps only its function pointer (in a field that
    /// native code is later given), never the delegate.
    /// </summary>
    public class CallbackLifetimeCallersPointerTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
public delegate int StepFunc(IntPtr user);
struct StepTable { public IntPtr Step; public int Flags; }
static class Native
{
    [DllImport(""walker"")] public static extern int walk(ref StepTable table, IntPtr user);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<CallbackLifetimeAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task PublicConstructorKeepsOnlyThePointer() => Check(@"
public class Walker
{
    private StepTable _table;
    public Walker(StepFunc step) { _table.Step = Marshal.GetFunctionPointerForDelegate({|#0:step|}); }
    public int Walk() => Native.walk(ref _table, IntPtr.Zero);
}", Verify.Diagnostic("IG1002").WithLocation(0));

        [Fact]
        public Task PublicSetterKeepsOnlyThePointer() => Check(@"
public class Walker
{
    private StepTable _table;
    public StepFunc Step { set { _table.Step = Marshal.GetFunctionPointerForDelegate({|#0:value|}); } }
    public int Walk() => Native.walk(ref _table, IntPtr.Zero);
}", Verify.Diagnostic("IG1002").WithLocation(0));

        [Fact]
        public Task ConstructorThatAlsoKeepsTheDelegateIsSilent() => Check(@"
public class Walker
{
    private StepTable _table;
    private readonly StepFunc _step;
    public Walker(StepFunc step)
    {
        _step = step;
        _table.Step = Marshal.GetFunctionPointerForDelegate(step);
    }
    public int Walk() => Native.walk(ref _table, IntPtr.Zero);
}");

        [Fact]
        public Task PointerUsedOnlyDuringTheCallIsSilent() => Check(@"
public static class Walking
{
    public static int Walk(StepFunc step)
    {
        var table = new StepTable { Flags = 1 };
        table.Step = Marshal.GetFunctionPointerForDelegate(step);
        var result = Native.walk(ref table, IntPtr.Zero);
        GC.KeepAlive(step);
        return result;
    }
}");

        [Fact]
        public Task NewDelegatesPointerStoredInAnObjectsTable() => Check(@"
class Walker
{
    private StepTable _table;
    private int OnStep(IntPtr user) => 0;
    public void Prepare() { _table.Step = Marshal.GetFunctionPointerForDelegate({|#0:new StepFunc(OnStep)|}); }
    public int Walk() => Native.walk(ref _table, IntPtr.Zero);
}", Verify.Diagnostic("IG1002").WithLocation(0));

        [Fact]
        public Task DelegateKeptNextToItsPointerInTheTableIsSilent() => Check(@"
class Walker
{
    private StepTable _table;
    private StepFunc? _step;
    private int OnStep(IntPtr user) => 0;
    public void Prepare()
    {
        _step = new StepFunc(OnStep);
        _table.Step = Marshal.GetFunctionPointerForDelegate(_step);
    }
    public int Walk() => Native.walk(ref _table, IntPtr.Zero);
}");

        [Fact]
        public Task TypeOnlyThisCompilationCanReachIsSilent() => Check(@"
class Walker
{
    private StepTable _table;
    public Walker(StepFunc step) { _table.Step = Marshal.GetFunctionPointerForDelegate(step); }
    public int Walk() => Native.walk(ref _table, IntPtr.Zero);
}");
    }
}
