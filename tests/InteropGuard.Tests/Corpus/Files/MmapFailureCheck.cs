#nullable enable
using System;
using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Corpus.MappingFailure
{
    internal static class Libc
    {
        internal const int PROT_READ = 0x1;
        internal const int MAP_SHARED = 0x01;

        /// <summary>mmap reports failure as MAP_FAILED ((void*)-1), never as NULL.</summary>
        internal static readonly IntPtr MAP_FAILED = new IntPtr(-1);

        [DllImport("libc", SetLastError = true)]
        internal static extern IntPtr mmap(IntPtr address, nuint length, int protection, int flags, int fd, nint offset);

        [DllImport("libc", SetLastError = true)]
        internal static extern int munmap(IntPtr address, nuint length);
    }

    public static class MappedFile
    {
        public static byte FirstByte(int fd, int length)
        {
            IntPtr view = Libc.mmap(IntPtr.Zero, (nuint)length, Libc.PROT_READ, Libc.MAP_SHARED, fd, 0);
            if (view == Libc.MAP_FAILED)
            {
                throw new Win32Exception(Marshal.GetLastPInvokeError());
            }

            try
            {
                return Marshal.ReadByte(view);
            }
            finally
            {
                Libc.munmap(view, (nuint)length);
            }
        }
    }
}
