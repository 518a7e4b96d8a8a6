#nullable enable
using System;
using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Corpus.Win32
{
    internal static class Kernel32
    {
        internal const uint LMEM_ZEROINIT = 0x0040;
        internal const uint GMEM_MOVEABLE = 0x0002;
        internal const uint MEM_COMMIT = 0x1000;
        internal const uint MEM_RESERVE = 0x2000;
        internal const uint MEM_RELEASE = 0x8000;
        internal const uint PAGE_READWRITE = 0x04;
        internal const uint HEAP_ZERO_MEMORY = 0x08;

        [DllImport("kernel32.dll", SetLastError = true)]
        internal static extern IntPtr LocalAlloc(uint flags, nuint bytes);

        [DllImport("kernel32.dll", SetLastError = true)]
        internal static extern IntPtr LocalFree(IntPtr memory);

        [DllImport("kernel32.dll", SetLastError = true)]
        internal static extern IntPtr GlobalAlloc(uint flags, nuint bytes);

        [DllImport("kernel32.dll", SetLastError = true)]
        internal static extern IntPtr GlobalFree(IntPtr memory);

        [DllImport("kernel32.dll", SetLastError = true)]
        internal static extern IntPtr GlobalLock(IntPtr memory);

        [DllImport("kernel32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static extern bool GlobalUnlock(IntPtr memory);

        [DllImport("kernel32.dll", SetLastError = true)]
        internal static extern IntPtr GetProcessHeap();

        [DllImport("kernel32.dll", SetLastError = true)]
        internal static extern IntPtr HeapAlloc(IntPtr heap, uint flags, nuint bytes);

        [DllImport("kernel32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static extern bool HeapFree(IntPtr heap, uint flags, IntPtr memory);

        [DllImport("kernel32.dll", SetLastError = true)]
        internal static extern IntPtr VirtualAlloc(IntPtr address, nuint size, uint allocationType, uint protect);

        [DllImport("kernel32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static extern bool VirtualFree(IntPtr address, nuint size, uint freeType);

        [DllImport("kernel32.dll", SetLastError = true)]
        internal static extern uint GetEnvironmentVariableW(IntPtr name, IntPtr buffer, uint size);
    }

    internal static class Ole32
    {
        [DllImport("ole32.dll")]
        internal static extern IntPtr CoTaskMemAlloc(nuint size);

        [DllImport("ole32.dll")]
        internal static extern void CoTaskMemFree(IntPtr pointer);
    }

    public static class Win32Memory
    {
        public static string? GetEnvironmentVariable(string name)
        {
            IntPtr nativeName = Marshal.StringToHGlobalUni(name);
            try
            {
                const uint capacity = 32767;
                IntPtr buffer = Kernel32.LocalAlloc(Kernel32.LMEM_ZEROINIT, capacity * 2);
                if (buffer == IntPtr.Zero)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError());
                }

                try
                {
                    uint length = Kernel32.GetEnvironmentVariableW(nativeName, buffer, capacity);
                    return length == 0 ? null : Marshal.PtrToStringUni(buffer, (int)length);
                }
                finally
                {
                    Kernel32.LocalFree(buffer);
                }
            }
            finally
            {
                Marshal.FreeHGlobal(nativeName);
            }
        }

        public static void FillClipboardBlock(byte[] data, Action<IntPtr> hand)
        {
            IntPtr block = Kernel32.GlobalAlloc(Kernel32.GMEM_MOVEABLE, (nuint)data.Length);
            if (block == IntPtr.Zero)
            {
                throw new Win32Exception(Marshal.GetLastPInvokeError());
            }

            try
            {
                IntPtr locked = Kernel32.GlobalLock(block);
                Marshal.Copy(data, 0, locked, data.Length);
                Kernel32.GlobalUnlock(block);
                hand(block);
            }
            finally
            {
                Kernel32.GlobalFree(block);
            }
        }

        public static long SumFromProcessHeap(int[] values)
        {
            IntPtr heap = Kernel32.GetProcessHeap();
            IntPtr block = Kernel32.HeapAlloc(heap, Kernel32.HEAP_ZERO_MEMORY, (nuint)(values.Length * sizeof(int)));
            if (block == IntPtr.Zero)
            {
                throw new OutOfMemoryException();
            }

            try
            {
                Marshal.Copy(values, 0, block, values.Length);
                long sum = 0;
                for (int i = 0; i < values.Length; i++)
                {
                    sum += Marshal.ReadInt32(block, i * sizeof(int));
                }

                return sum;
            }
            finally
            {
                Kernel32.HeapFree(heap, 0, block);
            }
        }

        public static int TouchPages(int size)
        {
            IntPtr region = Kernel32.VirtualAlloc(IntPtr.Zero, (nuint)size, Kernel32.MEM_RESERVE | Kernel32.MEM_COMMIT, Kernel32.PAGE_READWRITE);
            if (region == IntPtr.Zero)
            {
                throw new Win32Exception(Marshal.GetLastPInvokeError());
            }

            try
            {
                for (int offset = 0; offset < size; offset += 4096)
                {
                    Marshal.WriteByte(region, offset, 1);
                }

                return size / 4096;
            }
            finally
            {
                Kernel32.VirtualFree(region, 0, Kernel32.MEM_RELEASE);
            }
        }

        public static int CoTaskRoundTrip(string text)
        {
            IntPtr block = Ole32.CoTaskMemAlloc((nuint)((text.Length + 1) * 2));
            if (block == IntPtr.Zero)
            {
                throw new OutOfMemoryException();
            }

            try
            {
                Marshal.Copy(text.ToCharArray(), 0, block, text.Length);
                Marshal.WriteInt16(block, text.Length * 2, 0);
                return Marshal.PtrToStringUni(block)?.Length ?? 0;
            }
            finally
            {
                Ole32.CoTaskMemFree(block);
            }
        }
    }
}
