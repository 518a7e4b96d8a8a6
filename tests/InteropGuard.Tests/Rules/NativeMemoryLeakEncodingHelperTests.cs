using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// Generated string marshalling in bindings (one shape per string parameter): measure the string, take a native block
    /// when it is large and stack memory when it is small, encode through a small helper of the binding, call native code,
    /// and free the block under the same size test. The helper's encoding cannot fail when the caller hands it the
    /// measurement of the same string (Flow/MeasuredEncodings), and the repeated size tests follow the allocation's path
    /// however many strings the method marshals (Flow/ReleaseOnAllPaths keeps only conditions tested more than once).
    /// </summary>
    public class NativeMemoryLeakEncodingHelperTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
using System.Text;

static unsafe class Native
{
    [DllImport(""gui"")] public static extern byte widget(byte* caption, byte* hint, byte* tooltip, float* value);
    [DllImport(""gui"")] public static extern void label(byte* text);
}

static unsafe class Text
{
    internal const int StackLimit = 1024;

    internal static byte* Take(int size) => (byte*)Marshal.AllocHGlobal(size);

    internal static void Give(byte* block) => Marshal.FreeHGlobal((IntPtr)block);

    internal static int Encode(string text, byte* into, int room)
    {
        fixed (char* chars = text)
        {
            return Encoding.UTF8.GetBytes(chars, text.Length, into, room);
        }
    }
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
                "Native memory from 'Text.Take' in '" + variable + "' is not released by 'Marshal.FreeHGlobal' if '" + thrower + "' throws");

        [Fact]
        public Task AHelperEncodingIntoTheMeasuredSizeOfTheSameStringIsNotAThrowPoint() => Check(@"
static unsafe class Gui
{
    public static void Label(string text)
    {
        byte* utf8;
        int size = 0;
        if (text != null)
        {
            size = Encoding.UTF8.GetByteCount(text);
            if (size > Text.StackLimit)
            {
                utf8 = Text.Take(size + 1);
            }
            else
            {
                byte* onStack = stackalloc byte[size + 1];
                utf8 = onStack;
            }
            int end = Text.Encode(text, utf8, size);
            utf8[end] = 0;
        }
        else { utf8 = null; }
        Native.label(utf8);
        if (size > Text.StackLimit)
        {
            Text.Give(utf8);
        }
    }

    public static void Default()
    {
        byte* utf8;
        int size = 0;
        size = Encoding.UTF8.GetByteCount(""%.2f units"");
        if (size > Text.StackLimit)
        {
            utf8 = Text.Take(size + 1);
        }
        else
        {
            byte* onStack = stackalloc byte[size + 1];
            utf8 = onStack;
        }
        Text.Encode(""%.2f units"", utf8, size);
        Native.label(utf8);
        if (size > Text.StackLimit)
        {
            Text.Give(utf8);
        }
    }

    public static void Edit(string text, uint capacity)
    {
        int measured = Encoding.UTF8.GetByteCount(text);
        int room = Math.Max((int)capacity + 1, measured + 1);
        byte* block = room > Text.StackLimit ? Text.Take(room) : null;
        if (block != null)
        {
            Text.Encode(text, block, room);
            Native.label(block);
            Text.Give(block);
        }
    }
}");

        // An edit box: the caller's string comes by reference, is measured and encoded, and the edited text is written
        // back to it only after both; nothing this body runs between the two reads can change it.
        [Fact]
        public Task AByReferenceStringWrittenBackAfterItsEncodingIsStillMeasured() => Check(@"
static unsafe class Gui
{
    public static void Edit(ref string input, uint maxLength)
    {
        int count = Encoding.UTF8.GetByteCount(input);
        int size = Math.Max((int)maxLength + 1, count + 1);
        byte* block = Text.Take(size);
        Text.Encode(input, block, size);
        Native.label(block);
        input = ""edited"";
        Text.Give(block);
    }
}");

        // The look-alikes: the string changes between its measurement and its encoding.
        [Fact]
        public Task AByReferenceStringReplacedAfterItsMeasurementIsAThrowPoint() => Check(@"
static unsafe class Gui
{
    public static void Edit(ref string input, uint maxLength)
    {
        int count = Encoding.UTF8.GetByteCount(input);
        int size = Math.Max((int)maxLength + 1, count + 1);
        byte* block = {|#0:Text.Take(size)|};
        input = input + ""suffix"";
        Text.Encode(input, block, size);
        Native.label(block);
        Text.Give(block);
    }

    public static void Retry(ref string input)
    {
        for (int pass = 0; pass < 2; pass++)
        {
            int count = Encoding.UTF8.GetByteCount(input);
            byte* block = {|#1:Text.Take(count)|};
            Text.Encode(input, block, count);
            Native.label(block);
            Text.Give(block);
            input = input + ""!"";
        }
    }
}", Leak(0, "block", "Text.Encode(input, block, size)"), Leak(1, "block", "Text.Encode(input, block, count)"));

        [Fact]
        public Task AHelperEncodingIntoAnythingButTheSameMeasurementIsAThrowPoint() => Check(@"
static unsafe class Gui
{
    public static void FixedRoom(string text)
    {
        byte* utf8 = {|#0:Text.Take(64)|};
        Text.Encode(text, utf8, 64);
        Native.label(utf8);
        Text.Give(utf8);
    }

    public static void OtherString(string text, string other)
    {
        int size = Encoding.UTF8.GetByteCount(other);
        byte* utf8 = {|#1:Text.Take(size + 1)|};
        Text.Encode(text, utf8, size);
        Native.label(utf8);
        Text.Give(utf8);
    }

    public static void OtherEncoding(string text)
    {
        int size = Encoding.Unicode.GetByteCount(text);
        byte* utf8 = {|#2:Text.Take(size + 1)|};
        Text.Encode(text, utf8, size);
        Native.label(utf8);
        Text.Give(utf8);
    }

    public static void RemeasuredThenChanged(string text)
    {
        int size = 0;
        size = Encoding.UTF8.GetByteCount(text);
        size -= 2;
        byte* utf8 = {|#3:Text.Take(64)|};
        Text.Encode(text, utf8, size);
        Native.label(utf8);
        Text.Give(utf8);
    }

    public static void OtherLiteral()
    {
        int size = Encoding.UTF8.GetByteCount(""%d"");
        byte* utf8 = {|#5:Text.Take(size + 1)|};
        Text.Encode(""%d items"", utf8, size);
        Native.label(utf8);
        Text.Give(utf8);
    }

    public static void MeasuredOnOneBranchOnly(string text, bool measure)
    {
        int size = 16;
        if (measure)
        {
            size = Encoding.UTF8.GetByteCount(text);
        }
        byte* utf8 = {|#4:Text.Take(size + 1)|};
        Text.Encode(text, utf8, size);
        Native.label(utf8);
        Text.Give(utf8);
    }
}", Leak(0, "utf8", "Text.Encode(text, utf8, 64)"),
            Leak(1, "utf8", "Text.Encode(text, utf8, size)"),
            Leak(2, "utf8", "Text.Encode(text, utf8, size)"),
            Leak(3, "utf8", "Text.Encode(text, utf8, size)"),
            Leak(4, "utf8", "Text.Encode(text, utf8, size)"),
            Leak(5, "utf8", "Text.Encode(\"%d items\", utf8, size)"));

        // One marshalled string parameter, as generated bindings write it; its allocation is marked when asked.
        private const string Marshalled = @"
        byte* NAMEBytes;
        int NAMESize = 0;
        if (NAME != null)
        {
            NAMESize = Encoding.UTF8.GetByteCount(NAME);
            if (NAMESize > Text.StackLimit)
            {
                NAMEBytes = OPENText.Take(NAMESize + 1)CLOSE;
            }
            else
            {
                byte* NAMEOnStack = stackalloc byte[NAMESize + 1];
                NAMEBytes = NAMEOnStack;
            }
            int NAMEEnd = Text.Encode(NAME, NAMEBytes, NAMESize);
            NAMEBytes[NAMEEnd] = 0;
        }
        else { NAMEBytes = null; }";

        private static string StringParameter(string name, bool marked)
            => Marshalled.Replace("NAME", name).Replace("OPEN", marked ? "{|#0:" : string.Empty).Replace("CLOSE", marked ? "|}" : string.Empty);

        // A widget taking three strings, each freed under a size test: the caption's is 'captionFree'.
        private static string Widget(string captionFree, bool markCaption) => @"
static unsafe class Gui
{
    public static bool Widget(string caption, string hint, string tooltip, ref float value, ref float other)
    {" + StringParameter("caption", markCaption) + StringParameter("hint", false) + StringParameter("tooltip", false) + @"
        fixed (float* v = &value)
        {
            fixed (float* w = &other)
            {
                byte result = Native.widget(captionBytes, hintBytes, tooltipBytes, v);
                if (" + captionFree + @")
                {
                    Text.Give(captionBytes);
                }
                if (hintSize > Text.StackLimit)
                {
                    Text.Give(hintBytes);
                }
                if (tooltipSize > Text.StackLimit)
                {
                    Text.Give(tooltipBytes);
                }
                return result != 0;
            }
        }
    }
}";

        [Fact]
        public Task ThreeStringsEachFreedUnderItsOwnSizeTestAreNotLeaks() => Check(Widget("captionSize > Text.StackLimit", markCaption: false));

        [Fact]
        public Task AFreeUnderAnotherSizeTestStillLeaksWhateverTheNumberOfStrings() => Check(
            Widget("captionSize > 4096", markCaption: true),
            Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
                "Native memory from 'Text.Take' in 'captionBytes' is not released by 'Marshal.FreeHGlobal' on the 'return result != 0'"));
    }
}
