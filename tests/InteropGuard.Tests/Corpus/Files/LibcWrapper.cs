#nullable enable
using System;
using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Text;

namespace Corpus.Libc
{
    internal static class Libc
    {
        private const string Library = "libc";

        [DllImport(Library, SetLastError = true)]
        internal static extern IntPtr malloc(nuint size);

        [DllImport(Library, SetLastError = true)]
        internal static extern IntPtr calloc(nuint count, nuint size);

        [DllImport(Library)]
        internal static extern void free(IntPtr pointer);

        [DllImport(Library, SetLastError = true)]
        internal static extern IntPtr strdup(IntPtr source);

        [DllImport(Library, SetLastError = true)]
        internal static extern IntPtr getcwd(IntPtr buffer, nuint size);

        [DllImport(Library, SetLastError = true)]
        internal static extern nint read(int fd, IntPtr buffer, nuint count);

        [DllImport(Library, SetLastError = true)]
        internal static extern nint write(int fd, IntPtr buffer, nuint count);

        [DllImport(Library)]
        internal static extern nuint strlen(IntPtr text);
    }

    public static class Posix
    {
        private const int ERANGE = 34;

        public static string GetCurrentDirectory()
        {
            for (int size = 256; ; size *= 2)
            {
                IntPtr buffer = Marshal.AllocHGlobal(size);
                try
                {
                    if (Libc.getcwd(buffer, (nuint)size) != IntPtr.Zero)
                    {
                        return Marshal.PtrToStringUTF8(buffer) ?? "";
                    }

                    int errno = Marshal.GetLastPInvokeError();
                    if (errno != ERANGE)
                    {
                        throw new Win32Exception(errno);
                    }
                }
                finally
                {
                    Marshal.FreeHGlobal(buffer);
                }
            }
        }

        public static byte[] ReadExactly(int fd, int count)
        {
            IntPtr buffer = Libc.malloc((nuint)count);
            if (buffer == IntPtr.Zero)
            {
                throw new OutOfMemoryException();
            }

            try
            {
                int total = 0;
                while (total < count)
                {
                    nint n = Libc.read(fd, buffer + total, (nuint)(count - total));
                    if (n < 0)
                    {
                        throw new Win32Exception(Marshal.GetLastPInvokeError());
                    }

                    if (n == 0)
                    {
                        throw new System.IO.EndOfStreamException();
                    }

                    total += (int)n;
                }

                byte[] result = new byte[count];
                Marshal.Copy(buffer, result, 0, count);
                return result;
            }
            finally
            {
                Libc.free(buffer);
            }
        }

        public static void WriteAll(int fd, string text)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(text);
            IntPtr buffer = Marshal.AllocHGlobal(bytes.Length);
            try
            {
                Marshal.Copy(bytes, 0, buffer, bytes.Length);
                int written = 0;
                while (written < bytes.Length)
                {
                    nint n = Libc.write(fd, buffer + written, (nuint)(bytes.Length - written));
                    if (n < 0)
                    {
                        throw new Win32Exception(Marshal.GetLastPInvokeError());
                    }

                    written += (int)n;
                }
            }
            finally
            {
                Marshal.FreeHGlobal(buffer);
            }
        }

        public static string Duplicate(string text)
        {
            IntPtr source = Marshal.StringToHGlobalAnsi(text);
            try
            {
                IntPtr copy = Libc.strdup(source);
                if (copy == IntPtr.Zero)
                {
                    throw new OutOfMemoryException();
                }

                try
                {
                    return Marshal.PtrToStringAnsi(copy, (int)Libc.strlen(copy));
                }
                finally
                {
                    Libc.free(copy);
                }
            }
            finally
            {
                Marshal.FreeHGlobal(source);
            }
        }

        public static int[] ZeroedTable(int count)
        {
            IntPtr table = Libc.calloc((nuint)count, sizeof(int));
            if (table == IntPtr.Zero)
            {
                return Array.Empty<int>();
            }

            try
            {
                int[] managed = new int[count];
                Marshal.Copy(table, managed, 0, count);
                return managed;
            }
            finally
            {
                Libc.free(table);
            }
        }
    }
}
