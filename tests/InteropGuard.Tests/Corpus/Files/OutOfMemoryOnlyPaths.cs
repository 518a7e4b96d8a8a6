#nullable enable
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Tasks;

namespace Corpus.OutOfMemoryOnlyPaths
{
    internal static unsafe class Device
    {
        [DllImport("devlib", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int dev_submit(IntPtr buffer, int length, IntPtr user);

        [DllImport("devlib", CallingConvention = CallingConvention.Cdecl)]
        internal static extern void dev_set_name(byte* name);
    }

    /// <summary>A custom marshaler that remembers what it allocated, per thread, until the runtime asks to clean up.</summary>
    public sealed class NameMarshaler
    {
        [ThreadStatic]
        private static HashSet<IntPtr>? t_allocated;

        private static HashSet<IntPtr> Allocated()
        {
            if (t_allocated == null)
            {
                t_allocated = new HashSet<IntPtr>();
            }

            return t_allocated;
        }

        public IntPtr ToNative(string name)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(name);
            IntPtr block = Marshal.AllocHGlobal(bytes.Length + 1);
            Marshal.Copy(bytes, 0, block, bytes.Length);
            Marshal.WriteByte(block, bytes.Length, 0);
            Allocated().Add(block);
            return block;
        }

        public void CleanUp(IntPtr block)
        {
            if (block != IntPtr.Zero && Allocated().Remove(block))
            {
                Marshal.FreeHGlobal(block);
            }
        }
    }

    public static unsafe class Names
    {
        // At most three bytes per UTF-16 unit, one for the terminator.
        private static int EncodedSize(string text)
        {
            if (text == null)
            {
                return 0;
            }

            return text.Length * 3 + 1;
        }

        public static void SetName(string text)
        {
            int size = EncodedSize(text);
            byte* buffer = (byte*)Marshal.AllocHGlobal(size);
            fixed (char* chars = text)
            {
                Encoding.UTF8.GetBytes(chars, text.Length + 1, buffer, size);
            }

            Device.dev_set_name(buffer);
            Marshal.FreeHGlobal((IntPtr)buffer);
        }
    }

    internal readonly struct Completion
    {
        public readonly TaskCompletionSource<int> Source;
        public readonly System.Buffers.MemoryHandle Pin;

        public Completion(TaskCompletionSource<int> source, System.Buffers.MemoryHandle pin)
        {
            Source = source;
            Pin = pin;
        }
    }

    public sealed class Transfers
    {
        private readonly Dictionary<int, Completion> _pending = new Dictionary<int, Completion>();
        private readonly Queue<int> _recent = new Queue<int>();
        private int _next;

        public Task<int> Submit(Memory<byte> buffer)
        {
            var pin = buffer.Pin();
            var source = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            var completion = new Completion(source, pin);
            int id;
            lock (_pending)
            {
                id = _next++;
                _pending[id] = completion;
                while (_recent.Count >= 32)
                {
                    _recent.Dequeue();
                }

                _recent.Enqueue(id);
            }

            unsafe
            {
                Device.dev_submit((IntPtr)pin.Pointer, buffer.Length, (IntPtr)id);
            }

            return source.Task;
        }

        public void Complete(int id, int result)
        {
            Completion completion;
            lock (_pending)
            {
                if (!_pending.TryGetValue(id, out completion))
                {
                    return;
                }

                _pending.Remove(id);
            }

            completion.Pin.Dispose();
            completion.Source.TrySetResult(result);
        }
    }
}
