using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Lifetime.MissingKeepAlive
{
    internal static unsafe class Native
    {
        [DllImport("igsample")]
        internal static extern IntPtr igs_handle_open();

        [DllImport("igsample")]
        internal static extern int igs_handle_close(IntPtr handle);

        [DllImport("igsample")]
        internal static extern int igs_handle_read(IntPtr handle);

        [DllImport("igsample")]
        internal static extern void igs_set_read_hook(delegate* unmanaged<IntPtr, void> hook);

        [DllImport("igsample")]
        internal static extern int igs_handle_uses_after_close();
    }

    /// <summary>Owns an igsample handle and closes it when it is collected, as many hand-written wrappers do.</summary>
    internal sealed class Session
    {
        private readonly IntPtr handle = Native.igs_handle_open();

        public IntPtr Handle => handle;

        ~Session()
        {
            Native.igs_handle_close(handle);
        }
    }

    internal static unsafe class Program
    {
        private const int ExitUseAfterClose = 10;
        private const int HandleOpen = 0;

        // Runs in the middle of igs_handle_read, between its check of the handle and its use: it stands for a GC
        // that another thread triggers at that moment, made deterministic.
        [UnmanagedCallersOnly]
        private static void CollectDuringRead(IntPtr handle)
        {
            try
            {
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
            }
            catch (Exception exception)
            {
                Console.Error.WriteLine("collection failed: " + exception.Message);
            }
        }

        // Optimized code (Release, tiered compilation off) treats 'session' as dead once its handle is read.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static int ReadOnce()
        {
            var session = new Session();
            return Native.igs_handle_read(session.Handle); // IG1001
        }

        // The owner is read again only on a branch this run never takes. Optimized code still reports 'session' live
        // during the call: a read of it is reachable from the call, and the JIT's liveness does not ask which path runs.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static int ReadWithKeepAliveOnABranch(bool verbose)
        {
            var session = new Session();
            int state = Native.igs_handle_read(session.Handle);
            if (verbose)
            {
                GC.KeepAlive(session);
            }

            return state;
        }

        // The same with a read on the failure branch only, as bindings build their exceptions.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static int ReadWithTheOwnerInAnErrorMessage(bool verbose)
        {
            var session = new Session();
            int state = Native.igs_handle_read(session.Handle);
            if (state != HandleOpen && verbose)
            {
                throw new InvalidOperationException("read failed on handle " + session.Handle);
            }

            return state;
        }

        // 'branch': many reads whose owner is read after the call only on the branch not taken; none may see its handle
        // closed. The branch condition comes from the command line, so the JIT cannot drop the branch.
        private static int ReadOnBranchesNotTaken(bool verbose)
        {
            const int Iterations = 500;
            int closed = 0;
            for (int i = 0; i < Iterations; i++)
            {
                int state = i % 2 == 0 ? ReadWithKeepAliveOnABranch(verbose) : ReadWithTheOwnerInAnErrorMessage(verbose);
                if (state != HandleOpen)
                {
                    closed++;
                }
            }

            int usesAfterClose = Native.igs_handle_uses_after_close();
            string counters = $"reads={Iterations} reads_closed={closed} handle_uses_after_close={usesAfterClose}";
            if (usesAfterClose != 0 || closed != 0)
            {
                Console.WriteLine("USE_AFTER_CLOSE " + counters);
                return ExitUseAfterClose;
            }

            Console.WriteLine("OK " + counters);
            return 0;
        }

        private static int Main(string[] args)
        {
            Native.igs_set_read_hook(&CollectDuringRead);
            if (args.Length > 0 && args[0] == "branch")
            {
                int status = ReadOnBranchesNotTaken(verbose: args.Length > 1);
                Native.igs_set_read_hook(null);
                return status;
            }

            int state = ReadOnce();
            Native.igs_set_read_hook(null);

            int usesAfterClose = Native.igs_handle_uses_after_close();
            string counters = $"read_state={(state == HandleOpen ? "open" : "closed")} handle_uses_after_close={usesAfterClose}";
            if (usesAfterClose != 0 || state != HandleOpen)
            {
                Console.WriteLine("USE_AFTER_CLOSE " + counters);
                return ExitUseAfterClose;
            }

            Console.WriteLine("OK " + counters);
            return 0;
        }
    }
}
