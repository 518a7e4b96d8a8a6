using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3001 on a zero-filled block: a pool allocates a block and clears it by copying a fresh array of the same size
    /// through its own checked copy helper, which throws only when the block is empty or the array is null. Neither can
    /// happen for the freshly allocated block, so the helper is no path the block leaks on. A helper that can fail for
    /// another reason (a length check against a size it is given) still is.
    /// </summary>
    public class NativeMemoryZeroFilledTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

static class Blocks
{
    public static void CopyInto(IntPtr block, byte[] data)
    {
        if (block == IntPtr.Zero)
            throw new ArgumentNullException(nameof(block));
        if (data == null)
            throw new ArgumentNullException(nameof(data));
        Marshal.Copy(data, 0, block, data.Length);
    }

    public static void CopyChecked(IntPtr block, byte[] data, int room)
    {
        if (data.Length > room)
            throw new ArgumentOutOfRangeException(nameof(room));
        Marshal.Copy(data, 0, block, data.Length);
    }
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Leak(int location, string message)
            => Verify.Diagnostic("IG3001").WithLocation(location).WithMessage(message);

        [Fact]
        public Task ClearedThroughAHelperThatChecksOnlyForEmpty() => Check(@"
class Pool
{
    public static IntPtr Rent(int size)
    {
        if (size < 0)
            throw new ArgumentOutOfRangeException(nameof(size));

        IntPtr block = IntPtr.Zero;
        block = Marshal.AllocHGlobal(size);
        Blocks.CopyInto(block, new byte[size]);
        return block;
    }
}");

        [Fact]
        public Task AHelperThatChecksALengthCanStillFail() => Check(@"
class Pool
{
    public static IntPtr Rent(int size, int room)
    {
        var block = {|#0:Marshal.AllocHGlobal(room)|};
        Blocks.CopyChecked(block, new byte[size], room);
        return block;
    }
}", Leak(0, "Native memory from 'Marshal.AllocHGlobal' in 'block' is not released by 'Marshal.FreeHGlobal' if 'Blocks.CopyChecked(block, new byte[size], room)' throws"));
    }
}
