using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis.CSharp;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1002 asks whether the delegate is kept on the runs that register it: a store on the other branch of an
    /// <c>if</c> keeps it only on runs that never hand it to native code (a binding that registers at once when its
    /// library is loaded and otherwise parks the delegate in a pending configuration).
    /// </summary>
    public class CallbackLifetimeKeptOnRunTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
public delegate void LogSink(int level, IntPtr text, IntPtr state);
static class Native
{
    [DllImport(""mylib"", EntryPoint = ""mylib_set_log_callback"")]
    public static extern void toy_log_set_native(LogSink sink, IntPtr state);
}
static class Lib
{
    [DllImport(""mylib"")] public static extern void mylib_set_log_callback(IntPtr ctx, LogSink cb, IntPtr data);
}
public sealed class PendingSettings
{
    public static PendingSettings Current { get; } = new PendingSettings();
    private LogSink? _sink;
    public PendingSettings UseSink(LogSink sink) { _sink = sink; return this; }
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
            => CollectedDelegateFindings.Check<CallbackLifetimeAnalyzer>(Prelude + source, expected);

        private static DiagnosticResult Finding(int location, string message)
            => CollectedDelegateFindings.Finding(location, message, CollectedDelegateFindings.AfterReturn);

        [Fact]
        public Task CallersDelegateParkedOnlyWhenTheLibraryIsNotLoaded() => Check(@"
public static class Logging
{
    public static bool Loaded;

    public static void SetSink(LogSink sink)
    {
        if (Loaded)
        {
            Native.toy_log_set_native({|#0:sink|}, IntPtr.Zero);
        }
        else
        {
            PendingSettings.Current.UseSink(sink);
        }
    }
}",
            Finding(0, "The caller's delegate 'sink' is registered with 'Native.toy_log_set_native' but is not kept reachable by 'Logging'"));

        [Fact]
        public Task LocalDelegateStoredInTheOtherCaseOfASwitch() => Check(@"
public sealed class Channel
{
    private LogSink? _kept;
    private int _lines;

    public void Open(IntPtr ctx, int mode)
    {
        LogSink sink = (level, text, state) => _lines++;
        switch (mode)
        {
            case 0:
                Lib.mylib_set_log_callback(ctx, {|#0:sink|}, IntPtr.Zero);
                break;
            default:
                _kept = sink;
                break;
        }
    }
}",
            Finding(0, "Delegate 'sink' is registered with 'Lib.mylib_set_log_callback' but is not kept reachable"));

        [Fact]
        public Task StoresOnARunThroughTheRegistrationKeepIt() => Check(@"
public sealed class Channel
{
    private LogSink? _kept;
    private readonly List<LogSink> _all = new List<LogSink>();
    public static bool Loaded;

    public void StoredBeforeTheBranch(LogSink sink)
    {
        _kept = sink;
        if (Loaded)
        {
            Native.toy_log_set_native(sink, IntPtr.Zero);
        }
    }

    public void StoredAfterBothBranches(LogSink sink)
    {
        if (Loaded)
        {
            Native.toy_log_set_native(sink, IntPtr.Zero);
        }
        else
        {
            PendingSettings.Current.UseSink(sink);
        }

        _all.Add(sink);
    }

    public void StoredOnTheSameBranch(LogSink sink)
    {
        if (Loaded)
        {
            _kept = sink;
            Native.toy_log_set_native(sink, IntPtr.Zero);
        }
        else
        {
            PendingSettings.Current.UseSink(sink);
        }
    }

    public void StoredOnlyWhenThereIsOne(LogSink? sink)
    {
        Native.toy_log_set_native(sink!, IntPtr.Zero);
        if (sink != null)
        {
            _kept = sink;
        }
    }

    public void RegisteredAndStoredInALoop(LogSink sink, int times)
    {
        for (var i = 0; i < times; i++)
        {
            if (i % 2 == 0)
            {
                Native.toy_log_set_native(sink, IntPtr.Zero);
            }
            else
            {
                _all.Add(sink);
            }
        }
    }

    public void CapturedOnTheOtherBranch(LogSink sink)
    {
        if (Loaded)
        {
            Native.toy_log_set_native(sink, IntPtr.Zero);
        }
        else
        {
            Later = () => PendingSettings.Current.UseSink(sink);
        }
    }

    public Action? Later { get; private set; }
}");
    }
}
