using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001 on decoding a fixed-size array native code filled, by the length it reported next to it in the same struct
    /// (<c>char header[128]; size_t header_len;</c>): the range is the native side's contract, not input the callback must
    /// check — directly or through the helpers the pair is handed to. Any other count, start or array still counts.
    /// </summary>
    public class NativeCallbackDescribedBufferTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
using System.Text;

// A formatted class, as libgit2sharp declares git_diff_hunk: marshalled from native memory like a struct.
[StructLayout(LayoutKind.Sequential)]
class Hunk
{
    public int OldLines;
    public UIntPtr HeaderLen;
    [MarshalAs(UnmanagedType.ByValArray, SizeConst = 128)]
    public byte[] Header;
}

struct Note
{
    public int TextLength;
    public byte[] Text;
}

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate int HunkSeen(IntPtr delta, Hunk hunk, IntPtr payload);

static class Native
{
    [DllImport(""diff"")] public static extern int diff_blobs(HunkSeen onHunk, IntPtr payload);
}

static class Decoder
{
    public static readonly Encoding Lax = new UTF8Encoding(false, false);
    public static readonly Encoding Strict = new UTF8Encoding(false, true);

    static string Decode(Encoding encoding, byte[] buffer, int length)
    {
        if (length == 0)
            return string.Empty;
        return encoding.GetString(buffer, 0, length);
    }

    public static string FromLax(byte[] buffer, int length) => Decode(Lax, buffer, length);
    public static string FromStrict(byte[] buffer, int length) => Decode(Strict, buffer, length);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(int location, string callback, string operation, string? inside = null)
            => Verify.Diagnostic("IG5001").WithLocation(location).WithMessage(
                "Callback '" + callback + "' is called by native function 'diff_blobs', and '" + operation
                + "' may throw " + Inside(inside) + "outside a catch-all: an exception escaping to native code terminates the process");

        // Where the exception starts inside the library's own helper the callback calls, as the message names it.
        private static string Inside(string? inside) => inside == null ? string.Empty : "(" + inside + ") ";

        [Fact]
        public Task HeaderDecodedByItsOwnLengthDirectlyOrThroughALaxHelperIsSilent() => Check(@"
class Patch
{
    readonly StringBuilder _text = new StringBuilder();

    int OnHunk(IntPtr delta, Hunk hunk, IntPtr payload)
    {
        _text.Append(Encoding.UTF8.GetString(hunk.Header, 0, (int)hunk.HeaderLen));
        return 0;
    }

    int OnHunkThroughHelper(IntPtr delta, Hunk hunk, IntPtr payload)
    {
        _text.Append(Decoder.FromLax(hunk.Header, (int)hunk.HeaderLen));
        return 0;
    }

    public void Run()
    {
        Native.diff_blobs(OnHunk, IntPtr.Zero);
        Native.diff_blobs(OnHunkThroughHelper, IntPtr.Zero);
    }
}");

        [Fact]
        public Task AnotherCountAnotherStartOrAStrictHelperStillThrow() => Check(@"
class Patch
{
    readonly StringBuilder _text = new StringBuilder();

    int {|#0:OnHunkByLineCount|}(IntPtr delta, Hunk hunk, IntPtr payload)
    {
        _text.Append(Encoding.UTF8.GetString(hunk.Header, 0, hunk.OldLines));
        return 0;
    }

    int {|#1:OnHunkSkippingOne|}(IntPtr delta, Hunk hunk, IntPtr payload)
    {
        _text.Append(Encoding.UTF8.GetString(hunk.Header, 1, (int)hunk.HeaderLen));
        return 0;
    }

    int {|#2:OnHunkStrict|}(IntPtr delta, Hunk hunk, IntPtr payload)
    {
        _text.Append(Decoder.FromStrict(hunk.Header, (int)hunk.HeaderLen));
        return 0;
    }

    public void Run()
    {
        Native.diff_blobs(OnHunkByLineCount, IntPtr.Zero);
        Native.diff_blobs(OnHunkSkippingOne, IntPtr.Zero);
        Native.diff_blobs(OnHunkStrict, IntPtr.Zero);
    }
}", Finding(0, "OnHunkByLineCount", "Encoding.UTF8.GetString(hunk.Header, 0, hunk.OldLines)"),
            Finding(1, "OnHunkSkippingOne", "Encoding.UTF8.GetString(hunk.Header, 1, (int)hunk.HeaderLen)"),
            Finding(2, "OnHunkStrict", "Decoder.FromStrict(hunk.Header, (int)hunk.HeaderLen)", inside: "'encoding.GetString(buffer, 0, length)' in 'Decode'"));

        // The length of a managed struct, or of another struct value, describes nothing native code promised.
        [Fact]
        public Task ALengthNativeCodeDidNotPairWithTheArrayStillThrows() => Check(@"
class Patch
{
    readonly StringBuilder _text = new StringBuilder();
    Note _note;
    Hunk _first = new Hunk();

    int {|#0:OnHunkWithNote|}(IntPtr delta, Hunk hunk, IntPtr payload)
    {
        var note = _note;
        _text.Append(Decoder.FromLax(note.Text, note.TextLength));
        return 0;
    }

    int {|#1:OnHunkAgainstFirst|}(IntPtr delta, Hunk hunk, IntPtr payload)
    {
        var first = _first;
        _text.Append(Decoder.FromLax(hunk.Header, (int)first.HeaderLen));
        return 0;
    }

    public void Run()
    {
        Native.diff_blobs(OnHunkWithNote, IntPtr.Zero);
        Native.diff_blobs(OnHunkAgainstFirst, IntPtr.Zero);
    }
}", Finding(0, "OnHunkWithNote", "Decoder.FromLax(note.Text, note.TextLength)", inside: "'encoding.GetString(buffer, 0, length)' in 'Decode'"),
            Finding(1, "OnHunkAgainstFirst", "Decoder.FromLax(hunk.Header, (int)first.HeaderLen)", inside: "'encoding.GetString(buffer, 0, length)' in 'Decode'"));
    }
}
