using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001 names, besides the call at the callback's level, the operation inside the library's own helpers where the
    /// exception starts (Flow/ThrowOrigins.Inside): followed through several helpers, read with what each call passes,
    /// bounded on recursion, and left out when the helper cannot be read.
    /// </summary>
    public class NativeCallbackInnermostThrowTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""sample"")] public static extern void ack(int code);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(int location, string callback, string operation, string? inside)
            => Verify.Diagnostic("IG5001").WithLocation(location).WithMessage(
                "Callback '" + callback + "' is [UnmanagedCallersOnly], and '" + operation + "' may throw "
                + (inside == null ? string.Empty : "(" + inside + ") ")
                + "outside a catch-all: an exception escaping to native code terminates the process");

        // Two helpers deep: the parse two calls below is what the reader has to judge, not the helper at the top.
        [Fact]
        public Task NamesTheOperationTwoHelpersDown() => Check(@"
static class Exports
{
    static string Name(IntPtr text) => Marshal.PtrToStringUTF8(text) ?? ""0"";

    static int Level(string name) => int.Parse(name);

    static int Decode(IntPtr text)
    {
        var name = Name(text);
        return Level(name);
    }

    [UnmanagedCallersOnly]
    static void {|#0:OnLevel|}(IntPtr text) => Native.ack(Decode(text));
}", Finding(0, "OnLevel", "Decode(text)", "'int.Parse(name)' in 'Level'"));

        // At each level the likeliest operation wins (an explicit throw before a call), the first in source order among equals.
        [Fact]
        public Task AtEachLevelTheLikeliestOperationIsFollowed() => Check(@"
static class Exports
{
    static int Checked(int code)
    {
        var text = code.ToString();
        if (code < 0)
            throw new ArgumentOutOfRangeException(nameof(code));
        return int.Parse(text);
    }

    static int Both(int code) => Checked(code) + int.Parse(""7"");

    [UnmanagedCallersOnly]
    static void {|#0:OnCode|}(int code) => Native.ack(Both(code));
}", Finding(0, "OnCode", "Both(code)", "'throw new ArgumentOutOfRangeException(…)' in 'Checked'"));

        // The helper is told that its parameter holds the callback's context, as its summary is: the registry lookup keyed
        // by it is not a throw point there, so the operation named is the lookup by name after it.
        [Fact]
        public Task ReadsTheHelperWithTheContextItsCallPasses() => Check(@"
static class Exports
{
    static readonly Dictionary<IntPtr, string> s_names = new Dictionary<IntPtr, string>();
    static readonly Dictionary<string, int> s_levels = new Dictionary<string, int>();

    static int Resolve(IntPtr context)
    {
        var name = s_names[context];
        return s_levels[name];
    }

    [UnmanagedCallersOnly]
    static void {|#0:OnContext|}(IntPtr context) => Native.ack(Resolve(context));
}", Finding(0, "OnContext", "Resolve(context)", "'s_levels[name]' in 'Resolve'"));

        // A recursive helper ends at the depth bound, naming what it reached there, the same on every run.
        [Fact]
        public Task RecursionEndsAtTheDepthBound() => Check(@"
static class Exports
{
    static int Walk(int depth, string text)
    {
        if (depth > 0)
            return Walk(depth - 1, text);
        return int.Parse(text);
    }

    [UnmanagedCallersOnly]
    static void {|#0:OnWalk|}(int depth) => Native.ack(Walk(depth, ""12""));
}", Finding(0, "OnWalk", "Walk(depth, \"12\")", "'Walk(depth - 1, text)' in 'Walk'"));

        // A throw in the callback's own body, and a helper the model does not read (a virtual member of a public class,
        // which the user may override), are named as before, with nothing in parentheses.
        [Fact]
        public Task OwnThrowsAndUnreadHelpersNameNothingInside() => Check(@"
public class Sink
{
    public virtual int Put(int code) => code < 0 ? throw new ArgumentOutOfRangeException(nameof(code)) : code;
}

static class Exports
{
    static readonly Sink s_sink = new Sink();

    [UnmanagedCallersOnly]
    static void {|#0:OnOwn|}(int code)
    {
        if (code < 0)
            throw new InvalidOperationException(""negative"");
        Native.ack(code);
    }

    [UnmanagedCallersOnly]
    static void {|#1:OnSink|}(int code) => Native.ack(s_sink.Put(code));
}",
            Finding(0, "OnOwn", "throw new InvalidOperationException(\"negative\")", null),
            Finding(1, "OnSink", "s_sink.Put(code)", null));
    }
}
