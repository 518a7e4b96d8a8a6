using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis.CSharp;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1002 on OpenSSL's functions that call back only while they run (<c>ERR_print_errors_cb</c>, <c>OBJ_NAME_do_all</c>):
    /// their <c>_cb</c> names and the user data beside the callback look like a registration, but the catalogue says they
    /// keep nothing — also when the binding loads OpenSSL by its old Windows module name <c>libeay32</c>, which the
    /// catalogue now matches. Its registrations (<c>CRYPTO_set_locking_callback</c>) and a <c>_cb</c> function of another
    /// library stay findings.
    /// </summary>
    public class CallbackLifetimeOpenSslIteratorTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate int LineSink(IntPtr text, UIntPtr length, IntPtr state);
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate void NameSeen(IntPtr entry, IntPtr state);
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate void LockHook(int mode, int index, IntPtr file, int line);
static class Crypto
{
    [DllImport(""libeay32"", CallingConvention = CallingConvention.Cdecl)] public static extern void ERR_print_errors_cb(LineSink sink, IntPtr state);
    [DllImport(""libcrypto-3-x64"", CallingConvention = CallingConvention.Cdecl)] public static extern void OBJ_NAME_do_all_sorted(int kind, NameSeen seen, IntPtr state);
    [DllImport(""libeay32"", CallingConvention = CallingConvention.Cdecl)] public static extern void CRYPTO_set_locking_callback(LockHook hook);
}
static class Journal
{
    [DllImport(""journal"")] public static extern void journal_drain_cb(LineSink sink, IntPtr state);
}
";

        private const string Registered = "' but is not kept reachable after the method returns; once the GC collects it, a call from native code through it crashes the process";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<CallbackLifetimeAnalyzer> { Source = Prelude + source, LanguageVersion = LanguageVersion.Latest };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(int location, string message) => Verify.Diagnostic("IG1002").WithLocation(location).WithMessage(message);

        [Fact]
        public Task ErrorQueueAndNameWalksCallBackOnlyDuringTheCall() => Check(@"
class Diagnostics
{
    public static List<string> PendingErrors()
    {
        var lines = new List<string>();
        Crypto.ERR_print_errors_cb((text, length, state) => { lines.Add(Marshal.PtrToStringAnsi(text)); return 0; }, IntPtr.Zero);
        return lines;
    }

    public static int CountNames(int kind)
    {
        var count = 0;
        Crypto.OBJ_NAME_do_all_sorted(kind, (entry, state) => count++, IntPtr.Zero);
        return count;
    }
}");

        [Fact]
        public Task LockingHookAndAnotherLibrarysDrainFunctionAreKept() => Check(@"
class Setup
{
    readonly object[] _locks = new object[64];

    public void InstallLocks()
    {
        Crypto.CRYPTO_set_locking_callback({|#0:(mode, index, file, line) => System.Threading.Monitor.Enter(_locks[index])|});
    }

    public List<string> Drain()
    {
        var lines = new List<string>();
        Journal.journal_drain_cb({|#1:(text, length, state) => { lines.Add(Marshal.PtrToStringAnsi(text)); return 0; }|}, IntPtr.Zero);
        return lines;
    }
}",
            Finding(0, "The lambda's delegate is registered with 'Crypto.CRYPTO_set_locking_callback" + Registered),
            Finding(1, "The lambda's delegate is registered with 'Journal.journal_drain_cb" + Registered));
    }
}
