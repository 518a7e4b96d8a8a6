using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001 and the text read at an address a guard showed non-zero (Flow/InfallibleCalls, <c>IsNeverNull</c>): a
    /// native enumeration hands a name that is either a small id or the address of a string; past
    /// <c>if (p.ToInt64() &lt; 0x10000) return …;</c> the marshalled string is never null, so a constructor's
    /// <c>?? throw</c> on it cannot run. Without the guard, or with a guard that lets zero through, it still can.
    /// </summary>
    public class NativeCallbackNonZeroAddressTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""sample"")] public static extern void ack(int code);
}

sealed class Label
{
    public Label(string text) { Text = text ?? throw new ArgumentNullException(nameof(text)); }
    public Label(int id) { Text = ""#"" + id; }
    public string Text { get; }

    public static Label FromName(IntPtr name)
    {
        if (name.ToInt64() < 0x10000)
        {
            return new Label(name.ToInt32());
        }

        return new Label(Marshal.PtrToStringUni(name));
    }

    public static Label FromNameOrZero(IntPtr name)
    {
        if (name.ToInt64() < 0)
        {
            return new Label(0);
        }

        return new Label(Marshal.PtrToStringUni(name));
    }

    public static Label Unchecked(IntPtr name) => new Label(Marshal.PtrToStringAnsi(name));
}

enum Kind { Unknown = 0, Cursor = 1, Bitmap = 2 }

static class Kinds
{
    public static Kind Of(IntPtr id) => id.ToInt64() < 0x10000 && Enum.IsDefined(typeof(Kind), id.ToInt32()) ? (Kind)id.ToInt32() : Kind.Unknown;

    public static Kind OfLong(long id) => Enum.IsDefined(typeof(Kind), id) ? (Kind)id : Kind.Unknown;
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
                + "' may throw ('throw new ArgumentNullException(…)' in 'new Label') outside a catch-all: an exception escaping to native code terminates the process");

        [Fact]
        public Task TextAtAnAddressPastASmallIdGuardIsNeverNull() => Check(@"
static class Exports
{
    static readonly List<Label> s_seen = new List<Label>();

    [UnmanagedCallersOnly]
    static int OnName(IntPtr module, IntPtr name)
    {
        s_seen.Add(Label.FromName(name));
        return 1;
    }
}");

        [Fact]
        public Task TextAtAnAddressThatMayBeZeroStillThrows() => Check(@"
static class Exports
{
    static readonly List<Label> s_seen = new List<Label>();

    [UnmanagedCallersOnly]
    static int {|#0:OnNameOrZero|}(IntPtr module, IntPtr name)
    {
        s_seen.Add(Label.FromNameOrZero(name));
        return 1;
    }

    [UnmanagedCallersOnly]
    static int {|#1:OnUnchecked|}(IntPtr module, IntPtr name)
    {
        s_seen.Add(Label.Unchecked(name));
        return 1;
    }
}", Finding(0, "OnNameOrZero", "Label.FromNameOrZero(name)"), Finding(1, "OnUnchecked", "Label.Unchecked(name)"));

        // Enum.IsDefined of a value of the enum's underlying type answers; of another type it throws.
        [Fact]
        public Task IsDefinedOfTheUnderlyingTypeCannotThrowButOfAnotherTypeCan() => Check(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static int OnType(IntPtr module, IntPtr type)
    {
        Native.ack((int)Kinds.Of(type));
        return 1;
    }

    [UnmanagedCallersOnly]
    static int {|#0:OnLongType|}(IntPtr module, long type)
    {
        Native.ack((int)Kinds.OfLong(type));
        return 1;
    }
}", Verify.Diagnostic("IG5001").WithLocation(0));
    }
}
