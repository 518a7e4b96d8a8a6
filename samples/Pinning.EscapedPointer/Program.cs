using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using IgSample;

namespace Pinning.EscapedPointer
{
    internal static unsafe class Native
    {
        [DllImport("igsample")]
        internal static extern void igs_set_gc_hook(delegate* unmanaged<void> hook);

        [DllImport("igsample")]
        internal static extern int igs_fill_after_gc(byte* buffer, nuint size, byte value);
    }

    internal static unsafe class Program
    {
        private const int ExitMisplaced = 11;
        private const byte Fill = 0x5A;

        // The buffer is pinned only while the fixed statement runs; 'kept' outlives it, so the library writes
        // through an address the GC no longer keeps the buffer at.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static int FillBuffer(byte[] buffer)
        {
            byte* kept;
            fixed (byte* p = buffer)
            {
                kept = p;
            }

            return Native.igs_fill_after_gc(kept, (nuint)buffer.Length, Fill); // IG2001 'kept'
        }

        private static int Main()
        {
            MovingHeap.Churn();
            var buffer = new byte[64];
            Native.igs_set_gc_hook(&MovingHeap.CollectDuringCall);
            int written = FillBuffer(buffer);
            Native.igs_set_gc_hook(null);

            int filled = buffer.AsSpan().Count(Fill);
            int overwritten = MovingHeap.CanaryBytesOverwritten();
            string counters = $"written={written} buffer_bytes_filled={filled} canary_bytes_overwritten={overwritten}";
            if (filled != buffer.Length || overwritten != 0)
            {
                Console.WriteLine("MISPLACED " + counters);
                return ExitMisplaced;
            }

            Console.WriteLine("OK " + counters);
            return 0;
        }
    }
}
