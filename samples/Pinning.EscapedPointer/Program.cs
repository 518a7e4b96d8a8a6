using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Pinning.EscapedPointer
{
    internal static unsafe class Native
    {
        [DllImport("igsample")]
        internal static extern void igs_set_gc_hook(delegate* unmanaged<void> hook);

        [DllImport("igsample")]
        internal static extern int igs_fill_after_gc(byte* buffer, nuint size, byte value);
    }

    /// <summary>
    /// What the rest of the program allocates while native code holds a pointer. A full compacting collection moves
    /// young objects out of the region they were allocated in, and allocation then starts over in that region: so
    /// bytes written through a pointer to a moved object land in one of these arrays, which are filled with
    /// <see cref="Value"/> and checked afterwards.
    /// </summary>
    internal static class Canaries
    {
        public const byte Value = 0xC3;
        private static byte[][] s_arrays = Array.Empty<byte[]>();

        public static void Allocate()
        {
            var arrays = new byte[32][];
            for (int i = 0; i < arrays.Length; i++)
            {
                arrays[i] = new byte[32 * 1024];
                arrays[i].AsSpan().Fill(Value);
            }

            s_arrays = arrays;
        }

        public static int Overwritten()
        {
            int count = 0;
            foreach (byte[] array in s_arrays)
            {
                count += array.Length - array.AsSpan().Count(Value);
            }

            return count;
        }
    }

    internal static unsafe class Program
    {
        private const int ExitMisplaced = 11;
        private const byte Fill = 0x5A;

        // Runs in the middle of igs_fill_after_gc, after the library has taken the pointer and before it writes
        // through it: it stands for a GC that another thread triggers at that moment, made deterministic, and for
        // the allocations that follow it.
        [UnmanagedCallersOnly]
        private static void CollectDuringFill()
        {
            try
            {
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
                Canaries.Allocate();
            }
            catch (Exception exception)
            {
                Console.Error.WriteLine("collection failed: " + exception.Message);
            }
        }

        // Short-lived garbage allocated before the buffer, so the buffer is one of few survivors the collection moves.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void Churn()
        {
            for (int i = 0; i < 256; i++)
            {
                GC.KeepAlive(new byte[1024]);
            }
        }

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
            Churn();
            var buffer = new byte[64];
            Native.igs_set_gc_hook(&CollectDuringFill);
            int written = FillBuffer(buffer);
            Native.igs_set_gc_hook(null);

            int filled = buffer.AsSpan().Count(Fill);
            int overwritten = Canaries.Overwritten();
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
