using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3001 on a mapping tested with a combined pattern. A page allocator maps anonymous memory and gives up when the
    /// result is either failure value at once (<c>if (page is 0 or -1) return false;</c>), or goes on only when it is
    /// neither (<c>is not 0 and not -1</c>): on those paths nothing was mapped, so nothing is owed. A pattern that also
    /// matches a real address (<c>0 or 4096</c>), or mixes a failure value with a success test, says nothing about failure.
    /// </summary>
    public class NativeMemoryFailurePatternTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

static class Posix
{
    [DllImport(""libc"", EntryPoint = ""mmap"")] public static extern nint MapPages(IntPtr hint, nuint length, int protection, int flags, int fd, nint offset);
    [DllImport(""libc"", EntryPoint = ""munmap"")] public static extern int UnmapPages(IntPtr address, nuint length);
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
    }
}
