using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3004 on the shared model of what throws (Flow/QuietSequences): an error lookup that filters a table of symbols with
    /// LINQ while a buffer is pinned is not a throw point when the table is a collection, the lambdas cannot throw and the
    /// operators cannot fail on their data; the same lookup with an operator that fails on an empty result, a lambda that
    /// parses, a prefix that may be null, or a source that may be anyone's iterator is still named.
    /// </summary>
    public class SequenceLookupThrowPointTests
    {
        // A socket that pins the caller's buffer around a native receive loop and turns errno into a symbol on failure.
        private const string Socket = @"using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""net"")] public static extern int receive(IntPtr socket, IntPtr buffer, int length);
    [DllImport(""net"")] public static extern int last_errno();
}

public class Symbol
{
    internal Symbol(int code) { Code = code; }
    internal int Code;
}

public sealed class Fault : Symbol
{
    internal Fault(int code) : base(code) { }
    public static readonly Fault Interrupted = new Fault(4);
}

public static class Faults
{
    static IDictionary<Symbol, string> _names = new Dictionary<Symbol, string>();
    static IEnumerable<Symbol> _lazy = Enumerable.Empty<Symbol>();

    public static IEnumerable<Symbol> Named(string prefix, int code)
        => _names.Where(p => p.Value != null && p.Value.StartsWith(prefix) && p.Key.Code == code).Select(p => p.Key);

    public static Fault Last() => FromCode(Native.last_errno());
";

        private const string Receive = @"
public sealed class Socket
{
    private IntPtr _socket;

    public int Receive(byte[] buffer, out Fault fault)
    {
        fault = null;
        var pin = {|#0:GCHandle.Alloc(buffer, GCHandleType.Pinned)|};
        int length;
        while (-1 == (length = Native.receive(_socket, pin.AddrOfPinnedObject(), buffer.Length)))
        {
            fault = Faults.Last();
            if (fault == Fault.Interrupted)
            {
                continue;
            }

            break;
        }

        pin.Free();
        return length;
    }
}";

        private static Task Check(string lookup, params DiagnosticResult[] expected)
        {
            // The allocation is marked only where a finding is expected on it.
            var receive = expected.Length > 0 ? Receive : Receive.Replace("{|#0:", "").Replace(")|};", ");");
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Socket + lookup + "}" + receive };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult PinnedUntil(string thrower)
            => Verify.Diagnostic("IG3004").WithLocation(0).WithMessage(
                "The GCHandle in 'pin' from 'GCHandle.Alloc' is not released by 'GCHandle.Free' if '" + thrower
                + "' throws, so the object stays pinned and can never be collected");

        // clrzmq4's shape: deferred Where/Select over a dictionary with lambdas that only compare, a constant prefix, then
        // OfType and FirstOrDefault. Nothing in it throws, so the pin cannot leak.
        [Fact]
        public Task ALookupOverATableWithQuietLambdasIsNotAThrowPoint() => Check(@"
    public static Fault FromCode(int code)
    {
        Fault known = Named(""E"", code).OfType<Fault>().FirstOrDefault();
        if (known != null) return known;
        return new Fault(code);
    }
");

        // First() throws on an empty result: an unknown errno would leave the buffer pinned.
        [Fact]
        public Task AnOperatorThatFailsOnAnEmptyResultIsStillAThrowPoint() => Check(@"
    public static Fault FromCode(int code) => Named(""E"", code).OfType<Fault>().First();
", PinnedUntil("Faults.Last()"));

        // The prefix comes from a caller who may pass null: StartsWith(null) throws.
        [Fact]
        public Task ALookupWithAPrefixThatMayBeNullIsStillAThrowPoint() => Check(@"
    public static string Prefix;
    public static Fault FromCode(int code) => Named(Prefix, code).OfType<Fault>().FirstOrDefault();
", PinnedUntil("Faults.Last()"));

        // A lambda that parses throws on bad input, wherever the sequence is walked.
        [Fact]
        public Task ALambdaThatParsesIsStillAThrowPoint() => Check(@"
    public static Fault FromCode(int code)
        => _names.Where(p => int.Parse(p.Value.Substring(1)) == code).Select(p => p.Key).OfType<Fault>().FirstOrDefault();
", PinnedUntil("Faults.Last()"));

        // A bare IEnumerable may be an iterator of anyone's: walking it runs code the model cannot see.
        [Fact]
        public Task WalkingASequenceThatMayBeAnIteratorIsStillAThrowPoint() => Check(@"
    public static Fault FromCode(int code) => _lazy.OfType<Fault>().FirstOrDefault();
", PinnedUntil("Faults.Last()"));
    }
}
