#nullable enable
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Corpus.ReferenceFreeLayouts
{
    // Look-alikes of IG2004: pointers to unmanaged data, pins the runtime accepts, and user data as handle numbers.
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct PacketHeader
    {
        public int Kind;
        public long Length;
        public fixed byte Tag[16];
    }

    internal struct Sample<T> where T : unmanaged
    {
        public T Value;
        public long Timestamp;
    }

    internal sealed class Stats
    {
        public long Packets;
        public long Bytes;
    }

    internal static unsafe class Wire
    {
        [DllImport("wire")]
        internal static extern int wire_send(void* header, byte* payload, int length);

        [DllImport("wire")]
        internal static extern int wire_run(delegate* unmanaged<IntPtr, int> step, IntPtr userData);
    }

    internal static unsafe class Sender
    {
        public static int Send(int kind, ReadOnlySpan<byte> payload)
        {
            var header = new PacketHeader { Kind = kind, Length = payload.Length };
            fixed (byte* p = payload)
            {
                return Wire.wire_send(&header, p, payload.Length);
            }
        }

        public static int SendSample(Sample<double> sample)
            => Wire.wire_send(Unsafe.AsPointer(ref sample), null, 0);

        public static int SendGeneric<T>(T value) where T : unmanaged
            => Wire.wire_send(&value, null, 0);

        public static long PinCounters(Stats stats, char[] text, bool[] flags)
        {
            // Classes of unmanaged fields, char[] and bool[] pin fine on .NET.
            var a = GCHandle.Alloc(stats, GCHandleType.Pinned);
            var b = GCHandle.Alloc(text, GCHandleType.Pinned);
            var c = GCHandle.Alloc(flags, GCHandleType.Pinned);
            try
            {
                return (long)a.AddrOfPinnedObject() + (long)b.AddrOfPinnedObject() + (long)c.AddrOfPinnedObject();
            }
            finally
            {
                c.Free();
                b.Free();
                a.Free();
            }
        }

        public static int Run(object state, delegate* unmanaged<IntPtr, int> step)
        {
            // A normal handle's number is the user data; the callback turns it back with GCHandle.FromIntPtr.
            var handle = GCHandle.Alloc(state);
            try
            {
                return Wire.wire_run(step, GCHandle.ToIntPtr(handle));
            }
            finally
            {
                handle.Free();
            }
        }

        public static int Peek(object unknown)
        {
            var pin = GCHandle.Alloc(unknown, GCHandleType.Pinned);
            try
            {
                return Marshal.ReadInt32(pin.AddrOfPinnedObject());
            }
            finally
            {
                pin.Free();
            }
        }
    }
}
