using System.Threading.Tasks;
using InteropGuard.CodeFixes;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG2001 fix: extend the fixed statement over the later reads of the outer local.</summary>
    public class EscapingPinnedPointerFixTests
    {
        private static Task VerifyFix(string source, string fixedSource, string? batchFixedSource = null)
        {
            var test = new CodeFixTest<EscapingPinnedPointerAnalyzer, ExtendFixedScopeCodeFix>
            {
                DefaultDiagnosticId = "IG2001",
                Source = EscapingPinnedPointerTests.Prelude + source,
                FixedSource = EscapingPinnedPointerTests.Prelude + fixedSource,
                BatchFixedSource = batchFixedSource == null ? null : EscapingPinnedPointerTests.Prelude + batchFixedSource,
                CodeActionEquivalenceKey = "IG2001.ExtendFixed",
            };
            return test.RunAsync();
        }

        private static Task VerifyNoFix(string source) => VerifyFix(source, source);

        [Fact]
        public Task BlockBodyTakesTheLaterCall() => VerifyFix(@"
unsafe class C
{
    void M(byte[] buffer)
    {
        byte* kept;
        fixed (byte* p = buffer) { kept = p; }
        Native.igs_fill_after_gc([|kept|], buffer.Length, 0x5A);   // writes after a forced GC
        Console.WriteLine(buffer[0]);
    }
}", @"
unsafe class C
{
    void M(byte[] buffer)
    {
        byte* kept;
        fixed (byte* p = buffer)
        {
            kept = p;
            Native.igs_fill_after_gc(kept, buffer.Length, 0x5A);   // writes after a forced GC
        }
        Console.WriteLine(buffer[0]);
    }
}");

        [Fact]
        public Task MultiLineBlockAndNullInitializedLocal() => VerifyFix(@"
unsafe class C
{
    void M(byte[] buffer)
    {
        byte* kept = null;
        fixed (byte* p = buffer)
        {
            // remember the start
            kept = p;
        }

        // fill it
        Native.igs_fill_after_gc([|kept|], buffer.Length, 0x5A);
    }
}", @"
unsafe class C
{
    void M(byte[] buffer)
    {
        byte* kept = null;
        fixed (byte* p = buffer)
        {
            // remember the start
            kept = p;

            // fill it
            Native.igs_fill_after_gc(kept, buffer.Length, 0x5A);
        }
    }
}");

        [Fact]
        public Task EmbeddedStatementBodyBecomesABlock() => VerifyFix(@"
unsafe class C
{
    void M(byte[] buffer)
    {
        IntPtr kept;
        fixed (byte* p = buffer) kept = (IntPtr)p;
        Native.igs_fill([|kept|], buffer.Length, 0x5A);
        var sum = Native.igs_sum((byte*)kept, 4);
        Console.WriteLine(sum);
    }
}", @"
unsafe class C
{
    void M(byte[] buffer)
    {
        IntPtr kept;
        fixed (byte* p = buffer)
        {
            kept = (IntPtr)p;
            Native.igs_fill(kept, buffer.Length, 0x5A);
            var sum = Native.igs_sum((byte*)kept, 4);
            Console.WriteLine(sum);
        }
    }
}");

        [Fact]
        public Task IntPtrLocalCastBackForTheCall() => VerifyFix(@"
unsafe class C
{
    static void M(byte[] buffer)
    {
        IntPtr kept;
        fixed (byte* p = buffer) { kept = (IntPtr)p; }
        Native.igs_fill_after_gc((byte*)[|kept|], buffer.Length, 0x5A);
        Console.WriteLine(buffer[0] == 0x5A ? ""OK"" : ""CORRUPT"");
    }
}", @"
unsafe class C
{
    static void M(byte[] buffer)
    {
        IntPtr kept;
        fixed (byte* p = buffer)
        {
            kept = (IntPtr)p;
            Native.igs_fill_after_gc((byte*)kept, buffer.Length, 0x5A);
        }
        Console.WriteLine(buffer[0] == 0x5A ? ""OK"" : ""CORRUPT"");
    }
}");

        [Fact]
        public Task FixAllExtendsEveryFixedStatementInTheDocument() => VerifyFix(@"
unsafe class C
{
    void M(byte[] first, byte[] second)
    {
        byte* a;
        fixed (byte* p = first) { a = p; }
        byte* b;
        fixed (byte* q = second) { b = q; }
        Native.igs_sum([|a|], 1);
        Native.igs_sum([|b|], 1);
    }

    void N(byte[] buffer)
    {
        byte* kept;
        fixed (byte* p = buffer) { kept = p; }
        Native.igs_sum([|kept|], 1);
    }
}", @"
unsafe class C
{
    void M(byte[] first, byte[] second)
    {
        byte* a;
        fixed (byte* p = first)
        {
            a = p;
            byte* b;
            fixed (byte* q = second)
            {
                b = q;
                Native.igs_sum(a, 1);
                Native.igs_sum(b, 1);
            }
        }
    }

    void N(byte[] buffer)
    {
        byte* kept;
        fixed (byte* p = buffer)
        {
            kept = p;
            Native.igs_sum(kept, 1);
        }
    }
}");

        [Fact]
        public Task NestedFixedChainIsExtendedAsAWhole() => VerifyFix(@"
unsafe class C
{
    void M(byte[] first, byte[] second)
    {
        byte* kept;
        fixed (byte* p = first)
        fixed (byte* q = second)
        {
            kept = q;
        }

        Native.igs_sum([|kept|], 1);
    }
}", @"
unsafe class C
{
    void M(byte[] first, byte[] second)
    {
        byte* kept;
        fixed (byte* p = first)
        fixed (byte* q = second)
        {
            kept = q;

            Native.igs_sum(kept, 1);
        }
    }
}");

        [Fact]
        public Task UnsafeLocalFunctionInAnAsyncMethod() => VerifyFix(@"
class C
{
    async Task<int> M(byte[] buffer)
    {
        await Task.Yield();
        return Sum();

        unsafe int Sum()
        {
            byte* kept;
            fixed (byte* p = buffer) { kept = p; }
            return Native.igs_sum([|kept|], buffer.Length);
        }
    }
}", @"
class C
{
    async Task<int> M(byte[] buffer)
    {
        await Task.Yield();
        return Sum();

        unsafe int Sum()
        {
            byte* kept;
            fixed (byte* p = buffer)
            {
                kept = p;
                return Native.igs_sum(kept, buffer.Length);
            }
        }
    }
}");

        [Fact]
        public Task NoFixWhenTheReadIsInAnotherBlock() => VerifyNoFix(@"
unsafe class C
{
    void M(byte[] buffer, bool more)
    {
        byte* kept;
        {
            fixed (byte* p = buffer) { kept = p; }
        }

        Native.igs_sum([|kept|], 1);
    }
}");

        [Fact]
        public Task RangeGrowsOverTheUsesOfALocalItDeclares() => VerifyFix(@"
unsafe class C
{
    int M(byte[] buffer)
    {
        byte* kept;
        fixed (byte* p = buffer) { kept = p; }
        var sum = Native.igs_sum([|kept|], 1);
        Console.WriteLine(buffer.Length);
        return sum;
    }
}", @"
unsafe class C
{
    int M(byte[] buffer)
    {
        byte* kept;
        fixed (byte* p = buffer)
        {
            kept = p;
            var sum = Native.igs_sum(kept, 1);
            Console.WriteLine(buffer.Length);
            return sum;
        }
    }
}");

        [Fact]
        public Task NoFixForAReadAfterAReturn() => VerifyFix(@"
unsafe class C
{
    void M(byte[] buffer, int mode)
    {
        byte* kept;
        fixed (byte* p = buffer) { kept = p; }
        switch (mode)
        {
            case 0:
                return;
        }

        Native.igs_sum([|kept|], 1);
    }

    void N(byte[] buffer)
    {
        byte* kept;
        fixed (byte* p = buffer) { kept = p; }
        return;
#pragma warning disable CS0162
        Native.igs_sum(kept, 1);
#pragma warning restore CS0162
    }
}", @"
unsafe class C
{
    void M(byte[] buffer, int mode)
    {
        byte* kept;
        fixed (byte* p = buffer)
        {
            kept = p;
            switch (mode)
            {
                case 0:
                    return;
            }

            Native.igs_sum(kept, 1);
        }
    }

    void N(byte[] buffer)
    {
        byte* kept;
        fixed (byte* p = buffer) { kept = p; }
        return;
#pragma warning disable CS0162
        Native.igs_sum(kept, 1);
#pragma warning restore CS0162
    }
}");

        [Fact]
        public Task NoFixWhenThePointerAlsoEscapesOtherwise() => VerifyNoFix(@"
unsafe class C
{
    private byte* _cursor;
    void M(byte[] buffer)
    {
        byte* kept;
        fixed (byte* p = buffer) { kept = p; _cursor = [|p|]; }
        Native.igs_sum([|kept|], 1);
    }
}");

        [Fact]
        public Task NoFixForAReadInALaterLoopIteration() => VerifyNoFix(@"
unsafe class C
{
    void M(byte[][] buffers)
    {
        byte* previous = null;
        foreach (var buffer in buffers)
        {
            if (previous != null) { Native.igs_sum([|previous|], 1); }
            fixed (byte* p = buffer) { previous = p; }
        }
    }
}");

        [Fact]
        public Task NoFixOverAUsingDeclaration() => VerifyNoFix(@"
unsafe class C
{
    void M(byte[] buffer, Memory<byte> memory)
    {
        byte* kept;
        fixed (byte* p = buffer) { kept = p; }
        using var pin = memory.Pin();
        Native.igs_sum([|kept|], 1);
    }
}");
    }
}
