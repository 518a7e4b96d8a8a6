using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using IgSample;

namespace Pinning.RetainedBuffer
{
    internal static unsafe class Native
    {
        // Keeps the pointer until igs_release_kept (the project's .editorconfig declares it retaining). The array is
        // marshalled by pinning it for the duration of this call only.
        [DllImport("igsample")]
        internal static extern void igs_keep_buffer(byte[] buffer, nuint size);

        // The same function for memory the caller keeps in place itself.
        [DllImport("igsample", EntryPoint = "igs_keep_buffer")]
        internal static extern void igs_keep_pinned(byte* buffer, nuint size);

        [DllImport("igsample")]
        internal static extern int igs_write_kept(byte value);

        [DllImport("igsample")]
        internal static extern void igs_release_kept();
    }

    /// <summary>
    /// The pattern IG2003's page recommends: the operation that hands the buffer to the library owns a pin for as long
    /// as the library keeps the pointer, and releases it only after the library has let go.
    /// </summary>
    internal sealed unsafe class KeptBuffer : IDisposable
    {
        private GCHandle pin;

        public KeptBuffer(byte[] buffer)
        {
            pin = GCHandle.Alloc(buffer, GCHandleType.Pinned);
            Native.igs_keep_pinned((byte*)pin.AddrOfPinnedObject(), (nuint)buffer.Length);
        }

        public void Dispose()
        {
            Native.igs_release_kept();
            pin.Free();
        }
    }

    /// <summary>
    /// There is no code fix for IG2003: how long the memory must stay put depends on the library. So this sample holds
    /// the unsafe form and, next to it, the form written by hand; `correct` on the command line runs the latter.
    /// </summary>
    internal static class Program
    {
        private const int ExitMisplaced = 13;
        private const byte Fill = 0x5A;

        // The array is pinned while igs_keep_buffer runs and not after it: the library writes later through the
        // address the array had then.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static int Unsafe_Receive(byte[] buffer)
        {
            Native.igs_keep_buffer(buffer, (nuint)buffer.Length); // IG2003 'buffer'
            MovingHeap.CollectAndAllocateCanaries();
            int written = Native.igs_write_kept(Fill);
            Native.igs_release_kept();
            return written;
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static int Correct_Receive(byte[] buffer)
        {
            using (new KeptBuffer(buffer))
            {
                MovingHeap.CollectAndAllocateCanaries();
                return Native.igs_write_kept(Fill);
            }
        }

        private static int Main(string[] args)
        {
            bool correct = args.Length > 0 && args[0] == "correct";
            MovingHeap.Churn();
            var buffer = new byte[64];
            int written = correct ? Correct_Receive(buffer) : Unsafe_Receive(buffer);

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
