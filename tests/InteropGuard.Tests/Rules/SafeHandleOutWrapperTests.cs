using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// A wrapper of the library that hands its <c>out</c> SafeHandle parameter straight on as the <c>out</c> argument of a
    /// P/Invoke gives its caller a new handle, as the P/Invoke would (IG3005); a wrapper that also reads, stores or
    /// otherwise fills the parameter is not read as a source.
    /// </summary>
    public class SafeHandleOutWrapperTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

sealed class QueryHandle : SafeHandle
{
    public QueryHandle() : base(IntPtr.Zero, true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => Db.query_close(handle) == 0;
}

static class Db
{
    [DllImport(""toydb"")] public static extern int query_close(IntPtr q);
    [DllImport(""toydb"")] public static extern int query_step(QueryHandle q);
    [DllImport(""toydb"")] private static extern int query_open(IntPtr text, out QueryHandle q);

    // Converts the text, then forwards 'out q': the caller owns what the native call made.
    public static int Open(string text, out QueryHandle q)
    {
        var raw = Marshal.StringToHGlobalAnsi(text);
        try
        {
            return query_open(raw, out q);
        }
        finally
        {
            Marshal.FreeHGlobal(raw);
        }
    }

    static QueryHandle last;

    // Keeps the handle it was given: not a plain source.
    public static int OpenKept(string text, out QueryHandle q)
    {
        var rc = Open(text, out q);
        last = q;
        return rc;
    }

    // Fills the parameter with a handle of its own making as well: not read as one.
    public static int OpenOrEmpty(string text, out QueryHandle q)
    {
        if (text == null)
        {
            q = new QueryHandle();
            return 0;
        }

        return Open(text, out q);
    }

    public static void Check(int rc)
    {
        if (rc != 0)
        {
            throw new InvalidOperationException(rc.ToString());
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

        [Fact]
        public Task HandleFromAForwardingWrapperIsOwnedByTheCaller() => Check(@"
class Runner
{
    int Leaked(string text)
    {
        Db.Open(text, {|#0:out var q|});
        return Db.query_step(q);
    }

    int Disposed(string text)
    {
        Db.Open(text, out var q);
        using (q)
        {
            return Db.query_step(q);
        }
    }

    QueryHandle HandedBack(string text)
    {
        Db.Check(Db.Open(text, out var q));
        return q;
    }
}",
            Verify.Diagnostic("IG3005").WithLocation(0).WithMessage("SafeHandle 'q' from 'Db.Open' is not disposed on the 'return Db.query_step(q)'; the native handle stays open until the finalizer runs"));

        [Fact]
        public Task WrappersThatKeepOrMakeTheHandleAreNotSources() => Check(@"
class Runner
{
    int FromKeeper(string text)
    {
        Db.OpenKept(text, out var q);
        return Db.query_step(q);
    }

    int FromMaker(string text)
    {
        Db.OpenOrEmpty(text, out var q);
        return Db.query_step(q);
    }
}");
    }
}
