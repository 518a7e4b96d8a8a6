using System.Linq;
using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG2001, IG2002, IG2004, IG3006 and the last-error rules register their body actions per type when few trees name their words (WordTreeActions): the
    /// bodies they judge must be judged exactly as before — nested types (which do not inherit their container's
    /// actions), partial types split over a tree with the words and one without, and top-level statements (whose
    /// implicit type inherits nothing) — and each finding reported once.
    /// </summary>
    public class WordTreeActionsTests
    {
        // Plain trees that outnumber the one tree with the words, so that the per-type registration is the one taken.
        private static readonly string[] PlainTrees = Enumerable.Range(0, 5)
            .Select(i => "namespace Plain" + i + " { class Service { public int Sum(int[] values) { var total = 0; foreach (var v in values) { total += v; } return total; } class Inner { void M() { } } } }")
            .ToArray();

        private static Task CheckPinning(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<EscapingPinnedPointerAnalyzer> { Source = EscapingPinnedPointerTests.Prelude + source };
            test.AdditionalSources.AddRange(PlainTrees);
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult ReadAfterFixed(int location)
            => EscapingPinnedPointerTests.Finding(location, "kept", "into 'buffer' pinned by the fixed statement", "is read after the fixed statement ends", "the GC may move 'buffer' once it is unpinned");

        [Fact]
        public Task AnEscapeInANestedTypeIsReportedOnce() => CheckPinning(@"
unsafe class Outer
{
    int Plain() => 1;

    unsafe class Nested
    {
        int M(byte[] buffer)
        {
            byte* kept;
            fixed (byte* p = buffer) { kept = p; }
            return Native.igs_sum({|#0:kept|}, buffer.Length);
        }

        class Deeper
        {
            int N(byte[] buffer)
            {
                byte* kept;
                fixed (byte* p = buffer) { kept = p; }
                return Native.igs_sum({|#1:kept|}, buffer.Length);
            }
        }
    }
}", ReadAfterFixed(0), ReadAfterFixed(1));

        [Fact]
        public Task APartialTypeIsJudgedInTheTreeWithTheWords()
        {
            var test = new AnalyzerTest<EscapingPinnedPointerAnalyzer>
            {
                Source = EscapingPinnedPointerTests.Prelude + @"
unsafe partial class Split
{
    int M(byte[] buffer)
    {
        byte* kept;
        fixed (byte* p = buffer) { kept = p; }
        return Native.igs_sum({|#0:kept|}, buffer.Length);
    }
}",
            };
            test.AdditionalSources.Add("partial class Split { int Other(int x) => x + 1; }");
            test.AdditionalSources.AddRange(PlainTrees);
            test.ExpectedDiagnostics.Add(ReadAfterFixed(0));
            return test.RunAsync();
        }

        [Fact]
        public Task TopLevelStatementsAmongManyPlainTreesAreStillJudged()
        {
            var test = new AnalyzerTest<EscapingPinnedPointerAnalyzer>
            {
                OutputKind = OutputKind.ConsoleApplication,
                Source = @"using System;
var buffer = new byte[16];
unsafe
{
    byte* kept;
    fixed (byte* p = buffer) { kept = p; }
    Native.igs_sum({|#0:kept|}, buffer.Length);
}
" + EscapingPinnedPointerTests.Prelude.Substring(EscapingPinnedPointerTests.Prelude.IndexOf("static unsafe class", System.StringComparison.Ordinal)).Replace("[DllImport", "[System.Runtime.InteropServices.DllImport"),
            };
            test.AdditionalSources.AddRange(PlainTrees);
            test.ExpectedDiagnostics.Add(ReadAfterFixed(0));
            return test.RunAsync();
        }

        [Fact]
        public Task ARacedHandleInANestedTypeAndItsFieldInitializerAreReportedOnce()
        {
            // IG3006 registers both its body action and its initializer action per type.
            var test = new AnalyzerTest<SafeHandleRefCountAnalyzer>
            {
                Source = @"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
static class Native
{
    [DllImport(""sample"")] public static extern void native_close(IntPtr handle);
}
class Outer
{
    int Plain() => 2;

    class Nested
    {
        private static readonly SafeFileHandle s_out = new SafeFileHandle(new IntPtr(1), false);
        private readonly IntPtr _raw = {|#0:s_out.DangerousGetHandle()|};

        void Close(SafeFileHandle h) => Native.native_close({|#1:h.DangerousGetHandle()|});
    }
}",
            };
            test.AdditionalSources.AddRange(PlainTrees);
            test.ExpectedDiagnostics.Add(Verify.Diagnostic("IG3006").WithLocation(0).WithMessage(
                "'s_out.DangerousGetHandle()' is stored in field 'Nested._raw' without DangerousAddRef/DangerousRelease around the use: "
                + "another thread may dispose 's_out' while the stored value is still used; the released handle value can be reused"));
            test.ExpectedDiagnostics.Add(Verify.Diagnostic("IG3006").WithLocation(1).WithMessage(
                "'h.DangerousGetHandle()' is passed to 'native_close' without DangerousAddRef/DangerousRelease around the use: "
                + "another thread may dispose 'h' during 'native_close'; the released handle value can be reused"));
            return test.RunAsync();
        }

        [Fact]
        public Task AnUnpinnedAddressInANestedTypeIsReportedOnce()
        {
            var test = new AnalyzerTest<UnpinnedAddressAnalyzer>
            {
                Source = UnpinnedAddressTests.Prelude + @"
class Outer
{
    int Plain() => 3;

    unsafe class Nested
    {
        void M(byte[] buffer) => Native.igs_fill_after_gc({|#0:Unsafe.AsPointer(ref buffer[0])|}, buffer.Length, 0x5A);
    }
}",
            };
            test.AdditionalSources.AddRange(PlainTrees);
            test.ExpectedDiagnostics.Add(UnpinnedAddressTests.AsPointer(0, "array 'buffer'", "buffer"));
            return test.RunAsync();
        }

        [Fact]
        public Task AManagedReferencePointerInANestedTypeIsReportedOnce()
        {
            var test = new AnalyzerTest<ManagedReferencesInNativeMemoryAnalyzer>
            {
                Source = @"using System.Runtime.InteropServices;
struct Request { public int Id; public string Name; }
static unsafe class Native
{
    [DllImport(""lib"")] public static extern void lib_start(void* request);
}
class Outer
{
    unsafe class Nested
    {
        void M()
        {
            var request = new Request { Id = 1, Name = ""x"" };
            Native.lib_start({|#0:&request|});
        }
    }
}",
            };
            test.AdditionalSources.AddRange(PlainTrees);
            test.ExpectedDiagnostics.Add(Verify.Diagnostic("IG2004").WithLocation(0).WithMessage(
                "The pointer '&request' reaches native code through 'Native.lib_start', but field 'Name' of 'Request' holds a managed reference; "
                + "the GC does not see references in native memory, so it may move or collect the objects they point to while native code still uses them"));
            return test.RunAsync();
        }

        // ---- IG4001/IG4002: a tree matters when it names a read word or the name of a helper that reads (LastErrorCalls.TreeMayRead) ----

        // Enough plain trees that the trees naming a read or a helper stay under a quarter: the per-type registration is taken.
        private static readonly string[] ManyPlainTrees = Enumerable.Range(0, 12)
            .Select(i => "namespace Quiet" + i + " { class Worker { public int Twice(int x) => x * 2; class Inner { void M() { } } } }")
            .ToArray();

        private const string LastErrorUsings = "using System;\nusing System.ComponentModel;\nusing System.Runtime.InteropServices;\n";

        // In a tree of its own, which names no read: the trees that matter are only those that read or call a helper.
        private const string LastErrorNative = LastErrorUsings + @"
static class Native
{
    [DllImport(""libc"")] internal static extern int open(string path, int flags);
}";

        private static Task CheckLastError(string source, string[] otherTrees, params DiagnosticResult[] expected)
            => CheckLastError(source, otherTrees, OutputKind.DynamicallyLinkedLibrary, expected);

        private static Task CheckLastError(string source, string[] otherTrees, OutputKind kind, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<LastErrorAnalyzer> { Source = LastErrorUsings + source, OutputKind = kind };
            test.AdditionalSources.Add(LastErrorNative);
            test.AdditionalSources.AddRange(otherTrees);
            test.AdditionalSources.AddRange(ManyPlainTrees);
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult OpenReadWithoutSetLastError(int location, string read)
            => Verify.Diagnostic("IG4001").WithLocation(location).WithMessage(
                "'" + read + "' reads the last error of 'Native.open', which is declared without SetLastError = true: "
                + "the marshaller does not save the error it sets, so the value read is whatever an earlier call left");

        [Fact]
        public Task AHelperThatReadsInAnotherTreeIsJudgedInTheTreeThatOnlyCallsIt() => CheckLastError(@"
class Files
{
    void Open(string path)
    {
        if (Native.open(path, 0) < 0)
        {
            {|#0:Errors.ThrowLastError()|};
        }
    }

    void Create(string path)
    {
        if (Native.open(path, 1) < 0)
        {
            {|#1:Failures.Fail(path)|};
        }
    }
}",
            new[]
            {
                LastErrorUsings + "static class Errors { internal static void ThrowLastError() => throw new Win32Exception(Marshal.GetLastPInvokeError()); }",
                // A helper of the second level: its tree names only the first helper.
                "static class Failures { internal static void Fail(string path) { Errors.ThrowLastError(); } }",
            },
            OpenReadWithoutSetLastError(0, "ThrowLastError()"),
            OpenReadWithoutSetLastError(1, "Fail(...)"));

        [Fact]
        public Task APartialTypeIsJudgedInItsLaterTreeThatReads() => CheckLastError(
            "partial class Split { int Other(int x) => x + 1; }",
            new[]
            {
                LastErrorUsings + @"
partial class Split
{
    int Open(string path) => Native.open(path, 0) < 0 ? {|#0:Marshal.GetLastPInvokeError()|} : 0;
}",
            },
            OpenReadWithoutSetLastError(0, "Marshal.GetLastPInvokeError()"));

        [Fact]
        public Task ReadsInNestedTypesLambdasAndLocalFunctionsAreReportedOnce() => CheckLastError(@"
class Outer
{
    int Plain() => 4;

    class Nested
    {
        Func<string, int> Later() => path => Native.open(path, 0) < 0 ? {|#0:Marshal.GetLastPInvokeError()|} : 0;

        class Deeper
        {
            void Open(string path)
            {
                Check();

                void Check()
                {
                    if (Native.open(path, 1) < 0) throw {|#1:new Win32Exception()|};
                }
            }
        }
    }
}",
            new string[0],
            OpenReadWithoutSetLastError(0, "Marshal.GetLastPInvokeError()"),
            OpenReadWithoutSetLastError(1, "new Win32Exception()"));

        [Fact]
        public Task ReadsInTopLevelStatementsAmongManyPlainTreesAreStillJudged() => CheckLastError(@"
if (Native.open(""a"", 0) < 0) Console.Error.WriteLine({|#0:Marshal.GetLastPInvokeError()|});
",
            new string[0],
            OutputKind.ConsoleApplication,
            OpenReadWithoutSetLastError(0, "Marshal.GetLastPInvokeError()"));
    }
}
