using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG2004 while a struct's field type does not bind: a 3-D audio helper copies a listener into a marshalling struct
    /// whose <c>Cone</c> field has a type from a generated or not yet referenced file, and passes its address to native
    /// code. The compiler sees the struct as not unmanaged only because of the unbound field; what it holds cannot be told,
    /// so the rule stays silent. A struct whose bound field is a string is still reported, also next to an unbound one
    /// elsewhere in the compilation.
    /// </summary>
    public class ManagedReferencesUnboundFieldTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

static unsafe class Audio3D
{
    [DllImport(""x3daudio"")] public static extern void Calculate(void* listener, int flags);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<ManagedReferencesInNativeMemoryAnalyzer> { Source = Prelude + source, AllowCompilerErrors = true };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task AFieldWhoseTypeDidNotBind() => Check(@"
unsafe struct ListenerData
{
    public float X, Y, Z;
    public ConeShape* ConePointer;
    public ConeShape Cone;
}
struct Wrapped { public long Stamp; public ListenerData Listener; }
unsafe class Listener
{
    public void Apply(int flags)
    {
        var data = new ListenerData();
        Audio3D.Calculate(&data, flags);
        var wrapped = new Wrapped();
        Audio3D.Calculate(&wrapped, flags);
        var pin = GCHandle.Alloc(new ListenerBox(), GCHandleType.Pinned);
        pin.Free();
    }
}
class ListenerBox { public int Id; public ConeShape Cone; }");

        [Fact]
        public Task ABoundStringFieldIsStillReported() => Check(@"
struct Named { public int Id; public string Label; }
unsafe struct ListenerData { public float X; public ConeShape Cone; }
unsafe class Listener
{
    public void Apply(int flags)
    {
        var named = new Named();
        Audio3D.Calculate({|#0:&named|}, flags);
    }
}",
            Verify.Diagnostic("IG2004").WithLocation(0).WithMessage("The pointer '&named' reaches native code through 'Audio3D.Calculate', but field 'Label' of 'Named' holds a managed reference; the GC does not see references in native memory, so it may move or collect the objects they point to while native code still uses them"));
    }
}
