using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis.CSharp;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG1002: progress callbacks a function calls only while it works (the catalogue's synchronous entries).</summary>
    public class CallbackLifetimeProgressTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
[UnmanagedFunctionPointer(CallingConvention.StdCall, CharSet = CharSet.Unicode)]
delegate void Progress(string objectName, int status, ref int invokeSetting, IntPtr args, bool securitySet);
static class Advapi32
{
    [DllImport(""advapi32.dll"", CharSet = CharSet.Unicode)]
    public static extern int TreeSetNamedSecurityInfoW(string name, int type, int info, byte[] owner, byte[] group, byte[] dacl, byte[] sacl, int action, Progress progress, int invokeSetting, IntPtr args);
    [DllImport(""advapi32.dll"", CharSet = CharSet.Unicode, EntryPoint = ""TreeResetNamedSecurityInfoW"")]
    public static extern int TreeResetNamedSecurityInfo(string name, int type, int info, byte[] owner, byte[] group, byte[] dacl, byte[] sacl, bool keepExplicit, Progress progress, int invokeSetting, IntPtr args);
}
static class Lib
{
    [DllImport(""mylib"")] public static extern int mylib_tree_set_progress(Progress progress, IntPtr args);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<CallbackLifetimeAnalyzer> { Source = Prelude + source, LanguageVersion = LanguageVersion.Latest };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        // The tree functions call the progress function for each object while they walk the tree, and return after the
        // walk: the marshaller keeps the delegate for the call, which is all the time it is used.
        [Fact]
        public Task TreeSecurityProgressIsCalledOnlyDuringTheCall() => Check(@"
static class Security
{
    static Progress Wrap(Action<string> report) => (string name, int status, ref int setting, IntPtr args, bool set) => report(name);

    static int Apply(string path, byte[] dacl, Action<string> report)
        => Advapi32.TreeSetNamedSecurityInfoW(path, 1, 4, null, null, dacl, null, 2, Wrap(report), 1, IntPtr.Zero);

    static int Reset(string path, byte[] dacl, Action<string> report)
        => Advapi32.TreeResetNamedSecurityInfo(path, 1, 4, null, null, dacl, null, false, Wrap(report), 1, IntPtr.Zero);
}");

        // Look-alike: a function outside the catalogue that sets a progress callback next to user data reads as a
        // registration: the callback may run after it returns.
        [Fact]
        public Task ProgressCallbackSetOnALibraryIsStillRegistered() => Check(@"
static class Security
{
    static Progress Wrap(Action<string> report) => (string name, int status, ref int setting, IntPtr args, bool set) => report(name);

    static int Watch(Action<string> report) => Lib.mylib_tree_set_progress({|#0:Wrap(report)|}, IntPtr.Zero);
}",
            Verify.Diagnostic("IG1002").WithLocation(0));
    }
}
