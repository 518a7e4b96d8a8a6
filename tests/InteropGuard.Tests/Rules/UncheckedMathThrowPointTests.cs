using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// A physics binding keeps the caller's result list alive with a GCHandle for a query's callback, and converts a
    /// transform for the native side before the call: <c>Matrix4x4.Transpose</c>, <c>Vector3.Cross</c> and
    /// <c>Math.Sqrt</c> of floating-point values check nothing, so the handle cannot leak there. The framework members that
    /// do check — a copy into an array, <c>Math.Clamp</c>'s bounds, integer <c>Math.Abs</c> —
    /// stay throw points.
    /// </summary>
    public class UncheckedMathThrowPointTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.InteropServices;

struct NativeTransform { public Matrix4x4 Value; }

static class Native
{
    [DllImport(""physics"")] public static extern bool world_query(IntPtr world, NativeTransform transform, IntPtr context);
}

static class Conversions
{
    public static NativeTransform ToNative(this Matrix4x4 matrix) => new NativeTransform { Value = Matrix4x4.Transpose(matrix) };
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private const string Kept = "The GCHandle in 'results' from 'GCHandle.Alloc' is not released by 'GCHandle.Free' if '{0}' throws, so the object it refers to can never be collected";

        [Fact]
        public Task TransformConvertedBeforeTheCall() => Check(@"
class Query
{
    public bool Run(IntPtr world, Matrix4x4 transform, List<int> hits)
    {
        GCHandle results = GCHandle.Alloc(hits);
        bool found = Native.world_query(world, transform.ToNative(), GCHandle.ToIntPtr(results));
        results.Free();
        return found;
    }
}");

        [Fact]
        public Task VectorAndFloatingMathBeforeTheCall() => Check(@"
class Query
{
    public bool Run(IntPtr world, Vector3 up, Vector3 forward, float scale, List<int> hits)
    {
        GCHandle results = GCHandle.Alloc(hits);
        Vector3 side = Vector3.Normalize(Vector3.Cross(up, forward));
        float length = MathF.Sqrt((float)Math.Abs((double)scale));
        var transform = new NativeTransform { Value = Matrix4x4.CreateScale(side * length) };
        bool found = Native.world_query(world, transform, GCHandle.ToIntPtr(results));
        results.Free();
        return found;
    }
}");

        [Fact]
        public Task CopyIntoAnArrayIsStillAThrowPoint() => Check(@"
class Query
{
    public bool Run(IntPtr world, Vector3 axis, float[] components, List<int> hits)
    {
        GCHandle results = {|#0:GCHandle.Alloc(hits)|};
        axis.CopyTo(components);
        var transform = new NativeTransform { Value = Matrix4x4.CreateScale(components[0]) };
        bool found = Native.world_query(world, transform, GCHandle.ToIntPtr(results));
        results.Free();
        return found;
    }
}", Verify.Diagnostic("IG3004").WithLocation(0).WithMessage(string.Format(Kept, "axis.CopyTo(components)")));

        [Fact]
        public Task ClampAndIntegerAbsAreStillThrowPoints() => Check(@"
class Query
{
    public bool RunClamped(IntPtr world, float scale, float low, float high, List<int> hits)
    {
        GCHandle results = {|#0:GCHandle.Alloc(hits)|};
        var transform = new NativeTransform { Value = Matrix4x4.CreateScale(Math.Clamp(scale, low, high)) };
        bool found = Native.world_query(world, transform, GCHandle.ToIntPtr(results));
        results.Free();
        return found;
    }

    public bool RunSteps(IntPtr world, int steps, List<int> hits)
    {
        GCHandle results = {|#1:GCHandle.Alloc(hits)|};
        var transform = new NativeTransform { Value = Matrix4x4.CreateScale(Math.Abs(steps)) };
        bool found = Native.world_query(world, transform, GCHandle.ToIntPtr(results));
        results.Free();
        return found;
    }
}", Verify.Diagnostic("IG3004").WithLocation(0).WithMessage(string.Format(Kept, "Math.Clamp(scale, low, high)")),
    Verify.Diagnostic("IG3004").WithLocation(1).WithMessage(string.Format(Kept, "Math.Abs(steps)")));

        [Fact]
        public Task PerspectiveProjectionIsStillAThrowPoint() => Check(@"
class Query
{
    public bool Run(IntPtr world, float fieldOfView, List<int> hits)
    {
        GCHandle results = {|#0:GCHandle.Alloc(hits)|};
        var transform = new NativeTransform { Value = Matrix4x4.CreatePerspectiveFieldOfView(fieldOfView, 1.5f, 0.1f, 100f) };
        bool found = Native.world_query(world, transform, GCHandle.ToIntPtr(results));
        results.Free();
        return found;
    }
}", Verify.Diagnostic("IG3004").WithLocation(0).WithMessage(string.Format(Kept, "Matrix4x4.CreatePerspectiveFieldOfView(...)")));
    }
}
