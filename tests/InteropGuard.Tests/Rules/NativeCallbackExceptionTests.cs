using System.Collections.Immutable;
using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Corpus;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG5001: callbacks native code calls whose exceptions can escape, and the look-alikes.</summary>
    public class NativeCallbackExceptionTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading.Tasks;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate int DataCallback(IntPtr data, int length);

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate void Notify(int code);

static class Native
{
    [DllImport(""sample"")] public static extern int sample_register_callback(DataCallback callback);
    [DllImport(""sample"")] public static extern void sample_run(Notify notify);
    [DllImport(""sample"")] public static extern void sample_run_pointer(IntPtr callback);
    [DllImport(""sample"")] public static extern int sample_sort(IntPtr items, int count, Comparison<int> compare);
}

static class Parser
{
    public static int Parse(IntPtr data, int length) => length >= 0 ? length : throw new ArgumentOutOfRangeException(nameof(length));
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(int location, string callback, string how, string operation, string? inside = null, string? besides = null)
            => Verify.Diagnostic("IG5001").WithLocation(location).WithMessage(
                "Callback '" + callback + "' " + how + ", and '" + operation + "' may throw " + Inside(inside, besides) + "outside a catch-all: an exception escaping to native code terminates the process");

        // Where the exception starts inside the library's own helper the callback calls, as the message names it, and the
        // user's code the callback also runs.
        private static string Inside(string? inside, string? besides)
            => (inside == null ? string.Empty : "(" + inside + ")" + (besides == null ? " " : ", "))
               + (besides == null ? string.Empty : "as may " + besides + ", ");

        private static string By(string function) => "is called by native function '" + function + "'";

        // ---- positives ----

        // The user's delegate alone would be IG5002; the callback's own code can throw too, so it is IG5001 and names that,
        // and the user's delegate beside it.
        [Fact]
        public Task NamesAnOwnThrowPointRatherThanTheUserDelegate() => Check(@"
public static class Exports
{
    public static Func<int, int> s_handler = x => x;
    static int[] s_counts = new int[4];

    [UnmanagedCallersOnly]
    static int {|#0:OnData|}(IntPtr data, int length)
    {
        s_counts[0]++;
        var parsed = Parser.Parse(data, length);
        return s_handler(parsed);
    }
}", Finding(0, "OnData", "is [UnmanagedCallersOnly]", "Parser.Parse(data, length)", inside: "'throw new ArgumentOutOfRangeException(…)' in 'Parse'",
                besides: "'s_handler(parsed)', which invokes the user's delegate 's_handler'"));

        [Fact]
        public Task NamesAnExplicitThrowBeforeAnyCall() => Check(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static int {|#0:OnData|}(IntPtr data, int length)
    {
        var parsed = Parser.Parse(data, length);
        if (parsed < 0) throw new InvalidOperationException(""negative"");
        return parsed;
    }
}", Finding(0, "OnData", "is [UnmanagedCallersOnly]", "throw new InvalidOperationException(\"negative\")"));

        [Fact]
        public Task UnmanagedCallersOnlyMethod() => Check(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static int {|#0:OnData|}(IntPtr data, int length)
    {
        return Parser.Parse(data, length);
    }
}", Finding(0, "OnData", "is [UnmanagedCallersOnly]", "Parser.Parse(data, length)", inside: "'throw new ArgumentOutOfRangeException(…)' in 'Parse'"));

        [Fact]
        public Task UnmanagedCallersOnlyExpressionBodyTakenByAddress() => Check(@"
static unsafe class Exports
{
    [UnmanagedCallersOnly]
    static int {|#0:OnData|}(IntPtr data, int length) => Parser.Parse(data, length);

    static delegate* unmanaged<IntPtr, int, int> Pointer() => &OnData;
}", Finding(0, "OnData", "is [UnmanagedCallersOnly]", "Parser.Parse(data, length)", inside: "'throw new ArgumentOutOfRangeException(…)' in 'Parse'"));

        [Fact]
        public Task LambdaPassedDirectly() => Check(@"
class C
{
    void Register() => Native.sample_register_callback((data, length) {|#0:=>|} Parser.Parse(data, length));
}", Finding(0, "(data, length) => …", By("sample_register_callback"), "Parser.Parse(data, length)", inside: "'throw new ArgumentOutOfRangeException(…)' in 'Parse'"));

        [Fact]
        public Task SimpleLambdaThatThrows() => Check(@"
class C
{
    void Run() => Native.sample_run(code {|#0:=>|} { if (code < 0) throw new InvalidOperationException(""failed""); });
}", Finding(0, "code => …", By("sample_run"), "throw new InvalidOperationException(\"failed\")"));

        [Fact]
        public Task MethodGroupPassedTwiceIsOneFinding() => Check(@"
class C
{
    private readonly List<int> codes = new List<int>();

    void {|#0:OnNotify|}(int code) => codes.Add(Parser.Parse(IntPtr.Zero, code));

    void RunTwice()
    {
        Native.sample_run(OnNotify);
        Native.sample_run(new Notify(OnNotify));
    }
}", Finding(0, "OnNotify", By("sample_run"), "Parser.Parse(IntPtr.Zero, code)", inside: "'throw new ArgumentOutOfRangeException(…)' in 'Parse'"));

        // One callback handed to native code from several types: each type's hand-overs are collected by that type's
        // own analysis, in whatever order concurrent analysis finishes the types. The finding names the first
        // hand-over in source order over the whole compilation, not the first type analyzed.
        private const string HandedOverBySeveralTypes = @"
static class Events
{
    [DllImport(""events"")] public static extern void events_on_open(Notify notify);
    [DllImport(""events"")] public static extern void events_on_read(Notify notify);
    [DllImport(""events"")] public static extern void events_on_write(Notify notify);
    [DllImport(""events"")] public static extern void events_on_close(Notify notify);
}

partial class CloseWatcher
{
    void Start() => Events.events_on_close(Handlers.OnEvent);
}

static class Handlers
{
    public static void {|#0:OnEvent|}(int code)
    {
        if (code < 0) throw new InvalidOperationException(""negative"");
    }
}

class ReadWatcher
{
    void Start() => Events.events_on_read(Handlers.OnEvent);
}

class WriteWatcher
{
    void Start() => Events.events_on_write(Handlers.OnEvent);
}

partial class CloseWatcher
{
    void Stop() { }
}

class OpenWatcher
{
    void Start() => Events.events_on_open(new Notify(Handlers.OnEvent));
}
";

        [Fact]
        public Task MethodHandedOverBySeveralTypesIsNamedAfterItsFirstHandOver()
            => Check(HandedOverBySeveralTypes, Finding(0, "OnEvent", By("events_on_close"), "throw new InvalidOperationException(\"negative\")"));

        [Fact]
        public async Task MethodHandedOverBySeveralTypesIsNamedTheSameInEveryConcurrentRun()
        {
            var source = Prelude + HandedOverBySeveralTypes.Replace("{|#0:", string.Empty).Replace("|}", string.Empty);
            var project = TestProject.Create(new[] { source }, TestProjectOptions.Default);
            var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new NativeCallbackExceptionAnalyzer());
            var sequential = await AnalyzerRunner.AnalyzeAsync(project, analyzers, allowCompilerErrors: false, "test source");
            var finding = Assert.Single(sequential.AnalyzerDiagnostics);
            Assert.Contains("is called by native function 'events_on_close'", finding.GetMessage(), System.StringComparison.Ordinal);
            await ConcurrentAnalysisTests.AssertConcurrentRunsAgreeAsync(sequential, analyzers, rounds: 30);
        }

        // The search for hand-overs finds the members that use a callback's name from where the text spells it; a
        // name written with a Unicode escape is not spelled, so the first hand-over here would be missed and the later
        // one named, unless the escaped tree is read token by token.
        [Fact]
        public Task FirstHandOverSpelledWithAUnicodeEscapeIsStillTheOneNamed() => Check(@"
static class Events
{
    [DllImport(""events"")] public static extern void events_on_open(Notify notify);
    [DllImport(""events"")] public static extern void events_on_close(Notify notify);
}

class CloseWatcher
{
    void Start() => Events.events_on_close(Handlers.\u004FnEvent);
}

static class Handlers
{
    public static void {|#0:OnEvent|}(int code)
    {
        if (code < 0) throw new InvalidOperationException(""negative"");
    }
}

class OpenWatcher
{
    void Start() => Events.events_on_open(Handlers.OnEvent);
}
", Finding(0, "OnEvent", By("events_on_close"), "throw new InvalidOperationException(\"negative\")"));

        // A tree with a backslash or a character outside ASCII anywhere (here a "\n" in a string) is one whose names may
        // be spelled otherwise; the search reads the tokens only of its members whose text spells the name or holds such a
        // character. The first hand-over is spelled plainly in a member with neither: it is still the one named.
        [Fact]
        public Task FirstHandOverSpelledPlainlyInATreeWithAnEscapedStringIsStillTheOneNamed() => Check(@"
static class Events
{
    [DllImport(""events"")] public static extern void events_on_open(Notify notify);
    [DllImport(""events"")] public static extern void events_on_close(Notify notify);
}

class CloseWatcher
{
    void Start() => Events.events_on_close(Handlers.OnEvent);
}

static class Handlers
{
    public static void {|#0:OnEvent|}(int code)
    {
        if (code < 0) throw new InvalidOperationException(""negative\n"");
    }
}

class OpenWatcher
{
    void Start() => Events.events_on_open(Handlers.OnEvent);
}
", Finding(0, "OnEvent", By("events_on_close"), "throw new InvalidOperationException(\"negative\\n\")"));

        // A formatting character inside an identifier (a soft hyphen, U+00AD) is dropped by the compiler: 'On\u00ADEvent'
        // written with the character itself names OnEvent, though the text never spells it. The member holding it is read.
        [Fact]
        public Task FirstHandOverSpelledWithAFormattingCharacterIsStillTheOneNamed() => Check(@"
static class Events
{
    [DllImport(""events"")] public static extern void events_on_open(Notify notify);
    [DllImport(""events"")] public static extern void events_on_close(Notify notify);
}

class CloseWatcher
{
    void Start() => Events.events_on_close(Handlers.On\u00ADEvent);
}

static class Handlers
{
    public static void {|#0:OnEvent|}(int code)
    {
        if (code < 0) throw new InvalidOperationException(""negative"");
    }
}

class OpenWatcher
{
    void Start() => Events.events_on_open(Handlers.OnEvent);
}
".Replace("\\u00AD", "\u00AD"), Finding(0, "OnEvent", By("events_on_close"), "throw new InvalidOperationException(\"negative\")"));

        // The search keeps a member that uses a callback's name only if some use is not a call of it, and reads only the
        // uses the identifier record found. Here the record's comment skip starts at the "//" inside the string and hides
        // the rest of that line, the first hand-over; the member's only recorded use is a plain call of the callback. A member
        // whose text holds a '/' is read token by token, so the hidden hand-over is still found and named.
        [Fact]
        public Task FirstHandOverAfterACommentMarkerInAStringIsStillTheOneNamed() => Check(@"
static class Events
{
    [DllImport(""events"")] public static extern void events_on_open(Notify notify);
    [DllImport(""events"")] public static extern void events_on_close(Notify notify);
}

class CloseWatcher
{
    void Start()
    {
        Handlers.OnEvent(0);
        var origin = ""https://example.org/events""; Events.events_on_close(Handlers.OnEvent);
    }
}

static class Handlers
{
    public static void {|#0:OnEvent|}(int code)
    {
        if (code < 0) throw new InvalidOperationException(""negative"");
    }
}

class OpenWatcher
{
    void Start() => Events.events_on_open(Handlers.OnEvent);
}
", Finding(0, "OnEvent", By("events_on_close"), "throw new InvalidOperationException(\"negative\")"));

        [Fact]
        public Task MethodStoredInAFieldAndHandedOverBySeveralTypesIsNamedAfterItsFirstHandOver() => Check(@"
static class Events
{
    [DllImport(""events"")] public static extern void events_on_open(Notify notify);
    [DllImport(""events"")] public static extern void events_on_close(Notify notify);
}

partial class CloseWatcher
{
    void Start() => Events.events_on_close(Handlers.Stored);
}

static class Handlers
{
    public static readonly Notify Stored = OnEvent;

    static void {|#0:OnEvent|}(int code)
    {
        if (code < 0) throw new InvalidOperationException(""negative"");
    }
}

class OpenWatcher
{
    void Start() => Events.events_on_open(Handlers.Stored);
}

partial class CloseWatcher
{
    void Stop() { }
}
", Finding(0, "OnEvent", By("events_on_close"), "throw new InvalidOperationException(\"negative\")"));

        [Fact]
        public Task LambdaStoredThroughALocalInAFieldAndHandedOverBySeveralTypesIsNamedAfterItsFirstHandOver() => Check(@"
static class Events
{
    [DllImport(""events"")] public static extern void events_on_open(Notify notify);
    [DllImport(""events"")] public static extern void events_on_close(Notify notify);
}

partial class CloseWatcher
{
    void Start() => Events.events_on_close(Handlers.Stored);
}

static class Handlers
{
    public static Notify Stored = code => { };

    public static void Install()
    {
        Notify handler = code {|#0:=>|} { if (code < 0) throw new InvalidOperationException(""negative""); };
        Stored = handler;
    }
}

class OpenWatcher
{
    void Start() => Events.events_on_open(Handlers.Stored);
}

partial class CloseWatcher
{
    void Stop() { }
}
", Finding(0, "code => …", By("events_on_close"), "throw new InvalidOperationException(\"negative\")"));

        // The search for hand-overs follows only fields a delegate can be kept in, and 'object' is one of them: this
        // callback reaches both native functions through an object-typed field filled from a local.
        [Fact]
        public Task LambdaKeptInAnObjectFieldAndHandedOverBySeveralTypesIsNamedAfterItsFirstHandOver() => Check(@"
static class Events
{
    [DllImport(""events"")] public static extern void events_on_open(Notify notify);
    [DllImport(""events"")] public static extern void events_on_close(Notify notify);
}

partial class CloseWatcher
{
    void Start() => Events.events_on_close((Notify)Handlers.Kept);
}

static class Handlers
{
    public static object Kept = new object();
    static IntPtr s_handle;

    public static void Install()
    {
        Notify handler = code {|#0:=>|} { if (code < 0) throw new InvalidOperationException(""negative""); };
        Kept = handler;
        var handle = IntPtr.Zero;
        s_handle = handle;
    }
}

class OpenWatcher
{
    void Start() => Events.events_on_open((Notify)Handlers.Kept);
}

partial class CloseWatcher
{
    void Stop() { }
}
", Finding(0, "code => …", By("events_on_close"), "throw new InvalidOperationException(\"negative\")"));

        // Calling a callback is not handing it over: the earlier type only calls it, so the later one's native function is named.
        [Fact]
        public Task MethodCalledByOneTypeAndHandedOverByAnotherIsNamedAfterTheHandOver() => Check(@"
static class Events
{
    [DllImport(""events"")] public static extern void events_on_open(Notify notify);
}

class CloseWatcher
{
    void Stop()
    {
        Handlers.OnEvent(0);
        Handlers.OnEvent(code: 1);
    }
}

static class Handlers
{
    public static void {|#0:OnEvent|}(int code)
    {
        if (code < 0) throw new InvalidOperationException(""negative"");
    }
}

class OpenWatcher
{
    void Start() => Events.events_on_open(Handlers.OnEvent);
}
", Finding(0, "OnEvent", By("events_on_open"), "throw new InvalidOperationException(\"negative\")"));

        [Fact]
        public Task LambdaThroughLocal() => Check(@"
class C
{
    void Run(Dictionary<int, string> names)
    {
        Notify notify = code {|#0:=>|} Console.Out.WriteLine(names[code]);
        Native.sample_run(notify);
    }
}", Finding(0, "code => …", By("sample_run"), "Console.Out.WriteLine(names[code])"));

        [Fact]
        public Task LambdaInFieldThatIsPassed() => Check(@"
class C
{
    private static readonly DataCallback Callback = (data, length) {|#0:=>|} Parser.Parse(data, length);
    private Notify? notify;

    void Init() => notify = code {|#1:=>|} Console.Out.WriteLine(code);

    void Register()
    {
        Native.sample_register_callback(Callback);
        Native.sample_run(notify!);
    }
}", Finding(0, "(data, length) => …", By("sample_register_callback"), "Parser.Parse(data, length)", inside: "'throw new ArgumentOutOfRangeException(…)' in 'Parse'"),
    Finding(1, "code => …", By("sample_run"), "Console.Out.WriteLine(code)"));

        // The stores of a field are found where its type's text spells its name (NativeCallbacks.StoreCandidates): a
        // verbatim name, a qualified target, a nested type's store; the name in a comment, a string, a longer identifier
        // or a local of the same name stores nothing.
        [Fact]
        public Task LambdasStoredInAFieldUnderEverySpellingOfItsNameAreFound() => Check(@"
class C
{
    // notify = code => throw new InvalidOperationException(); is a comment, no store.
    private Notify? notify;
    private int notifyCount;

    void Init() => @notify = code {|#0:=>|} Console.Out.WriteLine(code);

    void Again() => this.notify = code {|#1:=>|} Console.Out.WriteLine(code + 1);

    void Local()
    {
        Notify notify = code => throw new InvalidOperationException(""notify = "" + code);
        notifyCount = notify == null ? 0 : 1;
    }

    class Inner
    {
        void Reset(C outer) => outer.notify = code {|#2:=>|} Console.Out.WriteLine(code + 2);
    }

    void Register() => Native.sample_run(notify!);
}", Finding(0, "code => …", By("sample_run"), "Console.Out.WriteLine(code)"),
    Finding(1, "code => …", By("sample_run"), "Console.Out.WriteLine(code + 1)"),
    Finding(2, "code => …", By("sample_run"), "Console.Out.WriteLine(code + 2)"));

        // A \u escape spells the name otherwise than the text: that tree's type is walked.
        [Fact]
        public Task LambdaStoredInAFieldThroughAnEscapedNameIsFound() => Check(@"
class C
{
    private Notify? notify;

    void Init() => n\u006Ftify = code {|#0:=>|} Console.Out.WriteLine(code);

    void Register() => Native.sample_run(notify!);
}", Finding(0, "code => …", By("sample_run"), "Console.Out.WriteLine(code)"));

        [Fact]
        public Task LocalFunction() => Check(@"
class C
{
    void Run(int[] table)
    {
        Native.sample_run(Report);

        void {|#0:Report|}(int code)
        {
            table[code]++;
        }
    }
}", Finding(0, "Report", By("sample_run"), "table[code]"));

        [Fact]
        public Task ThroughManagedWrapper() => Check(@"
class Session
{
    public void OnNotify(Notify callback) => Native.sample_run(callback);
}

class C
{
    void Run(Session session) => session.OnNotify(code {|#0:=>|} Console.Out.WriteLine(code));
}", Finding(0, "code => …", By("sample_run"), "Console.Out.WriteLine(code)"));

        [Fact]
        public Task GetFunctionPointerForDelegate() => Check(@"
class C
{
    private static Notify? keep;

    void Run()
    {
        keep = new Notify(Handle);
        Native.sample_run_pointer(Marshal.GetFunctionPointerForDelegate(keep));
    }

    static void {|#0:Handle|}(int code) => Console.Out.WriteLine(code);
}", Finding(0, "Handle", "is turned into a native function pointer by 'Marshal.GetFunctionPointerForDelegate'", "Console.Out.WriteLine(code)"));

        [Fact]
        public Task CatchWithFilterOrSpecificTypeIsNotACatchAll() => Check(@"
class C
{
    void Run()
    {
        Native.sample_run(code {|#0:=>|}
        {
            try { Console.Out.WriteLine(code); }
            catch (InvalidOperationException) { }
            catch (Exception e) when (e is ArgumentException) { }
        });
    }
}", Finding(0, "code => …", By("sample_run"), "Console.Out.WriteLine(code)"));

        [Fact]
        public Task RethrowInCatchAllEscapes() => Check(@"
class C
{
    void Run()
    {
        Native.sample_run(code {|#0:=>|}
        {
            try { Console.Out.WriteLine(code); }
            catch (Exception) { throw; }
        });
    }
}", Finding(0, "code => …", By("sample_run"), "throw"));

        [Fact]
        public Task CastAndCheckedArithmetic() => Check(@"
class C
{
    static object? state;

    [UnmanagedCallersOnly]
    static int {|#0:Unbox|}() => (int)state!;

    [UnmanagedCallersOnly]
    static int {|#1:Add|}(int a, int b) => checked(a + b);
}", Finding(0, "Unbox", "is [UnmanagedCallersOnly]", "(int)state!"),
    Finding(1, "Add", "is [UnmanagedCallersOnly]", "a + b"));

        [Fact]
        public Task AsyncLambdaIsAFindingOfItsOwn() => Check(@"
class C
{
    void Run() => Native.sample_run(async code {|#0:=>|} await Task.Delay(code));
}", Verify.Diagnostic("IG5001").WithLocation(0).WithMessage(
            "Callback 'code => …' is called by native function 'sample_run', and 'await Task.Delay(code)' may throw in an async callback: the native caller resumes at the first await, and an exception after it terminates the process where no caller can catch it"));

        [Fact]
        public Task AsyncVoidMethodGroup() => Check(@"
class C
{
    async void {|#0:OnNotify|}(int code) => await Task.Delay(code);

    void Run() => Native.sample_run(OnNotify);
}", Verify.Diagnostic("IG5001").WithLocation(0).WithMessage(
            "Callback 'OnNotify' is called by native function 'sample_run', and 'await Task.Delay(code)' may throw in an async callback: the native caller resumes at the first await, and an exception after it terminates the process where no caller can catch it"));

        // The nested callback is reported on its own; the outer one only makes a native call, which is not a throw point
        // (an exception the nested callback raises has already torn the process down inside the native frame).
        [Fact]
        public Task AnonymousMethodAndCallbackNestedInCallback() => Check(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static void Start()
    {
        Native.sample_run({|#1:delegate|} (int code) { Console.Out.WriteLine(code); });
    }
}", Finding(1, "delegate { … }", By("sample_run"), "Console.Out.WriteLine(code)"));

        [Fact]
        public Task CallbackDeclaredInGeneratedCodeIsNotReported()
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + @"
partial class C
{
    void Run() => Native.sample_run(OnNotify);
}" };
            test.AdditionalSources.Add(@"// <auto-generated/>
partial class C
{
    void OnNotify(int code) => System.Console.Out.WriteLine(code);
}");
            return test.RunAsync();
        }

        [Fact]
        public Task ExceptionsCaughtOnlyOutsideTheCallbackStillEscape() => Check(@"
class C
{
    void Run()
    {
        try
        {
            Native.sample_run(code {|#0:=>|} Console.Out.WriteLine(code));
        }
        catch (Exception)
        {
        }
    }
}", Finding(0, "code => …", By("sample_run"), "Console.Out.WriteLine(code)"));

        [Fact]
        public Task FinallyOfCatchAllTryIsNotCovered() => Check(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static void {|#0:Flush|}()
    {
        try { Console.Out.Flush(); }
        catch (Exception) { }
        finally { Console.Error.Flush(); }
    }
}", Finding(0, "Flush", "is [UnmanagedCallersOnly]", "Console.Error.Flush()"));

        // ---- look-alikes ----

        [Fact]
        public Task CatchAllCoversTheBody() => Check(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static int OnData(IntPtr data, int length)
    {
        try
        {
            return Parser.Parse(data, length);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine(e);
            return -1;
        }
    }

    [UnmanagedCallersOnly]
    static int Bare()
    {
        try { return Parser.Parse(IntPtr.Zero, 0); }
        catch { return -1; }
    }
}");

        [Fact]
        public Task BodiesThatCannotThrow() => Check(@"
static class Exports
{
    private static int count;
    private static int last;

    [UnmanagedCallersOnly]
    static int Count(int delta)
    {
        count += delta * 2;
        last = delta;
        return 0;
    }

    [UnmanagedCallersOnly]
    static int Constant() => 42;
}

class C
{
    private int seen;

    void Run() => Native.sample_run(code => seen = code + 1);
}");

        [Fact]
        public Task DelegatesNotHandedToNativeCode() => Check(@"
class C
{
    void Run(List<int> items)
    {
        Notify notify = code => Console.Out.WriteLine(code);
        notify(1);
        items.ForEach(i => Console.Out.WriteLine(i));
        Action later = () => Console.Out.WriteLine(items.Count);
        later();
    }

    static int Parse(IntPtr data, int length) => Parser.Parse(data, length);
}");

        [Fact]
        public Task NestedLambdaIsNotPartOfTheCallback() => Check(@"
class C
{
    private Action? pending;

    void Run() => Native.sample_run(code => pending = () => Console.Out.WriteLine(code));
}");

        [Fact]
        public Task UnknownDelegateSourceIsNotFollowed() => Check(@"
class C
{
    void Run(Notify fromCaller) => Native.sample_run(fromCaller);
}");
    }
}
