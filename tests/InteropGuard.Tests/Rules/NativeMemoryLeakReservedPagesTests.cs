using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// <c>VirtualAlloc</c> at an address without <c>MEM_RESERVE</c> commits pages of a region an earlier call reserved
    /// (Interop/AllocationCatalogue.CommitsIntoReservation): the region is released as one by the reservation's
    /// <c>VirtualFree(base, 0, MEM_RELEASE)</c>, so the commit owes nothing. A loader that reserves an image's span, then
    /// commits its header and each section, releases only the base. Look-alikes: a commit at no address (Windows then
    /// reserves a region of its own), and a call that also reserves at the address it names.
    /// </summary>
    public class NativeMemoryLeakReservedPagesTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

static class Memory
{
    public const uint Commit = 0x1000;
    public const uint Reserve = 0x2000;
    public const uint Release = 0x8000;
    public const uint ReadWrite = 0x04;

    [DllImport(""kernel32.dll"", SetLastError = true)] public static extern IntPtr VirtualAlloc(IntPtr address, UIntPtr size, uint type, uint protect);
    [DllImport(""kernel32.dll"", SetLastError = true)] public static extern bool VirtualFree(IntPtr address, UIntPtr size, uint type);
}

sealed unsafe class Image
{
    public IntPtr Start;
    public byte* Header;

    static void Fill(IntPtr at, int count) { }
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task CommittingPagesOfAReservedSpanOwesNothing() => Check(@"
    public static Image Load(uint span, uint headerSize, uint[] sections)
    {
        IntPtr start = Memory.VirtualAlloc(IntPtr.Zero, (UIntPtr)span, Memory.Reserve, Memory.ReadWrite);
        if (start == IntPtr.Zero)
            return null;

        var image = new Image { Start = start };
        Memory.VirtualAlloc(start, (UIntPtr)span, Memory.Commit, Memory.ReadWrite);
        IntPtr header = Memory.VirtualAlloc(start, (UIntPtr)headerSize, Memory.Commit, Memory.ReadWrite);
        Fill(header, (int)headerSize);
        image.Header = (byte*)header + 16;
        for (int i = 0; i < sections.Length; i++)
        {
            var section = (byte*)Memory.VirtualAlloc((IntPtr)((byte*)start + sections[i]), (UIntPtr)4096u, Memory.Commit, Memory.ReadWrite);
            section[0] = 0;
        }

        return image;
    }

    public void Unload() => Memory.VirtualFree(Start, UIntPtr.Zero, Memory.Release);
}");

        // Look-alikes: with no address, a commit makes a region of its own; with MEM_RESERVE it reserves one at the address.
        [Fact]
        public Task ARegionOfItsOwnIsStillReported() => Check(@"
    public static int Probe(IntPtr near, uint span)
    {
        IntPtr scratch = {|#0:Memory.VirtualAlloc(IntPtr.Zero, (UIntPtr)span, Memory.Commit, Memory.ReadWrite)|};
        Fill(scratch, (int)span);
        IntPtr fixedAt = {|#1:Memory.VirtualAlloc(near, (UIntPtr)span, Memory.Commit | Memory.Reserve, Memory.ReadWrite)|};
        Fill(fixedAt, (int)span);
        return 0;
    }
}",
            Verify.Diagnostic("IG3001").WithLocation(0)
                .WithMessage("Native memory from 'Memory.VirtualAlloc' in 'scratch' is not released by 'Memory.VirtualFree' on the 'return 0'"),
            Verify.Diagnostic("IG3001").WithLocation(1)
                .WithMessage("Native memory from 'Memory.VirtualAlloc' in 'fixedAt' is not released by 'Memory.VirtualFree' on the 'return 0'"));
    }
}
