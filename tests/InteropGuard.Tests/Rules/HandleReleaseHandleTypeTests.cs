using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3004's consequence follows the GCHandleType read from the GCHandle.Alloc argument: only Normal and Pinned handles
    /// keep their object alive; a weak handle leaks its slot in the handle table.
    /// </summary>
    public class HandleReleaseHandleTypeTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult NotFreed(int location, string variable, string consequence)
            => Verify.Diagnostic("IG3004").WithLocation(location).WithMessage(
                "The GCHandle in '" + variable + "' from 'GCHandle.Alloc' is not released by 'GCHandle.Free' when the method returns, so " + consequence);

        private const string NeverCollected = "the object it refers to can never be collected";
        private const string SlotLeaked = "its slot in the GC handle table is never freed (a weak handle does not keep the object alive)";

        [Fact]
        public Task EachHandleTypeHasItsOwnConsequence() => Check(@"
class C
{
    const GCHandleType Kind = GCHandleType.Weak;

    void Default(object o) { var a = {|#0:GCHandle.Alloc(o)|}; }
    void Normal(object o) { var b = {|#1:GCHandle.Alloc(o, GCHandleType.Normal)|}; }
    void Pinned(byte[] o) { var c = {|#2:GCHandle.Alloc(o, GCHandleType.Pinned)|}; }
    void Weak(object o) { var d = {|#3:GCHandle.Alloc(o, GCHandleType.Weak)|}; }
    void WeakTrackResurrection(object o) { var e = {|#4:GCHandle.Alloc(o, GCHandleType.WeakTrackResurrection)|}; }
    void Constant(object o) { var f = {|#5:GCHandle.Alloc(o, Kind)|}; }
    void Unknown(object o, GCHandleType type) { var g = {|#6:GCHandle.Alloc(o, type)|}; }
}",
            NotFreed(0, "a", NeverCollected),
            NotFreed(1, "b", NeverCollected),
            NotFreed(2, "c", "the object stays pinned and can never be collected"),
            NotFreed(3, "d", SlotLeaked),
            NotFreed(4, "e", SlotLeaked),
            NotFreed(5, "f", SlotLeaked),
            NotFreed(6, "g", "its slot in the GC handle table is never freed, and the object stays alive unless the handle type is weak"));
    }
}
