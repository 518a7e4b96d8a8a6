using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001 on a callback that copies a native label into a byte array and decodes it with a decoder of a local
    /// <c>new UTF8Encoding()</c> into a char array that encoding measured for those very bytes: the encoding replaces
    /// invalid input, and the destination has room for every char, so neither the count nor the conversion can fail.
    /// A throwing encoding, a destination measured by another encoding, and one made of another size, still count.
    /// </summary>
    public class NativeCallbackMeasuredDecoderTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
using System.Text;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate void LabelSink(IntPtr label, int length);

static class Shelf
{
    [DllImport(""shelf"")] public static extern void shelf_labels(LabelSink sink);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(int location, string call, string operation, string helper)
            => Verify.Diagnostic("IG5001").WithLocation(location).WithMessage(
                "Callback 'OnLabel' is called by native function 'shelf_labels', and '" + call + "' may throw ('" + operation
                + "' in '" + helper + "') outside a catch-all: an exception escaping to native code terminates the process");

        [Fact]
        public Task DecodingIntoCharsTheSameEncodingMeasuredIsSilent() => Check(@"
class Labels
{
    string _last = string.Empty;

    public void Read() => Shelf.shelf_labels(OnLabel);

    void OnLabel(IntPtr label, int length) => _last = Decode(label, length);

    static string Decode(IntPtr label, int length)
    {
        if (label == IntPtr.Zero || length <= 0)
            return string.Empty;
        var raw = new byte[length];
        Marshal.Copy(label, raw, 0, length);
        var utf8 = new UTF8Encoding();
        var count = utf8.GetCharCount(raw);
        var text = new char[count];
        var decoder = utf8.GetDecoder();
        decoder.Convert(raw, 0, raw.Length, text, 0, count, true, out var used, out var written, out var done);
        return new string(text);
    }
}");

        [Fact]
        public Task AThrowingEncodingAnotherEncodingsCountOrAnotherSizeStillThrow() => Check(@"
class Strict
{
    string _last = string.Empty;

    public void Read() => Shelf.shelf_labels(OnLabel);

    void {|#0:OnLabel|}(IntPtr label, int length) => _last = Decode(label, length);

    static string Decode(IntPtr label, int length)
    {
        var raw = new byte[length];
        Marshal.Copy(label, raw, 0, length);
        var utf8 = new UTF8Encoding(false, true);
        var count = utf8.GetCharCount(raw);
        return count.ToString();
    }
}

class Mixed
{
    string _last = string.Empty;

    public void Read() => Shelf.shelf_labels(OnLabel);

    void {|#1:OnLabel|}(IntPtr label, int length) => _last = Decode(label, length);

    static string Decode(IntPtr label, int length)
    {
        var raw = new byte[length];
        Marshal.Copy(label, raw, 0, length);
        var utf8 = new UTF8Encoding();
        var count = Encoding.Unicode.GetCharCount(raw);
        var text = new char[count];
        var decoder = utf8.GetDecoder();
        decoder.Convert(raw, 0, raw.Length, text, 0, count, true, out var used, out var written, out var done);
        return new string(text);
    }
}

class Guessed
{
    string _last = string.Empty;

    public void Read() => Shelf.shelf_labels(OnLabel);

    void {|#2:OnLabel|}(IntPtr label, int length) => _last = Decode(label, length);

    static string Decode(IntPtr label, int length)
    {
        var raw = new byte[length];
        Marshal.Copy(label, raw, 0, length);
        var utf8 = new UTF8Encoding();
        var count = utf8.GetCharCount(raw);
        var text = new char[count / 2];
        var decoder = utf8.GetDecoder();
        decoder.Convert(raw, 0, raw.Length, text, 0, count, true, out var used, out var written, out var done);
        return new string(text);
    }
}",
            Finding(0, "Decode(label, length)", "utf8.GetCharCount(raw)", "Decode"),
            Finding(1, "Decode(label, length)", "decoder.Convert(…)", "Decode"),
            Finding(2, "Decode(label, length)", "decoder.Convert(…)", "Decode"));
    }
}
