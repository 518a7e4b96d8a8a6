using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3001 on paths where the block is empty, so nothing is owed.
    /// <para>A mapping tested with a combined pattern: a page allocator maps anonymous memory and gives up when the result
    /// is either failure value at once (<c>if (page is 0 or -1) return false;</c>), or goes on only when it is neither
    /// (<c>is not 0 and not -1</c>). A pattern that also matches a real address (<c>0 or 4096</c>), or mixes a failure
    /// value with a success test, says nothing about failure.</para>
    /// <para>A zero-filled block: a pool allocates a block and clears it by copying a fresh array of the same size through
    /// its own checked copy helper, which throws only when the block is empty or the array is null. Neither can happen
    /// for the freshly allocated block, so the helper is no path the block leaks on. A helper that can fail for another
    /// reason (a length check against a size it is given) still is.</para>
    /// </summary>
    public class NativeMemoryEmptyPathTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

static class Posix
{
    [DllImport(""libc"", EntryPoint = ""mmap"")] public static extern nint MapPages(IntPtr hint, nuint length, int protection, int flags, int fd, nint offset);
    [DllImport(""libc"", EntryPoint = ""munmap"")] public static extern int UnmapPages(IntPtr address, nuint length);
}

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
        public Task BothFailureValuesInOnePattern() => Check(@"
class PageHeap
{
    private readonly System.Collections.Generic.List<nint> _pages = new();

    public bool TryGrow(nuint size)
    {
        var page = Posix.MapPages(IntPtr.Zero, size, 3, 0x22, -1, 0);
        if (page is 0 or -1)
        {
            return false;
        }

        _pages.Add(page);
        return true;
    }

    public bool TryGrowWhenMapped(nuint size)
    {
        var page = Posix.MapPages(IntPtr.Zero, size, 3, 0x22, -1, 0);
        if (page is not 0 and not -1)
        {
            _pages.Add(page);
            return true;
        }

        return false;
    }

    public bool TryGrowNegated(nuint size)
    {
        var page = Posix.MapPages(IntPtr.Zero, size, 3, 0x22, -1, 0);
        if (page is not (0 or -1))
        {
            _pages.Add(page);
            return true;
        }

        return false;
    }
}");

        [Fact]
        public Task APatternThatAlsoMatchesAnAddressOrMixesTheTestsExcusesNothing() => Check(@"
class PageHeap
{
    private readonly System.Collections.Generic.List<nint> _pages = new();

    public bool TryGrowAtHint(nuint size)
    {
        var page = {|#0:Posix.MapPages(new IntPtr(4096), size, 3, 0x22, -1, 0)|};
        if (page is 0 or 4096)
        {
            return false;
        }

        _pages.Add(page);
        return true;
    }

    public bool TryGrowMixed(nuint size)
    {
        var page = {|#1:Posix.MapPages(IntPtr.Zero, size, 3, 0x22, -1, 0)|};
        if (page is -1 or not 0)
        {
            return false;
        }

        _pages.Add(page);
        return true;
    }
}",
            Leak(0, "Native memory from 'Posix.MapPages' in 'page' is not released by 'Posix.UnmapPages' on the 'return false' in 'if (page is 0 or 4096)'"),
            Leak(1, "Native memory from 'Posix.MapPages' in 'page' is not released by 'Posix.UnmapPages' on the 'return false' in 'if (page is -1 or not 0)'"));

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
