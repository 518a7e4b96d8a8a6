using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// An encoder writes into a <c>MemoryStream</c> of its own, native memory is allocated for the result and the stream's
    /// buffer is copied into it: <c>GetBuffer()</c> of a stream that grows its own buffer cannot throw, so the block does
    /// not leak there. A stream made over a caller's array (whose buffer is not exposable) or given as a parameter keeps
    /// <c>GetBuffer()</c> a throw point.
    /// </summary>
    public class ExposableStreamBufferTests
    {
        private const string Prelude = @"using System;
using System.IO;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""sink"")] public static extern void sink_take_copy(IntPtr data, int length);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private const string Leak = "Native memory from 'Marshal.AllocHGlobal' in 'block' is not released by 'Marshal.FreeHGlobal' if 'stream.GetBuffer()' throws";

        [Fact]
        public Task GrowingStreamOfItsOwn() => Check(@"
static class Exporter
{
    public static void Export(byte[] header, byte[] body)
    {
        using (var stream = new MemoryStream())
        {
            stream.Write(header, 0, header.Length);
            stream.Write(body, 0, body.Length);
            int length = (int)stream.Length;
            IntPtr block = Marshal.AllocHGlobal(length);
            Marshal.Copy(stream.GetBuffer(), 0, block, length);
            Native.sink_take_copy(block, length);
            Marshal.FreeHGlobal(block);
        }
    }
}");

        [Fact]
        public Task StreamWithACapacity() => Check(@"
static class Exporter
{
    public static void Export(byte[] body)
    {
        var stream = new MemoryStream(body.Length + 16);
        stream.Write(body, 0, body.Length);
        IntPtr block = Marshal.AllocHGlobal(body.Length);
        Marshal.Copy(stream.GetBuffer(), 0, block, body.Length);
        Native.sink_take_copy(block, body.Length);
        Marshal.FreeHGlobal(block);
    }
}");

        [Fact]
        public Task StreamOverTheCallersArrayIsStillAThrowPoint() => Check(@"
static class Exporter
{
    public static void Export(byte[] body)
    {
        var stream = new MemoryStream(body);
        IntPtr block = {|#0:Marshal.AllocHGlobal(body.Length)|};
        Marshal.Copy(stream.GetBuffer(), 0, block, body.Length);
        Native.sink_take_copy(block, body.Length);
        Marshal.FreeHGlobal(block);
    }
}", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(Leak));

        [Fact]
        public Task StreamGivenByTheCallerIsStillAThrowPoint() => Check(@"
static class Exporter
{
    public static void Export(MemoryStream stream)
    {
        int length = (int)stream.Length;
        IntPtr block = {|#0:Marshal.AllocHGlobal(length)|};
        Marshal.Copy(stream.GetBuffer(), 0, block, length);
        Native.sink_take_copy(block, length);
        Marshal.FreeHGlobal(block);
    }
}", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(Leak));
    }
}
