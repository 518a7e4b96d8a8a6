using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using InteropGuard.Flow;
using InteropGuard.Rules;
using InteropGuard.Tests.Robustness;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// The Ownership analysis skips the path solve of a site the operation tree shows released (allocate, then a try
    /// whose finally releases first). The shortcut is only allowed to save time: these tests show it fires on the
    /// textbook shape, stays out of every look-alike where the solve has something to say, and changes no finding on
    /// any source the repository holds.
    /// </summary>
    public class GuaranteedReleasesTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
static class Native
{
    [DllImport(""mylib"", PreserveSig = false)] public static extern void use(IntPtr p);
    [DllImport(""mylib"")] public static extern void note(int n);
}
";

        private const string HandlePrelude = @"
sealed class Handle : Microsoft.Win32.SafeHandles.SafeHandleZeroOrMinusOneIsInvalid
{
    public Handle() : base(true) { }
    protected override bool ReleaseHandle() => true;
}
";

        [Fact]
        public async Task TheTextbookShapeNeedsNoSolve()
        {
            var (budget, findings) = await Analyze(Prelude + @"
class C
{
    void M(byte[] data)
    {
        var p = Marshal.AllocHGlobal(data.Length);
        try
        {
            Marshal.Copy(data, 0, p, data.Length);
            if (p == IntPtr.Zero) return;
            Native.use(p);
        }
        finally
        {
            Marshal.FreeHGlobal(p);
            Native.note(1);
        }

        var h = GCHandle.Alloc(data, GCHandleType.Pinned);
        try { Native.use(h.AddrOfPinnedObject()); }
        finally { h.Free(); }
    }
}");
            Assert.Empty(findings);
            Assert.Equal(2, budget.GuaranteedSites);
            Assert.Equal(0, budget.Transfers);
        }

        [Fact]
        public async Task AnAllocationAssignedInTheTryNeedsNoSolve()
        {
            var (budget, findings) = await Analyze(Prelude + @"
class C
{
    void M(int rounds)
    {
        for (var i = 0; i < rounds; i++)
        {
            IntPtr p = IntPtr.Zero;
            Native.note(i);
            try
            {
                Native.note(2);
                p = Marshal.AllocHGlobal(16);
                Native.use(p);
            }
            finally
            {
                Marshal.FreeHGlobal(p);
            }
        }
    }
}");
            Assert.Empty(findings);
            Assert.Equal(1, budget.GuaranteedSites);
            Assert.Equal(0, budget.Transfers);
        }

        [Theory]
        [InlineData(OwnershipScalingTests.Shape.TryFinally)]
        [InlineData(OwnershipScalingTests.Shape.InLoop)]
        public async Task ManyPairsInOneMethodNeedNoSolve(OwnershipScalingTests.Shape shape)
        {
            var (budget, findings) = await Analyze(OwnershipScalingTests.Source(shape, 40));
            Assert.Empty(findings);
            Assert.Equal(40, budget.GuaranteedSites);
            Assert.Equal(0, budget.Transfers);
        }

        [Theory]
        // Declared outside the loop: the second round's exception before the assignment frees the first block again.
        [InlineData("IntPtr p = IntPtr.Zero; for (var i = 0; i < 2; i++) { try { Native.use(IntPtr.Zero); p = Marshal.AllocHGlobal(8); } finally { Marshal.FreeHGlobal(p); } }")]
        // Read before the assignment inside the try.
        [InlineData("IntPtr p = IntPtr.Zero; try { Native.use(p); p = Marshal.AllocHGlobal(8); } finally { Marshal.FreeHGlobal(p); }")]
        // Not declared with a constant.
        [InlineData("IntPtr p = Marshal.AllocHGlobal(4); try { p = Marshal.AllocHGlobal(8); } finally { Marshal.FreeHGlobal(p); }")]
        // The finally tests the pointer before releasing it: left to the solve.
        [InlineData("IntPtr p = IntPtr.Zero; try { p = Marshal.AllocHGlobal(8); Native.use(p); } finally { if (p != IntPtr.Zero) Marshal.FreeHGlobal(p); }")]
        public async Task LookAlikesOfTheAssignedShapeAreSolved(string body)
        {
            var (budget, _) = await Analyze(Prelude + "class C { void M() { " + body + " } }");
            Assert.Equal(0, budget.GuaranteedSites);
        }

        [Fact]
        public async Task UsingScopesAndImmediateHandOversNeedNoSolve()
        {
            var (budget, findings) = await Analyze(Prelude + HandlePrelude + @"
static class Api
{
    [DllImport(""mylib"")] public static extern Handle open(int n);
    [DllImport(""mylib"")] public static extern int read(Handle h);
    [DllImport(""mylib"")] public static extern void create(out Handle h);
}
class C
{
    private Handle? _handle;
    private Handle? _created;

    int Read(ReadOnlyMemory<byte> memory)
    {
        using var h = Api.open(1);
        if (h.IsInvalid) return -1;
        using (System.Buffers.MemoryHandle pin = memory.Pin())
        {
            return Api.read(h);
        }
    }

    void Open()
    {
        _handle = Api.open(2);
        Api.create(out _created);
    }

    IntPtr Block(int n) => Marshal.AllocHGlobal(n);
}");
            Assert.Empty(findings);
            Assert.Equal(5, budget.GuaranteedSites);
            Assert.Equal(0, budget.Transfers);
        }

        [Theory]
        // The handle leaves the using scope through a field: the solve decides.
        [InlineData("using var h = Api.open(1); _handle = h;")]
        // Copied into another local inside the using scope.
        [InlineData("using var h = Api.open(1); var g = h; Api.read(g);")]
        // Disposed by hand inside the using scope as well.
        [InlineData("using var h = Api.open(1); h.Dispose();")]
        // Stored in a field only on one branch of a conditional.
        [InlineData("_handle = DateTime.Now.Ticks > 0 ? Api.open(1) : null;")]
        // Read in a lambda that may outlive the scope.
        [InlineData("using var h = Api.open(1); Func<int> f = () => Api.read(h); f();")]
        public async Task LookAlikesOfTheUsingAndHandOverShapesAreSolved(string body)
        {
            var (budget, _) = await Analyze(Prelude + HandlePrelude + @"
static class Api
{
    [DllImport(""mylib"")] public static extern Handle open(int n);
    [DllImport(""mylib"")] public static extern int read(Handle h);
}
class C
{
    private Handle? _handle;
    void M() { " + body + @" }
}");
            Assert.Equal(0, budget.GuaranteedSites);
            Assert.True(budget.Transfers > 0, "The site was not solved.");
        }

        [Theory]
        // The finally releases on one path only (IG3001).
        [InlineData("var p = Marshal.AllocHGlobal(8); try { Native.use(p); } finally { if (DateTime.Now.Ticks > 0) Marshal.FreeHGlobal(p); }", "IG3001", "Marshal.AllocHGlobal")]
        // The finally releases with the wrong family (IG3002).
        [InlineData("var p = Marshal.AllocHGlobal(8); try { Native.use(p); } finally { Marshal.FreeCoTaskMem(p); }", "IG3002", "Marshal.FreeCoTaskMe")]
        // Read after the finally released it (IG3003).
        [InlineData("var p = Marshal.AllocHGlobal(8); try { Native.use(p); } finally { Marshal.FreeHGlobal(p); } Native.use(p);", "IG3003", "p); } }")]
        // Released in the try block and again in the finally (IG3003).
        [InlineData("var p = Marshal.AllocHGlobal(8); try { Marshal.FreeHGlobal(p); Native.use(p); } finally { Marshal.FreeHGlobal(p); }", "IG3003", "p); } finally { Mars|p); } } }")]
        // A statement between the allocation and the try may throw with nothing to release it (IG3001).
        [InlineData("var p = Marshal.AllocHGlobal(8); Native.use(p); try { Native.use(p); } finally { Marshal.FreeHGlobal(p); }", "IG3001", "Marshal.AllocHGlobal")]
        // The try block overwrites the name: the first block is lost (IG3001).
        [InlineData("var p = Marshal.AllocHGlobal(8); try { p = Marshal.AllocHGlobal(16); } finally { Marshal.FreeHGlobal(p); }", "IG3001", "Marshal.AllocHGlobal")]
        public async Task LookAlikesAreSolvedAndReported(string body, string id, string flagged)
        {
            var source = Prelude + "class C { void M() { " + body + " } }";
            var (budget, findings) = await Analyze(source);
            Assert.Equal(0, budget.GuaranteedSites);
            // Each finding as its id and the body's text from the reported span on (20 characters): the span is pinned.
            var bodyStart = source.Length - body.Length - 4;
            var reported = findings.OrderBy(d => d.Location.SourceSpan.Start)
                .Select(d => d.Id + " " + new string(source.Substring(d.Location.SourceSpan.Start).Take(20).ToArray()))
                .ToArray();
            Assert.True(findings.All(d => d.Location.SourceSpan.Start >= bodyStart), "A finding lies outside the method body.");
            Assert.Equal(flagged.Split('|').Select(f => id + " " + f).ToArray(), reported);
        }

        [Fact]
        public Task NoSourceOfTheRepositoryChangesItsFindings()
            => ShortcutAgreement.OverTheRepositoryAsync(budget => new OwnershipAnalyzer(budget), minimumAnswers: 50);

        private static async Task<(FlowBudget Budget, ImmutableArray<Diagnostic> Findings)> Analyze(string source)
        {
            var budget = new FlowBudget(64, count: true);
            return (budget, await OwnershipScalingTests.MeasureWith(source, budget));
        }
    }
}
