#nullable enable
using System;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading;
using Microsoft.Win32.SafeHandles;

namespace Corpus.RefCounting
{
    /// <summary>A socket-style handle: the native layer takes the SafeHandle, so the marshaller counts references.</summary>
    public sealed class SafeSocketHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public SafeSocketHandle() : base(ownsHandle: true)
        {
        }

        // Logging the raw value of itself is fine: a handle cannot be disposed during its own members' diagnostics.
        public override string ToString() => "socket " + DangerousGetHandle().ToString("x");

        protected override bool ReleaseHandle() => SocketNative.sock_close(handle) == 0;
    }

    /// <summary>A handle that keeps its parent alive: AddRef in the constructor, Release in ReleaseHandle.</summary>
    public sealed class SafeStatementHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        private readonly SafeSocketHandle _connection;
        private bool _connectionAdded;

        public SafeStatementHandle(SafeSocketHandle connection) : base(ownsHandle: true)
        {
            _connection = connection;
            _connection.DangerousAddRef(ref _connectionAdded);
        }

        protected override bool ReleaseHandle()
        {
            var rc = SocketNative.stmt_finalize(handle, _connection.DangerousGetHandle());
            if (_connectionAdded)
            {
                _connection.DangerousRelease();
            }

            return rc == 0;
        }
    }

    internal static class SocketNative
    {
        [DllImport("sock")]
        internal static extern int sock_close(IntPtr socket);

        [DllImport("sock")]
        internal static extern int sock_send(SafeSocketHandle socket, byte[] data, int length);

        [DllImport("sock")]
        internal static extern int sock_poll(IntPtr[] sockets, int count, int timeout);

        [DllImport("sock")]
        internal static extern int stmt_finalize(IntPtr statement, IntPtr connection);
    }

    public sealed class Connection : IDisposable
    {
        private readonly SafeSocketHandle _socket;
        private readonly SafeSocketHandle[] _peers;

        public Connection(SafeSocketHandle socket, SafeSocketHandle[] peers)
        {
            _socket = socket;
            _peers = peers;
        }

        /// <summary>The raw value for callers that manage the reference themselves.</summary>
        public IntPtr Handle => _socket.DangerousGetHandle();

        public bool IsOpen => _socket.DangerousGetHandle() != IntPtr.Zero && !_socket.IsInvalid;

        public int Send(byte[] data) => SocketNative.sock_send(_socket, data, data.Length);

        public void Trace()
        {
            Debug.WriteLine("socket {0}", _socket.DangerousGetHandle());
            Console.WriteLine($"socket 0x{_socket.DangerousGetHandle().ToInt64():x}");
            var hash = _socket.DangerousGetHandle().GetHashCode();
            Debug.Assert(hash == hash);
        }

        public int Close()
        {
            bool added = false;
            try
            {
                _socket.DangerousAddRef(ref added);
                return SocketNative.sock_close(_socket.DangerousGetHandle());
            }
            finally
            {
                if (added)
                {
                    _socket.DangerousRelease();
                }
            }
        }

        // Every peer is referenced before its raw value goes into the poll set and released after the call.
        public int Poll(int timeout)
        {
            var raw = new IntPtr[_peers.Length];
            var added = new bool[_peers.Length];
            try
            {
                for (var i = 0; i < _peers.Length; i++)
                {
                    _peers[i].DangerousAddRef(ref added[i]);
                    raw[i] = _peers[i].DangerousGetHandle();
                }

                return SocketNative.sock_poll(raw, raw.Length, timeout);
            }
            finally
            {
                for (var i = 0; i < _peers.Length; i++)
                {
                    if (added[i])
                    {
                        _peers[i].DangerousRelease();
                    }
                }
            }
        }

        public void Dispose() => _socket.Dispose();
    }

    public static class Transfers
    {
        // AddRef before the try, nothing that can throw between, release in finally.
        public static int CloseBoth(SafeSocketHandle first, SafeSocketHandle second)
        {
            bool firstAdded = false;
            bool secondAdded = false;
            first.DangerousAddRef(ref firstAdded);
            second.DangerousAddRef(ref secondAdded);
            try
            {
                var a = first.DangerousGetHandle();
                var b = second.DangerousGetHandle();
                return SocketNative.stmt_finalize(a, b);
            }
            finally
            {
                if (secondAdded)
                {
                    second.DangerousRelease();
                }

                if (firstAdded)
                {
                    first.DangerousRelease();
                }
            }
        }

        // The reference is handed to the statement handle, which releases it when it is released itself.
        public static SafeStatementHandle Prepare(SafeSocketHandle connection) => new SafeStatementHandle(connection);

        public static bool SameSocket(SafeSocketHandle a, SafeSocketHandle b)
            => a.DangerousGetHandle() == b.DangerousGetHandle();

        public static void Wait(SafeWaitHandle waitHandle)
        {
            bool added = false;
            waitHandle.DangerousAddRef(ref added);
            try
            {
                Thread.Sleep(1);
            }
            finally
            {
                if (added)
                {
                    waitHandle.DangerousRelease();
                }
            }
        }
    }
}
