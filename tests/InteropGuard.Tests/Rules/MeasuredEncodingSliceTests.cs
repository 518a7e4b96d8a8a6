using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3001's throw model and an encoding into the rest of a measured buffer (Flow/MeasuredEncodings): a buffer sized
    /// <c>prefix + measurement</c> whose tail after the prefix (<c>buffer[prefix..]</c>) takes
    /// the encoded text has room for it, and a string that may be null measured as empty
    /// (<c>(s?.Length).GetValueOrDefault()</c>, <c>s?.Length ?? 0</c>) converts to an empty span. Still a throw point: a
    /// tail that starts anywhere else, and a measurement of another string.
    /// </summary>
    public class MeasuredEncodingSliceTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
using System.Text;

static class Native
{
    [DllImport(""mylib"")] public static extern int hand_over(IntPtr p, int n);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Leak(int location, string thrower)
            => Verify.Diagnostic("IG3001").WithLocation(location).WithMessage(
                "Native memory from 'Marshal.AllocHGlobal' in 'p' is not released by 'Marshal.FreeHGlobal' if '" + thrower + "' throws");

        [Fact]
        public Task TextEncodedAfterAPrefixIntoTheRestOfAMeasuredBufferCannotOverflow() => Check(@"
unsafe class C
{
    int AfterHeader(ReadOnlySpan<byte> header, string? text)
    {
        var room = header.Length + Encoding.UTF8.GetMaxByteCount((text?.Length).GetValueOrDefault());
        IntPtr p = Marshal.AllocHGlobal(room);
        var all = new Span<byte>((void*)p, room);
        var written = Encoding.UTF8.GetBytes(text, all[header.Length..]);
        var result = Native.hand_over(p, header.Length + written);
        Marshal.FreeHGlobal(p);
        return result;
    }

    int NullAsEmpty(ReadOnlySpan<byte> header, string? text)
    {
        var room = Encoding.UTF8.GetMaxByteCount(text?.Length ?? 0) + header.Length;
        IntPtr p = Marshal.AllocHGlobal(room);
        var all = new Span<byte>((void*)p, room);
        var written = Encoding.UTF8.GetBytes(text, all[header.Length..]);
        var result = Native.hand_over(p, written);
        Marshal.FreeHGlobal(p);
        return result;
    }
}");

        [Fact]
        public Task ATailStartingElsewhereOrAnotherStringsMeasurementIsStillAThrowPoint() => Check(@"
unsafe class C
{
    int Skipped(ReadOnlySpan<byte> header, string? text, int skip)
    {
        var room = header.Length + Encoding.UTF8.GetMaxByteCount((text?.Length).GetValueOrDefault());
        IntPtr p = {|#0:Marshal.AllocHGlobal(room)|};
        var all = new Span<byte>((void*)p, room);
        var written = Encoding.UTF8.GetBytes(text, all[skip..]);
        var result = Native.hand_over(p, written);
        Marshal.FreeHGlobal(p);
        return result;
    }

    int Other(ReadOnlySpan<byte> header, string? text, string? other)
    {
        var room = header.Length + Encoding.UTF8.GetMaxByteCount((other?.Length).GetValueOrDefault());
        IntPtr p = {|#1:Marshal.AllocHGlobal(room)|};
        var all = new Span<byte>((void*)p, room);
        var written = Encoding.UTF8.GetBytes(text, all[header.Length..]);
        var result = Native.hand_over(p, written);
        Marshal.FreeHGlobal(p);
        return result;
    }
}", Leak(0, "Encoding.UTF8.GetBytes(text, all[skip..])"), Leak(1, "Encoding.UTF8.GetBytes(text, all[header.Length..])"));
    }
}
