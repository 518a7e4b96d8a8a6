#nullable enable
using System;
using System.Runtime.InteropServices;

namespace Corpus.Wrappers
{
    internal static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "malloc")]
        internal static extern IntPtr malloc(nuint size);

        [DllImport("libc", EntryPoint = "free")]
        internal static extern void free(IntPtr pointer);

        [DllImport("libc", EntryPoint = "realloc")]
        internal static extern IntPtr realloc(IntPtr pointer, nuint size);

        [DllImport("ringbuf", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int ring_push(IntPtr ring, IntPtr data, nuint length);
    }

    /// <summary>The binding's managed layer: one method per native function, as generated bindings do.</summary>
    internal static class Proxy
    {
        internal static IntPtr Allocate(nuint size) => NativeMethods.malloc(size);

        internal static IntPtr Resize(IntPtr pointer, nuint size) => NativeMethods.realloc(pointer, size);

        internal static void Release(IntPtr pointer) => NativeMethods.free(pointer);

        internal static void Push(IntPtr ring, IntPtr data, nuint length)
        {
            int rc = NativeMethods.ring_push(ring, data, length);
            if (rc != 0)
            {
                throw new InvalidOperationException("ring_push failed: " + rc);
            }
        }
    }

    public sealed class Ring
    {
        private readonly IntPtr _ring;

        public Ring(IntPtr ring)
        {
            _ring = ring;
        }

        public void Push(ReadOnlySpan<byte> data)
        {
            IntPtr copy = Proxy.Allocate((nuint)data.Length);
            if (copy == IntPtr.Zero)
            {
                throw new OutOfMemoryException();
            }

            try
            {
                unsafe
                {
                    data.CopyTo(new Span<byte>((void*)copy, data.Length));
                }

                Proxy.Push(_ring, copy, (nuint)data.Length);
            }
            finally
            {
                Proxy.Release(copy);
            }
        }

        public void PushTwice(ReadOnlySpan<byte> data)
        {
            IntPtr copy = Proxy.Allocate((nuint)data.Length);
            try
            {
                copy = Proxy.Resize(copy, (nuint)(data.Length * 2));
                unsafe
                {
                    data.CopyTo(new Span<byte>((void*)copy, data.Length));
                    data.CopyTo(new Span<byte>((byte*)copy + data.Length, data.Length));
                }

                Proxy.Push(_ring, copy, (nuint)(data.Length * 2));
            }
            finally
            {
                Proxy.Release(copy);
            }
        }
    }
}
