using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Ownership.SafeHandleRefCount
{
    /// <summary>An igsample handle-table entry, closed by igs_handle_close when its last reference is released.</summary>
    internal sealed class SessionHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public SessionHandle()
            : base(ownsHandle: true)
        {
        }

        protected override bool ReleaseHandle() => Native.igs_handle_close(handle) == 0;
    }

    internal static unsafe class Native
    {
        [DllImport("igsample")]
        internal static extern SessionHandle igs_handle_open();

        [DllImport("igsample")]
        internal static extern int igs_handle_close(IntPtr handle);

        [DllImport("igsample")]
        internal static extern int igs_handle_read(IntPtr handle);

        [DllImport("igsample")]
        internal static extern void igs_set_read_hook(delegate* unmanaged<IntPtr, void> hook);

        [DllImport("igsample")]
        internal static extern int igs_handle_uses_after_close();

        [DllImport("igsample")]
        internal static extern int igs_handles_open();
    }

    internal static unsafe class Program
    {
        private const int ExitUseAfterClose = 8;
        private const int HandleOpen = 0;

        // The session a shutdown closes. In a real program the shutdown runs on another thread at an unlucky
        // moment; igsample's read hook runs it at exactly that moment, in the middle of igs_handle_read.
        private static SessionHandle? s_session;

        [UnmanagedCallersOnly]
        private static void ShutDownDuringRead(IntPtr handle)
        {
            // Native code called us: an exception must not unwind into it (IG5001).
            try
            {
                s_session?.Dispose();
            }
            catch (Exception exception)
            {
                Console.Error.WriteLine("shutdown failed: " + exception.Message);
            }
        }

        // The raw value carries no reference: once another thread disposes the SafeHandle, ReleaseHandle closes
        // the native handle while igs_handle_read is still using it.
        private static int Read(SessionHandle session)
        {
            return Native.igs_handle_read(session.DangerousGetHandle()); // IG3006: no reference held during the call
        }

        private static int Main()
        {
            Native.igs_set_read_hook(&ShutDownDuringRead);
            int state;
            using (SessionHandle session = Native.igs_handle_open())
            {
                s_session = session;
                state = Read(session);
            }

            Native.igs_set_read_hook(null);
            s_session = null;

            int usesAfterClose = Native.igs_handle_uses_after_close();
            int open = Native.igs_handles_open();
            string counters = $"read_state={(state == HandleOpen ? "open" : "closed")} handle_uses_after_close={usesAfterClose} handles_open={open}";
            if (usesAfterClose != 0 || state != HandleOpen)
            {
                Console.WriteLine("USE_AFTER_CLOSE " + counters);
                return ExitUseAfterClose;
            }

            Console.WriteLine("OK " + counters);
            return open == 0 ? 0 : ExitUseAfterClose;
        }
    }
}
