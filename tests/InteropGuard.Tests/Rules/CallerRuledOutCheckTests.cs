using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// A helper's argument check that the caller's own code has already ruled out on the way to the call (precision
    /// work of the twenty-ninth session, bound30): a constructor that rejects a zero pointer, called under the caller's
    /// own test that the pointer is not zero (gpgme-sharp's <c>new GenkeyResult(result_ptr)</c>). Each beside the call
    /// that can still fail: no test, a test of another value, a helper that also checks something else.
    /// </summary>
    public class CallerRuledOutCheckTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""store"")] public static extern IntPtr store_lookup(IntPtr key);
    [DllImport(""store"")] public static extern IntPtr store_first();
}

sealed class Record
{
    public readonly long Stamp;

    internal Record(IntPtr raw)
    {
        if (raw == IntPtr.Zero)
        {
            throw new ArgumentException(""no record"", nameof(raw));
        }

        Stamp = Marshal.ReadInt64(raw);
    }
}
";

        private static Task Run(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Leaks(string thrower)
            => Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
                "Native memory from 'Marshal.StringToHGlobalAnsi' in 'key' is not released by 'Marshal.FreeHGlobal' if '" + thrower + "' throws");

        [Fact]
        public Task AZeroCheckOfAPointerTestedNonZeroIsNotAThrowPoint() => Run(@"
static class Store
{
    public static Record Find(string name)
    {
        Record found = null;
        var key = Marshal.StringToHGlobalAnsi(name);
        var raw = Native.store_lookup(key);
        if (raw != IntPtr.Zero)
        {
            found = new Record(raw);
        }

        Marshal.FreeHGlobal(key);
        return found;
    }

    public static Record FindByEquals(string name)
    {
        Record found = null;
        var key = Marshal.StringToHGlobalAnsi(name);
        IntPtr raw = Native.store_lookup(key);
        if (!raw.Equals(IntPtr.Zero))
        {
            found = new Record(raw);
        }

        Marshal.FreeHGlobal(key);
        return found;
    }

    public static long FindAfterEarlyExit(string name)
    {
        var key = Marshal.StringToHGlobalAnsi(name);
        var raw = Native.store_lookup(key);
        if (raw == default)
        {
            Marshal.FreeHGlobal(key);
            return -1;
        }

        var stamp = new Record(raw).Stamp;
        Marshal.FreeHGlobal(key);
        return stamp;
    }
}");

        [Fact]
        public Task AZeroCheckOfAnUntestedPointerStillIs() => Run(@"
static class Store
{
    public static Record Find(string name)
    {
        var key = {|#0:Marshal.StringToHGlobalAnsi(name)|};
        var found = new Record(Native.store_lookup(key));
        Marshal.FreeHGlobal(key);
        return found;
    }
}", Leaks("new Record(Native.store_lookup(key))"));

        [Fact]
        public Task AZeroCheckOfAnotherPointerThanTheOneTestedStillIs() => Run(@"
static class Store
{
    public static Record Find(string name)
    {
        Record found = null;
        var key = {|#0:Marshal.StringToHGlobalAnsi(name)|};
        var raw = Native.store_lookup(key);
        var first = Native.store_first();
        if (raw != IntPtr.Zero)
        {
            found = new Record(first);
        }

        Marshal.FreeHGlobal(key);
        return found;
    }
}", Leaks("new Record(first)"));

        [Fact]
        public Task APointerTestedZeroOnTheWayStillIs() => Run(@"
static class Store
{
    public static Record Find(string name)
    {
        Record found = null;
        var key = {|#0:Marshal.StringToHGlobalAnsi(name)|};
        var raw = Native.store_lookup(key);
        if (raw.Equals(IntPtr.Zero))
        {
            found = new Record(raw);
        }

        Marshal.FreeHGlobal(key);
        return found;
    }
}", Leaks("new Record(raw)"));

        [Fact]
        public Task AHelperThatAlsoChecksSomethingElseStillIs() => Run(@"
static class Reader
{
    public static long Read(IntPtr raw, int slot)
    {
        if (raw == IntPtr.Zero) throw new ArgumentNullException(nameof(raw));
        if (slot < 0) throw new ArgumentOutOfRangeException(nameof(slot));
        return Marshal.ReadInt64(raw, slot * 8);
    }
}

static class Store
{
    public static long Find(string name, int slot)
    {
        long stamp = -1;
        var key = {|#0:Marshal.StringToHGlobalAnsi(name)|};
        var raw = Native.store_lookup(key);
        if (raw != IntPtr.Zero)
        {
            stamp = Reader.Read(raw, slot);
        }

        Marshal.FreeHGlobal(key);
        return stamp;
    }
}", Leaks("Reader.Read(raw, slot)"));
    }
}
