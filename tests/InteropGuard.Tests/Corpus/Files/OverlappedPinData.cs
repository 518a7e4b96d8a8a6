#nullable enable
using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace Corpus.OverlappedPins
{
    // Buffers that are pin data of an overlapped operation stay pinned until the NativeOverlapped is freed: native code
    // may keep their addresses for as long as the operation owns them (IG2002 and IG2003 look-alikes).
    internal static unsafe class Transport
    {
        [DllImport("transport")]
        internal static extern int transport_register_buffer(IntPtr queue, byte[] buffer, int length);

        [DllImport("transport")]
        internal static extern int transport_submit(IntPtr queue, IntPtr data, int length, NativeOverlapped* overlapped);
    }

    public sealed unsafe class FramedReceiver : IDisposable
    {
        private readonly byte[] _header = new byte[16];
        private readonly byte[] _payload = new byte[4096];
        private readonly PreAllocatedOverlapped _preallocated;

        public FramedReceiver(IntPtr queue)
        {
            // Both frames are pinned for the lifetime of the preallocated overlapped.
            _preallocated = new PreAllocatedOverlapped(OnCompleted, this, new object[] { _header, _payload });
            Transport.transport_register_buffer(queue, _header, _header.Length);
            Transport.transport_register_buffer(queue, _payload, _payload.Length);
        }

        private static void OnCompleted(uint error, uint bytes, NativeOverlapped* overlapped)
        {
        }

        public void Dispose() => _preallocated.Dispose();
    }

    public static unsafe class ChunkSubmitter
    {
        public static void Submit(IntPtr queue, int length)
        {
            var chunk = new byte[length];
            var scratch = new byte[64];
            NativeOverlapped* overlapped = new Overlapped().Pack(OnCompleted, new object[] { chunk, scratch });
            Transport.transport_register_buffer(queue, scratch, scratch.Length);
            Transport.transport_submit(queue, Marshal.UnsafeAddrOfPinnedArrayElement(chunk, 0), chunk.Length, overlapped);
        }

        // The completion frees the overlapped, which unpins the chunk.
        private static void OnCompleted(uint error, uint bytes, NativeOverlapped* overlapped) => Overlapped.Free(overlapped);
    }
}
