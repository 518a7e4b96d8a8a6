using System.Threading.Tasks;
using InteropGuard.CodeFixes;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG3002: released with another allocator's release, or a secret's copy released without zeroing.</summary>
    public class WrongDeallocatorTests
    {
        private const string Usings = "using System;\nusing System.Runtime.InteropServices;\n";

        private static Task Check(string source, string? editorConfig, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Usings + source, EditorConfig = editorConfig };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task HGlobalReleasedAsCoTaskMem() => Check(@"
class C
{
    void M()
    {
        var p = Marshal.AllocHGlobal(16);
        {|#0:Marshal.FreeCoTaskMem(p)|};
    }
}", null, Verify.Diagnostic("IG3002").WithLocation(0).WithMessage(
            "Native memory from 'Marshal.AllocHGlobal' in 'p' is released by 'Marshal.FreeCoTaskMem', which belongs to another allocator: release it with 'Marshal.FreeHGlobal'"));

        [Fact]
        public Task SecretCopyReleasedWithoutZeroing() => Check(@"
class C
{
    static void Use(IntPtr p) { }
    void M(System.Security.SecureString secret)
    {
        var p = Marshal.SecureStringToGlobalAllocUnicode(secret);
        try { Use(p); }
        finally { {|#0:Marshal.FreeHGlobal(p)|}; }
    }
}", null, Verify.Diagnostic("IG3002").WithLocation(0).WithMessage(
            "Native memory from 'Marshal.SecureStringToGlobalAllocUnicode' in 'p' is released by 'Marshal.FreeHGlobal', which does not zero the secret it holds: release it with 'Marshal.ZeroFreeGlobalAllocUnicode'"));

        [Fact]
        public Task ConfiguredNativePairsAreNotInterchangeable() => Check(@"
static class Lib
{
    [DllImport(""mylib"")] public static extern IntPtr a_new(int n);
    [DllImport(""mylib"")] public static extern void a_free(IntPtr p);
    [DllImport(""mylib"")] public static extern IntPtr b_new(int n);
    [DllImport(""mylib"")] public static extern void b_free(IntPtr p);
}
class C
{
    void M()
    {
        var p = Lib.a_new(4);
        {|#0:Lib.b_free(p)|};
    }
}", "interopguard.allocator_pairs = a_new:a_free, b_new:b_free", Verify.Diagnostic("IG3002").WithLocation(0).WithMessage(
            "Native memory from 'Lib.a_new' in 'p' is released by 'Lib.b_free', which belongs to another allocator: release it with 'Lib.a_free'"));

        [Fact]
        public Task MatchingReleasesAreSilent() => Check(@"
unsafe class C
{
    void M(System.Security.SecureString secret)
    {
        var a = NativeMemory.AlignedAlloc(64, 16);
        NativeMemory.AlignedFree(a);
        var b = NativeMemory.Alloc(8);
        NativeMemory.Free(b);
        var s = Marshal.SecureStringToCoTaskMemUnicode(secret);
        Marshal.ZeroFreeCoTaskMemUnicode(s);
        var t = Marshal.StringToCoTaskMemUTF8(""x"");
        Marshal.FreeCoTaskMem(t);
    }
}", null);

        [Fact]
        public Task FixCallsTheMatchingRelease() => new CodeFixTest<OwnershipAnalyzer, MatchingReleaseCodeFix>
        {
            DefaultDiagnosticId = "IG3002",
            Source = @"using System;
using System.Runtime.InteropServices;

class C
{
    void M(System.Security.SecureString secret)
    {
        var p = Marshal.AllocHGlobal(16);
        [|Marshal.FreeCoTaskMem(p)|];
        var s = Marshal.SecureStringToGlobalAllocAnsi(secret);
        [|Marshal.FreeHGlobal(s)|];
    }
}",
            FixedSource = @"using System;
using System.Runtime.InteropServices;

class C
{
    void M(System.Security.SecureString secret)
    {
        var p = Marshal.AllocHGlobal(16);
        Marshal.FreeHGlobal(p);
        var s = Marshal.SecureStringToGlobalAllocAnsi(secret);
        Marshal.ZeroFreeGlobalAllocAnsi(s);
    }
}",
        }.RunAsync();
    }
}
