#nullable enable
using System;
using System.Buffers;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Tasks;

namespace Corpus.Pinning
{
    internal static unsafe class Codec
    {
        [DllImport("codec")] internal static extern int codec_write(byte* data, int length);
        [DllImport("codec")] internal static extern int codec_write_ptr(IntPtr data, int length);
        [DllImport("codec")] internal static extern int codec_frame(FrameArgs* args);
        [DllImport("codec")] internal static extern int codec_scan(ref byte first, int length);
        [DllImport("codec")] internal static extern int codec_parse(byte* text, int length, out byte* end);
        [DllImport("codec")] internal static extern int codec_attach(IntPtr data, int length, Completion done, IntPtr state);
    }

    internal delegate void Completion(IntPtr state);

    internal unsafe struct FrameArgs
    {
        public byte* Data;
        public int Length;
        public byte** Planes;
    }

    /// <summary>Pointers that are used only while their memory is pinned.</summary>
    public static unsafe class Frames
    {
        public static int Write(ReadOnlySpan<byte> data)
        {
            fixed (byte* p = data)
            {
                return Codec.codec_write(p, data.Length);
            }
        }

        public static int Scan(ReadOnlySpan<byte> data)
            => Codec.codec_scan(ref MemoryMarshal.GetReference(data), data.Length);

        public static int WriteText(string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            fixed (byte* p = bytes)
            {
                var rc = Codec.codec_parse(p, bytes.Length, out var end);
                // 'end' comes from native code and points into the pinned array: it is only compared here.
                return end >= p && end <= p + bytes.Length ? (int)(end - p) : rc;
            }
        }

        public static int WriteFrame(byte[] y, byte[] u, byte[] v)
        {
            FrameArgs args;
            byte** planes = stackalloc byte*[3];
            fixed (byte* py = y, pu = u, pv = v)
            {
                planes[0] = py;
                planes[1] = pu;
                planes[2] = pv;
                args.Data = py;
                args.Length = y.Length;
                args.Planes = planes;
                return Codec.codec_frame(&args);
            }
        }

        public static void Clear(byte[] buffer)
        {
            fixed (byte* start = buffer)
            {
                var end = start + buffer.Length;
                for (var p = start; p < end; p++)
                {
                    *p = 0;
                }
            }
        }

        public static void CopyOut(byte[] buffer, byte* destination)
        {
            fixed (byte* source = buffer)
            {
                Buffer.MemoryCopy(source, destination, buffer.Length, buffer.Length);
                *destination = *source;
            }
        }

        public static int WriteEach(List<byte[]> chunks)
        {
            var total = 0;
            foreach (var chunk in chunks)
            {
                byte* cursor;
                fixed (byte* p = chunk)
                {
                    cursor = p;
                    total += Codec.codec_write(cursor, chunk.Length);
                }

                cursor = null;
                total += cursor == null ? 0 : 1;
            }

            return total;
        }

        public static void ParallelClear(byte[] buffer)
        {
            fixed (byte* p = buffer)
            {
                var address = (IntPtr)p;
                System.Threading.Tasks.Parallel.For(0, buffer.Length, i => ((byte*)address)[i] = 0);
            }
        }

        public static int StackScratch(int length)
        {
            Span<byte> scratch = length <= 128 ? stackalloc byte[128] : new byte[length];
            byte* kept;
            fixed (byte* p = scratch)
            {
                kept = p;
                return Codec.codec_write(kept, length);
            }
        }

        public static int StackPointer()
        {
            byte* header = stackalloc byte[16];
            var cursor = header + 4;
            *cursor = 1;
            return Codec.codec_write(header, 16);
        }

        public static int NativeSpan(IntPtr block, int length)
        {
            var view = new Span<byte>((void*)block, length);
            byte* start;
            fixed (byte* p = view)
            {
                start = p;
            }

            return Codec.codec_write(start, length);
        }
    }

    /// <summary>Pins that outlive the method on purpose: the owner releases them later.</summary>
    public sealed unsafe class PinnedFrame : IDisposable
    {
        private readonly byte[] _pixels;
        private GCHandle _handle;
        private MemoryHandle _pin;

        public PinnedFrame(int size, Memory<byte> side)
        {
            _pixels = new byte[size];
            _handle = GCHandle.Alloc(_pixels, GCHandleType.Pinned);
            Address = _handle.AddrOfPinnedObject();
            _pin = side.Pin();
            Side = _pin.Pointer;
        }

        public IntPtr Address { get; }

        public void* Side { get; }

        public void Dispose()
        {
            _pin.Dispose();
            if (_handle.IsAllocated)
            {
                _handle.Free();
            }
        }
    }

    public static class Attachments
    {
        public static int Attach(byte[] data)
        {
            var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
            var state = GCHandle.ToIntPtr(handle);
            return Codec.codec_attach(handle.AddrOfPinnedObject(), data.Length, Done, state);
        }

        private static void Done(IntPtr state)
        {
            try
            {
                GCHandle.FromIntPtr(state).Free();
            }
            catch (Exception)
            {
                // Nothing can be reported to the native caller.
            }
        }

        public static int Checksum(byte[] data)
        {
            var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
            try
            {
                var address = handle.AddrOfPinnedObject();
                return Codec.codec_write_ptr(address, data.Length);
            }
            finally
            {
                handle.Free();
            }
        }

        public static unsafe int ChecksumMemory(ReadOnlyMemory<byte> data)
        {
            using var pin = data.Pin();
            var start = (byte*)pin.Pointer;
            return Codec.codec_write(start, data.Length);
        }
    }

    /// <summary>Fixed statements over memory that never moves: views of stack scratch space, arrays the caller asked to put on the pinned heap.</summary>
    public static unsafe class ScratchFrames
    {
        public static int WriteHeader(bool large)
        {
            Span<byte> scratch = stackalloc byte[16];
            if (large)
            {
                scratch = stackalloc byte[64];
            }

            byte* body;
            fixed (byte* start = scratch.Slice(4))
            {
                body = start;
            }

            return Codec.codec_write(body, 4);
        }

        public static int WriteKept(int length, bool pinned)
        {
            var frame = GC.AllocateArray<byte>(length, pinned);
            byte* start;
            fixed (byte* p = frame)
            {
                start = p;
            }

            return pinned ? Codec.codec_write(start, length) : 0;
        }
    }
}
