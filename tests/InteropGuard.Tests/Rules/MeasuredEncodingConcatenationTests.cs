using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3001 and the pointer overload of <c>Encoding.GetBytes</c> over a <c>fixed</c> concatenation that starts with the
    /// measured string (an old runtime trick, <c>fixed (char* p = text + SomeOffset / 2)</c>, which C# compiles as a string
    /// concatenation): encoding the first <c>text.Length</c> characters writes what encoding <c>text</c> does, so a room
    /// measured from <c>text</c> holds it and the call cannot throw. Still a throw point when the concatenation starts with
    /// another string, when the count also reads past <c>text</c> into the other operand, and when the room was measured
    /// from a different string.
    /// </summary>
    public class MeasuredEncodingConcatenationTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
using System.Text;

static class Native
{
    [DllImport(""mylib"")] public static extern void take(IntPtr p);
}
static class Layout
{
    public static int Skew => 8;
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Leak(int location, string variable, string thrower)
            => Verify.Diagnostic("IG3001").WithLocation(location).WithMessage(
                "Native memory from 'Marshal.AllocHGlobal' in '" + variable + "' is not released by 'Marshal.FreeHGlobal' if '" + thrower + "' throws");

        [Fact]
        public Task EncodingTheMeasuredPrefixOfAConcatenationIsNotAThrowPoint() => Check(@"
unsafe class Text
{
    static void MaxRoom(string text)
    {
        int room = Encoding.ASCII.GetMaxByteCount(text.Length) + 1;
        IntPtr p = Marshal.AllocHGlobal(room);
        fixed (char* chars = text + Layout.Skew / 2)
        {
            int written = Encoding.ASCII.GetBytes(chars, text.Length, (byte*)p, room);
            Native.take(p);
        }
        Marshal.FreeHGlobal(p);
    }

    static void ExactRoom(string text, string tail)
    {
        int room = Encoding.UTF8.GetByteCount(text);
        IntPtr p = Marshal.AllocHGlobal(room);
        fixed (char* chars = text + tail + ""!"")
        {
            Encoding.UTF8.GetBytes(chars, text.Length, (byte*)p, room);
            Native.take(p);
        }
        Marshal.FreeHGlobal(p);
    }
}");

        [Fact]
        public Task AnotherPrefixACountPastThePrefixOrAnotherStringsRoomStillThrows() => Check(@"
unsafe class Text
{
    static void OtherPrefix(string text, string head)
    {
        int room = Encoding.UTF8.GetByteCount(text);
        IntPtr p = {|#0:Marshal.AllocHGlobal(room)|};
        fixed (char* chars = head + text)
        {
            Encoding.UTF8.GetBytes(chars, text.Length, (byte*)p, room);
        }
        Native.take(p);
        Marshal.FreeHGlobal(p);
    }

    static void PastThePrefix(string text)
    {
        int room = Encoding.UTF8.GetMaxByteCount(text.Length) + 1;
        IntPtr p = {|#1:Marshal.AllocHGlobal(room)|};
        fixed (char* chars = text + ""\u20ac"")
        {
            Encoding.UTF8.GetBytes(chars, text.Length + 1, (byte*)p, room);
        }
        Native.take(p);
        Marshal.FreeHGlobal(p);
    }

    static void OtherRoom(string text, string other)
    {
        int room = Encoding.UTF8.GetByteCount(other);
        IntPtr p = {|#2:Marshal.AllocHGlobal(room)|};
        fixed (char* chars = text + ""."")
        {
            Encoding.UTF8.GetBytes(chars, text.Length, (byte*)p, room);
        }
        Native.take(p);
        Marshal.FreeHGlobal(p);
    }
}", Leak(0, "p", "Encoding.UTF8.GetBytes(chars, text.Length, (byte*)p, room)"),
            Leak(1, "p", "Encoding.UTF8.GetBytes(...)"),
            Leak(2, "p", "Encoding.UTF8.GetBytes(chars, text.Length, (byte*)p, room)"));
    }
}
