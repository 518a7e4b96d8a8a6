#nullable enable
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;

namespace Corpus.Structures
{
    [StructLayout(LayoutKind.Sequential)]
    internal struct ConnectOptions
    {
        public IntPtr Host;
        public IntPtr User;
        public int Port;
    }

    internal static class Client
    {
        [DllImport("netclient", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int client_connect(IntPtr options);

        [DllImport("netclient", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int client_exec(int argc, IntPtr argv);

        [DllImport("netclient", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int client_pair(IntPtr first, IntPtr second);
    }

    public static class Connections
    {
        private static IntPtr s_defaultHost;

        public static int Connect(string host, string user, int port)
        {
            IntPtr options = Marshal.AllocHGlobal(Marshal.SizeOf<ConnectOptions>());
            try
            {
                Marshal.WriteIntPtr(options, (int)Marshal.OffsetOf<ConnectOptions>(nameof(ConnectOptions.Host)), Marshal.StringToHGlobalAnsi(host));
                Marshal.WriteIntPtr(options, (int)Marshal.OffsetOf<ConnectOptions>(nameof(ConnectOptions.User)), Marshal.StringToHGlobalAnsi(user));
                Marshal.WriteInt32(options, (int)Marshal.OffsetOf<ConnectOptions>(nameof(ConnectOptions.Port)), port);
                return Client.client_connect(options);
            }
            finally
            {
                var copy = Marshal.PtrToStructure<ConnectOptions>(options);
                Marshal.FreeHGlobal(copy.Host);
                Marshal.FreeHGlobal(copy.User);
                Marshal.FreeHGlobal(options);
            }
        }

        public static int ConnectWithStruct(string host, int port)
        {
            var options = new ConnectOptions { Host = Marshal.StringToHGlobalAnsi(host), User = IntPtr.Zero, Port = port };
            IntPtr native = Marshal.AllocHGlobal(Marshal.SizeOf<ConnectOptions>());
            try
            {
                Marshal.StructureToPtr(options, native, fDeleteOld: false);
                return Client.client_connect(native);
            }
            finally
            {
                Marshal.FreeHGlobal(native);
                Marshal.FreeHGlobal(options.Host);
            }
        }

        public static unsafe int Exec(string[] args)
        {
            IntPtr* argv = (IntPtr*)NativeMemory.AllocZeroed((nuint)(args.Length + 1), (nuint)sizeof(IntPtr));
            try
            {
                for (int i = 0; i < args.Length; i++)
                {
                    argv[i] = Marshal.StringToHGlobalAnsi(args[i]);
                }

                return Client.client_exec(args.Length, (IntPtr)argv);
            }
            finally
            {
                for (int i = 0; i < args.Length; i++)
                {
                    Marshal.FreeHGlobal(argv[i]);
                }

                NativeMemory.Free(argv);
            }
        }

        public static int Pair(string first, string second)
        {
            IntPtr a = Marshal.StringToHGlobalUni(first);
            IntPtr b = Marshal.StringToHGlobalUni(second);
            try
            {
                return Client.client_pair(a, b);
            }
            finally
            {
                Marshal.FreeHGlobal(b);
                Marshal.FreeHGlobal(a);
            }
        }

        public static IntPtr DefaultHost(string host)
        {
            IntPtr current = Volatile.Read(ref s_defaultHost);
            if (current != IntPtr.Zero)
            {
                return current;
            }

            IntPtr fresh = Marshal.StringToHGlobalAnsi(host);
            IntPtr raced = Interlocked.CompareExchange(ref s_defaultHost, fresh, IntPtr.Zero);
            if (raced != IntPtr.Zero)
            {
                Marshal.FreeHGlobal(fresh);
                return raced;
            }

            return fresh;
        }

        public static (IntPtr Buffer, int Length) ToNativeUtf8(string text)
        {
            byte[] bytes = System.Text.Encoding.UTF8.GetBytes(text);
            IntPtr buffer = Marshal.AllocHGlobal(bytes.Length + 1);
            Marshal.WriteByte(buffer, bytes.Length, 0);
            Marshal.Copy(bytes, 0, buffer, bytes.Length);
            return (buffer, bytes.Length);
        }
    }

    /// <summary>Native strings interned for the process lifetime, keyed by their managed text.</summary>
    public sealed class NativeStringTable : IDisposable
    {
        private readonly Dictionary<string, IntPtr> _strings = new Dictionary<string, IntPtr>(StringComparer.Ordinal);

        public IntPtr Get(string text)
        {
            if (!_strings.TryGetValue(text, out IntPtr native))
            {
                native = Marshal.StringToHGlobalAnsi(text);
                _strings[text] = native;
            }

            return native;
        }

        public void Add(string text)
        {
            IntPtr native = Marshal.StringToHGlobalAnsi(text);
            _strings.Add(text, native);
        }

        public void Dispose()
        {
            foreach (IntPtr native in _strings.Values)
            {
                Marshal.FreeHGlobal(native);
            }

            _strings.Clear();
        }
    }
}
