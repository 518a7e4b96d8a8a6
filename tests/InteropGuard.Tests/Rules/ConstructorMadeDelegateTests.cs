using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// The throw model at a wrapper whose constructor makes its callback delegate, keeps it in a <c>readonly</c> field and
    /// then gives <c>Marshal.GetFunctionPointerForDelegate</c> the field (a physics binding's triangle visitors, fresh25):
    /// the field holds a delegate of a type that is not generic, made before the call by the constructor running, so the
    /// call cannot refuse it and a handle freed after the wrapper is made is not left allocated on a throw that cannot
    /// happen. A field any method may write, a store after the call or on one branch only, a second store of a value not
    /// made there, and a generic delegate type still throw.
    /// </summary>
    public class ConstructorMadeDelegateTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate void EdgeVisitor(IntPtr edge, IntPtr data);

static class Mesh
{
    [DllImport(""mesh"")] public static extern IntPtr visitor_new(IntPtr callback);
    [DllImport(""mesh"")] public static extern void each_edge(IntPtr mesh, IntPtr visitor, IntPtr data);
}

class Space
{
    private readonly IntPtr _mesh;

    public Space(IntPtr mesh) { _mesh = mesh; }

    public void Walk(Func<IntPtr> make)
    {
        var found = new List<IntPtr>();
        var list = {|#0:GCHandle.Alloc(found)|};
        var visitor = make();
        Mesh.each_edge(_mesh, visitor, GCHandle.ToIntPtr(list));
        list.Free();
    }
}
";

        private static Task Check(string visitor, string creation, bool reported)
        {
            var source = Prelude.Replace("var visitor = make();", "var visitor = " + creation + ".Native;");
            source = source.Replace("public void Walk(Func<IntPtr> make)", "public void Walk()");
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = source + visitor };
            if (reported)
            {
                test.ExpectedDiagnostics.Add(Verify.Diagnostic("IG3004").WithLocation(0).WithMessage(
                    "The GCHandle in 'list' from 'GCHandle.Alloc' is not released by 'GCHandle.Free' if '" + creation + "' throws, so the object it refers to can never be collected"));
            }
            else
            {
                test.Source = test.Source.Replace("{|#0:GCHandle.Alloc(found)|}", "GCHandle.Alloc(found)");
            }

            return test.RunAsync();
        }

        // A visitor class named Name whose constructor runs Body; Field declares the delegate field.
        private static string Visitor(string name, string field, string body, string extra = "") => @"
class " + name + @"
{
    " + field + @"
    public IntPtr Native;

    public " + name + @"(bool twice)
    {
" + body + @"
    }

    private void Visit(IntPtr edge, IntPtr data) { }
" + extra + @"
}
";

        private const string MadeFirst = @"        _visit = new EdgeVisitor(Visit);
        Native = Mesh.visitor_new(Marshal.GetFunctionPointerForDelegate(_visit));";

        [Fact]
        public Task AReadonlyFieldTheConstructorJustFilledCannotBeRefused()
            => Check(Visitor("Edges", "private readonly EdgeVisitor _visit;", MadeFirst), "new Edges(false)", reported: false);

        [Fact]
        public Task AFieldAnyMethodMayWriteStillThrows()
            => Check(Visitor("Edges", "private EdgeVisitor _visit;", MadeFirst, "    public void Forget() { _visit = null; }"), "new Edges(false)", reported: true);

        [Fact]
        public Task AStoreAfterTheCallStillThrows()
            => Check(Visitor("Edges", "private readonly EdgeVisitor _visit;", @"        Native = Mesh.visitor_new(Marshal.GetFunctionPointerForDelegate(_visit));
        _visit = new EdgeVisitor(Visit);"), "new Edges(false)", reported: true);

        [Fact]
        public Task AStoreOnOneBranchOnlyStillThrows()
            => Check(Visitor("Edges", "private readonly EdgeVisitor _visit;", @"        if (twice)
        {
            _visit = new EdgeVisitor(Visit);
        }

        Native = Mesh.visitor_new(Marshal.GetFunctionPointerForDelegate(_visit));"), "new Edges(true)", reported: true);

        [Fact]
        public Task ASecondStoreOfAValueNotMadeThereStillThrows()
            => Check(Visitor("Edges", "private readonly EdgeVisitor _visit;", @"        _visit = new EdgeVisitor(Visit);
        if (twice)
        {
            _visit = Shared;
        }

        Native = Mesh.visitor_new(Marshal.GetFunctionPointerForDelegate(_visit));", "    public static EdgeVisitor Shared;"), "new Edges(true)", reported: true);

        [Fact]
        public Task AGenericDelegateTypeStillThrows()
            => Check(Visitor("Edges", "private readonly Action<IntPtr, IntPtr> _visit;", @"        _visit = new Action<IntPtr, IntPtr>(Visit);
        Native = Mesh.visitor_new(Marshal.GetFunctionPointerForDelegate(_visit));"), "new Edges(false)", reported: true);
    }
}
