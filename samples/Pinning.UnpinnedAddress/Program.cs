using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using IgSample;

namespace Pinning.UnpinnedAddress
{
    internal static unsafe class Native
    {
        [DllImport("igsample")]
        internal static extern void igs_set_gc_hook(delegate* unmanaged<void> hook);

        [DllImport("igsample")]
        internal static extern int igs_fill_after_gc(void* buffer, nuint size, byte value);
    }

    internal static unsafe class Program
    {
        private const int ExitMisplaced = 12;
        private const byte Fill = 0x5A;

        // Unsafe.AsPointer turns a ref into an address without pinning anything: the GC that runs during the call
        // moves the buffer, and the library writes through the address it had before.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static int FillBuffer(byte[] buffer)
        {
            return Native.igs_fill_after_gc(Unsafe.AsPointer(ref buffer[0]), (nuint)buffer.Length, Fill); // IG2002 'buffer'
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
