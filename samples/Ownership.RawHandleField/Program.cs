using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Ownership.RawHandleField
{
    /// <summary>
    /// One igsample session, owned through the raw handle igs_handle_open returns. Its release looks guarded, but the
    /// guard never becomes false: Dispose does not clear the field, so a second Dispose closes the handle again, and
    /// it does not suppress finalization, so the finalizer closes it once more after Dispose.
    /// </summary>
    internal sealed class Session : IDisposable
    {
        private IntPtr _handle; // IG3007: '_handle' keeps the raw handle that Dispose and the finalizer both close

        public Session()
        {
            _handle = Native.igs_handle_open();
            if (_handle == IntPtr.Zero)
            {
                throw new InvalidOperationException("igs_handle_open failed: the handle table is full");
            }
        }

        public int Read() => Native.igs_handle_read(_handle);

        public void Dispose()
        {
            if (_handle != IntPtr.Zero)
            {
                Native.igs_handle_close(_handle);
            }
        }

        ~Session()
        {
            if (_handle != IntPtr.Zero)
            {
                Native.igs_handle_close(_handle);
            }
        }
    }

    internal static class Native
    {
        [DllImport("igsample")]
        internal static extern IntPtr igs_handle_open();

        [DllImport("igsample")]
        internal static extern int igs_handle_close(IntPtr handle);

        [DllImport("igsample")]
        internal static extern int igs_handle_read(IntPtr handle);

        [DllImport("igsample")]
        internal static extern int igs_handles_open();

        [DllImport("igsample")]
        internal static extern int igs_handle_double_closes();
    }

    internal static class Program
    {
        private const int ExitDoubleClose = 9;

        // A session that a failed read disposes on its error path and the using statement disposes again: both are
        // reasonable on their own, and Dispose is supposed to tolerate it.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void ReadRecords()
        {
            using (var session = new Session())
            {
                int state = session.Read();
                Console.WriteLine($"session: read state {state}");
                if (state == 0)
                {
                    Console.WriteLine("session: done early, disposing");
                    session.Dispose();
                }
            }
        }

        private static int Main()
        {
            ReadRecords();
            int byDispose = Native.igs_handle_double_closes();

            // The session is unreachable now; its finalizer runs although Dispose already released the handle.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            int byFinalizer = Native.igs_handle_double_closes() - byDispose;
            int open = Native.igs_handles_open();

            string counters = $"double_closes_by_dispose={byDispose} double_closes_by_finalizer={byFinalizer} handles_open={open}";
            if (byDispose != 0 || byFinalizer != 0 || open != 0)
            {
                Console.WriteLine("DOUBLE_CLOSE " + counters);
                return ExitDoubleClose;
            }

            Console.WriteLine("OK " + counters);
            return 0;
        }
    }
}
