using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// A delegate local chosen among P/Invokes' method groups (a switch expression over the element type whose other arm
    /// throws, a <c>?:</c>) and never written again: calling it calls a P/Invoke, which is no throw point, so a pinned
    /// array freed after it does not leak its pin. A local that may hold a method of our own, or that is written again,
    /// stays a throw point.
    /// </summary>
    public class NativeFunctionLocalTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""tensor"")] public static extern void copy_to_float(IntPtr tensor, IntPtr data);
    [DllImport(""tensor"")] public static extern void copy_to_int(IntPtr tensor, IntPtr data);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task SwitchAmongPInvokesWithAThrowingArm() => Check(@"
class Tensor
{
    IntPtr _tensor;

    public T[] Read<T>(int count)
    {
        Action<IntPtr, IntPtr> copy = Type.GetTypeCode(typeof(T)) switch
        {
            TypeCode.Single => Native.copy_to_float,
            TypeCode.Int32 => Native.copy_to_int,
            _ => throw new NotSupportedException(typeof(T).Name),
        };

        var result = new T[count];
        GCHandle pin = GCHandle.Alloc(result, GCHandleType.Pinned);
        copy(_tensor, pin.AddrOfPinnedObject());
        pin.Free();
        return result;
    }
}");

        [Fact]
        public Task ConditionalBetweenTwoPInvokes() => Check(@"
class Tensor
{
    IntPtr _tensor;

    public float[] Read(int count, bool asInt)
    {
        Action<IntPtr, IntPtr> copy = asInt ? Native.copy_to_int : Native.copy_to_float;
        var result = new float[count];
        GCHandle pin = GCHandle.Alloc(result, GCHandleType.Pinned);
        copy(_tensor, pin.AddrOfPinnedObject());
        pin.Free();
        return result;
    }
}");

        [Fact]
        public Task ChoiceThatMayHoldAManagedMethodIsStillAThrowPoint() => Check(@"
class Tensor
{
    IntPtr _tensor;

    static void Checked(IntPtr tensor, IntPtr data)
    {
        if (tensor == IntPtr.Zero) throw new ObjectDisposedException(nameof(Tensor));
        Native.copy_to_float(tensor, data);
    }

    public float[] Read(int count, bool check)
    {
        Action<IntPtr, IntPtr> copy = check ? Checked : Native.copy_to_float;
        var result = new float[count];
        GCHandle pin = {|#0:GCHandle.Alloc(result, GCHandleType.Pinned)|};
        copy(_tensor, pin.AddrOfPinnedObject());
        pin.Free();
        return result;
    }
}", Verify.Diagnostic("IG3004").WithLocation(0).WithMessage(
            "The GCHandle in 'pin' from 'GCHandle.Alloc' is not released by 'GCHandle.Free' if 'copy(_tensor, pin.AddrOfPinnedObject())' throws, so the object stays pinned and can never be collected"));

        [Fact]
        public Task LocalWrittenAgainIsStillAThrowPoint() => Check(@"
class Tensor
{
    IntPtr _tensor;
    Action<IntPtr, IntPtr> _custom = (t, d) => throw new InvalidOperationException();

    public float[] Read(int count, bool custom)
    {
        Action<IntPtr, IntPtr> copy = Native.copy_to_float;
        if (custom) copy = _custom;
        var result = new float[count];
        GCHandle pin = {|#0:GCHandle.Alloc(result, GCHandleType.Pinned)|};
        copy(_tensor, pin.AddrOfPinnedObject());
        pin.Free();
        return result;
    }
}", Verify.Diagnostic("IG3004").WithLocation(0).WithMessage(
            "The GCHandle in 'pin' from 'GCHandle.Alloc' is not released by 'GCHandle.Free' if 'copy(_tensor, pin.AddrOfPinnedObject())' throws, so the object stays pinned and can never be collected"));
    }
}
