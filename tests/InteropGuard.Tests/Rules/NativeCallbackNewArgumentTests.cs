using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001 and a helper's null check of an argument that is an object just made (Flow/NewObjects): a <c>new</c>, a local
    /// declared with one, or the result of a factory of the library every return of which is a <c>new</c> cannot be null,
    /// so the helper's <c>if (tag is null) throw</c> cannot run, whether the callback's call is judged or named. A factory
    /// that may return null, a local given another value, or a factory that can be overridden, still counts; a helper that
    /// can also throw otherwise is named by that other throw.
    /// </summary>
    public class NativeCallbackNewArgumentTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""sample"")] public static extern void ack(int code);
}

class Tag
{
    public Tag(int id) { Id = id; }
    public int Id { get; }

    public static Tag Make(IntPtr p)
    {
        if (p.ToInt64() < 16)
        {
            return new Tag(0);
        }

        return new Tag(p.ToInt32());
    }

    public static Tag? MakeOrNone(IntPtr p) => p == IntPtr.Zero ? null : new Tag(1);

    public virtual Tag Copy() => new Tag(Id);
}

static class Loader
{
    public static void Read(Tag tag, bool strict)
    {
        if (tag is null)
        {
            throw new ArgumentNullException(nameof(tag));
        }

        Native.ack(tag.Id);
    }

    public static void ReadChecked(Tag tag, int limit)
    {
        if (tag is null)
        {
            throw new ArgumentNullException(nameof(tag));
        }

        if (tag.Id > limit)
        {
            throw new InvalidOperationException(""over the limit"");
        }

        Native.ack(tag.Id);
    }
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(int location, string callback, string operation)
            => Verify.Diagnostic("IG5001").WithLocation(location).WithMessage(
                "Callback '" + callback + "' is [UnmanagedCallersOnly], and '" + operation
                + "' may throw ('throw new ArgumentNullException(…)' in 'Read') outside a catch-all: an exception escaping to native code terminates the process");

        [Fact]
        public Task AnObjectJustMadeIsNeverNullForAHelpersCheck() => Check(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static int OnMade(IntPtr p)
    {
        var tag = Tag.Make(p);
        Loader.Read(tag, false);
        return 1;
    }

    [UnmanagedCallersOnly]
    static int OnNew(IntPtr p)
    {
        Loader.Read(new Tag(2), true);
        return 1;
    }
}");

        // The helper can still throw for another reason: the message names that throw, not the null check.
        [Fact]
        public Task AHelperThatAlsoThrowsOtherwiseIsNamedByTheOtherThrow() => Check(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static int {|#0:OnLimited|}(IntPtr p)
    {
        var tag = Tag.Make(p);
        Loader.ReadChecked(tag, 10);
        return 1;
    }
}", Verify.Diagnostic("IG5001").WithLocation(0).WithMessage(
            "Callback 'OnLimited' is [UnmanagedCallersOnly], and 'Loader.ReadChecked(tag, 10)' may throw ('throw new InvalidOperationException(…)' in 'ReadChecked') outside a catch-all: an exception escaping to native code terminates the process"));

        [Fact]
        public Task AFactoryThatMayReturnNullALocalGivenAnotherValueOrAnOverridableFactoryStillCounts() => Check(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static int {|#0:OnMaybe|}(IntPtr p)
    {
        var tag = Tag.MakeOrNone(p);
        Loader.Read(tag!, false);
        return 1;
    }

    [UnmanagedCallersOnly]
    static int {|#1:OnReplaced|}(IntPtr p)
    {
        var tag = Tag.Make(p);
        if (p == IntPtr.Zero)
        {
            tag = null;
        }

        Loader.Read(tag!, false);
        return 1;
    }

    static Tag s_last = new Tag(0);

    [UnmanagedCallersOnly]
    static int {|#2:OnCopied|}(IntPtr p)
    {
        Loader.Read(s_last.Copy(), false);
        return 1;
    }
}", Finding(0, "OnMaybe", "Loader.Read(tag!, false)"), Finding(1, "OnReplaced", "Loader.Read(tag!, false)"), Finding(2, "OnCopied", "Loader.Read(s_last.Copy(), false)"));
    }
}
