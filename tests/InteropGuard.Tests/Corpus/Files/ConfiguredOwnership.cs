#nullable enable
using System;
using System.Runtime.InteropServices;

namespace Corpus.Configured
{
    internal static class MyLib
    {
        [DllImport("mylib", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr mylib_buf_new(nuint size);

        [DllImport("mylib", CallingConvention = CallingConvention.Cdecl)]
        internal static extern void mylib_buf_free(IntPtr buffer);

        [DllImport("mylib", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int mylib_buf_fill(IntPtr buffer, byte value);

        /// <summary>Takes the buffer; the queue frees it after the consumer has read it.</summary>
        [DllImport("mylib", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int mylib_queue_push_owned(IntPtr queue, IntPtr buffer);
    }

    public interface IMessageBus
    {
        /// <summary>Takes ownership of an HGlobal block and frees it once delivered.</summary>
        void PostOwned(IntPtr message, int length);
    }

    public static class Producer
    {
        public static int Fill(int size, byte value)
        {
            IntPtr buffer = MyLib.mylib_buf_new((nuint)size);
            if (buffer == IntPtr.Zero)
            {
                throw new OutOfMemoryException();
            }

            try
            {
                return MyLib.mylib_buf_fill(buffer, value);
            }
            finally
            {
                MyLib.mylib_buf_free(buffer);
            }
        }

        public static int Enqueue(IntPtr queue, int size)
        {
            IntPtr buffer = MyLib.mylib_buf_new((nuint)size);
            if (buffer == IntPtr.Zero)
            {
                return -1;
            }

            return MyLib.mylib_queue_push_owned(queue, buffer);
        }

        public static void Post(IMessageBus bus, string text)
        {
            IntPtr message = Marshal.StringToHGlobalUni(text);
            bus.PostOwned(message, text.Length * 2);
        }
    }
}
