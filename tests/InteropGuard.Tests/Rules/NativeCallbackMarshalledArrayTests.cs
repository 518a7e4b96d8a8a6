using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001 on a callback lambda decoding an array the marshaller made from native memory: when the delegate type declares
    /// the array <c>[MarshalAs(UnmanagedType.LPArray, SizeParamIndex = k)]</c>, the array is as long as parameter <c>k</c>
    /// says, so decoding that many bytes from its start (or the array's own <c>Length</c>) with a replacing encoding cannot
    /// fail. A count the array is not sized by, another start, an array sized by a constant, or another array's length
    /// still count.
    /// </summary>
    public class NativeCallbackMarshalledArrayTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
using System.Text;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate void ReadingArrived(IntPtr probe, [In, MarshalAs(UnmanagedType.LPArray, SizeParamIndex = 3)] byte[] label, int channel, ushort labelSize, IntPtr state);

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate void TagArrived(IntPtr probe, [In, MarshalAs(UnmanagedType.LPArray, SizeConst = 1)] byte[] tag, byte tagSize, IntPtr state);

static class Probe
{
    [DllImport(""probe"")] public static extern void probe_on_reading(IntPtr probe, ReadingArrived handler, IntPtr state);
    [DllImport(""probe"")] public static extern void probe_on_tag(IntPtr probe, TagArrived handler, IntPtr state);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(int location, string callback, string function, string operation)
            => Verify.Diagnostic("IG5001").WithLocation(location).WithMessage(
                "Callback '" + callback + "' is called by native function '" + function + "', and '" + operation
                + "' may throw outside a catch-all: an exception escaping to native code terminates the process");

        [Fact]
        public Task LabelDecodedByItsSizeParameterOrItsOwnLengthIsSilent() => Check(@"
class Station
{
    ReadingArrived _bySize;
    ReadingArrived _byLength;
    string _last = string.Empty;

    public void Listen(IntPtr probe)
    {
        _bySize = (p, label, channel, labelSize, state) => { _last = Encoding.UTF8.GetString(label, 0, labelSize); };
        _byLength = (p, label, channel, labelSize, state) => { _last = Encoding.ASCII.GetString(label, 0, label.Length); };
        Probe.probe_on_reading(probe, _bySize, IntPtr.Zero);
        Probe.probe_on_reading(probe, _byLength, IntPtr.Zero);
    }
}");

        [Fact]
        public Task AnotherCountAnotherStartAConstantSizeOrAnotherArrayStillThrow() => Check(@"
class Station
{
    ReadingArrived _byChannel;
    ReadingArrived _skippingOne;
    ReadingArrived _byScratch;
    TagArrived _tag;
    readonly byte[] _scratch = new byte[256];
    string _last = string.Empty;

    public void Listen(IntPtr probe)
    {
        _byChannel = (p, label, channel, labelSize, state) {|#0:=>|} { _last = Encoding.UTF8.GetString(label, 0, channel); };
        _skippingOne = (p, label, channel, labelSize, state) {|#1:=>|} { _last = Encoding.UTF8.GetString(label, 1, labelSize); };
        _byScratch = (p, label, channel, labelSize, state) {|#2:=>|} { _last = Encoding.UTF8.GetString(label, 0, _scratch.Length); };
        _tag = (p, tag, tagSize, state) {|#3:=>|} { _last = Encoding.UTF8.GetString(tag, 0, tagSize); };
        Probe.probe_on_reading(probe, _byChannel, IntPtr.Zero);
        Probe.probe_on_reading(probe, _skippingOne, IntPtr.Zero);
        Probe.probe_on_reading(probe, _byScratch, IntPtr.Zero);
        Probe.probe_on_tag(probe, _tag, IntPtr.Zero);
    }
}",
            Finding(0, "(p, label, channel, labelSize, state) => …", "probe_on_reading", "Encoding.UTF8.GetString(label, 0, channel)"),
            Finding(1, "(p, label, channel, labelSize, state) => …", "probe_on_reading", "Encoding.UTF8.GetString(label, 1, labelSize)"),
            Finding(2, "(p, label, channel, labelSize, state) => …", "probe_on_reading", "Encoding.UTF8.GetString(label, 0, _scratch.Length)"),
            Finding(3, "(p, tag, tagSize, state) => …", "probe_on_tag", "Encoding.UTF8.GetString(tag, 0, tagSize)"));
    }
}
