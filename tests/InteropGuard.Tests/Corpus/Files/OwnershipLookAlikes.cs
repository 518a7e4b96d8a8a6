// Correct ownership code the Ownership rules (IG3002-IG3005) must stay silent on.
using System;
using System.Buffers;
using System.IO;
using System.Runtime.InteropServices;
using System.Security;
using Microsoft.Win32.SafeHandles;

namespace Corpus.OwnershipLookAlikes
{
    internal sealed class SafeSessionHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public SafeSessionHandle()
            : base(true)
        {
        }

        protected override bool ReleaseHandle() => SessionLib.session_close(handle) == 0;
    }

    internal static class SessionLib
    {
        [DllImport("sessionlib", CharSet = CharSet.Unicode)]
        internal static extern SafeSessionHandle session_open(string name);

        [DllImport("sessionlib", CharSet = CharSet.Unicode)]
        internal static extern int session_open_out(string name, out SafeSessionHandle session);

        [DllImport("sessionlib")]
        internal static extern int session_send(SafeSessionHandle session, IntPtr data, int length);

        [DllImport("sessionlib")]
        internal static extern int session_close(IntPtr handle);

        [DllImport("sessionlib")]
        internal static extern void session_set_callback(SafeSessionHandle session, IntPtr callback, IntPtr userData);

        [DllImport("sessionlib")]
        internal static extern int session_login(SafeSessionHandle session, IntPtr password);
    }

    public sealed class Session : IDisposable
    {
        private readonly SafeSessionHandle _handle;
        private GCHandle _self;

        private Session(SafeSessionHandle handle)
        {
            _handle = handle;
        }

        public static Session Open(string name)
        {
            var handle = SessionLib.session_open(name);
            if (handle.IsInvalid)
            {
                handle.Dispose();
                throw new IOException("Cannot open session '" + name + "'.");
            }

            return new Session(handle);
        }

        public static bool TryOpen(string name, out Session? session)
        {
            session = null;
            if (SessionLib.session_open_out(name, out var handle) != 0 || handle.IsInvalid)
            {
                handle.Dispose();
                return false;
            }

            session = new Session(handle);
            return true;
        }

        // The handle number travels to native code as user data; Dispose frees it through the field.
        public void Subscribe(IntPtr callback)
        {
            if (!_self.IsAllocated)
            {
                _self = GCHandle.Alloc(this);
            }

            SessionLib.session_set_callback(_handle, callback, GCHandle.ToIntPtr(_self));
        }

        public void Send(byte[] payload)
        {
            var pin = GCHandle.Alloc(payload, GCHandleType.Pinned);
            try
            {
                Check(SessionLib.session_send(_handle, pin.AddrOfPinnedObject(), payload.Length));
            }
            finally
            {
                pin.Free();
            }
        }

        public unsafe void Send(ReadOnlyMemory<byte> payload)
        {
            using (MemoryHandle pin = payload.Pin())
            {
                Check(SessionLib.session_send(_handle, (IntPtr)pin.Pointer, payload.Length));
            }
        }

        public void Login(SecureString password)
        {
            IntPtr secret = Marshal.SecureStringToCoTaskMemUnicode(password);
            try
            {
                Check(SessionLib.session_login(_handle, secret));
            }
            finally
            {
                Marshal.ZeroFreeCoTaskMemUnicode(secret);
            }
        }

        public void Dispose()
        {
            if (_self.IsAllocated)
            {
                _self.Free();
            }

            _handle.Dispose();
        }

        private static void Check(int status)
        {
            if (status != 0)
            {
                throw new IOException("Session call failed with status " + status + ".");
            }
        }
    }

    public static class Ownership
    {
        // Released early to return the buffer before the slow part; the sentinel ends the tracking.
        public static int EarlyRelease(byte[] data)
        {
            IntPtr buffer = Marshal.AllocHGlobal(data.Length);
            try
            {
                Marshal.Copy(data, 0, buffer, data.Length);
                int sum = 0;
                for (int i = 0; i < data.Length; i++)
                {
                    sum += Marshal.ReadByte(buffer, i);
                }

                Marshal.FreeHGlobal(buffer);
                buffer = IntPtr.Zero;
                return sum;
            }
            finally
            {
                if (buffer != IntPtr.Zero)
                {
                    Marshal.FreeHGlobal(buffer);
                }
            }
        }

        public static void FreeThenGuardedFree(object state)
        {
            var handle = GCHandle.Alloc(state);
            handle.Free();
            if (handle.IsAllocated)
            {
                handle.Free();
            }
        }

        public static void DisposeTwice(string name)
        {
            var session = SessionLib.session_open(name);
            using (session)
            {
                if (session.IsInvalid)
                {
                    return;
                }
            }

            session.Dispose();
            if (session.IsClosed)
            {
                Console.WriteLine("closed");
            }
        }

        public static unsafe void AlignedPair()
        {
            void* block = NativeMemory.AlignedAlloc(4096, 64);
            try
            {
                NativeMemory.Clear(block, 4096);
            }
            finally
            {
                NativeMemory.AlignedFree(block);
            }
        }

        public static string BstrRoundTrip(string text)
        {
            IntPtr bstr = Marshal.StringToBSTR(text);
            try
            {
                return Marshal.PtrToStringBSTR(bstr);
            }
            finally
            {
                Marshal.FreeBSTR(bstr);
            }
        }

        public static void ZeroingReleaseOfPlainMemory(string text)
        {
            IntPtr copy = Marshal.StringToHGlobalUni(text);
            Marshal.ZeroFreeGlobalAllocUnicode(copy);
        }

        public static FileStream Wrap(IntPtr raw)
        {
            var handle = new SafeFileHandle(raw, ownsHandle: true);
            return new FileStream(handle, FileAccess.Read);
        }

        internal static SafeSessionHandle Factory(string name)
        {
            var handle = SessionLib.session_open(name);
            Console.WriteLine("opened " + name);
            return handle;
        }

        public static long LengthOf(FileStream stream)
        {
            SafeFileHandle handle = stream.SafeFileHandle;
            return RandomAccess.GetLength(handle);
        }

        public static int ReadAll(string path, byte[] destination)
        {
            using SafeFileHandle handle = File.OpenHandle(path);
            return RandomAccess.Read(handle, destination, 0);
        }
    }
}
