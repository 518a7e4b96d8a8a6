using System.Threading.Tasks;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// Formatting a fixed text cannot fail on input (Flow/InfallibleCalls): <c>string.Format</c> of a constant, a static
    /// read-only field or a resource accessor (a static get-only property), filled with strings and primitive values, fails
    /// only when the text itself is malformed, on every run of the call. JavaScriptEngineSwitcher's host bridges format
    /// their error messages that way before reporting them to the script. Also <c>Type.GetTypeCode</c>, which answers
    /// <c>Empty</c> for null. Look-alikes: a format passed in, an argument whose own <c>ToString</c> runs.
    /// </summary>
    public class NativeCallbackFixedFormatTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""engine"")] public static extern void engine_set_error([MarshalAs(UnmanagedType.LPUTF8Str)] string message);
}

static class Messages
{
    public const string Missing = ""Member '{0}' of '{1}' was not found"";
    public static readonly string Frozen = ""Object '{0}' is frozen ({1})"";
    internal static string NotWritable
    {
        get { return ""Field '{0}' cannot be written""; }
    }
}

sealed class Member
{
    public override string ToString() => throw new NotSupportedException();
}
";

        private static Task Check(string source, params DiagnosticResult[] expected) => CallbackExceptionExpectations.Check(Prelude + source, expected);

        private static DiagnosticResult Finding(string operation, string? inside = null) => CallbackExceptionExpectations.Unmanaged("OnCall", operation, inside);

        [Fact]
        public Task FormattingAResourceWithPlainValuesDoesNotThrow() => Check(@"
static class Exports
{
    static readonly string s_type = ""Host"";

    [UnmanagedCallersOnly]
    static unsafe void OnCall(int id, double scale)
    {
        Native.engine_set_error(string.Format(Messages.NotWritable, ""name""));
        Native.engine_set_error(string.Format(Messages.Missing, id, s_type));
        Native.engine_set_error(string.Format(Messages.Frozen, scale, 'x'));
        Native.engine_set_error(string.Format(""{0} {1} {2} {3}"", id, scale, true, ""four""));
    }
}");

        [Fact]
        public Task TheTypeCodeOfAnyTypeIsKnown() => Check(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static void OnCall(IntPtr value)
    {
        var code = Type.GetTypeCode(GCHandle.FromIntPtr(value).Target?.GetType());
        Native.engine_set_error(code == TypeCode.Empty ? ""none"" : ""some"");
    }
}");

        // Look-alike: the format comes from the caller; it may be anything.
        [Fact]
        public Task AFormatPassedInStillThrows() => Check(@"
static class Exports
{
    static string s_format = ""{0}"";

    [UnmanagedCallersOnly]
    static void {|#0:OnCall|}(int id)
    {
        Native.engine_set_error(string.Format(s_format, id));
    }
}", Finding("string.Format(s_format, id)"));

        // Look-alike: an argument whose own ToString runs during the formatting.
        [Fact]
        public Task AnObjectArgumentStillThrows() => Check(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static void {|#0:OnCall|}(IntPtr value)
    {
        var member = (Member)GCHandle.FromIntPtr(value).Target!;
        Native.engine_set_error(string.Format(Messages.Missing, member, ""host""));
    }
}", Finding("string.Format(Messages.Missing, member, \"host\")"));
    }
}
