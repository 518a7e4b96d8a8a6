using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001 on a dictionary read whose key a lookup of the same dictionary has just shown present: an object tracker's
    /// "try get" that tests <c>ContainsKey</c> and then reads the entry, a counter that leaves first when the key is
    /// missing. The getter throws only for a missing key. Beside them, reads the lookup does not cover: no lookup, another
    /// key, another dictionary, or the key removed between the lookup and the read.
    /// </summary>
    public class NativeCallbackPresentKeyTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

static class Registry
{
    static readonly Dictionary<long, string> Names = new Dictionary<long, string>();
    static readonly Dictionary<long, int> Counts = new Dictionary<long, int>();
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task AReadUnderAPositiveLookupOfTheSameKeyDoesNotThrow() => Check(@"
    static bool TryFind(long id, out string name)
    {
        lock (Names)
        {
            if (Names.ContainsKey(id))
            {
                name = Names[id];
                return true;
            }

            name = null;
            return false;
        }
    }

    [UnmanagedCallersOnly]
    static int Lookup(long id) => TryFind(id, out var name) ? name.Length : 0;

    [UnmanagedCallersOnly]
    static int Measure(long id) => Names.ContainsKey(id) && Names[id] != null ? 1 : 0;

    [UnmanagedCallersOnly]
    static int Size(long id) => !Counts.TryGetValue(id, out _) ? 0 : Counts[id];
}");

        [Fact]
        public Task AReadAfterLeavingOnAMissingKeyDoesNotThrow() => Check(@"
    [UnmanagedCallersOnly]
    static int Drop(long id)
    {
        if (!Counts.ContainsKey(id))
            return -1;
        Counts[id] = Counts[id] - 1;
        var left = Counts[id];
        return left;
    }
}");

        [Fact]
        public Task ReadsTheLookupDoesNotCoverStillThrow() => Check(@"
    [UnmanagedCallersOnly]
    static int {|#0:Unchecked|}(long id) => Counts[id];

    [UnmanagedCallersOnly]
    static int {|#1:OtherKey|}(long id) => Counts.ContainsKey(id) ? Counts[id + 1] : 0;

    [UnmanagedCallersOnly]
    static int {|#2:OtherTable|}(long id) => Names.ContainsKey(id) ? Counts[id] : 0;

    [UnmanagedCallersOnly]
    static int {|#3:RemovedFirst|}(long id)
    {
        if (!Counts.ContainsKey(id))
            return -1;
        Counts.Remove(id);
        return Counts[id];
    }

    [UnmanagedCallersOnly]
    static int {|#4:NegativeBranch|}(long id) => Counts.ContainsKey(id) ? 0 : Counts[id];
}",
            Throws(0, "Unchecked", "Counts[id]"),
            Throws(1, "OtherKey", "Counts[id + 1]"),
            Throws(2, "OtherTable", "Counts[id]"),
            Throws(3, "RemovedFirst", "Counts[id]"),
            Throws(4, "NegativeBranch", "Counts[id]"));

        // The message names the callback and the read the lookup does not cover.
        private static DiagnosticResult Throws(int location, string callback, string read)
            => Verify.Diagnostic("IG5001").WithLocation(location).WithMessage(
                $"Callback '{callback}' is [UnmanagedCallersOnly], and '{read}' may throw outside a catch-all: an exception escaping to native code terminates the process");
    }
}
