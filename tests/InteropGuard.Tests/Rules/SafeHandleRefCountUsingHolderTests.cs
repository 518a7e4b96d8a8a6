using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3006 (a) on the handles of a holder only a <c>using</c> holds (Flow/UsingOnlyHolders): a font request packs its
    /// two strings into native buffers, gives them up to an internal sealed pair (whose constructor takes them by
    /// <c>ref</c> and nulls the caller's variables), and the one caller disposes the pair with <c>using</c> after it gave
    /// the struct the pair describes to a native lookup. Only that thread can dispose the buffers, and only after the raw
    /// values are dead. A pair lent to someone else, public or unsealed, with another reader of a buffer, made outside a
    /// <c>using</c>, whose constructor leaves the caller a copy, or whose struct outlives the <c>using</c> stays reported.
    /// </summary>
    public class SafeHandleRefCountUsingHolderTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

public static class Native
{
    [StructLayout(LayoutKind.Sequential)]
    public struct FontQuery
    {
        public int size;
        public IntPtr family;
        public IntPtr style;
    }

    [DllImport(""fonts"")] public static extern int font_lookup(ref FontQuery query);
}

public sealed class TextBuffer : SafeHandle
{
    private TextBuffer(IntPtr text) : base(IntPtr.Zero, true) { SetHandle(text); }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
        Marshal.FreeHGlobal(handle);
        return true;
    }

    public static TextBuffer From(string text) => new TextBuffer(Marshal.StringToHGlobalAnsi(text));
}

static class Trail
{
    public static readonly List<object> Seen = new List<object>();
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<SafeHandleRefCountAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        // Location 0 is the family's raw value, 1 the style's: each stored into the query the pair returns.
        private static DiagnosticResult At(int location)
        {
            var field = location == 0 ? "family" : "style";
            return Verify.Diagnostic("IG3006").WithLocation(location).WithMessage(
                $"'_{field}!.DangerousGetHandle()' is stored in field 'FontQuery.{field}' without DangerousAddRef/DangerousRelease around the use: another thread may dispose '_{field}' while the stored value is still used; the released handle value can be reused");
        }

        // The request and its pair; {0} is the pair's declaration line, {1} extra members of the pair, {2} its constructor's
        // nulling of the caller's variables.
        private static string Request(string pairDeclaration = "internal sealed class Pair : IDisposable", string extra = "", string nulling = "family = null; style = null;") => @"
public sealed class FontRequest
{
    public string Family = """";
    public string Style = """";

    internal Pair Pack()
    {
        TextBuffer? family = null;
        TextBuffer? style = null;
        Pair packed;
        try
        {
            family = TextBuffer.From(Family);
            style = TextBuffer.From(Style);
            packed = new Pair(ref family, ref style);
        }
        finally
        {
            family?.Dispose();
            style?.Dispose();
        }

        return packed;
    }

    " + pairDeclaration + @"
    {
        private TextBuffer? _family;
        private TextBuffer? _style;

        public Pair(ref TextBuffer? family, ref TextBuffer? style)
        {
            _family = family;
            _style = style;
            " + nulling + @"
        }

        public Native.FontQuery Describe(int size) => new Native.FontQuery
        {
            size = size,
            family = {|#0:_family!.DangerousGetHandle()|},
            style = {|#1:_style!.DangerousGetHandle()|},
        };
" + extra + @"
        public void Dispose()
        {
            _family?.Dispose();
            _style?.Dispose();
            GC.SuppressFinalize(this);
        }
    }
}";

        private const string Lookup = @"
public sealed class FontCache
{
    public int Find(FontRequest request, int size)
    {
        using (var pair = request.Pack())
        {
            var query = pair.Describe(size);
            return Native.font_lookup(ref query);
        }
    }
}";

        [Fact]
        public Task BuffersOfAPairOnlyAUsingHoldsNeedNoReference() => Check(Request() + Lookup);

        [Fact]
        public Task APairInAUsingDeclarationNeedsNoReferenceEither() => Check(Request() + @"
public sealed class FontCache
{
    public int Find(FontRequest request)
    {
        using var pair = request.Pack();
        var query = pair.Describe(12);
        return Native.font_lookup(ref query);
    }
}");

        [Fact]
        public Task APairLentToSomeoneElseIsStillReported() => Check(Request() + @"
public sealed class FontCache
{
    public int Find(FontRequest request)
    {
        using (var pair = request.Pack())
        {
            Trail.Seen.Add(pair);
            var query = pair.Describe(12);
            return Native.font_lookup(ref query);
        }
    }
}", At(0), At(1));

        [Fact]
        public Task APublicPairIsStillReported() => Check(Request(pairDeclaration: "public sealed class Pair : IDisposable") + Lookup, At(0), At(1));

        [Fact]
        public Task AnUnsealedPairIsStillReported() => Check(Request(pairDeclaration: "internal class Pair : IDisposable") + Lookup, At(0), At(1));

        [Fact]
        public Task APairThatHandsOutABufferIsStillReported() => Check(Request(extra: @"
        internal TextBuffer? Family => _family;
") + Lookup, At(0));

        [Fact]
        public Task APairThatHandsItselfToARegistryIsStillReported() => Check(Request(extra: @"
        internal void Announce() => Trail.Seen.Add(this);
") + Lookup, At(0), At(1));

        [Fact]
        public Task APairWhoseConstructorLeavesTheCallerACopyIsStillReported() => Check(Request(nulling: "style = null;") + Lookup, At(0));

        [Fact]
        public Task APairMadeOutsideAUsingIsStillReported() => Check(Request() + @"
public sealed class FontCache
{
    public int Find(FontRequest request)
    {
        var pair = request.Pack();
        var query = pair.Describe(12);
        var found = Native.font_lookup(ref query);
        pair.Dispose();
        return found;
    }
}", At(0), At(1));

        [Fact]
        public Task AQueryKeptAfterTheUsingIsStillReported() => Check(Request() + @"
public sealed class FontCache
{
    public int Find(FontRequest request)
    {
        Native.FontQuery query;
        using (var pair = request.Pack())
        {
            query = pair.Describe(12);
        }

        return Native.font_lookup(ref query);
    }
}", At(0), At(1));

        [Fact]
        public Task AQueryStoredInAFieldIsStillReported() => Check(Request() + @"
public sealed class FontCache
{
    private Native.FontQuery _last;

    public int Find(FontRequest request)
    {
        using (var pair = request.Pack())
        {
            var query = pair.Describe(12);
            _last = query;
            return Native.font_lookup(ref query);
        }
    }
}", At(0), At(1));
    }
}
