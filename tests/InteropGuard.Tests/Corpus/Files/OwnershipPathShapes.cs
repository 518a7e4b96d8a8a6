// Release shapes on several paths (catch-and-rethrow, flags, switch arms, loops) that IG3001-IG3005 must accept.
using System;
using System.Buffers;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Corpus.OwnershipPathShapes
{
    internal static class PathLib
    {
        [DllImport("lib")] internal static extern int open_out(string name, out SafeFileHandle h);
        [DllImport("lib")] internal static extern SafeFileHandle open(string name);
        [DllImport("lib")] internal static extern int use(SafeFileHandle h);
        [DllImport("lib")] internal static extern int use_ptr(IntPtr p);
    }

    internal static class PathShapes
    {
        internal static SafeFileHandle DisposeInCatchThenReturn(string name)
        {
            var h = PathLib.open(name);
            try
            {
                PathLib.use(h);
            }
            catch
            {
                h.Dispose();
                throw;
            }

            return h;
        }

        internal static void PinDeclaredBeforeTry(byte[] data)
        {
            GCHandle pin = default;
            try
            {
                pin = GCHandle.Alloc(data, GCHandleType.Pinned);
                PathLib.use_ptr(pin.AddrOfPinnedObject());
            }
            finally
            {
                if (pin.IsAllocated)
                {
                    pin.Free();
                }
            }
        }

        internal static void FreeInRethrowingCatchAndAfter(object state)
        {
            var h = GCHandle.Alloc(state);
            try
            {
                PathLib.use_ptr(GCHandle.ToIntPtr(h));
            }
            catch
            {
                h.Free();
                throw;
            }

            h.Free();
        }

        internal static int ReallocInLoop(int rounds)
        {
            IntPtr p = Marshal.AllocHGlobal(16);
            try
            {
                for (int i = 0; i < rounds; i++)
                {
                    p = Marshal.ReAllocHGlobal(p, (IntPtr)(16 * (i + 2)));
                }

                return PathLib.use_ptr(p);
            }
            finally
            {
                Marshal.FreeHGlobal(p);
            }
        }

        internal static SafeFileHandle? CloseOnFailureReturnOnSuccess(string name)
        {
            var h = PathLib.open(name);
            if (PathLib.use(h) != 0)
            {
                h.Close();
                return null;
            }

            return h;
        }

        internal static void ReleaseOnExclusiveSwitchArms(int mode)
        {
            IntPtr p = Marshal.AllocHGlobal(8);
            switch (mode)
            {
                case 0:
                    Marshal.FreeHGlobal(p);
                    return;
                default:
                    try
                    {
                        PathLib.use_ptr(p);
                    }
                    finally
                    {
                        Marshal.FreeHGlobal(p);
                    }

                    break;
            }
        }

        internal static unsafe int PinPerIteration(ReadOnlyMemory<byte>[] chunks)
        {
            int total = 0;
            foreach (var chunk in chunks)
            {
                using var pin = chunk.Pin();
                total += PathLib.use_ptr((IntPtr)pin.Pointer);
            }

            return total;
        }

        internal static void UsingWithSetHandleAsInvalid(string name)
        {
            using var h = PathLib.open(name);
            if (h.IsInvalid)
            {
                h.SetHandleAsInvalid();
                return;
            }

            PathLib.use(h);
        }

        internal static int OutHandleUnderUsingBeforeStatusCheck(string name)
        {
            int status = PathLib.open_out(name, out SafeFileHandle h);
            using (h)
            {
                if (status != 0 || h.IsInvalid)
                {
                    return -1;
                }

                return PathLib.use(h);
            }
        }

        internal static void FreedUnlessHandedOff(object state)
        {
            var h = GCHandle.Alloc(state);
            bool handedOff = false;
            try
            {
                PathLib.use_ptr(GCHandle.ToIntPtr(h));
                handedOff = true;
            }
            finally
            {
                if (!handedOff)
                {
                    h.Free();
                }
            }
        }
    }
}
