#nullable enable
using System;
using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Corpus.Mapping
{
    internal static class Libc
    {
        internal const int PROT_READ = 0x1;
        internal const int PROT_WRITE = 0x2;
        internal const int MAP_PRIVATE = 0x02;
        internal const int MAP_ANONYMOUS = 0x20;

        [DllImport("libc", SetLastError = true)]
        internal static extern IntPtr mmap(IntPtr address, nuint length, int protection, int flags, int fd, nint offset);

        [DllImport("libc", SetLastError = true)]
        internal static extern int munmap(IntPtr address, nuint length);
    }

    public static class Scratch
    {
        public static long FillAndSum(int length)
        {
            IntPtr region = Libc.mmap(IntPtr.Zero, (nuint)length, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS, -1, 0);
            try
            {
                long sum = 0;
                for (int i = 0; i < length; i += 4096)
                {
                    Marshal.WriteByte(region, i, 7);
                    sum += Marshal.ReadByte(region, i);
                }

                return sum;
            }
            finally
            {
                Libc.munmap(region, (nuint)length);
            }
        }
    }

    /// <summary>Maps anonymous memory for its lifetime.</summary>
    public sealed class MappedRegion : IDisposable
    {
        private IntPtr _address;

        public MappedRegion(int length)
        {
            Length = length;
            _address = Libc.mmap(IntPtr.Zero, (nuint)length, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS, -1, 0);
        }

        public int Length { get; }

        public IntPtr Address => _address;

        public void Dispose()
        {
            if (_address != IntPtr.Zero)
            {
                Libc.munmap(_address, (nuint)Length);
                _address = IntPtr.Zero;
            }
        }
    }
}
