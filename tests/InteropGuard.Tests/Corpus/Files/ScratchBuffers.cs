#nullable enable
using System;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Tasks;

namespace Corpus.Scratch
{
    internal static unsafe class Native
    {
        [DllImport("hashkit", CallingConvention = CallingConvention.Cdecl)]
        internal static extern ulong hk_hash(byte* data, nuint length);

        [DllImport("hashkit", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int hk_fill(IntPtr buffer, int length);
    }

    public static class Hashing
    {
        private const int StackLimit = 256;

        public static unsafe ulong HashUtf8(string text)
        {
            int max = Encoding.UTF8.GetMaxByteCount(text.Length);
            byte* rented = null;
            try
            {
                Span<byte> buffer = max <= StackLimit
                    ? stackalloc byte[StackLimit]
                    : new Span<byte>(rented = (byte*)NativeMemory.Alloc((nuint)max), max);
                int length = Encoding.UTF8.GetBytes(text, buffer);
                fixed (byte* data = buffer)
                {
                    return Native.hk_hash(data, (nuint)length);
                }
            }
            finally
            {
                NativeMemory.Free(rented);
            }
        }

        public static int FillOptional(int length)
        {
            IntPtr buffer = length > 0 ? Marshal.AllocHGlobal(length) : IntPtr.Zero;
            try
            {
                return buffer == IntPtr.Zero ? 0 : Native.hk_fill(buffer, length);
            }
            finally
            {
                if (buffer != IntPtr.Zero)
                {
                    Marshal.FreeHGlobal(buffer);
                }
            }
        }

        public static int Classify(int kind, int length)
        {
            IntPtr buffer = Marshal.AllocHGlobal(length);
            try
            {
                switch (kind)
                {
                    case 0:
                        return 0;
                    case 1:
                        return Native.hk_fill(buffer, length);
                    default:
                        throw new ArgumentOutOfRangeException(nameof(kind));
                }
            }
            finally
            {
                Marshal.FreeHGlobal(buffer);
            }
        }

        public static async Task<int> FillLaterAsync(int length)
        {
            IntPtr buffer = Marshal.AllocHGlobal(length);
            try
            {
                await Task.Yield();
                return Native.hk_fill(buffer, length);
            }
            finally
            {
                Marshal.FreeHGlobal(buffer);
            }
        }

        public static int FillUsingScope(int length)
        {
            using var scope = new HGlobalScope(length);
            return Native.hk_fill(scope.Pointer, length);
        }
    }

    /// <summary>A stack-only owner: the allocation lives exactly as long as the using scope.</summary>
    public ref struct HGlobalScope
    {
        public HGlobalScope(int length)
        {
            Pointer = Marshal.AllocHGlobal(length);
        }

        public IntPtr Pointer { get; private set; }

        public void Dispose()
        {
            if (Pointer != IntPtr.Zero)
            {
                Marshal.FreeHGlobal(Pointer);
                Pointer = IntPtr.Zero;
            }
        }
    }
}
