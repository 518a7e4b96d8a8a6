// Released exactly once on every path (sentinels, rethrowing catch, release through a wrapper, a reassigned handle): IG3002 and IG3003 must stay silent.
using System;
using System.Runtime.InteropServices;

namespace Corpus.ReleaseOnceShapes
{
    internal static class BufferLib
    {
        [DllImport("lib")] internal static extern int use(IntPtr p);
        internal static void Release(IntPtr p) => Marshal.FreeHGlobal(p);
    }

    internal static class ReleaseOnce
    {
        internal static void DefaultSentinel()
        {
            IntPtr p = Marshal.AllocHGlobal(8);
            try
            {
                BufferLib.use(p);
                Marshal.FreeHGlobal(p);
                p = default;
                BufferLib.use(IntPtr.Zero);
            }
            finally
            {
                if (p != IntPtr.Zero)
                {
                    Marshal.FreeHGlobal(p);
                }
            }
        }

        internal static void FreeInRethrowingCatch()
        {
            IntPtr p = Marshal.AllocHGlobal(8);
            try
            {
                BufferLib.use(p);
            }
            catch
            {
                Marshal.FreeHGlobal(p);
                throw;
            }

            Marshal.FreeHGlobal(p);
        }

        internal static void ReleaseThroughWrapper()
        {
            IntPtr p = Marshal.AllocHGlobal(8);
            try
            {
                BufferLib.use(p);
            }
            finally
            {
                BufferLib.Release(p);
            }
        }

        internal static object? HandleReplaced(object a, object b)
        {
            var h = GCHandle.Alloc(a);
            h.Free();
            h = GCHandle.Alloc(b);
            try
            {
                return h.Target;
            }
            finally
            {
                h.Free();
            }
        }
    }
}
