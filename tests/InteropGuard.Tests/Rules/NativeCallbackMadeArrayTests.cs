using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001 on a callback that measures a native string, copies it into <c>new byte[n]</c> and decodes <c>n</c> bytes of
    /// that array from its start: the array is exactly <c>n</c> long, so a replacing encoding cannot fail there, even when
    /// <c>n</c> was counted in a loop before the array was made. A count changed after the array was made, or an array
    /// made with another variable, still count.
    /// </summary>
    public class NativeCallbackMadeArrayTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
using System.Text;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate void EntryVisitor(IntPtr entry, IntPtr state);

static class Catalog
{
    [DllImport(""catalog"")] public static extern void catalog_walk(EntryVisitor visitor, IntPtr state);
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
                "Callback '(entry, state) => …' is called by native function 'catalog_walk', and '" + call + "' may throw ('" + operation
                + "' in '" + helper + "') outside a catch-all: an exception escaping to native code terminates the process");

        [Fact]
        public Task AnArrayMadeAsLongAsTheCountDecodedIsSilent() => Check(@"
class Index
{
    EntryVisitor _visit;
    string _last = string.Empty;

    public void Walk()
    {
        _visit = (entry, state) => { _last = ReadEntry(entry); };
        Catalog.catalog_walk(_visit, IntPtr.Zero);
    }

    static string ReadEntry(IntPtr entry)
    {
        var size = 0;
        for (var at = 0; at < 4096; at++, size++)
        {
            if (Marshal.ReadByte(entry, at) == 0)
                break;
        }

        var text = new byte[size];
        Marshal.Copy(entry, text, 0, size);
        return Encoding.ASCII.GetString(text, 0, size);
    }
}");

        [Fact]
        public Task ACountChangedAfterTheArrayOrAnArrayOfAnotherSizeStillThrow() => Check(@"
class Index
{
    EntryVisitor _grown;
    EntryVisitor _other;
    string _last = string.Empty;

    public void Walk()
    {
        _grown = (entry, state) {|#0:=>|} { _last = Grown(entry); };
        _other = (entry, state) {|#1:=>|} { _last = Other(entry, 64); };
        Catalog.catalog_walk(_grown, IntPtr.Zero);
        Catalog.catalog_walk(_other, IntPtr.Zero);
    }

    static string Grown(IntPtr entry)
    {
        var size = Marshal.ReadInt32(entry);
        var text = new byte[size];
        size++;
        return Encoding.ASCII.GetString(text, 0, size);
    }

    static string Other(IntPtr entry, int limit)
    {
        var size = Marshal.ReadInt32(entry);
        var text = new byte[limit];
        return Encoding.ASCII.GetString(text, 0, size);
    }
}",
            Finding(0, "Grown(entry)", "Encoding.ASCII.GetString(text, 0, size)", "Grown"),
            Finding(1, "Other(entry, 64)", "Encoding.ASCII.GetString(text, 0, size)", "Other"));
    }
}
