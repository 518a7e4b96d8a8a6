using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// A block handed to a native setter whose matching getter's result the library frees itself (precision work of the
    /// thirtieth session, throws31: BulletSharp's HACD wrapper stores its points with a setter and frees what the getter
    /// returns in <c>Dispose</c>). The native object keeps the block: freeing it after the setter would leave the object
    /// dangling, so it is not the method's to release. Beside it, the setters whose blocks are still the method's: no
    /// getter, a getter whose result is only read, a getter that also takes an index, a getter's local that holds another
    /// block by the time it is freed.
    /// </summary>
    public class SetterReleasedThroughGetterTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

static class Curves
{
    [DllImport(""curves"")] public static extern IntPtr curve_new();
    [DllImport(""curves"")] public static extern void curve_free(IntPtr curve);
    [DllImport(""curves"")] public static extern void Curve_SetKnots(IntPtr curve, IntPtr knots);
    [DllImport(""curves"")] public static extern IntPtr Curve_GetKnots(IntPtr curve);
    [DllImport(""curves"")] public static extern void curve_set_weights(IntPtr curve, IntPtr weights);
    [DllImport(""curves"")] public static extern IntPtr curve_get_weights(IntPtr curve);
    [DllImport(""curves"")] public static extern void Curve_SetLabels(IntPtr curve, IntPtr labels);
    [DllImport(""curves"")] public static extern void Curve_SetTangents(IntPtr curve, IntPtr tangents);
    [DllImport(""curves"")] public static extern IntPtr Curve_GetTangents(IntPtr curve);
    [DllImport(""curves"")] public static extern void Curve_SetColors(IntPtr curve, IntPtr colors);
    [DllImport(""curves"")] public static extern IntPtr Curve_GetColors(IntPtr curve, int index);
    [DllImport(""curves"")] public static extern void Curve_SetNormals(IntPtr curve, IntPtr normals);
    [DllImport(""curves"")] public static extern IntPtr Curve_GetNormals(IntPtr curve);
}
";

        private static Task Run(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Leaks()
            => Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
                "Native memory from 'Marshal.AllocHGlobal' in 'block' is not released by 'Marshal.FreeHGlobal' when the method returns");

        [Fact]
        public Task ABlockTheClassFreesThroughTheGetterIsTheNativeObjects() => Run(@"
sealed class Curve : IDisposable
{
    private readonly IntPtr _native = Curves.curve_new();

    public void SetKnots(double[] knots)
    {
        var previous = Curves.Curve_GetKnots(_native);
        if (previous != IntPtr.Zero)
        {
            Marshal.FreeHGlobal(previous);
        }

        var block = Marshal.AllocHGlobal(sizeof(double) * knots.Length);
        Marshal.Copy(knots, 0, block, knots.Length);
        Curves.Curve_SetKnots(_native, block);
    }

    public void SetWeights(double[] weights)
    {
        var block = Marshal.AllocHGlobal(sizeof(double) * weights.Length);
        Marshal.Copy(weights, 0, block, weights.Length);
        Curves.curve_set_weights(_native, block);
    }

    public void Dispose()
    {
        Marshal.FreeHGlobal(Curves.curve_get_weights(_native));
        Curves.curve_free(_native);
    }
}");

        [Fact]
        public Task ASetterWithoutAGetterStillLeaks() => Run(@"
sealed class Curve
{
    private readonly IntPtr _native = Curves.curve_new();

    public void SetLabels(int count)
    {
        var block = {|#0:Marshal.AllocHGlobal(count)|};
        Curves.Curve_SetLabels(_native, block);
    }
}", Leaks());

        [Fact]
        public Task AGetterWhoseResultIsOnlyReadStillLeaks() => Run(@"
sealed class Curve
{
    private readonly IntPtr _native = Curves.curve_new();

    public void SetTangents(int count)
    {
        var block = {|#0:Marshal.AllocHGlobal(count)|};
        Curves.Curve_SetTangents(_native, block);
    }

    public int FirstTangent()
    {
        var tangents = Curves.Curve_GetTangents(_native);
        return Marshal.ReadInt32(tangents);
    }
}", Leaks());

        [Fact]
        public Task AGetterThatTakesAnIndexIsNotTheMatchingOne() => Run(@"
sealed class Curve : IDisposable
{
    private readonly IntPtr _native = Curves.curve_new();

    public void SetColors(int count)
    {
        var block = {|#0:Marshal.AllocHGlobal(count)|};
        Curves.Curve_SetColors(_native, block);
    }

    public void Dispose()
    {
        Marshal.FreeHGlobal(Curves.Curve_GetColors(_native, 0));
        Curves.curve_free(_native);
    }
}", Leaks());

        [Fact]
        public Task AGetterLocalWrittenAgainBeforeTheReleaseIsNotTheGetters() => Run(@"
sealed class Curve
{
    private readonly IntPtr _native = Curves.curve_new();

    public void SetNormals(int count)
    {
        var block = {|#0:Marshal.AllocHGlobal(count)|};
        Curves.Curve_SetNormals(_native, block);
    }

    public void Scratch(int count)
    {
        var normals = Curves.Curve_GetNormals(_native);
        normals = Marshal.AllocHGlobal(count);
        Marshal.FreeHGlobal(normals);
    }
}", Leaks());
    }
}
