using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// The seek position of a stream of unknown kind (Flow/UnseekableStreams). IG5001: the end-of-data callback of a native
    /// image loader compares the caller's stream's position with its length, which throws for a stream that cannot seek;
    /// that is what the finding names, not the lookup of the stream in a table filled before the native call, and a
    /// MemoryStream stays quiet. IG3001: memory sized by a stream's length and handed to its owner after reading the length
    /// again does not leak (the first read already proved the stream can seek), while a first read after the allocation is
    /// named.
    /// </summary>
    public class StreamSeekThrowPointTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;

static class Images
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate int EndOfData(IntPtr context);

    [DllImport(""image"")] public static extern IntPtr image_load(EndOfData eof, IntPtr context);
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source + "}" };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        // FNA's INTERNAL_EOF: the stream comes from the caller of Load; Position and Length throw NotSupportedException when it
        // cannot seek, and that is the exception worth naming.
        [Fact]
        public Task NamesThePositionOfTheCallersStream() => Check(@"
    static readonly Dictionary<IntPtr, Stream> s_streams = new Dictionary<IntPtr, Stream>();
    static readonly EndOfData s_eof = AtEnd;

    static int {|#0:AtEnd|}(IntPtr context)
    {
        Stream stream;
        lock (s_streams)
        {
            stream = s_streams[context];
        }

        return stream.Position == stream.Length ? 1 : 0;
    }

    public static IntPtr Load(Stream stream)
    {
        var context = (IntPtr)1;
        lock (s_streams) s_streams.Add(context, stream);
        return image_load(s_eof, context);
    }
", Verify.Diagnostic("IG5001").WithLocation(0).WithMessage(
            "Callback 'AtEnd' is called by native function 'image_load', and 'stream.Position' may throw outside a catch-all: an exception escaping to native code terminates the process"));

        // A memory stream always seeks: reading its position and length starts no exception.
        [Fact]
        public Task APositionOfAMemoryStreamIsNotAThrowPoint() => Check(@"
    static readonly MemoryStream s_buffer = new MemoryStream();
    static readonly EndOfData s_eof = AtEnd;

    static int AtEnd(IntPtr context) => s_buffer.Position == s_buffer.Length ? 1 : 0;

    public static IntPtr Load() => image_load(s_eof, IntPtr.Zero);
");
    
        private const string Owner = @"using System;
using System.IO;
using System.Runtime.InteropServices;

public sealed class State : SafeHandle
{
    public State(IntPtr memory, long size) : base(IntPtr.Zero, true) { SetHandle(memory); Size = size; }
    public long Size { get; }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() { Marshal.FreeHGlobal(handle); return true; }
}

public static class States
{
";

        private static Task CheckOwnership(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Owner + source + "}" };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        // LLamaSharp's State.Load: the length read that sizes the block already proved the stream can seek, so reading it
        // again before the owner takes the block cannot throw.
        [Fact]
        public Task ALengthReadAgainAfterTheOneThatSizedTheBlockIsNotAThrowPoint() => CheckOwnership(@"
    public static State Load(Stream stream)
    {
        var memory = Marshal.AllocHGlobal((nint)stream.Length);
        var state = new State(memory, stream.Length);
        return state;
    }
");

        // The first seeking read comes after the allocation: a stream that cannot seek leaks the block.
        [Fact]
        public Task AFirstLengthReadAfterTheAllocationIsNamed() => CheckOwnership(@"
    public static State Load(Stream stream, int size)
    {
        var memory = {|#0:Marshal.AllocHGlobal(size)|};
        var state = new State(memory, stream.Length);
        return state;
    }
", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'Marshal.AllocHGlobal' in 'memory' is not released by 'Marshal.FreeHGlobal' if 'stream.Length' throws"));
    }
}
