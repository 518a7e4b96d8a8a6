using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3004 on the shared model of what throws (Flow/ThrowingMethods): a call through an interface no code outside the
    /// library can implement runs one of the library's own implementations, so it is a throw point only when one of them
    /// can throw. A public interface, which the user may implement, is still a throw point.
    /// </summary>
    public class ClosedInterfaceThrowPointTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""codec"")] public static extern int codec_decode(IntPtr source, int length);
}

internal interface ISource
{
    int Limit(int length);
}

public interface IPublicSource
{
    int Limit(int length);
}

sealed class PinnedSource : ISource, IPublicSource
{
    public int Limit(int length) => length < 4096 ? length : 4096;
}
";

        // Pins the data, asks the source for the length to decode, decodes, unpins.
        private static string Decoder(string source) => @"
static class Decoder
{
    public static int Decode(" + source + @" source, byte[] data)
    {
        var handle = {|#0:GCHandle.Alloc(data, GCHandleType.Pinned)|};
        var length = source.Limit(data.Length);
        var result = Native.codec_decode(handle.AddrOfPinnedObject(), length);
        handle.Free();
        return result;
    }
}";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Leak() => Verify.Diagnostic("IG3004").WithLocation(0).WithMessage(
            "The GCHandle in 'handle' from 'GCHandle.Alloc' is not released by 'GCHandle.Free' if 'source.Limit(data.Length)' throws, so the object stays pinned and can never be collected");

        [Fact]
        public Task InternalInterfaceWhoseImplementationsCannotThrow() => Check(Decoder("ISource"));

        [Fact]
        public Task InternalInterfaceWithAnImplementationThatThrows() => Check(@"
sealed class CheckedSource : ISource
{
    public int Limit(int length)
    {
        if (length > 4096)
        {
            throw new FormatException(""too long for one frame"");
        }

        return length;
    }
}
" + Decoder("ISource"), Leak());

        [Fact]
        public Task PublicInterfaceIsAThrowPoint() => Check(Decoder("IPublicSource"), Leak());
    }
}
