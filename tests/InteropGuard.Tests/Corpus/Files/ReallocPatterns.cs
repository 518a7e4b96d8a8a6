#nullable enable
using System;
using System.Runtime.InteropServices;

namespace Corpus.Realloc
{
    internal static class Stream
    {
        [DllImport("streamio", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int stream_read(IntPtr stream, IntPtr buffer, int capacity);
    }

    public static class Reader
    {
        public static byte[] ReadToEnd(IntPtr stream)
        {
            int capacity = 4096;
            int length = 0;
            IntPtr buffer = Marshal.AllocHGlobal(capacity);
            try
            {
                while (true)
                {
                    if (length == capacity)
                    {
                        capacity *= 2;
                        buffer = Marshal.ReAllocHGlobal(buffer, (IntPtr)capacity);
                    }

                    int n = Stream.stream_read(stream, buffer + length, capacity - length);
                    if (n < 0)
                    {
                        throw new InvalidOperationException("stream_read failed: " + n);
                    }

                    if (n == 0)
                    {
                        break;
                    }

                    length += n;
                }

                byte[] result = new byte[length];
                Marshal.Copy(buffer, result, 0, length);
                return result;
            }
            finally
            {
                Marshal.FreeHGlobal(buffer);
            }
        }

        public static int Grow(IntPtr stream, int initial)
        {
            IntPtr buffer = Marshal.AllocCoTaskMem(initial);
            try
            {
                IntPtr larger = Marshal.ReAllocCoTaskMem(buffer, initial * 2);
                buffer = larger;
                return Stream.stream_read(stream, buffer, initial * 2);
            }
            finally
            {
                Marshal.FreeCoTaskMem(buffer);
            }
        }

        public static int ResizeOnce(IntPtr stream, IntPtr existing, int size)
        {
            IntPtr resized = Marshal.ReAllocHGlobal(existing, (IntPtr)size);
            try
            {
                return Stream.stream_read(stream, resized, size);
            }
            finally
            {
                Marshal.FreeHGlobal(resized);
            }
        }
    }
}
