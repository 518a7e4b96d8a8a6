#nullable enable
using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Corpus.SafeHandles
{
    /// <summary>Owns a block from Marshal.AllocHGlobal.</summary>
    public sealed class SafeHGlobalHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public SafeHGlobalHandle() : base(ownsHandle: true)
        {
        }

        public SafeHGlobalHandle(IntPtr existing, bool ownsHandle) : base(ownsHandle)
        {
            SetHandle(existing);
        }

        public static SafeHGlobalHandle Allocate(int size)
        {
            var result = new SafeHGlobalHandle();
            result.SetHandle(Marshal.AllocHGlobal(size));
            return result;
        }

        protected override bool ReleaseHandle()
        {
            Marshal.FreeHGlobal(handle);
            return true;
        }
    }

    /// <summary>Owns a block from the C library's malloc.</summary>
    internal sealed class SafeMallocHandle : SafeHandle
    {
        public SafeMallocHandle(IntPtr pointer) : base(IntPtr.Zero, ownsHandle: true)
        {
            SetHandle(pointer);
        }

        public override bool IsInvalid => handle == IntPtr.Zero;

        protected override bool ReleaseHandle()
        {
            Libc.free(handle);
            return true;
        }
    }

    internal static class Libc
    {
        [DllImport("libc")]
        internal static extern IntPtr malloc(nuint size);

        [DllImport("libc")]
        internal static extern void free(IntPtr pointer);

        [DllImport("libc")]
        internal static extern IntPtr memset(IntPtr destination, int value, nuint count);
    }

    internal static class Device
    {
        [DllImport("devctl", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int dev_query(SafeHandle buffer, int length);
    }

    public static class Queries
    {
        public static int QueryStatus(int length)
        {
            using var buffer = new SafeHGlobalHandle(Marshal.AllocHGlobal(length), ownsHandle: true);
            return Device.dev_query(buffer, length);
        }

        public static int QueryZeroed(int length)
        {
            IntPtr raw = Libc.malloc((nuint)length);
            using (var owner = new SafeMallocHandle(raw))
            {
                if (owner.IsInvalid)
                {
                    throw new OutOfMemoryException();
                }

                Libc.memset(raw, 0, (nuint)length);
                return Device.dev_query(owner, length);
            }
        }

        public static int QueryWithFactory(int length)
        {
            using SafeHGlobalHandle buffer = SafeHGlobalHandle.Allocate(length);
            return Device.dev_query(buffer, length);
        }

        public static SafeHandle Adopt(IntPtr pointer) => new SafeMallocHandle(pointer);

        public static SafeHandle CopyToNative(byte[] data)
        {
            IntPtr block = Marshal.AllocHGlobal(data.Length);
            var owner = new SafeHGlobalHandle(block, ownsHandle: true);
            Marshal.Copy(data, 0, block, data.Length);
            return owner;
        }
    }
}
