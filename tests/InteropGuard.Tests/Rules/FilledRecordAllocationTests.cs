using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3001 on what a native function allocates into the record its pointer argument points to: libpcap's
    /// <c>pcap_compile</c> fills a <c>bpf_program</c> whose code only <c>pcap_freecode</c> releases; freeing the record's
    /// own storage does not.
    /// </summary>
    public class FilledRecordAllocationTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
[StructLayout(LayoutKind.Sequential)]
struct BpfProgram
{
    public uint Length;
    public IntPtr Instructions;
}
class FilterException : Exception { }
static class Capture
{
    [DllImport(""wpcap"")] internal static extern int pcap_compile(IntPtr device, IntPtr program, string text, int optimize, uint netmask);
    [DllImport(""wpcap"")] internal static extern int pcap_setfilter(IntPtr device, IntPtr program);
    [DllImport(""wpcap"")] internal static extern void pcap_freecode(IntPtr program);
    [DllImport(""mylib"")] internal static extern int compile_other(IntPtr device, IntPtr program, string text, int optimize, uint netmask);
}
class Device
{
    private IntPtr _device;
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source + "\n}" };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task CompiledFilterWhoseRecordIsFreedButNotItsCode() => Check(@"
    public void SetFilter(string text)
    {
        IntPtr program = IntPtr.Zero;
        program = Marshal.AllocHGlobal(Marshal.SizeOf(typeof(BpfProgram)));
        if (Capture.pcap_compile(_device, {|#0:program|}, text, 1, 0) < 0)
        {
            Marshal.FreeHGlobal(program);
            throw new FilterException();
        }

        Capture.pcap_setfilter(_device, program);
        Marshal.FreeHGlobal(program);
    }", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'Capture.pcap_compile' in 'program' is not released by 'Capture.pcap_freecode' when the method returns"));

        [Fact]
        public Task CompiledFilterLeakedOnTheThrowAfterTheCompile() => Check(@"
    public void SetFilter(string text)
    {
        IntPtr program = Marshal.AllocHGlobal(Marshal.SizeOf(typeof(BpfProgram)));
        try
        {
            if (Capture.pcap_compile(_device, {|#0:program|}, text, 1, 0) < 0)
            {
                throw new FilterException();
            }

            if (Capture.pcap_setfilter(_device, program) < 0)
            {
                throw new FilterException();
            }

            Capture.pcap_freecode(program);
        }
        finally
        {
            Marshal.FreeHGlobal(program);
        }
    }", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'Capture.pcap_compile' in 'program' is not released by 'Capture.pcap_freecode' on the 'throw new FilterException()' in 'if (Capture.pcap_setfilter(_device, program) < 0)'"));

        /// <summary>
        /// Silent: the code freed on every path before the record (a failed compile allocates nothing), the record
        /// handed to a function that is not libpcap's, and the program kept in a field for later.
        /// </summary>
        [Fact]
        public Task CompiledFilterReleasedOrKeptIsSilent() => Check(@"
    private IntPtr _program;
    public void SetFilter(string text)
    {
        IntPtr program = Marshal.AllocHGlobal(Marshal.SizeOf(typeof(BpfProgram)));
        try
        {
            if (Capture.pcap_compile(_device, program, text, 1, 0) < 0)
            {
                throw new FilterException();
            }

            try
            {
                Capture.pcap_setfilter(_device, program);
            }
            finally
            {
                Capture.pcap_freecode(program);
            }
        }
        finally
        {
            Marshal.FreeHGlobal(program);
        }
    }

    public void Other(string text)
    {
        IntPtr program = Marshal.AllocHGlobal(16);
        Capture.compile_other(_device, program, text, 1, 0);
        Marshal.FreeHGlobal(program);
    }

    public void Keep(string text)
    {
        _program = Marshal.AllocHGlobal(16);
        IntPtr program = _program;
        Capture.pcap_compile(_device, program, text, 1, 0);
    }");
    }
}
