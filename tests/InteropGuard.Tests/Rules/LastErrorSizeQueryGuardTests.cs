using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// A table reader asks a native function for a table's size, leaves early when the size is not positive, allocates that
    /// many bytes and calls the function again to fill them, then reads the last error: <c>if (size &lt;= 0) return null;</c>
    /// is the exit taken when the size query failed (the code after it hands <c>size</c> to the allocation and the second
    /// call), so the read is about the fill call, made right before it: no IG4002. An exit taken on success, whose tested
    /// value nothing after it uses, still makes the read about the tested call, and a native call in between overwrites its
    /// error.
    /// </summary>
    public class LastErrorSizeQueryGuardTests
    {
        private const string Prelude = @"using System;
using System.ComponentModel;
using System.Runtime.InteropServices;

static class Tables
{
    [DllImport(""kernel32.dll"", SetLastError = true)] public static extern int ReadTable(int table, IntPtr buffer, int size);
    [DllImport(""kernel32.dll"", SetLastError = true)] public static extern int SendPacket(IntPtr channel, byte[] data, int size);
    [DllImport(""kernel32.dll"", SetLastError = true)] public static extern bool CloseChannel(IntPtr channel);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<LastErrorAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task ReadAfterTheFillCallThatTheSizeExitLeadsTo() => Check(@"
class TableReader
{
    public static byte[] Read(int table)
    {
        int size = Tables.ReadTable(table, IntPtr.Zero, 0);
        if (size <= 0)
            return null;

        IntPtr buffer = Marshal.AllocHGlobal(size);
        try
        {
            Tables.ReadTable(table, buffer, size);
            if (Marshal.GetLastWin32Error() != 0)
                return null;

            var bytes = new byte[size];
            Marshal.Copy(buffer, bytes, 0, size);
            return bytes;
        }
        finally
        {
            Marshal.FreeHGlobal(buffer);
        }
    }
}");

        [Fact]
        public Task ReadAfterAnExitOnSuccessAndACleanupCall() => Check(@"
class Sender
{
    public static int Send(IntPtr channel, byte[] data)
    {
        int sent = Tables.SendPacket(channel, data, data.Length);
        if (sent >= 0)
            return sent;

        Tables.CloseChannel(channel);
        return {|#0:Marshal.GetLastWin32Error()|};
    }
}", Verify.Diagnostic("IG4002").WithLocation(0).WithMessage(
            "'Marshal.GetLastWin32Error()' reads the last error of 'Tables.SendPacket' after 'Tables.CloseChannel', which is a P/Invoke declared with SetLastError = true and saves its own last error: capture the error right after 'Tables.SendPacket'"));
    }
}
