using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001 on two framework calls a script engine's host bridges make before their guarded part (found on
    /// JavaScriptEngineSwitcher): <c>string.IsNullOrEmpty</c>/<c>IsNullOrWhiteSpace</c>, which accept null, and
    /// <c>MethodBase.GetParameters()</c>, a copy of what the runtime loaded. Their look-alikes still throw.
    /// </summary>
    public class NativeCallbackReflectionAndTextTestTests
    {
        private const string Prelude = @"using System;
using System.Reflection;
using System.Runtime.InteropServices;

static class Registry
{
    public static Delegate? Target;
    public static string? Key;
    public static int Count;
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(string operation)
            => Verify.Diagnostic("IG5001").WithLocation(0).WithMessage(
                "Callback 'OnEvent' is [UnmanagedCallersOnly], and '" + operation + "' may throw outside a catch-all: an exception escaping to native code terminates the process");

        [Fact]
        public Task TestingTextForNullOrEmptyDoesNotThrow() => Check(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static void OnEvent(IntPtr user)
    {
        var key = Registry.Key;
        if (!string.IsNullOrEmpty(key) && !string.IsNullOrWhiteSpace(key))
        {
            Registry.Count++;
        }
    }
}");

        [Fact]
        public Task ReadingAMethodsParametersDoesNotThrow() => Check(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static int OnEvent(IntPtr user)
    {
        MethodInfo? method = Registry.Target?.Method;
        if (method == null)
        {
            return 0;
        }

        ParameterInfo[] parameters = method.GetParameters();
        return parameters.Length;
    }
}");

        [Fact]
        public Task ParsingTheTextStillThrows() => Check(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static void {|#0:OnEvent|}(IntPtr user)
    {
        var key = Registry.Key;
        if (!string.IsNullOrEmpty(key))
        {
            Registry.Count = int.Parse(key);
        }
    }
}", Finding("int.Parse(key)"));

        [Fact]
        public Task InvokingTheMethodStillThrows() => Check(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static void {|#0:OnEvent|}(IntPtr user)
    {
        MethodInfo? method = Registry.Target?.Method;
        if (method == null)
        {
            return;
        }

        var parameters = method.GetParameters();
        method.Invoke(null, new object[parameters.Length]);
    }
}", Finding("method.Invoke(null, new object[parameters.Length])"));
    }
}
