using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001 on the shared model of what throws (Flow/ThrowPoints): native calls and calls that cannot fail do not make a
    /// callback throw; helpers of this compilation throw when their bodies can; the likeliest escaping operation is named.
    /// </summary>
    public class NativeCallbackExceptionThrowPointTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""sample"")] public static extern void ack(int code);
}

sealed class Sink
{
    public int Last;
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
                "Callback '" + callback + "' is [UnmanagedCallersOnly], and '" + operation + "' may throw outside a catch-all: an exception escaping to native code terminates the process");

        [Fact]
        public Task NativeCallsHandleLookupsAndQuietHelpersDoNotThrow() => Check(@"
static class Exports
{
    static int Clamp(int value) => value < 0 ? 0 : value;

    [UnmanagedCallersOnly]
    static void OnEvent(IntPtr user, int code)
    {
        if (GCHandle.FromIntPtr(user).Target is Sink sink)
            sink.Last = Clamp(code);
        Native.ack(code);
    }
}");

        [Fact]
        public Task NamesTheHelperThatCanThrowRatherThanTheNativeCall() => Check(@"
static class Exports
{
    static int Checked(int code) => code >= 0 ? code : throw new ArgumentOutOfRangeException(nameof(code));

    [UnmanagedCallersOnly]
    static void {|#0:OnEvent|}(int code)
    {
        Native.ack(code);
        Native.ack(Checked(code));
    }
}", Finding(0, "OnEvent", "Checked(code)"));

        // The callback family counts indexing and casts as failures, in the helpers it calls too.
        [Fact]
        public Task AHelperThatIndexesCanThrow() => Check(@"
static class Exports
{
    static readonly int[] s_table = new int[4];

    static int Lookup(int code) => s_table[code];

    [UnmanagedCallersOnly]
    static void {|#0:OnEvent|}(int code)
    {
        Native.ack(Lookup(code));
    }
}", Finding(0, "OnEvent", "Lookup(code)"));
        // A bridge copying its native argument vector, counting into a queue under a lock, reading a native header.
        [Fact]
        public Task IndexingWithinBoundsGuardedQueuesAndTypedStructuresDoNotThrow() => Check(@"
[StructLayout(LayoutKind.Sequential)] struct Header { public IntPtr Data; public int Length; }
sealed class Bridge
{
    static Queue<int> s_events = new Queue<int>();

    [UnmanagedCallersOnly]
    static void OnValues(int count, IntPtr argv)
    {
        var values = new IntPtr[count];
        for (int i = 0; i < count; i++)
            values[i] = Marshal.ReadIntPtr(argv, i * IntPtr.Size);
        long total = 0;
        for (int i = 0; i < values.Length; i++)
            total += (long)values[i];
        Native.ack((int)total);
    }

    [UnmanagedCallersOnly]
    static void OnEvent(int code, IntPtr header, IntPtr guid)
    {
        lock (s_events)
        {
            while (s_events.Count >= 16) { s_events.Dequeue(); }
            s_events.Enqueue(code);
        }
        var read = (Header)Marshal.PtrToStructure(header, typeof(Header));
        var bytes = new byte[16];
        Marshal.Copy(guid, bytes, 0, 16);
        var id = new Guid(bytes);
        Native.ack(read.Length);
    }
}");

        [Fact]
        public Task IndexingOutOfItsLoopUnguardedQueuesAndOtherStructuresStillThrow() => Check(@"
[StructLayout(LayoutKind.Sequential)] struct Header { public IntPtr Data; public int Length; }
[StructLayout(LayoutKind.Sequential)] struct Other { public int Value; }
sealed class Bridge
{
    static Queue<int> s_events = new Queue<int>();

    [UnmanagedCallersOnly]
    static void {|#0:ShiftedIndex|}(int count, IntPtr argv)
    {
        var values = new IntPtr[count];
        for (int i = 0; i < count; i++)
            values[i + 1] = Marshal.ReadIntPtr(argv, i * IntPtr.Size);
    }

    [UnmanagedCallersOnly]
    static void {|#1:OtherBound|}(int count, int limit)
    {
        var values = new int[count];
        for (int i = 0; i < limit; i++)
            values[i] = i;
    }

    [UnmanagedCallersOnly]
    static void {|#2:Unguarded|}(int code)
    {
        lock (s_events)
        {
            s_events.Dequeue();
        }
    }

    [UnmanagedCallersOnly]
    static void {|#3:TwiceUnderOneTest|}(int code)
    {
        if (s_events.Count > 0) { s_events.Dequeue(); s_events.Dequeue(); }
    }

    [UnmanagedCallersOnly]
    static void {|#4:WrongStructure|}(IntPtr header)
    {
        var read = (Other)Marshal.PtrToStructure(header, typeof(Header));
        Native.ack(read.Value);
    }

    [UnmanagedCallersOnly]
    static void {|#5:ShortGuid|}(IntPtr guid)
    {
        var bytes = new byte[8];
        var id = new Guid(bytes);
    }
}", Finding(0, "ShiftedIndex", "values[i + 1]"), Finding(1, "OtherBound", "values[i]"), Finding(2, "Unguarded", "s_events.Dequeue()"),
            Finding(3, "TwiceUnderOneTest", "s_events.Dequeue()"), Finding(4, "WrongStructure", "(Other)Marshal.PtrToStructure(header, typeof(Header))"),
            Finding(5, "ShortGuid", "new Guid(bytes)"));

        // A fatal-error handler whose whole body throws stops the process on purpose; one that also does work does not.
        [Fact]
        public Task ACallbackThatOnlyThrowsIsADeliberateStop() => Check(@"
static class Handlers
{
    [UnmanagedCallersOnly]
    static void OnMisuse() { throw new InvalidOperationException(""misuse""); }

    [UnmanagedCallersOnly]
    static void {|#0:OnMisuseAfterWork|}(int code)
    {
        Native.ack(code);
        throw new InvalidOperationException(""misuse"");
    }
}", Finding(0, "OnMisuseAfterWork", "throw new InvalidOperationException(\"misuse\")"));
    }
}
