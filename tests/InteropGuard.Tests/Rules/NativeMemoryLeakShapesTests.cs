using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG3001 on the language shapes that break naive analyzers: code as typed, partial methods, iterators, Win32 pairs.</summary>
    public class NativeMemoryLeakShapesTests
    {
        [Theory]
        [InlineData("var p = Marshal.AllocHGlobal(")]
        [InlineData("var p = Marshal.AllocHGlobal(16); try { } finally { Marshal.FreeHGlobal(")]
        [InlineData("var p = Marshal.AllocHGlobal(16); if (p == ) return;")]
        [InlineData("IntPtr p; p = Marshal.AllocHGlobal(4) p = ")]
        [InlineData("var p = Marshal.AllocHGlobal(16); Native.use(p, ; Marshal.FreeHGlobal(p);")]
        [InlineData("var p = Marshal.ReAllocHGlobal(, 4);")]
        [InlineData("foreach (var x in ) { var p = Marshal.AllocHGlobal(1); }")]
        [InlineData("var p = Marshal.AllocHGlobal(16); goto end; end: Marshal.FreeHGlobal(p)")]
        public async Task IncompleteCodeDoesNotThrow(string body)
        {
            var source = "using System;\nusing System.Runtime.InteropServices;\nstatic class Native { [DllImport(\"x\")] public static extern void use(IntPtr p, int n); }\nclass C\n{\n    void M()\n    {\n        " + body + "\n    }\n}\n";

            // Any analyzer exception fails inside the runner; what is reported on broken code is not asserted.
            await AnalyzerRunner.GetDiagnosticsAsync(new[] { new OwnershipAnalyzer() }, new[] { source }, allowCompilerErrors: true);
        }

        [Fact]
        public Task ALoopThatOnlyEndsByBreakHasNoPathPastItsCondition()
        {
            // A retry loop around a native query (grow the buffer until it fits): 'while (true)' keeps in the graph an edge
            // from its condition to the code after the loop that no run takes; only the breaks and returns leave it.
            var test = new AnalyzerTest<OwnershipAnalyzer>
            {
                Source = @"using System;
using System.Runtime.InteropServices;
static unsafe class Native
{
    [DllImport(""sys"")] public static extern int query(void* buffer, int size, int* needed);
}
static unsafe class Probe
{
    static bool Read(out byte[] data)
    {
        data = null;
        int size = 64, needed = 0;
        IntPtr buffer = Marshal.AllocHGlobal(size);
        while (true)
        {
            int status = Native.query((void*)buffer, size, &needed);
            if (status == 1)
            {
                size = needed;
                buffer = Marshal.ReAllocHGlobal(buffer, new IntPtr(size));
            }
            else if (status != 0)
            {
                Marshal.FreeHGlobal(buffer);
                return false;
            }
            else
            {
                data = new byte[needed];
                Marshal.Copy(buffer, data, 0, needed);
                Marshal.FreeHGlobal(buffer);
                break;
            }
        }
        return true;
    }

    static bool Forever(int tries)
    {
        IntPtr buffer = {|#0:Marshal.AllocHGlobal(64)|};
        for (;;)
        {
            if (Native.query((void*)buffer, 64, null) == 0)
            {
                Marshal.FreeHGlobal(buffer);
                return true;
            }
            if (--tries == 0)
            {
                break;
            }
        }
        return false;
    }
}",
            };
            test.ExpectedDiagnostics.Add(Verify.Diagnostic("IG3001").WithLocation(0)
                .WithMessage("Native memory from 'Marshal.AllocHGlobal' in 'buffer' is not released by 'Marshal.FreeHGlobal' on the 'return false'"));
            return test.RunAsync();
        }

        [Fact]
        public Task PartialMethodBodies()
        {
            var test = new AnalyzerTest<OwnershipAnalyzer>
            {
                Source = @"using System;
using System.Runtime.InteropServices;
partial class C
{
    partial void Prepare(int n);
    public partial IntPtr Create(int n);
}
partial class C
{
    partial void Prepare(int n)
    {
        var p = {|#0:Marshal.AllocHGlobal(n)|};
    }

    public partial IntPtr Create(int n) => Marshal.AllocHGlobal(n);
}",
            };
            test.ExpectedDiagnostics.Add(Verify.Diagnostic("IG3001").WithLocation(0)
                .WithMessage("Native memory from 'Marshal.AllocHGlobal' in 'p' is not released by 'Marshal.FreeHGlobal' when the method returns"));
            return test.RunAsync();
        }

        [Fact]
        public Task Win32PairsUseTheirOwnPointerParameter()
        {
            var test = new AnalyzerTest<OwnershipAnalyzer>
            {
                Source = @"using System;
using System.Runtime.InteropServices;
static class Kernel32
{
    [DllImport(""kernel32.dll"")] public static extern IntPtr GetProcessHeap();
    [DllImport(""kernel32.dll"")] public static extern IntPtr HeapAlloc(IntPtr heap, uint flags, nuint bytes);
    [DllImport(""kernel32.dll"")] public static extern bool HeapFree(IntPtr heap, uint flags, IntPtr block);
    [DllImport(""kernel32.dll"")] public static extern IntPtr LocalAlloc(uint flags, nuint bytes);
    [DllImport(""kernel32.dll"")] public static extern IntPtr LocalFree(IntPtr mem);
    [DllImport(""kernel32.dll"", SetLastError = true)] public static extern IntPtr VirtualAlloc(IntPtr address, nuint size, uint type, uint protect);
    [DllImport(""kernel32.dll"", SetLastError = true)] public static extern bool VirtualFree(IntPtr address, nuint size, uint type);
}
class C
{
    static void Use(IntPtr p) { }
    void Heap()
    {
        var heap = Kernel32.GetProcessHeap();
        var block = Kernel32.HeapAlloc(heap, 0, 64);
        try { Use(block); }
        finally { Kernel32.HeapFree(heap, 0, block); }
    }
    void Local()
    {
        var mem = {|#0:Kernel32.LocalAlloc(0, 16)|};
        Use(mem);
    }
    void Virtual()
    {
        var page = Kernel32.VirtualAlloc(IntPtr.Zero, 4096, 0x3000, 4);
        try { Use(page); }
        finally { Kernel32.VirtualFree(page, 0, 0x8000); }
    }
}",
            };
            test.ExpectedDiagnostics.Add(Verify.Diagnostic("IG3001").WithLocation(0)
                .WithMessage("Native memory from 'Kernel32.LocalAlloc' in 'mem' is not released by 'Kernel32.LocalFree' when the method returns"));
            return test.RunAsync();
        }

        [Fact]
        public Task LibraryImportAllocatorPair()
        {
            // LibraryImport needs its source generator to compile; declare the partial implementation by hand.
            var test = new AnalyzerTest<OwnershipAnalyzer>
            {
                Source = @"using System;
using System.Runtime.InteropServices;
static partial class Libc
{
    [LibraryImport(""libc"", EntryPoint = ""strdup"", StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr Duplicate(string s);
    public static partial IntPtr Duplicate(string s) => IntPtr.Zero;

    [LibraryImport(""libc"")]
    public static partial void free(IntPtr p);
    public static partial void free(IntPtr p) { }
}
class C
{
    static int Length(IntPtr p) => p == IntPtr.Zero ? throw new ArgumentNullException(nameof(p)) : 0;
    int M(string s)
    {
        var copy = {|#0:Libc.Duplicate(s)|};
        var n = Length(copy);
        Libc.free(copy);
        return n;
    }
}",
            };
            test.ExpectedDiagnostics.Add(Verify.Diagnostic("IG3001").WithLocation(0)
                .WithMessage("Native memory from 'Libc.Duplicate' in 'copy' is not released by 'Libc.free' if 'Length(copy)' throws"));
            return test.RunAsync();
        }

        [Fact]
        public Task UsingStatementDisposingAnOwnerIsNotAnAllocation() => new AnalyzerTest<OwnershipAnalyzer>
        {
            Source = @"using System;
using System.IO;
using System.Runtime.InteropServices;
unsafe class C
{
    void M(byte[] data)
    {
        var p = Marshal.AllocHGlobal(data.Length);
        try
        {
            Marshal.Copy(data, 0, p, data.Length);
            using var stream = new UnmanagedMemoryStream((byte*)p, data.Length);
            stream.ReadByte();
        }
        finally
        {
            Marshal.FreeHGlobal(p);
        }
    }
}",
        }.RunAsync();

        [Fact]
        public Task SwitchAndConditionalFlow() => new AnalyzerTest<OwnershipAnalyzer>
        {
            Source = @"using System;
using System.Runtime.InteropServices;
class C
{
    static void Use(IntPtr p) { }
    void M(int kind, bool flag)
    {
        var p = flag ? Marshal.AllocHGlobal(8) : IntPtr.Zero;
        try
        {
            switch (kind)
            {
                case 0: Use(p); break;
                case 1: return;
                default: throw new InvalidOperationException();
            }
        }
        finally
        {
            if (p != IntPtr.Zero) Marshal.FreeHGlobal(p);
        }
    }
}",
        }.RunAsync();
    }
}
