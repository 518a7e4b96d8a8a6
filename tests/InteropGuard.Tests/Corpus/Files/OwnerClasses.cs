#nullable enable
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace Corpus.Owners
{
    /// <summary>Takes ownership of a block of HGlobal memory and frees it exactly once.</summary>
    public sealed class UnmanagedBuffer : IDisposable
    {
        private IntPtr _pointer;

        public UnmanagedBuffer(IntPtr pointer, int length)
        {
            _pointer = pointer;
            Length = length;
        }

        ~UnmanagedBuffer()
        {
            Free();
        }

        public int Length { get; }

        public IntPtr Pointer => _pointer;

        public static UnmanagedBuffer Allocate(int length) => new UnmanagedBuffer(Marshal.AllocHGlobal(length), length);

        public void Dispose()
        {
            Free();
            GC.SuppressFinalize(this);
        }

        private void Free()
        {
            IntPtr pointer = _pointer;
            _pointer = IntPtr.Zero;
            if (pointer != IntPtr.Zero)
            {
                Marshal.FreeHGlobal(pointer);
            }
        }
    }

    /// <summary>Frees everything it was given when disposed; used for batches of marshalled arguments.</summary>
    public sealed class AllocationScope : IDisposable
    {
        private readonly List<IntPtr> _blocks = new List<IntPtr>();

        public IntPtr Track(IntPtr block)
        {
            _blocks.Add(block);
            return block;
        }

        public IntPtr String(string value) => Track(Marshal.StringToHGlobalAnsi(value));

        public void Dispose()
        {
            foreach (IntPtr block in _blocks)
            {
                Marshal.FreeHGlobal(block);
            }

            _blocks.Clear();
        }
    }

    internal static class Native
    {
        [DllImport("pipeline", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int pipeline_run(IntPtr name, IntPtr input, int length);
    }

    public static class Pipeline
    {
        public static int Run(string name, byte[] input)
        {
            using var scope = new AllocationScope();
            IntPtr nativeName = scope.String(name);
            IntPtr nativeInput = scope.Track(Marshal.AllocHGlobal(input.Length));
            Marshal.Copy(input, 0, nativeInput, input.Length);
            return Native.pipeline_run(nativeName, nativeInput, input.Length);
        }

        public static int RunOwned(byte[] input)
        {
            IntPtr block = Marshal.AllocHGlobal(input.Length);
            using var buffer = new UnmanagedBuffer(block, input.Length);
            Marshal.Copy(input, 0, buffer.Pointer, input.Length);
            return Native.pipeline_run(IntPtr.Zero, buffer.Pointer, buffer.Length);
        }

        public static UnmanagedBuffer Prepare(byte[] input)
        {
            var buffer = UnmanagedBuffer.Allocate(input.Length);
            Marshal.Copy(input, 0, buffer.Pointer, input.Length);
            return buffer;
        }

        public static Action RegisterCleanup(int size, out IntPtr block)
        {
            IntPtr allocated = Marshal.AllocHGlobal(size);
            block = allocated;
            return () => Marshal.FreeHGlobal(allocated);
        }

        public static Func<int> Deferred(int size)
        {
            IntPtr scratch = Marshal.AllocHGlobal(size);
            return Execute;

            int Execute()
            {
                try
                {
                    return Native.pipeline_run(IntPtr.Zero, scratch, size);
                }
                finally
                {
                    Marshal.FreeHGlobal(scratch);
                }
            }
        }
    }
}
