using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5002 on a bridge that invokes a private delegate field the library fills only with its own lambda, null, or
    /// the value the field held before (precision work of the twenty-ninth session, bound30; NAudio.Lame's genre list):
    /// the lambda runs only the library's code, so when it cannot throw there is nothing to report. Beside it, the
    /// shapes still reported: a lambda that hands on to the user's delegate, a field a public member also fills, and a
    /// lambda of the library's own that can throw.
    /// </summary>
    public class NativeCallbackOwnLambdaTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate void ColorVisitor(int index, IntPtr name, IntPtr state);

public delegate void ColorSeen(int index, string name);

static class Native
{
    [DllImport(""palette"")] public static extern void palette_each(ColorVisitor visit, IntPtr state);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        // The palette's names, collected by a lambda the listing sets for the one native walk and then puts back.
        private static string Palette(string store, string extra = "") => @"
public static class Palette
{
    private static ColorSeen _seen = null;
    " + extra + @"
    private static void {|#0:Visit|}(int index, IntPtr name, IntPtr state)
    {
        var text = Marshal.PtrToStringAnsi(name) ?? string.Empty;
        _seen?.Invoke(index, text);
    }

    public static Dictionary<int, string> Names()
    {
        var names = new Dictionary<int, string>();
        ColorSeen previous = _seen;
        _seen = " + store + @";
        Native.palette_each(Visit, IntPtr.Zero);
        _seen = previous;
        return names;
    }
}
";

        private static DiagnosticResult UserDelegate()
            => Verify.Diagnostic("IG5002").WithLocation(0).WithMessage(
                "Callback 'Visit' is called by native function 'palette_each', and '_seen?.Invoke(index, text)' invokes the user's delegate '_seen' outside a catch-all: an exception the user's code throws there terminates the process");

        [Fact]
        public Task AFieldHoldingOnlyTheLibrarysQuietLambdaAndItsOwnEarlierValue() => Check(Palette("(index, name) => names[index] = name"));

        [Fact]
        public Task ALambdaThatHandsOnToTheUsersDelegateIsStillReported() => Check(
            Palette("(index, name) => { names[index] = name; Changed?.Invoke(index, name); }", "public static ColorSeen Changed;"),
            UserDelegate());

        [Fact]
        public Task AFieldAPublicMemberAlsoFillsIsStillReported() => Check(
            Palette("(index, name) => names[index] = name", "public static void Watch(ColorSeen seen) => _seen = seen;"),
            UserDelegate());

        [Fact]
        public Task ALambdaThatCanThrowIsNotReadAsQuiet() => Check(
            Palette("(index, name) => names.Add(index, name)"),
            UserDelegate());
    }
}
