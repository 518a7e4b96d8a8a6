using System.Threading.Tasks;
using InteropGuard.CodeFixes;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG3001 fix: release in finally.</summary>
    public class NativeMemoryLeakFixTests
    {
        private static Task VerifyFix(string source, string fixedSource, string? batchFixedSource = null, string? editorConfig = null)
        {
            var test = new CodeFixTest<OwnershipAnalyzer, ReleaseInFinallyCodeFix>
            {
                DefaultDiagnosticId = "IG3001",
                Source = source,
                FixedSource = fixedSource,
                BatchFixedSource = batchFixedSource,
                EditorConfig = editorConfig,
                CodeActionEquivalenceKey = "IG3001.ReleaseInFinally",
            };
            return test.RunAsync();
        }

        [Fact]
        public Task MovesStraightLineReleaseIntoFinally() => VerifyFix(@"using System;
using System.Runtime.InteropServices;

class C
{
    static bool Validate() => throw new InvalidOperationException();

    void M()
    {
        var buffer = [|Marshal.AllocHGlobal(16)|];
        Validate();
        Marshal.FreeHGlobal(buffer);
        Console.WriteLine(""done"");
    }
}", @"using System;
using System.Runtime.InteropServices;

class C
{
    static bool Validate() => throw new InvalidOperationException();

    void M()
    {
        var buffer = Marshal.AllocHGlobal(16);
        try
        {
            Validate();
        }
        finally
        {
            Marshal.FreeHGlobal(buffer);
        }

        Console.WriteLine(""done"");
    }
}");

        [Fact]
        public Task GeneratesReleaseAndCoversEarlyReturns() => VerifyFix(@"using System;
using System.Runtime.InteropServices;

class C
{
    static void Use(IntPtr p) { }

    bool M(bool ok)
    {
        var p = [|Marshal.StringToCoTaskMemUTF8(""name"")|];
        if (!ok)
        {
            return false;
        }

        Use(p);
        return true;
    }
}", @"using System;
using System.Runtime.InteropServices;

class C
{
    static void Use(IntPtr p) { }

    bool M(bool ok)
    {
        var p = Marshal.StringToCoTaskMemUTF8(""name"");
        try
        {
            if (!ok)
            {
                return false;
            }

            Use(p);
            return true;
        }
        finally
        {
            Marshal.FreeCoTaskMem(p);
        }
    }
}");

        [Fact]
        public Task AddsTheImportWhenMissing() => VerifyFix(@"class C
{
    static void Use(System.IntPtr p) { }

    void M()
    {
        var p = [|System.Runtime.InteropServices.Marshal.AllocHGlobal(4)|];
        Use(p);
    }
}", @"using System.Runtime.InteropServices;

class C
{
    static void Use(System.IntPtr p) { }

    void M()
    {
        var p = System.Runtime.InteropServices.Marshal.AllocHGlobal(4);
        try
        {
            Use(p);
        }
        finally
        {
            Marshal.FreeHGlobal(p);
        }
    }
}");

        [Fact]
        public Task MovesGuardedReleaseOfAssignedLocal() => VerifyFix(@"using System;
using System.Runtime.InteropServices;

static class Libc
{
    [DllImport(""libc"")] public static extern IntPtr malloc(nuint size);
    [DllImport(""libc"")] public static extern void free(IntPtr p);
    [DllImport(""mylib"", PreserveSig = false)] public static extern int fill(IntPtr p);
}

class C
{
    int M()
    {
        IntPtr block;
        block = [|Libc.malloc(64)|];
        var rc = Libc.fill(block);
        if (block != IntPtr.Zero)
            Libc.free(block);
        return 0;
    }
}", @"using System;
using System.Runtime.InteropServices;

static class Libc
{
    [DllImport(""libc"")] public static extern IntPtr malloc(nuint size);
    [DllImport(""libc"")] public static extern void free(IntPtr p);
    [DllImport(""mylib"", PreserveSig = false)] public static extern int fill(IntPtr p);
}

class C
{
    int M()
    {
        IntPtr block;
        block = Libc.malloc(64);
        try
        {
            var rc = Libc.fill(block);
        }
        finally
        {
            if (block != IntPtr.Zero)
                Libc.free(block);
        }

        return 0;
    }
}");

        [Fact]
        public Task SeveralInOneMethodNest() => VerifyFix(@"using System;
using System.Runtime.InteropServices;

class C
{
    static void Use(IntPtr p) { if (Marshal.ReadByte(p) == 0xFF) throw new InvalidOperationException(""unset""); }

    void M()
    {
        var a = [|Marshal.AllocHGlobal(1)|];
        var b = [|Marshal.AllocCoTaskMem(2)|];
        Use(a);
        Use(b);
        Marshal.FreeCoTaskMem(b);
        Marshal.FreeHGlobal(a);
    }
}", @"using System;
using System.Runtime.InteropServices;

class C
{
    static void Use(IntPtr p) { if (Marshal.ReadByte(p) == 0xFF) throw new InvalidOperationException(""unset""); }

    void M()
    {
        var a = Marshal.AllocHGlobal(1);
        try
        {
            var b = Marshal.AllocCoTaskMem(2);
            try
            {
                Use(a);
                Use(b);
            }
            finally
            {
                Marshal.FreeCoTaskMem(b);
            }
        }
        finally
        {
            Marshal.FreeHGlobal(a);
        }
    }
}");

        [Fact]
        public Task InsideExistingTry() => VerifyFix(@"using System;
using System.Runtime.InteropServices;

class C
{
    static void Use(IntPtr p) { if (Marshal.ReadByte(p) == 0xFF) throw new InvalidOperationException(""unset""); }

    void M()
    {
        try
        {
            var p = [|Marshal.AllocHGlobal(8)|];
            Use(p);
            Marshal.FreeHGlobal(p);
        }
        catch (InvalidOperationException)
        {
        }
    }
}", @"using System;
using System.Runtime.InteropServices;

class C
{
    static void Use(IntPtr p) { if (Marshal.ReadByte(p) == 0xFF) throw new InvalidOperationException(""unset""); }

    void M()
    {
        try
        {
            var p = Marshal.AllocHGlobal(8);
            try
            {
                Use(p);
            }
            finally
            {
                Marshal.FreeHGlobal(p);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }
}");

        [Fact]
        public Task FixAllAcrossMethods() => VerifyFix(@"using System;
using System.Runtime.InteropServices;

class C
{
    static void Use(IntPtr p) { if (Marshal.ReadByte(p) == 0xFF) throw new InvalidOperationException(""unset""); }

    void M1()
    {
        var p = [|Marshal.AllocHGlobal(1)|];
        Use(p);
    }

    void M2()
    {
        var q = [|Marshal.StringToBSTR(""x"")|];
        Use(q);
        Marshal.FreeBSTR(q);
    }
}", @"using System;
using System.Runtime.InteropServices;

class C
{
    static void Use(IntPtr p) { if (Marshal.ReadByte(p) == 0xFF) throw new InvalidOperationException(""unset""); }

    void M1()
    {
        var p = Marshal.AllocHGlobal(1);
        try
        {
            Use(p);
        }
        finally
        {
            Marshal.FreeHGlobal(p);
        }
    }

    void M2()
    {
        var q = Marshal.StringToBSTR(""x"");
        try
        {
            Use(q);
        }
        finally
        {
            Marshal.FreeBSTR(q);
        }
    }
}");

        [Fact]
        public Task GeneratedReleaseConvertsATypedPointer() => VerifyFix(@"using System;
using System.Runtime.InteropServices;

unsafe class C
{
    static void Fill(byte* target, int n) { }

    void M(int n)
    {
        byte* scratch = (byte*)[|Marshal.AllocHGlobal(n)|];
        Fill(scratch, n);
    }
}", @"using System;
using System.Runtime.InteropServices;

unsafe class C
{
    static void Fill(byte* target, int n) { }

    void M(int n)
    {
        byte* scratch = (byte*)Marshal.AllocHGlobal(n);
        try
        {
            Fill(scratch, n);
        }
        finally
        {
            Marshal.FreeHGlobal((nint)scratch);
        }
    }
}");

        [Fact]
        public Task GeneratedNativeMemoryReleaseTakesThePointer() => VerifyFix(@"using System;
using System.Runtime.InteropServices;

unsafe class C
{
    static void Fill(byte* target, int n) { }

    void M(int n)
    {
        var scratch = (byte*)[|NativeMemory.Alloc((nuint)n)|];
        Fill(scratch, n);
    }
}", @"using System;
using System.Runtime.InteropServices;

unsafe class C
{
    static void Fill(byte* target, int n) { }

    void M(int n)
    {
        var scratch = (byte*)NativeMemory.Alloc((nuint)n);
        try
        {
            Fill(scratch, n);
        }
        finally
        {
            NativeMemory.Free(scratch);
        }
    }
}");

        [Fact]
        public Task NoFixWhenValueEscapesOnSomePath()
        {
            // Releasing in finally would free the pointer that is returned to the caller.
            var test = new CodeFixTest<OwnershipAnalyzer, ReleaseInFinallyCodeFix>
            {
                DefaultDiagnosticId = "IG3001",
                Source = @"using System;
using System.Runtime.InteropServices;

class C
{
    static void Use(IntPtr p) { }

    IntPtr M(bool keep)
    {
        var p = [|Marshal.AllocHGlobal(1)|];
        Use(p);
        if (keep)
        {
            return p;
        }

        return IntPtr.Zero;
    }
}",
            };
            test.FixedSource = test.Source;
            return test.RunAsync();
        }

        [Fact]
        public Task LocalReadAfterTheReleaseIsDeclaredBeforeTheTry() => VerifyFix(@"using System;
using System.Runtime.InteropServices;

class C
{
    static int Compute(IntPtr p) => p == IntPtr.Zero ? throw new ArgumentNullException(nameof(p)) : 1;

    int M()
    {
        var p = [|Marshal.AllocHGlobal(1)|];
        var result = Compute(p);
        string label = ""done"", unused = ""x"";
        Marshal.FreeHGlobal(p);
        Console.WriteLine(label);
        return result;
    }
}", @"using System;
using System.Runtime.InteropServices;

class C
{
    static int Compute(IntPtr p) => p == IntPtr.Zero ? throw new ArgumentNullException(nameof(p)) : 1;

    int M()
    {
        var p = Marshal.AllocHGlobal(1);
        int result;
        string label, unused;
        try
        {
            result = Compute(p);
            label = ""done"";
            unused = ""x"";
        }
        finally
        {
            Marshal.FreeHGlobal(p);
        }

        Console.WriteLine(label);
        return result;
    }
}");

        [Fact]
        public Task NoFixWhenALaterStatementUsesAnAnonymousTypedLocal()
        {
            var test = new CodeFixTest<OwnershipAnalyzer, ReleaseInFinallyCodeFix>
            {
                DefaultDiagnosticId = "IG3001",
                Source = @"using System;
using System.Runtime.InteropServices;

class C
{
    static int Compute(IntPtr p) => p == IntPtr.Zero ? throw new ArgumentNullException(nameof(p)) : 1;

    int M()
    {
        var p = [|Marshal.AllocHGlobal(1)|];
        var pair = new { Size = Compute(p) };
        Marshal.FreeHGlobal(p);
        return pair.Size;
    }
}",
            };
            test.FixedSource = test.Source;
            return test.RunAsync();
        }

        [Fact]
        public Task NoFixForNativeFamilyWithoutAReleaseToMove()
        {
            var test = new CodeFixTest<OwnershipAnalyzer, ReleaseInFinallyCodeFix>
            {
                DefaultDiagnosticId = "IG3001",
                Source = @"using System;
using System.Runtime.InteropServices;

static class Libc
{
    [DllImport(""libc"")] public static extern IntPtr malloc(nuint size);
    [DllImport(""mylib"")] public static extern int fill(IntPtr p);
}

class C
{
    void M()
    {
        var block = [|Libc.malloc(64)|];
        Libc.fill(block);
    }
}",
            };
            test.FixedSource = test.Source;
            return test.RunAsync();
        }
    }
}
