#nullable enable
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace Corpus.Buffers
{
    [StructLayout(LayoutKind.Sequential)]
    public struct NativeBlob
    {
        public IntPtr Data;
        public int Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SendRequest
    {
        public IntPtr Payload;
        public nuint PayloadLength;
        public int Flags;
    }

    internal static class Transport
    {
        [DllImport("nettransport", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int transport_send(ref SendRequest request);
    }

    public static class Marshalling
    {
        /// <summary>The caller owns the returned block and frees it with Marshal.FreeHGlobal.</summary>
        public static IntPtr ToNative(byte[] data)
        {
            IntPtr block = Marshal.AllocHGlobal(data.Length);
            Marshal.Copy(data, 0, block, data.Length);
            return block;
        }

        /// <summary>Same contract as <see cref="ToNative"/>; releases the block itself if the copy fails.</summary>
        public static IntPtr ToNativeChecked(byte[] data, int offset, int count)
        {
            IntPtr block = Marshal.AllocHGlobal(count);
            try
            {
                Marshal.Copy(data, offset, block, count);
                return block;
            }
            catch
            {
                Marshal.FreeHGlobal(block);
                throw;
            }
        }

        public static IntPtr ToNativeString(string value) => Marshal.StringToHGlobalUni(value);

        public static bool TryAllocate(int size, out IntPtr block)
        {
            block = Marshal.AllocHGlobal(size);
            return true;
        }

        public static void Replace(ref IntPtr slot, int size)
        {
            IntPtr fresh = Marshal.AllocHGlobal(size);
            IntPtr old = slot;
            slot = fresh;
            if (old != IntPtr.Zero)
            {
                Marshal.FreeHGlobal(old);
            }
        }

        public static NativeBlob ToBlob(ReadOnlySpan<byte> bytes)
        {
            var blob = new NativeBlob { Data = Marshal.AllocHGlobal(bytes.Length), Length = bytes.Length };
            unsafe
            {
                bytes.CopyTo(new Span<byte>((void*)blob.Data, bytes.Length));
            }

            return blob;
        }

        public static void FreeBlob(NativeBlob blob) => Marshal.FreeHGlobal(blob.Data);

        public static int Send(byte[] payload)
        {
            var request = new SendRequest();
            request.Payload = Marshal.AllocHGlobal(payload.Length);
            try
            {
                Marshal.Copy(payload, 0, request.Payload, payload.Length);
                request.PayloadLength = (nuint)payload.Length;
                return Transport.transport_send(ref request);
            }
            finally
            {
                Marshal.FreeHGlobal(request.Payload);
            }
        }

        public static IntPtr[] ToNativeArgv(string[] args)
        {
            var argv = new IntPtr[args.Length + 1];
            for (int i = 0; i < args.Length; i++)
            {
                argv[i] = Marshal.StringToHGlobalAnsi(args[i]);
            }

            return argv;
        }

        public static void FreeArgv(IntPtr[] argv)
        {
            foreach (IntPtr arg in argv)
            {
                if (arg != IntPtr.Zero)
                {
                    Marshal.FreeHGlobal(arg);
                }
            }
        }

        public static List<IntPtr> ToNativeStrings(IEnumerable<string> values)
        {
            var result = new List<IntPtr>();
            foreach (string value in values)
            {
                IntPtr native = Marshal.StringToCoTaskMemUTF8(value);
                result.Add(native);
            }

            return result;
        }
    }

    /// <summary>Keeps the last message marshalled for a native logger that reads it lazily.</summary>
    public sealed class MessageSlot : IDisposable
    {
        private IntPtr _current;

        public IntPtr Current => _current;

        public void Set(string message)
        {
            IntPtr next = Marshal.StringToHGlobalAnsi(message);
            IntPtr previous = _current;
            _current = next;
            Marshal.FreeHGlobal(previous);
        }

        public void Dispose()
        {
            Marshal.FreeHGlobal(_current);
            _current = IntPtr.Zero;
        }
    }
}
