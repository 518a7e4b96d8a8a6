#nullable enable
using System;
using System.Runtime.InteropServices;

namespace Corpus.NativeMemoryPatterns
{
    internal static unsafe class Codec
    {
        [DllImport("simdcodec", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int codec_encode(byte* input, nuint inputLength, byte* output, nuint* outputLength);

        [DllImport("simdcodec", CallingConvention = CallingConvention.Cdecl)]
        internal static extern nuint codec_bound(nuint inputLength);
    }

    public static unsafe class Encoder
    {
        public static byte[] Encode(ReadOnlySpan<byte> input)
        {
            nuint capacity = Codec.codec_bound((nuint)input.Length);
            byte* output = (byte*)NativeMemory.Alloc(capacity);
            try
            {
                nuint written = capacity;
                fixed (byte* source = input)
                {
                    int rc = Codec.codec_encode(source, (nuint)input.Length, output, &written);
                    if (rc != 0)
                    {
                        throw new InvalidOperationException("codec_encode failed: " + rc);
                    }
                }

                return new ReadOnlySpan<byte>(output, checked((int)written)).ToArray();
            }
            finally
            {
                NativeMemory.Free(output);
            }
        }

        public static long SumAligned(ReadOnlySpan<int> values)
        {
            int* aligned = (int*)NativeMemory.AlignedAlloc((nuint)(values.Length * sizeof(int)), 64);
            try
            {
                values.CopyTo(new Span<int>(aligned, values.Length));
                long sum = 0;
                for (int i = 0; i < values.Length; i++)
                {
                    sum += aligned[i];
                }

                return sum;
            }
            finally
            {
                NativeMemory.AlignedFree(aligned);
            }
        }

        public static int CountNonZero(int length)
        {
            byte* zeroed = (byte*)NativeMemory.AllocZeroed((nuint)length);
            try
            {
                return new ReadOnlySpan<byte>(zeroed, length).IndexOfAnyExcept((byte)0) < 0 ? 0 : 1;
            }
            finally
            {
                NativeMemory.Free(zeroed);
            }
        }

        public static byte[] Accumulate(ReadOnlySpan<byte> chunk, int repeat)
        {
            nuint capacity = 16;
            nuint used = 0;
            byte* buffer = (byte*)NativeMemory.Alloc(capacity);
            try
            {
                for (int i = 0; i < repeat; i++)
                {
                    if (used + (nuint)chunk.Length > capacity)
                    {
                        capacity = Math.Max(capacity * 2, used + (nuint)chunk.Length);
                        buffer = (byte*)NativeMemory.Realloc(buffer, capacity);
                    }

                    chunk.CopyTo(new Span<byte>(buffer + used, chunk.Length));
                    used += (nuint)chunk.Length;
                }

                return new ReadOnlySpan<byte>(buffer, (int)used).ToArray();
            }
            finally
            {
                NativeMemory.Free(buffer);
            }
        }
    }

    /// <summary>A growable native buffer: it owns its memory and frees it in Dispose.</summary>
    public unsafe struct NativeList : IDisposable
    {
        private int* _items;
        private int _count;
        private int _capacity;

        public NativeList(int capacity)
        {
            _items = (int*)NativeMemory.Alloc((nuint)capacity, sizeof(int));
            _count = 0;
            _capacity = capacity;
        }

        public int Count => _count;

        public void Add(int value)
        {
            if (_count == _capacity)
            {
                _capacity = Math.Max(4, _capacity * 2);
                _items = (int*)NativeMemory.Realloc(_items, (nuint)(_capacity * sizeof(int)));
            }

            _items[_count++] = value;
        }

        public void Dispose()
        {
            NativeMemory.Free(_items);
            _items = null;
        }
    }
}
