using System.Threading.Tasks;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// <c>string.Replace(string, string)</c> checks only the text it looks for (null or empty throws); a non-empty constant
    /// settles that, and what replaces it may be anything (Flow/InfallibleCalls). A logging callback that swaps one marker
    /// for another around a native formatter cannot fail there. Look-alikes: the text looked for is a parameter, or an
    /// empty constant.
    /// </summary>
    public class NativeCallbackConstantReplaceTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""codec"")] public static extern void codec_write_log([MarshalAs(UnmanagedType.LPUTF8Str)] string line);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected) => CallbackExceptionExpectations.Check(Prelude + source, expected);

        private static DiagnosticResult Finding(string operation) => CallbackExceptionExpectations.Unmanaged("OnLog", operation);

        [Fact]
        public Task ReplacingAConstantMarkerDoesNotThrow() => Check(@"
static class Exports
{
    const string Marker = ""%%"";

    [UnmanagedCallersOnly]
    static void OnLog(IntPtr text, int level)
    {
        string line = Marshal.PtrToStringAnsi(text);
        string swapped = line.Replace(""\t"", ""    "").Replace(Marker, null).Replace(""\r\n"", level > 2 ? ""!"" : line);
        Native.codec_write_log(swapped.Replace(""#"", ""\t""));
    }
}");

        // Look-alike: the text looked for comes from the caller, and may be null or empty.
        [Fact]
        public Task ATextPassedInStillThrows() => Check(@"
static class Exports
{
    static string s_marker = ""#"";

    [UnmanagedCallersOnly]
    static void {|#0:OnLog|}(IntPtr text, int level)
    {
        string line = Marshal.PtrToStringAnsi(text);
        Native.codec_write_log(line.Replace(s_marker, ""-""));
    }
}", Finding("line.Replace(s_marker, \"-\")"));

        // Look-alike: an empty text to look for throws on every call.
        [Fact]
        public Task AnEmptyConstantStillThrows() => Check(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static void {|#0:OnLog|}(IntPtr text, int level)
    {
        string line = Marshal.PtrToStringAnsi(text);
        Native.codec_write_log(line.Replace("""", ""-""));
    }
}", Finding("line.Replace(\"\", \"-\")"));
    }
}
