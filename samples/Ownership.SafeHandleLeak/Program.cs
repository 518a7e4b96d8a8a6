using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Ownership.SafeHandleLeak
{
    /// <summary>An igsample handle-table entry, closed by igs_handle_close when disposed or finalized.</summary>
    internal sealed class SessionHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public SessionHandle()
            : base(ownsHandle: true)
        {
        }

        protected override bool ReleaseHandle() => Native.igs_handle_close(handle) == 0;
    }

    internal static class Native
    {
        [DllImport("igsample")]
        internal static extern SessionHandle igs_handle_open();

        [DllImport("igsample")]
        internal static extern int igs_handle_close(IntPtr handle);

        [DllImport("igsample")]
        internal static extern int igs_handle_read(SessionHandle handle);

        [DllImport("igsample")]
        internal static extern int igs_validate(int value);

        [DllImport("igsample")]
        internal static extern int igs_handles_open();
    }

    internal static class Program
    {
        private const int ExitLeak = 7;

        // One native session per record, disposed once the record is read. A record igs_validate rejects returns
        // early, and its session stays open until the finalizer thread happens to run, which may be never.
        private static void ProcessRecord(int record)
        {
            SessionHandle session = Native.igs_handle_open(); // IG3005: stays open when the record is rejected
            int status = Native.igs_validate(record);
            if (status != 0)
            {
                Console.WriteLine($"record {record}: rejected by igs_validate (status {status})");
                return;
            }

            Console.WriteLine($"record {record}: read state {Native.igs_handle_read(session)}");
            session.Dispose();
        }

        private static int Main()
        {
            foreach (int record in new[] { 1, -1, 2 })
            {
                ProcessRecord(record);
            }

            // Counted before any collection: what the process holds until the GC decides to finalize.
            int open = Native.igs_handles_open();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            int openAfterFinalizers = Native.igs_handles_open();
            if (open != 0)
            {
                Console.WriteLine($"LEAK handles_open={open} handles_open_after_finalizers={openAfterFinalizers}");
                return ExitLeak;
            }

            Console.WriteLine("OK handles_open=0");
            return 0;
        }
    }
}
