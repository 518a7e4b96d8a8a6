#nullable enable
using System;
using System.ComponentModel;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Corpus.LastErrors
{
    internal static class Kernel32
    {
        [DllImport("kernel32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        internal static extern SafeFileHandle CreateFileW(string name, uint access, uint share, IntPtr security, uint creation, uint flags, IntPtr template);

        [DllImport("kernel32.dll", SetLastError = true)]
        internal static extern bool GetFileSizeEx(SafeFileHandle file, out long size);

        [DllImport("kernel32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        internal static extern bool RemoveDirectoryW(string path);

        [DllImport("kernel32.dll")]
        internal static extern uint GetCurrentThreadId();
    }

    internal static class Posix
    {
        internal const int EINTR = 4;

        [DllImport("libc", SetLastError = true)]
        internal static extern nint read(int fd, IntPtr buffer, nuint count);

        [DllImport("libc", SetLastError = true)]
        internal static extern int close(int fd);

        [DllImport("libc", SetLastError = true)]
        internal static extern int rmdir(string path);
    }

    /// <summary>The last error read right after the call, into a local or straight into the exception.</summary>
    public static class Files
    {
        public static long SizeOf(string path)
        {
            using SafeFileHandle file = Kernel32.CreateFileW(path, 0x80000000, 1, IntPtr.Zero, 3, 0, IntPtr.Zero);
            if (file.IsInvalid)
            {
                throw new Win32Exception(Marshal.GetLastPInvokeError(), "CreateFile " + path);
            }

            if (!Kernel32.GetFileSizeEx(file, out long size))
            {
                int error = Marshal.GetLastPInvokeError();
                Console.Error.WriteLine($"GetFileSizeEx failed on thread {Kernel32.GetCurrentThreadId()}");
                throw new Win32Exception(error);
            }

            return size;
        }

        public static void RemoveDirectory(string path)
        {
            if (!Kernel32.RemoveDirectoryW(path))
            {
                ThrowLastError(path);
            }
        }

        private static void ThrowLastError(string path) => throw new Win32Exception(Marshal.GetLastPInvokeError(), "cannot remove " + path);

        public static int ReadRetrying(int fd, IntPtr buffer, int count)
        {
            while (true)
            {
                nint n = Posix.read(fd, buffer, (nuint)count);
                if (n >= 0)
                {
                    return (int)n;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno != Posix.EINTR)
                {
                    throw new IOException($"read failed: {errno}", errno);
                }
            }
        }

        public static void CloseQuietly(int fd)
        {
            if (Posix.close(fd) != 0 && Marshal.GetLastPInvokeError() != Posix.EINTR)
            {
                Console.Error.WriteLine("close failed");
            }
        }

        public static int TryRemove(string path) => Posix.rmdir(path) == 0 ? 0 : Marshal.GetLastPInvokeError();

        public static void RemoveAll(string[] paths, Action<Action> run)
        {
            foreach (string path in paths)
            {
                run(() =>
                {
                    bool removed = Kernel32.RemoveDirectoryW(path);
                    Console.WriteLine(path);
                    if (!removed)
                    {
                        Console.Error.WriteLine("failed");
                    }
                });
            }
        }

        public static void CloseBoth(int first, int second)
        {
            bool firstFailed = Posix.close(first) != 0;
            int firstError = firstFailed ? Marshal.GetLastPInvokeError() : 0;
            if (Posix.close(second) != 0 || firstFailed)
            {
                throw new Win32Exception(firstFailed ? firstError : Marshal.GetLastPInvokeError());
            }
        }
    }
}
