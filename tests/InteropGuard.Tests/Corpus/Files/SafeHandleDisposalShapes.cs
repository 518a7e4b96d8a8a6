// SafeHandle disposal shapes IG3005 must accept: validation before using, null-guarded and conditional-access Dispose, Dispose through IDisposable.
using System;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Corpus.SafeHandleDisposalShapes
{
    internal static class HandleLib
    {
        [DllImport("lib")] internal static extern SafeFileHandle open(string name);
        [DllImport("lib")] internal static extern int use(SafeFileHandle h);
    }

    internal static class DisposalShapes
    {
        internal static bool InvalidReturnsFalse(string name)
        {
            var h = HandleLib.open(name);
            if (h.IsInvalid)
            {
                return false;
            }

            using (h)
            {
                return HandleLib.use(h) == 0;
            }
        }

        internal static SafeFileHandle? ConditionalReturn(string name)
        {
            var h = HandleLib.open(name);
            return h.IsInvalid ? null : h;
        }

        internal static void ConditionalAccessDispose(string name)
        {
            SafeFileHandle? h = null;
            try
            {
                h = HandleLib.open(name);
                HandleLib.use(h);
            }
            finally
            {
                h?.Dispose();
            }
        }

        internal static void NullCheckedDispose(string name)
        {
            SafeFileHandle? h = null;
            try
            {
                h = HandleLib.open(name);
                HandleLib.use(h);
            }
            finally
            {
                if (h != null)
                {
                    h.Dispose();
                }
            }
        }

        internal static void DisposeThroughInterface(string name)
        {
            var h = HandleLib.open(name);
            try
            {
                HandleLib.use(h);
            }
            finally
            {
                ((IDisposable)h).Dispose();
            }
        }
    }
}
