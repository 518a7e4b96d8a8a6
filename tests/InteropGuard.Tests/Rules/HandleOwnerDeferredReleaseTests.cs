using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Xunit;
using static InteropGuard.Tests.Rules.HandleOwnerLifetimeTests;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001 and <c>interopguard.deferred_release_functions</c>: a library whose release functions, called from a
    /// finalizer's thread, only queue the object and free it later on the thread that uses it. An owner whose finalizer
    /// releases only through listed functions (the native function, or a wrapper method bearing a listed name; a name may
    /// hold '*') frees nothing a native call in flight uses. Still reported: an owner whose finalizer path also reaches a
    /// release that is not listed (a subclass's override, a name the pattern does not fit), the shared registry whose own
    /// finalizer closes at once, and everything when the option is not set.
    /// </summary>
    public class HandleOwnerDeferredReleaseTests
    {
        // A journal with reference-counted entries: the journal closes at once, an entry drops a reference.
        private const string Journal = @"
static class Lib
{
    [DllImport(""journal"")] public static extern IntPtr jr_open();
    [DllImport(""journal"")] public static extern void jr_close(IntPtr journal);
    [DllImport(""journal"")] public static extern void jr_unref(IntPtr journal, IntPtr entry);
    [DllImport(""journal"")] public static extern void jr_page_unref(IntPtr journal, IntPtr entry);
    [DllImport(""journal"")] public static extern void jr_blob_free(IntPtr journal, IntPtr entry);
    [DllImport(""journal"")] public static extern void jr_mark_unref_now(IntPtr journal, IntPtr entry);
    [DllImport(""journal"")] public static extern int jr_status(IntPtr journal);
    [DllImport(""journal"")] public static extern int jr_size(IntPtr entry);
    [DllImport(""journal"")] public static extern int jr_count(IntPtr journal);
}
static class Api
{
    // The binding's checked wrapper: the status read after the release is not a release, but the walk cannot tell.
    public static void jr_page_unref(IntPtr journal, IntPtr entry)
    {
        Lib.jr_page_unref(journal, entry);
        if (Lib.jr_status(journal) != 0) throw new InvalidOperationException(""journal"");
    }

    // A plain forwarder, under a name of its own.
    public static void Forget(IntPtr journal, IntPtr entry) => Lib.jr_unref(journal, entry);
}
class Journal
{
    private IntPtr {|#9:_raw|} = Lib.jr_open();
    internal IntPtr Raw => _raw;
    ~Journal() { Lib.jr_close(_raw); }
}
public abstract class Entry
{
    private Journal _journal;
    private IntPtr _raw;
    internal Entry(Journal journal, IntPtr raw) { _journal = journal; _raw = raw; }
    ~Entry() { Drop(); }
    private void Drop()
    {
        if (_raw != IntPtr.Zero)
        {
            Unref(_raw);
            _raw = IntPtr.Zero;
        }
        _journal = null;
        GC.SuppressFinalize(this);
    }
    internal abstract void Unref(IntPtr raw);
    internal IntPtr Raw => _raw;
    internal Journal Journal => _journal;
}
public class Line : Entry
{
    internal Line(Journal journal, IntPtr raw) : base(journal, raw) { }
    internal override void Unref(IntPtr raw)
    {
        lock (Journal)
        {
            if (Journal.Raw != IntPtr.Zero) Lib.jr_unref(Journal.Raw, raw);
        }
    }
}
public sealed class Page : Entry
{
    internal Page(Journal journal, IntPtr raw) : base(journal, raw) { }
    internal override void Unref(IntPtr raw) => Api.jr_page_unref(Journal.Raw, raw);
}
public sealed class Blob : Entry
{
    internal Blob(Journal journal, IntPtr raw) : base(journal, raw) { }
    internal override void Unref(IntPtr raw) => Lib.jr_blob_free(Journal.Raw, raw);
}
public sealed class Mark : Entry
{
    internal Mark(Journal journal, IntPtr raw) : base(journal, raw) { }
    internal override void Unref(IntPtr raw) => Lib.jr_mark_unref_now(Journal.Raw, raw);
}
";

        private const string Deferred = "interopguard.deferred_release_functions = jr_unref, jr_*_unref";

        private static Task Check(string source, string? editorConfig, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<HandleOwnerLifetimeAnalyzer> { Source = Prelude + Journal + source, EditorConfig = editorConfig };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task OwnersReleasedOnlyThroughDeferredFunctionsAreNotReported() => Check(@"
class Reader
{
    int LineSize(Line line) => Lib.jr_size(line.Raw);
    int PageSize(Page page) => Lib.jr_size(page.Raw);
    int Count(Line line) => Lib.jr_count({|#0:line.Journal.Raw|});
}
public sealed class Note : Line
{
    internal Note(Journal journal, IntPtr raw) : base(journal, raw) { }
    public int Size() => Lib.jr_size(Raw);
}
", Deferred,
            Verify.Diagnostic("IG1001").WithLocation(0).WithMessage(
                "'line.Journal' is not used after 'Lib.jr_count' receives its handle 'line.Journal.Raw': the GC may collect 'line.Journal' and release the handle while native code still uses it; 'Journal' releases its raw handle in its finalizer (IG3008): a SafeHandle that the P/Invokes take protects every such call"),
            Verify.Diagnostic("IG3008").WithLocation(9).WithMessage(
                "'Journal' releases its raw handle '_raw' through 'Lib.jr_close' in its finalizer and hands it out through 'Raw': 1 native call(s) given it do not keep the 'Journal' alive (IG1001); a SafeHandle that the P/Invokes take instead protects every call at once"));

        [Fact]
        public Task OwnersWithAReleaseThatIsNotDeferredAreReported() => Check(@"
class Reader
{
    int BlobSize(Blob blob) => Lib.jr_size({|#0:blob.Raw|});
    int MarkSize(Mark mark) => Lib.jr_size({|#1:mark.Raw|});
    int AnySize(Entry entry) => Lib.jr_size({|#2:entry.Raw|});
}
public class Sheet : Line
{
    internal Sheet(Journal journal, IntPtr raw) : base(journal, raw) { }
    internal override void Unref(IntPtr raw) => Lib.jr_blob_free(Journal.Raw, raw);
}
class Printer
{
    int LineSize(Line line) => Lib.jr_size({|#3:line.Raw|});
}
", Deferred,
            Finding(0, "blob", "blob.Raw", "Lib.jr_size"),
            Finding(1, "mark", "mark.Raw", "Lib.jr_size"),
            Finding(2, "entry", "entry.Raw", "Lib.jr_size"),
            Finding(3, "line", "line.Raw", "Lib.jr_size"));

        [Fact]
        public Task TheFileDeclaringTheFinalizerSaysWhetherItsReleasesDefer()
        {
            // Test1.cs holds a class of a second journal mode whose releases free at once: its section empties the list,
            // and its finalizer's release counts again, though it goes through a forwarder of Test0.cs, whose list has it.
            var test = new AnalyzerTest<HandleOwnerLifetimeAnalyzer>
            {
                Source = Prelude + Journal + @"
class Reader
{
    int PageSize(Page page) => Lib.jr_size(page.Raw);
}
public sealed class Memo
{
    private IntPtr _raw;
    internal Memo(IntPtr raw) { _raw = raw; }
    ~Memo() { Api.Forget(IntPtr.Zero, _raw); }
    public int Size() => Lib.jr_size(_raw);
}
",
                EditorConfig = "root = true\n\n[*.cs]\n" + Deferred + "\n\n[Test1.cs]\ninteropguard.deferred_release_functions =\n",
            };
            test.AdditionalSources.Add(@"using System;
public sealed class Draft
{
    private IntPtr _raw;
    internal Draft(IntPtr raw) { _raw = raw; }
    ~Draft() { Api.Forget(IntPtr.Zero, _raw); }
    public int Size() => Lib.jr_size({|#0:_raw|});
}
");
            test.ExpectedDiagnostics.Add(Finding(0, "this", "_raw", "Lib.jr_size"));
            return test.RunAsync();
        }

        [Fact]
        public Task WithoutTheOptionEveryReleaseCounts() => Check(@"
class Reader
{
    int LineSize(Line line) => Lib.jr_size({|#0:line.Raw|});
    int PageSize(Page page) => Lib.jr_size({|#1:page.Raw|});
}
", null,
            Finding(0, "line", "line.Raw", "Lib.jr_size"),
            Finding(1, "page", "page.Raw", "Lib.jr_size"));
    }
}
