using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// A native block read out into a managed array through a span over it, <c>new ReadOnlySpan&lt;byte&gt;(p, n).ToArray()</c>,
    /// before the block is released: the copy can only run out of memory, so it is no path on which the block leaks. A
    /// span operation that fails on its data (a slice past the end) stays a throw point.
    /// </summary>
    public class SpanCopyOutTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task ReadOnlySpanCopiedOutBeforeTheRelease() => Check(@"
static unsafe class Exporter
{
    [DllImport(""exporter"")] static extern void fill(IntPtr block, int size);

    public static byte[] Export(int size)
    {
        IntPtr block = Marshal.AllocHGlobal(size);
        fill(block, size);
        byte[] copy = new ReadOnlySpan<byte>((void*)block, size).ToArray();
        Marshal.FreeHGlobal(block);
        return copy;
    }
}");

        [Fact]
        public Task WritableSpanCopiedOutBeforeTheRelease() => Check(@"
static unsafe class Exporter
{
    [DllImport(""exporter"")] static extern void fill(IntPtr block, int count);

    public static int[] Export(int count)
    {
        IntPtr block = Marshal.AllocHGlobal(count * sizeof(int));
        fill(block, count);
        var view = new Span<int>((void*)block, count);
        int[] copy = view.ToArray();
        Marshal.FreeHGlobal(block);
        return copy;
    }
}");

        [Fact]
        public Task SliceBeforeTheCopyIsStillAThrowPoint() => Check(@"
static unsafe class Exporter
{
    [DllImport(""exporter"")] static extern void fill(IntPtr block, int size);

    public static byte[] ExportBody(int size)
    {
        IntPtr block = {|#0:Marshal.AllocHGlobal(size)|};
        fill(block, size);
        byte[] body = new ReadOnlySpan<byte>((void*)block, size).Slice(8).ToArray();
        Marshal.FreeHGlobal(block);
        return body;
    }
}", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'Marshal.AllocHGlobal' in 'block' is not released by 'Marshal.FreeHGlobal' if 'new ReadOnlySpan<byte>((void*)block, size).Slice(8)' throws"));
    }
}
