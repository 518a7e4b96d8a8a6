using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// The throw model at a binding's delegate-to-pointer converter (fresh31, a physics binding's space and body queries):
    /// <c>Marshal.GetFunctionPointerForDelegate</c> refuses only null and a delegate of a generic type, so a converter that
    /// returns zero for null and is given a delegate type that is not generic cannot throw, and a GCHandle allocated before the
    /// query and freed after it is not left allocated on a throw that cannot happen. A converter without the null test, one
    /// taking <c>Delegate</c>, and one of a generic delegate type still throw.
    /// </summary>
    public class MarshalableDelegatePointerTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate void ShapeVisitor(IntPtr shape, IntPtr data);

static class World
{
    [DllImport(""world"")] public static extern void each_shape(IntPtr world, IntPtr visitor, IntPtr data);
}

static class Pointers
{
    public static IntPtr ToPointer(this ShapeVisitor visitor)
    {
        if (visitor == null)
        {
            return IntPtr.Zero;
        }

        return Marshal.GetFunctionPointerForDelegate(visitor);
    }

    public static IntPtr Untested(ShapeVisitor visitor) => Marshal.GetFunctionPointerForDelegate(visitor);

    public static IntPtr AnyDelegate(Delegate visitor)
    {
        if (visitor == null)
        {
            return IntPtr.Zero;
        }

        return Marshal.GetFunctionPointerForDelegate(visitor);
    }

    public static IntPtr Generic(Action<IntPtr, IntPtr> visitor)
    {
        if (visitor == null)
        {
            return IntPtr.Zero;
        }

        return Marshal.GetFunctionPointerForDelegate(visitor);
    }
}

static class Visitors
{
    public static readonly ShapeVisitor Collect = (shape, data) => ((List<IntPtr>)GCHandle.FromIntPtr(data).Target!).Add(shape);
    public static readonly Action<IntPtr, IntPtr> CollectAction = (shape, data) => ((List<IntPtr>)GCHandle.FromIntPtr(data).Target!).Add(shape);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Held(int location, string thrower) => Verify.Diagnostic("IG3004").WithLocation(location).WithMessage(
            "The GCHandle in 'list' from 'GCHandle.Alloc' is not released by 'GCHandle.Free' if '" + thrower + "' throws, so the object it refers to can never be collected");

        // A space whose query allocates the list's handle (marked when expected) and gives the converter's pointer to native code.
        private static string Space(params (string Name, string Alloc, string Converter)[] queries)
        {
            var methods = new System.Text.StringBuilder();
            foreach (var (name, alloc, converter) in queries)
            {
                methods.Append(@"
    public IntPtr[] " + name + @"()
    {
        var found = new List<IntPtr>();
        var list = " + alloc + @";
        World.each_shape(_world, " + converter + @", GCHandle.ToIntPtr(list));
        list.Free();
        return found.ToArray();
    }
");
            }

            return @"
class Space
{
    private readonly IntPtr _world;

    public Space(IntPtr world) { _world = world; }
" + methods + "}";
        }

        [Fact]
        public Task AConverterThatTestsForNullGivenANonGenericDelegateCannotThrow()
            => Check(Space(("Shapes", "GCHandle.Alloc(found)", "Visitors.Collect.ToPointer()")));

        [Fact]
        public Task AConverterWithoutTheNullTestStillThrows()
            => Check(Space(("Shapes", "{|#0:GCHandle.Alloc(found)|}", "Pointers.Untested(Visitors.Collect)")), Held(0, "Pointers.Untested(Visitors.Collect)"));

        [Fact]
        public Task AConverterOfDelegateOrOfAGenericDelegateTypeStillThrows() => Check(
            Space(("Shapes", "{|#0:GCHandle.Alloc(found)|}", "Pointers.AnyDelegate(Visitors.Collect)"), ("Generic", "{|#1:GCHandle.Alloc(found)|}", "Pointers.Generic(Visitors.CollectAction)")),
            Held(0, "Pointers.AnyDelegate(Visitors.Collect)"),
            Held(1, "Pointers.Generic(Visitors.CollectAction)"));
    }
}
