#nullable enable
using System;
using System.Runtime.InteropServices;

namespace Corpus.MemberShapes
{
    internal static class Native
    {
        [DllImport("shapes", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int shapes_use(IntPtr buffer, int length);

        [DllImport("shapes", CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr shapes_default_buffer();
    }

    /// <summary>Process-wide scratch tables, allocated once and kept for the life of the process.</summary>
    public static class Tables
    {
        private static readonly IntPtr s_lookup = Marshal.AllocHGlobal(256);
        private static readonly IntPtr s_names;

        static Tables()
        {
            s_names = Marshal.StringToHGlobalAnsi("alpha\0beta\0");
        }

        public static IntPtr Lookup => s_lookup;

        public static IntPtr Names => s_names;

        public static IntPtr Banner { get; } = Marshal.StringToHGlobalUni("shapes");
    }

    public sealed class Label : IDisposable
    {
        private readonly string _text;
        private IntPtr _native;

        public Label(string text)
        {
            _text = text;
        }

        /// <summary>A fresh native copy for the caller to free.</summary>
        public IntPtr NativeCopy => Marshal.StringToHGlobalAnsi(_text);

        public IntPtr Native => _native != IntPtr.Zero ? _native : (_native = Marshal.StringToHGlobalAnsi(_text));

        public void Dispose()
        {
            Marshal.FreeHGlobal(_native);
            _native = IntPtr.Zero;
        }
    }

    public static class Usage
    {
        public static Func<int, IntPtr> Allocator { get; } = size => Marshal.AllocHGlobal(size);

        public static int UseBuffer(int length, IntPtr external)
        {
            bool owned = false;
            IntPtr buffer = external;
            if (buffer == IntPtr.Zero)
            {
                buffer = Marshal.AllocHGlobal(length);
                owned = true;
            }

            try
            {
                return Native.shapes_use(buffer, length);
            }
            finally
            {
                if (owned)
                {
                    Marshal.FreeHGlobal(buffer);
                }
            }
        }

        public static int UseDefaultOrOwn(int length)
        {
            IntPtr shared = Native.shapes_default_buffer();
            IntPtr own = shared == IntPtr.Zero ? Marshal.AllocHGlobal(length) : IntPtr.Zero;
            try
            {
                return Native.shapes_use(own != IntPtr.Zero ? own : shared, length);
            }
            finally
            {
                Marshal.FreeHGlobal(own);
            }
        }

        public static IntPtr[] AllocateMany(int count, int size)
        {
            IntPtr[] blocks = new IntPtr[count];
            for (int i = 0; i < blocks.Length; i++)
            {
                blocks[i] = Marshal.AllocHGlobal(size);
            }

            return blocks;
        }

        public static int UseLocalAllocator(int length)
        {
            IntPtr buffer = Allocate(length);
            try
            {
                return Native.shapes_use(buffer, length);
            }
            finally
            {
                Marshal.FreeHGlobal(buffer);
            }

            static IntPtr Allocate(int size) => Marshal.AllocHGlobal(size);
        }
    }
}
