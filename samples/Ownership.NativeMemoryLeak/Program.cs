using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace Ownership.NativeMemoryLeak
{
    internal static class Native
    {
        [DllImport("igsample")]
        internal static extern IntPtr igs_alloc(nuint size);

        [DllImport("igsample")]
        internal static extern void igs_free(IntPtr block);

        [DllImport("igsample")]
        internal static extern int igs_validate(int value);

        [DllImport("igsample")]
        internal static extern int igs_live_blocks();

        [DllImport("igsample")]
        internal static extern unsafe int igs_report(byte* buffer, int capacity);
    }

    internal static class Program
    {
        private const int ExitLeak = 3;

        // Native staging and checksum buffers per record, released once the record is staged. A rejected
        // record throws between the allocations and the releases, so both of its buffers are never released.
        private static void ProcessRecord(int record)
        {
            IntPtr buffer = Native.igs_alloc(64); // IG3001: leaks if Validate throws
            IntPtr checksum = Native.igs_alloc(8); // IG3001: leaks if Validate throws
            Validate(record);
            Marshal.WriteInt32(buffer, record);
            Marshal.WriteInt32(checksum, record ^ 0x5a5a);
            Console.WriteLine($"record {record}: staged {Marshal.ReadInt32(buffer)}");
            Native.igs_free(checksum);
            Native.igs_free(buffer);
        }

        private static void Validate(int record)
        {
            int status = Native.igs_validate(record);
            if (status != 0)
            {
                throw new InvalidDataException($"record {record} rejected by igs_validate (status {status})");
            }
        }

        private static unsafe string Report()
        {
            byte* buffer = stackalloc byte[256];
            int length = Native.igs_report(buffer, 256);
            return Encoding.ASCII.GetString(buffer, Math.Min(length, 255));
        }

        private static int Main()
        {
            foreach (int record in new[] { 1, -1, 2 })
            {
                try
                {
                    ProcessRecord(record);
                }
                catch (InvalidDataException e)
                {
                    Console.WriteLine($"record {record}: {e.Message}");
                }
            }

            Console.WriteLine("igsample: " + Report());
            int live = Native.igs_live_blocks();
            if (live != 0)
            {
                Console.WriteLine($"LEAK live_blocks={live}");
                return ExitLeak;
            }

            Console.WriteLine("OK live_blocks=0");
            return 0;
        }
    }
}
