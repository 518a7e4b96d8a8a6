#nullable enable
using System;
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

// Correct ways to get the address of managed memory (IG2002 look-alikes): pinned handles kept by owners, handles
// pinned around a call and freed after, pinned-object-heap arrays, stack and native memory, fixed scopes.
namespace Corpus.PinnedAddresses
{
    internal static unsafe class Native
    {
        [DllImport("rowkit")] internal static extern int rk_sum(IntPtr rows, int count, int width);
        [DllImport("rowkit")] internal static extern int rk_compare(IntPtr left, IntPtr right, int length);
        [DllImport("rowkit")] internal static extern int rk_scan(ref byte first, int length);
        [DllImport("rowkit")] internal static extern int rk_hash(void* data, int length);
    }

    /// <summary>A UTF-8 copy that stays pinned until disposed; the address is read through a guarded property.</summary>
    public sealed class PinnedText : IDisposable
    {
        private readonly byte[] _bytes;
        private readonly GCHandle _pin;

        public PinnedText(string text)
        {
            _bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(text) + 1];
            System.Text.Encoding.UTF8.GetBytes(text, 0, text.Length, _bytes, 0);
            _pin = GCHandle.Alloc(_bytes, GCHandleType.Pinned);
        }

        public IntPtr Address => _pin.IsAllocated ? _pin.AddrOfPinnedObject() : IntPtr.Zero;

        public unsafe void* First => Unsafe.AsPointer(ref _bytes[0]);

        public void Dispose()
        {
            if (_pin.IsAllocated)
            {
                _pin.Free();
            }
        }
    }

    /// <summary>Rows pinned one by one into a table of addresses, released together.</summary>
    public sealed class RowTable : IDisposable
    {
        private readonly GCHandle[] _pins;
        private readonly IntPtr[] _addresses;

        public RowTable(int[][] rows)
        {
            _pins = new GCHandle[rows.Length];
            _addresses = new IntPtr[rows.Length];
            for (var i = 0; i < rows.Length; i++)
            {
                _pins[i] = GCHandle.Alloc(rows[i], GCHandleType.Pinned);
                _addresses[i] = _pins[i].AddrOfPinnedObject();
            }
        }

        public int Sum(int width)
        {
            var table = GCHandle.Alloc(_addresses, GCHandleType.Pinned);
            try
            {
                return Native.rk_sum(table.AddrOfPinnedObject(), _addresses.Length, width);
            }
            finally
            {
                table.Free();
            }
        }

        public void Dispose()
        {
            foreach (var pin in _pins)
            {
                if (pin.IsAllocated)
                {
                    pin.Free();
                }
            }
        }
    }

    public static class Comparisons
    {
        public static bool Same(byte[] left, byte[] right)
        {
            if (left.Length != right.Length)
            {
                return false;
            }

            var a = GCHandle.Alloc(left, GCHandleType.Pinned);
            try
            {
                var b = GCHandle.Alloc(right, GCHandleType.Pinned);
                try
                {
                    return Native.rk_compare(a.AddrOfPinnedObject(), Marshal.UnsafeAddrOfPinnedArrayElement(right, 0), left.Length) == 0;
                }
                finally
                {
                    b.Free();
                }
            }
            finally
            {
                a.Free();
            }
        }

        public static int Scan(ReadOnlySpan<byte> data)
            => Native.rk_scan(ref MemoryMarshal.GetReference(data), data.Length);

        public static int Scan(byte[] data)
        {
            var local = new byte[data.Length];
            data.CopyTo(local, 0);
            var pin = GCHandle.Alloc(local, GCHandleType.Pinned);
            try
            {
                return Native.rk_compare(Marshal.UnsafeAddrOfPinnedArrayElement(local, 0), pin.AddrOfPinnedObject(), local.Length);
            }
            finally
            {
                pin.Free();
            }
        }
    }

    /// <summary>Buffers that never move, or that are pinned for exactly as long as the pointer is used.</summary>
    public static unsafe class Buffers
    {
        private static readonly byte[] s_shared = GC.AllocateArray<byte>(4096, pinned: true);

        public static int HashShared(int length) => Native.rk_hash(Unsafe.AsPointer(ref s_shared[0]), length);

        public static int HashFresh(int length)
        {
            var block = GC.AllocateUninitializedArray<byte>(length, pinned: true);
            return Native.rk_hash(Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(block)), block.Length);
        }

        public static int HashSmall()
        {
            Span<byte> scratch = stackalloc byte[64];
            scratch.Fill(7);
            return Native.rk_hash(Unsafe.AsPointer(ref MemoryMarshal.GetReference(scratch)), scratch.Length);
        }

        public static int HashNative(int length)
        {
            var memory = NativeMemory.Alloc((nuint)length);
            try
            {
                var view = new Span<byte>(memory, length);
                view.Clear();
                return Native.rk_hash(Unsafe.AsPointer(ref view[0]), view.Length);
            }
            finally
            {
                NativeMemory.Free(memory);
            }
        }

        public static int HashPinned(byte[] data)
        {
            fixed (byte* start = data)
            {
                return Native.rk_hash(Unsafe.AsPointer(ref data[0]), data.Length);
            }
        }

        public static int HashMemory(byte[] data)
        {
            using (var pin = data.AsMemory().Pin())
            {
                return Native.rk_hash(Unsafe.AsPointer(ref data[0]), data.Length);
            }
        }

        public static int HashValue(long value) => Native.rk_hash(Unsafe.AsPointer(ref value), sizeof(long));

        public static int HashAny(ref long value) => Native.rk_hash(Unsafe.AsPointer(ref value), sizeof(long));

        public static int HashSpan(Span<byte> data) => Native.rk_hash(Unsafe.AsPointer(ref MemoryMarshal.GetReference(data)), data.Length);
    }

    /// <summary>Pins that start, stop and start again: a batch loop that may stop early, a handle local pinned twice, a pinned-heap buffer cleared on dispose.</summary>
    public sealed unsafe class RowBatches : IDisposable
    {
        private byte[] _scratch = GC.AllocateUninitializedArray<byte>(256, pinned: true);

        public int SumScratch(int count) => Native.rk_hash(Unsafe.AsPointer(ref _scratch[0]), Math.Min(count, _scratch.Length));

        public static int SumRows(int rows, int width)
        {
            var data = new byte[rows * width];
            var handle = GCHandle.Alloc(data, GCHandleType.Pinned);
            var total = 0;
            try
            {
                for (var row = 0; row < rows; row++)
                {
                    if (total < 0)
                    {
                        break;
                    }

                    total += Native.rk_sum(Marshal.UnsafeAddrOfPinnedArrayElement(data, row * width), 1, width);
                }
            }
            finally
            {
                handle.Free();
            }

            return total;
        }

        public static int CompareTwice(int length)
        {
            var left = new byte[length];
            var handle = GCHandle.Alloc(left, GCHandleType.Pinned);
            int first;
            try
            {
                first = Native.rk_hash(Marshal.UnsafeAddrOfPinnedArrayElement(left, 0).ToPointer(), length);
            }
            finally
            {
                handle.Free();
            }

            handle = GCHandle.Alloc(left, GCHandleType.Pinned);
            try
            {
                return first ^ Native.rk_hash(Marshal.UnsafeAddrOfPinnedArrayElement(left, 0).ToPointer(), length);
            }
            finally
            {
                handle.Free();
            }
        }

        public void Dispose() => _scratch = null!;
    }
}
