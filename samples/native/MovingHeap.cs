using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace IgSample
{
    /// <summary>
    /// The managed half of igsample's moving-GC scenarios (the Pinning samples link this file). A full compacting
    /// collection moves young objects out of the region they were allocated in, and allocation then starts over in that
    /// region: so bytes written through a stale pointer to a moved object land in the canary arrays allocated right after
    /// the collection, which are filled with <see cref="CanaryValue"/> and checked afterwards.
    /// </summary>
    internal static class MovingHeap
    {
        public const byte CanaryValue = 0xC3;
        private static byte[][] s_canaries = Array.Empty<byte[]>();

        /// <summary>Short-lived garbage allocated before the scenario's buffer, so that buffer is one of few survivors the collection moves.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static void Churn()
        {
            for (int i = 0; i < 256; i++)
            {
                GC.KeepAlive(new byte[1024]);
            }
        }

        /// <summary>A full compacting collection, as another thread could trigger at any moment.</summary>
        public static void Collect()
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        /// <summary>The collection, then the allocations the rest of the program would make while native code holds a pointer.</summary>
        public static void CollectAndAllocateCanaries()
        {
            Collect();
            var canaries = new byte[32][];
            for (int i = 0; i < canaries.Length; i++)
            {
                canaries[i] = new byte[32 * 1024];
                canaries[i].AsSpan().Fill(CanaryValue);
            }

            s_canaries = canaries;
        }

        public static int CanaryBytesOverwritten()
        {
            int count = 0;
            foreach (byte[] canary in s_canaries)
            {
                count += canary.Length - canary.AsSpan().Count(CanaryValue);
            }

            return count;
        }

        /// <summary>
        /// igs_set_gc_hook's hook: runs in the middle of igs_fill_after_gc, after the library has taken the pointer and
        /// before it writes through it. An exception must not reach the library's frame, so it is reported here.
        /// </summary>
        [UnmanagedCallersOnly]
        public static void CollectDuringCall()
        {
            try
            {
                CollectAndAllocateCanaries();
            }
            catch (Exception exception)
            {
                Console.Error.WriteLine("collection failed: " + exception.Message);
            }
        }
    }
}
