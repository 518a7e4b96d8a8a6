using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// A span copied into a span made over a fresh block as long as the source, or longer by an amount that cannot be
    /// negative, cannot fail, so it is no path on which the block leaks. A destination measured from anything else, a
    /// length made smaller, or a length local written again leaves the copy a throw point.
    /// </summary>
    public class SizedSpanCopyTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
using System.Text;
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task CopyIntoABlockOfTheSourcesLength() => Check(@"
unsafe class Utf8Text
{
    byte* _text;

    public Utf8Text(ReadOnlySpan<byte> input)
    {
        var size = input.Length;
        var p = (byte*)NativeMemory.Alloc((nuint)size + 1);
        input.CopyTo(new Span<byte>(p, size));
        p[size] = 0;
        _text = p;
    }
}");

        [Fact]
        public Task CopyIntoABlockLongerByAMeasuredAmount() => Check(@"
unsafe class Joined
{
    byte* _text;

    public Joined(ReadOnlySpan<byte> head, string tail)
    {
        var room = head.Length + Encoding.UTF8.GetMaxByteCount(tail.Length) + 1;
        var p = (byte*)NativeMemory.Alloc((nuint)room);
        var whole = new Span<byte>(p, room);
        head.CopyTo(whole);
        _text = p;
    }
}");

        [Fact]
        public Task CopyIntoABlockMeasuredFromAnotherSpanIsStillAThrowPoint() => Check(@"
unsafe class Utf8Text
{
    byte* _text;

    public Utf8Text(ReadOnlySpan<byte> input, ReadOnlySpan<byte> other)
    {
        var p = (byte*){|#0:NativeMemory.Alloc((nuint)other.Length)|};
        input.CopyTo(new Span<byte>(p, other.Length));
        _text = p;
    }
}", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'NativeMemory.Alloc' in 'p' is not released by 'NativeMemory.Free' if 'input.CopyTo(new Span<byte>(p, other.Length))' throws"));

        [Fact]
        public Task CopyIntoABlockOneShorterIsStillAThrowPoint() => Check(@"
unsafe class Utf8Text
{
    byte* _text;

    public Utf8Text(ReadOnlySpan<byte> input)
    {
        var p = (byte*){|#0:NativeMemory.Alloc((nuint)input.Length)|};
        input.CopyTo(new Span<byte>(p, input.Length - 1));
        _text = p;
    }
}", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'NativeMemory.Alloc' in 'p' is not released by 'NativeMemory.Free' if 'input.CopyTo(new Span<byte>(p, input.Length - 1))' throws"));

        [Fact]
        public Task CopyWithALengthLocalWrittenAgainIsStillAThrowPoint() => Check(@"
unsafe class Utf8Text
{
    byte* _text;

    public Utf8Text(ReadOnlySpan<byte> input, int skip)
    {
        var size = input.Length;
        size -= skip;
        var p = (byte*){|#0:NativeMemory.Alloc((nuint)input.Length)|};
        input.CopyTo(new Span<byte>(p, size));
        _text = p;
    }
}", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'NativeMemory.Alloc' in 'p' is not released by 'NativeMemory.Free' if 'input.CopyTo(new Span<byte>(p, size))' throws"));
    }
}
