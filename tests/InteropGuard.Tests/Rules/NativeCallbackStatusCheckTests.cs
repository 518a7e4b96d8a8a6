using System.Threading.Tasks;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001 names a check of a native call's status (a helper of the library given a P/Invoke's result, whose body raises
    /// nothing but its own throws) only when nothing else of the callback's own code can throw: whether the native function
    /// can fail there is the native side's knowledge, while a conversion or a parse in managed code fails on the input
    /// (found on JavaScriptEngineSwitcher's host bridges, which named the engine's error checks and not the overflowing
    /// conversion of a host value). A callback whose only own exceptions are such checks is still reported, naming the
    /// check (NAudio's driver enumeration, where the query of a driver's details fails for a broken driver).
    /// </summary>
    public class NativeCallbackStatusCheckTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""engine"")] public static extern int engine_add_ref(IntPtr value, out uint count);
    [DllImport(""engine"")] public static extern int engine_make_number(int value, out IntPtr result);
    [DllImport(""engine"")] public static extern void engine_log(int code);
}

sealed class EngineException : Exception
{
    public EngineException(int code) : base(""engine error "" + code) { }
}

static class Errors
{
    public static void ThrowIfError(int code)
    {
        if (code != 0)
        {
            switch (code)
            {
                case 1: throw new InvalidOperationException(""wrong thread"");
                case 2: throw new ArgumentException(""bad argument"");
                default: throw new EngineException(code);
            }
        }
    }
}
";

        private static Task Check(string source, params DiagnosticResult[] expected) => CallbackExceptionExpectations.Check(Prelude + source, expected);

        private static DiagnosticResult Finding(string operation, string? inside = null) => CallbackExceptionExpectations.Unmanaged("OnCall", operation, inside);

        [Fact]
        public Task TheConversionIsNamedBeforeTheStatusCheckOfANativeCall() => Check(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static void {|#0:OnCall|}(IntPtr value, long host)
    {
        Errors.ThrowIfError(Native.engine_add_ref(value, out _));
        Native.engine_log(Convert.ToInt32(host));
    }
}", Finding("Convert.ToInt32(host)"));

        // The same through a local every write of which is a native call's result, and inside a helper: the helper that
        // makes a number only checks the engine's status, the mapping helper's own conversion can overflow.
        [Fact]
        public Task InsideAHelperTheStatusCheckThroughALocalIsNamedLast() => Check(@"
static class Exports
{
    static IntPtr FromInt32(int number)
    {
        IntPtr result;
        int code = Native.engine_make_number(number, out result);
        Errors.ThrowIfError(code);
        return result;
    }

    static IntPtr Map(object value)
    {
        var made = FromInt32(0);
        return value is long ? FromInt32(Convert.ToInt32(value)) : made;
    }

    [UnmanagedCallersOnly]
    static IntPtr {|#0:OnCall|}(IntPtr value) => Map(GCHandle.FromIntPtr(value).Target!);
}", Finding("Map(GCHandle.FromIntPtr(value).Target!)", "'Convert.ToInt32(value)' in 'Map'"));

        // Nothing but status checks: still reported, naming the check (the native side decides whether it can fail).
        [Fact]
        public Task OnlyStatusChecksAreStillReported() => Check(@"
sealed class Driver
{
    public Driver(IntPtr handle)
    {
        Errors.ThrowIfError(Native.engine_add_ref(handle, out _));
    }
}

static class Exports
{
    [UnmanagedCallersOnly]
    static void {|#0:OnCall|}(IntPtr handle)
    {
        var driver = new Driver(handle);
        Native.engine_log(driver == null ? 1 : 0);
    }
}", Finding("new Driver(handle)", "'throw new InvalidOperationException(…)' in 'ThrowIfError'"));

        // Look-alike: a checker that also parses is not only a status check, so it keeps its place in source order.
        [Fact]
        public Task ACheckerThatAlsoParsesIsNamedInSourceOrder() => Check(@"
static class Exports
{
    static void CheckAndParse(int code)
    {
        if (code != 0) throw new EngineException(code);
        Native.engine_log(int.Parse(""1"" + code));
    }

    [UnmanagedCallersOnly]
    static void {|#0:OnCall|}(IntPtr value, long host)
    {
        CheckAndParse(Native.engine_add_ref(value, out _));
        Native.engine_log(Convert.ToInt32(host));
    }
}", Finding("CheckAndParse(Native.engine_add_ref(value, out _))", "'throw new EngineException(code)' in 'CheckAndParse'"));

        // Look-alike: the checked value is the native caller's argument, not the status of a call this code made.
        [Fact]
        public Task ACheckOfTheCallersArgumentIsNamedInSourceOrder() => Check(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static void {|#0:OnCall|}(int status, long host)
    {
        Errors.ThrowIfError(status);
        Native.engine_log(Convert.ToInt32(host));
    }
}", Finding("Errors.ThrowIfError(status)", "'throw new InvalidOperationException(…)' in 'ThrowIfError'"));

        // Look-alike: a local written once by a native call and once by something else.
        [Fact]
        public Task ALocalAlsoWrittenByManagedCodeIsNotAStatus() => Check(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static void {|#0:OnCall|}(IntPtr value, long host, int fallback)
    {
        int code = Native.engine_add_ref(value, out _);
        if (code == 5) code = fallback;
        Errors.ThrowIfError(code);
        Native.engine_log(Convert.ToInt32(host));
    }
}", Finding("Errors.ThrowIfError(code)", "'throw new InvalidOperationException(…)' in 'ThrowIfError'"));
    }
}
