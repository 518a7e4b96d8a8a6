using System;
using System.Runtime.InteropServices;

namespace Ownership.UseAfterRelease
{
    internal static class Native
    {
        [DllImport("igsample")]
        internal static extern IntPtr igs_alloc(nuint size);

        [DllImport("igsample")]
        internal static extern void igs_free(IntPtr block);

        [DllImport("igsample")]
        internal static extern int igs_check(IntPtr block);

        [DllImport("igsample")]
        internal static extern IntPtr igs_handle_open();

        [DllImport("igsample")]
        internal static extern int igs_handle_close(IntPtr handle);

        [DllImport("igsample")]
        internal static extern int igs_handle_read(IntPtr handle);

        [DllImport("igsample")]
        internal static extern int igs_uses_after_free();

        [DllImport("igsample")]
        internal static extern int igs_double_frees();

        [DllImport("igsample")]
        internal static extern int igs_live_blocks();

        [DllImport("igsample")]
        internal static extern int igs_handle_uses_after_close();

        [DllImport("igsample")]
        internal static extern int igs_handles_open();
    }

    /// <summary>
    /// There is no code fix for IG3003: what is right after a use after release depends on what the code meant.
    /// So this sample holds the unsafe form and, next to it, the form written by hand; `correct` on the command
    /// line runs the latter.
    /// </summary>
    internal static class Program
    {
        private const int ExitMisuse = 5;

        // A rejected record's scratch block is released early on the error path, then the common path still
        // checks it and the finally releases it a second time.
        private static int Unsafe_Scratch(int record)
        {
            IntPtr scratch = Native.igs_alloc(32);
            try
            {
                if (record < 0)
                {
                    Native.igs_free(scratch);
                }

                return Native.igs_check(scratch); // IG3003: used after igs_free on the rejected path
            }
            finally
            {
                Native.igs_free(scratch); // IG3003: released twice on the rejected path
            }
        }

        // The session is closed in the finally, and the diagnostics line added later reads it once more.
        private static int Unsafe_Session()
        {
            IntPtr session = Native.igs_handle_open();
            int first;
            try
            {
                first = Native.igs_handle_read(session);
            }
            finally
            {
                Native.igs_handle_close(session);
            }

            int last = Native.igs_handle_read(session); // IG3003: 'session' read after igs_handle_close
            return first + last;
        }

        private static int Correct_Scratch(int record)
        {
            IntPtr scratch = Native.igs_alloc(32);
            try
            {
                return record < 0 ? -1 : Native.igs_check(scratch);
            }
            finally
            {
                Native.igs_free(scratch);
            }
        }

        private static int Correct_Session()
        {
            IntPtr session = Native.igs_handle_open();
            try
            {
                int first = Native.igs_handle_read(session);
                int last = Native.igs_handle_read(session);
                return first + last;
            }
            finally
            {
                Native.igs_handle_close(session);
            }
        }

        private static int Main(string[] args)
        {
            bool correct = args.Length > 0 && args[0] == "correct";
            foreach (int record in new[] { 1, -1 })
            {
                int state = correct ? Correct_Scratch(record) : Unsafe_Scratch(record);
                Console.WriteLine($"record {record}: scratch state {state}");
            }

            Console.WriteLine($"session: state {(correct ? Correct_Session() : Unsafe_Session())}");

            int usesAfterFree = Native.igs_uses_after_free();
            int doubleFrees = Native.igs_double_frees();
            int usesAfterClose = Native.igs_handle_uses_after_close();
            string counters = $"uses_after_free={usesAfterFree} double_frees={doubleFrees} handle_uses_after_close={usesAfterClose}"
                + $" live_blocks={Native.igs_live_blocks()} handles_open={Native.igs_handles_open()}";
            if (usesAfterFree + doubleFrees + usesAfterClose != 0)
            {
                Console.WriteLine("MISUSE " + counters);
                return ExitMisuse;
            }

            Console.WriteLine("OK " + counters);
            return 0;
        }
    }
}
