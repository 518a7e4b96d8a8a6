using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using InteropGuard.Flow;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// The Ownership family's path engine itself: a solve that runs out of budget says nothing, and the solves that
    /// start at each allocation (and stop where nothing can change any more) find exactly what full solves from the
    /// entry find.
    /// </summary>
    public class OwnershipSolveTests
    {
        // 'use' is declared PreserveSig = false, so it can throw and the shapes have exceptional paths to solve.
        private const string Shapes = @"using System;
using System.Runtime.InteropServices;
static class Native
{
    [DllImport(""mylib"", PreserveSig = false)] public static extern int use(IntPtr p);
    [DllImport(""mylib"")] public static extern int open(out FileHandle h);
    [DllImport(""mylib"")] public static extern bool tryOpen(out FileHandle h);
}
sealed class FileHandle : SafeHandle
{
    public FileHandle() : base(IntPtr.Zero, true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => true;
}
class C
{
    void Loop(int n) { for (int i = 0; i < n; i++) { var p = Marshal.AllocHGlobal(8); Native.use(p); if (i > 3) continue; Marshal.FreeHGlobal(p); } }
    void LoopOverwrite(int n) { IntPtr p = IntPtr.Zero; for (int i = 0; i < n; i++) { p = Marshal.AllocHGlobal(8); } Marshal.FreeHGlobal(p); }
    void FactBefore(int n) { IntPtr p = IntPtr.Zero; if (n > 256) p = Marshal.AllocHGlobal(n); Native.use(p); if (n > 256) Marshal.FreeHGlobal(p); }
    void FactBeforeLeak(int n) { IntPtr p = IntPtr.Zero; if (n > 256) p = Marshal.AllocHGlobal(n); Native.use(p); if (n > 512) Marshal.FreeHGlobal(p); }
    void FlagAfter(bool c) { IntPtr p = default; bool allocated = false; if (c) { p = Marshal.AllocHGlobal(8); allocated = true; } try { Native.use(p); } finally { if (allocated) Marshal.FreeHGlobal(p); } }
    void UseAfterFreeInLoop(int n) { var p = Marshal.AllocHGlobal(8); for (int i = 0; i < n; i++) { Native.use(p); if (i == 2) Marshal.FreeHGlobal(p); } }
    void WrongFree() { var p = Marshal.AllocHGlobal(8); Marshal.FreeCoTaskMem(p); }
    void Copies(bool c) { var p = Marshal.AllocHGlobal(8); var q = p; if (c) { Marshal.FreeHGlobal(q); return; } Native.use(p); }
    void DoubleFree(bool c) { var p = Marshal.AllocHGlobal(8); if (c) Marshal.FreeHGlobal(p); Marshal.FreeHGlobal(p); }
    void OutHandleLoop(int n) { for (int i = 0; i < n; i++) { var rc = Native.open(out var h); if (rc != 0) continue; h.Dispose(); } }
    void TryOpenLoop(string[] paths) { foreach (var path in paths) { if (!Native.tryOpen(out var h)) continue; Native.use(IntPtr.Zero); h.Dispose(); } }
    void CatchAlloc() { try { Native.use(IntPtr.Zero); } catch (Exception) { var p = Marshal.AllocHGlobal(8); Native.use(p); } }
    void FinallyAlloc() { try { Native.use(IntPtr.Zero); } finally { var p = Marshal.AllocHGlobal(8); Native.use(p); } }
    void GotoBack(int n) { var i = 0; again: var p = Marshal.AllocHGlobal(8); Native.use(p); if (++i < n) goto again; Marshal.FreeHGlobal(p); }
    void WhileTrueBreak(int n) { while (true) { var p = Marshal.AllocHGlobal(8); try { if (Native.use(p) == n) break; } finally { Marshal.FreeHGlobal(p); } } }
    void Switch(int k) { var p = Marshal.AllocHGlobal(8); switch (k) { case 0: Marshal.FreeHGlobal(p); break; case 1: return; default: Native.use(p); Marshal.FreeHGlobal(p); break; } }
    IntPtr Returned(bool c) { var p = Marshal.AllocHGlobal(8); if (c) return p; Marshal.FreeHGlobal(p); return IntPtr.Zero; }
    void ReleasedThenReassigned(int n) { var p = Marshal.AllocHGlobal(8); Marshal.FreeHGlobal(p); p = Marshal.AllocHGlobal(n); Native.use(p); }
    void ConditionalCopy(bool c) { var p = Marshal.AllocHGlobal(8); var q = c ? p : IntPtr.Zero; Marshal.FreeHGlobal(p); Native.use(q); }
    void Captured() { var p = Marshal.AllocHGlobal(8); Action a = () => Native.use(p); a(); }
    void Handles(object o) { var h = GCHandle.Alloc(o, GCHandleType.Pinned); Native.use(h.AddrOfPinnedObject()); h.Free(); h.Free(); }
    void UseMuchLater(int n) { var a = Marshal.AllocHGlobal(1); Marshal.FreeHGlobal(a); var b = Marshal.AllocHGlobal(2); Native.use(b); for (int i = 0; i < n; i++) Native.use(a); Marshal.FreeHGlobal(b); }
    void NullChecked() { var p = Marshal.AllocHGlobal(8); if (p == IntPtr.Zero) return; Native.use(p); Marshal.FreeHGlobal(p); Native.use(p); }
    void HandleLeak(bool c) { Native.open(out var h); if (c) return; h.Dispose(); }
    void Nested(int n) { for (int i = 0; i < n; i++) { var p = Marshal.AllocHGlobal(8); for (int j = 0; j < n; j++) { if (j == i) { Marshal.FreeHGlobal(p); break; } Native.use(p); } } }
}
";

        [Fact]
        public async Task SolvesStartingAtTheAllocationFindWhatFullSolvesFind()
        {
            foreach (var source in new[]
            {
                Shapes,
                OwnershipScalingTests.Source(OwnershipScalingTests.Shape.Sequential, 12),
                OwnershipScalingTests.Source(OwnershipScalingTests.Shape.TryFinally, 12),
                OwnershipScalingTests.Source(OwnershipScalingTests.Shape.InLoop, 12),
            })
            {
                var full = await Findings(source, new FlowBudget(FlowBudget.Default.VisitsPerBlock, count: false, fullSolves: true));
                var sparse = await Findings(source, FlowBudget.Default);
                Assert.Equal(full, sparse);
            }

            // Not vacuous: the shapes hold findings of each Ownership kind.
            var found = await Findings(Shapes, FlowBudget.Default);
            Assert.Contains(found, f => f.StartsWith("IG3001", StringComparison.Ordinal));
            Assert.Contains(found, f => f.StartsWith("IG3002", StringComparison.Ordinal));
            Assert.Contains(found, f => f.StartsWith("IG3003", StringComparison.Ordinal));
            Assert.Contains(found, f => f.StartsWith("IG3004", StringComparison.Ordinal));
            Assert.Contains(found, f => f.StartsWith("IG3005", StringComparison.Ordinal));
        }

        [Fact]
        public async Task ASolveThatRunsOutOfBudgetReportsNothing()
        {
            // With the normal budget each Ownership rule finds something here.
            var found = await Findings(Shapes, FlowBudget.Default);
            Assert.NotEmpty(found);

            // No visit allowed: every solve gives up at once, and a partial result is no finding.
            Assert.Empty(await Findings(Shapes, new FlowBudget(visitsPerBlock: 0, count: false)));
        }

        [Fact]
        public async Task ASolveThatGivesUpHalfwayReportsNothingForThatSite()
        {
            // One visit per block (16 at least) is enough for straight-line code, not for a loop solved to its fixpoint.
            const string source = @"using System;
using System.Runtime.InteropServices;
static class Native
{
    [DllImport(""mylib"")] public static extern int use(IntPtr p);
}
class C
{
    void Straight()
    {
        var p = Marshal.AllocHGlobal(8);
        Native.use(p);
    }

    void Looping(int n, int m)
    {
        var p = Marshal.AllocHGlobal(8);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < m; j++)
            {
                if (i == j) { Native.use(p); continue; }
                if (i > j) { Native.use(p); break; }
                Native.use(p);
            }
        }

        Marshal.FreeCoTaskMem(p);
        Native.use(p);
    }
}
";
            var full = await Findings(source, FlowBudget.Default);
            Assert.Contains(full, f => f.StartsWith("IG3001", StringComparison.Ordinal) && f.Contains("'p'", StringComparison.Ordinal));
            Assert.Contains(full, f => f.StartsWith("IG3002", StringComparison.Ordinal));
            Assert.Contains(full, f => f.StartsWith("IG3003", StringComparison.Ordinal));

            var starved = await Findings(source, new FlowBudget(visitsPerBlock: 1, count: false));
            var straightLine = full.Where(f => f.Contains(" (10,", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(straightLine);
            Assert.Equal(straightLine, starved);
        }

        private static async Task<List<string>> Findings(string source, FlowBudget budget)
        {
            var project = TestProject.Create(new[] { source }, TestProjectOptions.Default);
            var compilation = (await project.GetCompilationAsync())!;
            Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
            var exceptions = new List<Exception>();
            var options = new CompilationWithAnalyzersOptions(
                project.AnalyzerOptions,
                onAnalyzerException: (exception, _, _) => exceptions.Add(exception),
                concurrentAnalysis: false,
                logAnalyzerExecutionTime: false,
                reportSuppressedDiagnostics: false);
            var diagnostics = await compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new OwnershipAnalyzer(budget)), options).GetAnalyzerDiagnosticsAsync();
            Assert.Empty(exceptions);
            return diagnostics
                .OrderBy(d => d.Location.SourceSpan.Start).ThenBy(d => d.Id, StringComparer.Ordinal)
                .Select(d => d.Id + " " + d.Location.GetLineSpan().Span + " " + d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)
                             + " [" + string.Join(";", d.Properties.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value)) + "]"
                             + " {" + string.Join(";", d.AdditionalLocations.Select(l => l.SourceSpan.ToString())) + "}")
                .ToList();
        }
    }
}
