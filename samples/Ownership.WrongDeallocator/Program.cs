using System;
using System.Runtime.InteropServices;

namespace Ownership.WrongDeallocator
{
    internal static class Native
    {
        [DllImport("igsample")]
        internal static extern IntPtr igs_alloc(nuint size);

        [DllImport("igsample")]
        internal static extern void igs_free(IntPtr block);

        [DllImport("igsample")]
        internal static extern IntPtr igs_alloc_b(nuint size);

        [DllImport("igsample")]
        internal static extern void igs_free_b(IntPtr block);

        [DllImport("igsample")]
        internal static extern int igs_live_blocks();

        [DllImport("igsample")]
        internal static extern int igs_mismatched_frees();
    }

    internal static class Program
    {
        private const int ExitMismatchedRelease = 4;

        // A message is a small header from igsample's first allocator and a body from its second one. The
        // releases were written from memory and swapped: every buffer goes back to the family that did not
        // allocate it, which a real allocator answers with heap corruption.
        private static int Encode(int record)
        {
            IntPtr header = Native.igs_alloc(16);
            IntPtr body = Native.igs_alloc_b(64);
            Marshal.WriteInt32(header, record);
            Marshal.WriteInt32(body, record * 31);
            int checksum = Marshal.ReadInt32(header) ^ Marshal.ReadInt32(body);
            Native.igs_free_b(header); // IG3002: header comes from igs_alloc
            Native.igs_free(body); // IG3002: body comes from igs_alloc_b
            return checksum;
        }

        private static int Main()
        {
            foreach (int record in new[] { 1, 2 })
            {
                Console.WriteLine($"record {record}: checksum {Encode(record)}");
            }

            int mismatched = Native.igs_mismatched_frees();
            int live = Native.igs_live_blocks();
            if (mismatched != 0)
            {
                Console.WriteLine($"MISMATCH mismatched_frees={mismatched} live_blocks={live}");
                return ExitMismatchedRelease;
            }

            Console.WriteLine($"OK mismatched_frees=0 live_blocks={live}");
            return live == 0 ? 0 : ExitMismatchedRelease;
        }
    }
}
