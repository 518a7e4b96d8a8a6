using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3004 and <c>Marshal.UnsafeAddrOfPinnedArrayElement</c>: it fails only on a null array (the index is added without a
    /// bounds check), so between pinning an array and freeing the pin it makes no path out when the array is a new one, a
    /// local made with one, or a parameter the method already rejected when null. An array that may be null, or another
    /// call that can throw in the same place, still leaves the pin behind.
    /// </summary>
    public class HandleReleaseElementAddressTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

static unsafe class Bits
{
    public static void Copy(byte* destination, byte* source, int count)
    {
        for (var i = 0; i < count; i++) destination[i] = source[i];
    }

    public static int Checked(int count) => count >= 0 ? count : throw new ArgumentOutOfRangeException(nameof(count));
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Pinned(int location, string thrower)
            => Verify.Diagnostic("IG3004").WithLocation(location).WithMessage(
                "The GCHandle in 'pin' from 'GCHandle.Alloc' is not released by 'GCHandle.Free' if '" + thrower + "' throws, so the object stays pinned and can never be collected");

        [Fact]
        public Task ElementAddressOfAnArrayThatIsThereCannotFail() => Check(@"
unsafe class Surface
{
    private byte* _bits;

    public byte[] Read(int count)
    {
        var copy = new byte[count];
        var pin = GCHandle.Alloc(copy, GCHandleType.Pinned);
        Bits.Copy((byte*)Marshal.UnsafeAddrOfPinnedArrayElement(copy, 0), _bits, count);
        pin.Free();
        return copy;
    }

    public void Write(byte[] values, int offset)
    {
        if (values == null)
        {
            throw new ArgumentNullException(nameof(values));
        }

        var pin = GCHandle.Alloc(values, GCHandleType.Pinned);
        Bits.Copy(_bits, (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(values, offset), values.Length - offset);
        pin.Free();
    }
}");

        [Fact]
        public Task AnArrayThatMayBeNullOrAnotherThrowingCallIsStillReported() => Check(@"
unsafe class Surface
{
    private byte* _bits;

    public void Write(byte[] values)
    {
        var pin = {|#0:GCHandle.Alloc(values, GCHandleType.Pinned)|};
        Bits.Copy(_bits, (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(values, 0), 16);
        pin.Free();
    }

    public void WriteSome(byte[] values, int count)
    {
        if (values == null)
        {
            throw new ArgumentNullException(nameof(values));
        }

        var pin = {|#1:GCHandle.Alloc(values, GCHandleType.Pinned)|};
        Bits.Copy(_bits, (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(values, 0), Bits.Checked(count));
        pin.Free();
    }
}", Pinned(0, "Marshal.UnsafeAddrOfPinnedArrayElement(values, 0)"), Pinned(1, "Bits.Checked(count)"));
    }
}
