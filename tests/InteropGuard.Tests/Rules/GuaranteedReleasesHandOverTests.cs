using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using InteropGuard.Flow;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// The tree shortcut of the ownership analysis (Flow/GuaranteedReleases) also vouches for a value handed over inside
    /// the try block whose finally releases it (a GCHandle's number given to native code as user data, a store in a
    /// field): the solve settles the value at the hand-over and reports nothing. Each case is analyzed with the shortcut
    /// and with every site solved, and the findings must be the same.
    /// </summary>
    public class GuaranteedReleasesHandOverTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
static class Native
{
    [DllImport(""mylib"")] public static extern int run(IntPtr userData);
    [DllImport(""mylib"")] public static extern void use(IntPtr p);
}
";

        [Theory]
        // The user-data shape of callback bindings: the handle's number goes to native code for the call's duration.
        [InlineData("GCHandle self = GCHandle.Alloc(this); try { var status = Native.run(GCHandle.ToIntPtr(self)); Native.use(IntPtr.Zero); } finally { self.Free(); }")]
        // Stored in a field while in use.
        [InlineData("var p = Marshal.AllocHGlobal(8); try { _last = p; Native.use(p); } finally { Marshal.FreeHGlobal(p); }")]
        public async Task HandOversInsideTheTryNeedNoSolve(string body)
        {
            var (shortcut, solved, budget) = await AnalyzeBoth(body);
            Assert.Equal(1, budget.GuaranteedSites);
            Assert.Equal(0, budget.Transfers);
            Assert.Equal(solved, shortcut);
        }

        [Theory]
        // Handed over, then read after the finally released it: the solve decides.
        [InlineData("var p = Marshal.AllocHGlobal(8); try { _last = p; } finally { Marshal.FreeHGlobal(p); } Native.use(p);")]
        // Copied into another local inside the try: another name for the value, which the shortcut does not follow.
        [InlineData("GCHandle self = GCHandle.Alloc(this); try { var copy = self; Native.run(GCHandle.ToIntPtr(copy)); } finally { self.Free(); }")]
        // Handed over in a lambda that may run after the release.
        [InlineData("var p = Marshal.AllocHGlobal(8); try { Action a = () => _last = p; a(); } finally { Marshal.FreeHGlobal(p); }")]
        // Handed over before the try statement.
        [InlineData("var p = Marshal.AllocHGlobal(8); _last = p; try { Native.use(p); } finally { Marshal.FreeHGlobal(p); }")]
        public async Task LookAlikesAreSolvedAsBefore(string body)
        {
            var (shortcut, solved, budget) = await AnalyzeBoth(body);
            Assert.Equal(0, budget.GuaranteedSites);
            Assert.True(budget.Transfers > 0, "The site was not solved.");
            Assert.Equal(solved, shortcut);
        }

        private static async Task<(string[] Shortcut, string[] Solved, FlowBudget Budget)> AnalyzeBoth(string body)
        {
            var source = Prelude + "class C { private IntPtr _last; void M() { " + body + " } }";
            var budget = new FlowBudget(64, count: true);
            var shortcut = await OwnershipScalingTests.MeasureWith(source, budget);
            var solved = await OwnershipScalingTests.MeasureWith(source, new FlowBudget(64, count: false, readTreeReleases: false));
            return (Describe(shortcut), Describe(solved), budget);
        }

        private static string[] Describe(ImmutableArray<Diagnostic> diagnostics)
            => diagnostics.Select(d => d.Id + " " + d.Location.SourceSpan + " " + d.GetMessage(System.Globalization.CultureInfo.InvariantCulture))
                .OrderBy(x => x, System.StringComparer.Ordinal)
                .ToArray();
    }
}
