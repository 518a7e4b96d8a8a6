using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG2003 on an object of a sequential-layout class (a WAVEHDR declared as a class) given to a function that keeps it,
    /// while only the marshaller (for the call) or a Normal GCHandle (never) pins it.
    /// </summary>
    public class RetainedManagedBufferClassTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
[StructLayout(LayoutKind.Sequential)]
sealed class WaveHeader
{
    public IntPtr dataBuffer;
    public int bufferLength;
    public int bytesRecorded;
    public IntPtr userData;
    public int flags;
    public int loops;
    public IntPtr next;
    public IntPtr reserved;
}
sealed class Settings
{
    public int Rate;
}
static class WaveInterop
{
    [DllImport(""winmm.dll"")] public static extern int waveInPrepareHeader(IntPtr hWaveIn, [In, Out] WaveHeader header, int size);
    [DllImport(""winmm.dll"")] public static extern int waveInAddBuffer(IntPtr hWaveIn, [In, Out] WaveHeader header, int size);
    [DllImport(""winmm.dll"")] public static extern int waveInUnprepareHeader(IntPtr hWaveIn, [In, Out] WaveHeader header, int size);
    [DllImport(""winmm.dll"")] public static extern int waveInGetPosition(IntPtr hWaveIn, [In, Out] WaveHeader time, int size);
    [DllImport(""mylib"")] public static extern int mylib_submit_header(IntPtr device, WaveHeader header);
    [DllImport(""mylib"")] public static extern int mylib_configure(IntPtr device, Settings settings);
}
";

        private static Task Check(string source, string? editorConfig, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<RetainedManagedBufferAnalyzer> { Source = Prelude + source, EditorConfig = editorConfig };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(int location, string variable, string function, string why)
            => Verify.Diagnostic("IG2003").WithLocation(location).WithMessage(
                "Object '" + variable + "' of class 'WaveHeader' (marshalled by reference) is given to " + function + ", which " + why
                + "; it is pinned only for the duration of the call, so native code keeps the pointer and later writes into memory the GC may move or reuse");

        private const string ByCatalogue = "is documented to keep this argument after it returns (InteropGuard's catalogue of Win32 functions)";

        [Fact]
        public Task HeaderHeldByANormalHandleIsAFinding() => Check(@"
class WaveInBuffer
{
    private readonly WaveHeader header;
    private GCHandle hHeader;
    private readonly IntPtr waveIn;

    public WaveInBuffer(IntPtr waveIn)
    {
        this.waveIn = waveIn;
        header = new WaveHeader();
        hHeader = GCHandle.Alloc(header);
        WaveInterop.waveInPrepareHeader(waveIn, {|#0:header|}, Marshal.SizeOf(header));
    }

    public void Reuse()
    {
        WaveInterop.waveInAddBuffer(waveIn, {|#1:header|}, Marshal.SizeOf(header));
    }
}", null,
            Finding(0, "header", "'WaveInterop.waveInPrepareHeader'", ByCatalogue),
            Finding(1, "header", "'WaveInterop.waveInAddBuffer'", ByCatalogue));

        [Fact]
        public Task UnpinnedLocalAndListedFunction() => Check(@"
class Recorder
{
    void Queue(IntPtr waveIn, IntPtr device)
    {
        var header = new WaveHeader { bufferLength = 4096 };
        WaveInterop.waveInAddBuffer(waveIn, {|#0:header|}, Marshal.SizeOf(header));
        WaveInterop.mylib_submit_header(device, {|#1:header|});
    }
}", "root = true\n[*.cs]\ninteropguard.retaining_functions = mylib_submit_header(2)\n",
            Finding(0, "header", "'WaveInterop.waveInAddBuffer'", ByCatalogue),
            Finding(1, "header", "'WaveInterop.mylib_submit_header'", "is listed in interopguard.retaining_functions as keeping what it is given"));

        [Fact]
        public Task PinnedHeadersAndLookAlikesAreNotFindings() => Check(@"
class WaveInBuffer
{
    private readonly WaveHeader header;
    private GCHandle hHeader;
    private readonly IntPtr waveIn;

    public WaveInBuffer(IntPtr waveIn, GCHandleType kind)
    {
        this.waveIn = waveIn;
        header = new WaveHeader();
        hHeader = GCHandle.Alloc(header, GCHandleType.Pinned);
        WaveInterop.waveInPrepareHeader(waveIn, header, Marshal.SizeOf(header));

        // Pinned in this method, or by a handle whose type is not known here.
        var local = new WaveHeader();
        var pin = GCHandle.Alloc(local, GCHandleType.Pinned);
        WaveInterop.waveInAddBuffer(waveIn, local, Marshal.SizeOf(local));
        var other = new WaveHeader();
        var maybe = GCHandle.Alloc(other, kind);
        WaveInterop.waveInAddBuffer(waveIn, other, Marshal.SizeOf(other));

        // Functions that do not keep the header, a class without sequential layout, a function read as retaining
        // only by its name, an object that is not a named variable.
        var unpinned = new WaveHeader();
        WaveInterop.waveInUnprepareHeader(waveIn, unpinned, Marshal.SizeOf(unpinned));
        WaveInterop.waveInGetPosition(waveIn, unpinned, 12);
        WaveInterop.mylib_configure(waveIn, new Settings());
        WaveInterop.mylib_submit_header(waveIn, unpinned);
        WaveInterop.waveInAddBuffer(waveIn, new WaveHeader(), 32);
    }

    // Pinned in another method of the type: the constructor above owns the pin.
    public void Reuse() => WaveInterop.waveInAddBuffer(waveIn, header, Marshal.SizeOf(header));
}", null);
    }
}
