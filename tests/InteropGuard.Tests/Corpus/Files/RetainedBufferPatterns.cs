#nullable enable
using System;
using System.Buffers;
using System.Runtime.InteropServices;
using System.Threading;

namespace Corpus.RetainedBuffers
{
    // Look-alikes of IG2003: buffers that native code keeps only while a call runs, and buffers kept correctly.
    internal static unsafe class DeviceIo
    {
        [DllImport("kernel32.dll", SetLastError = true)]
        internal static extern bool ReadFile(SafeHandle file, byte[] buffer, int count, out int read, NativeOverlapped* overlapped);

        [DllImport("kernel32.dll", SetLastError = true)]
        internal static extern bool ReadFile(SafeHandle file, byte* buffer, int count, IntPtr read, NativeOverlapped* overlapped);

        [DllImport("kernel32.dll", SetLastError = true)]
        internal static extern bool DeviceIoControl(SafeHandle device, uint code, byte[] input, int inputSize, byte[] output, int outputSize, out int returned, IntPtr overlapped);
    }

    internal static unsafe class Plugins
    {
        // Copies the name into its own table before returning.
        [DllImport("plugins")]
        internal static extern int plugin_register(string name, IntPtr vtable, int priority);

        [DllImport("plugins")]
        internal static extern int plugin_set_log_callback(IntPtr host, delegate* unmanaged<IntPtr, byte*, void> callback, IntPtr userData);

        // Image registration: aligns two point sets and returns the error, reading both arrays during the call.
        [DllImport("vision")]
        internal static extern int vision_registerPointSets(double[] moving, int movingCount, double[] fixedPoints, int fixedCount, out double error);

        [DllImport("vision")]
        internal static extern int vision_register_buffer(IntPtr device, IntPtr buffer, int length);

        [DllImport("vision")]
        internal static extern int vision_unregister_buffer(IntPtr device);
    }

    public static unsafe class SynchronousDeviceIo
    {
        public static int ReadBlock(SafeHandle file, byte[] block)
        {
            // No OVERLAPPED: the read completes before ReadFile returns.
            if (!DeviceIo.ReadFile(file, block, block.Length, out var read, null))
            {
                throw new InvalidOperationException("read failed: " + Marshal.GetLastWin32Error());
            }

            return read;
        }

        public static int ReadInto(SafeHandle file, Span<byte> destination)
        {
            fixed (byte* p = destination)
            {
                return DeviceIo.ReadFile(file, p, destination.Length, IntPtr.Zero, null) ? destination.Length : -1;
            }
        }

        public static int Query(SafeHandle device, uint code, byte[] input, byte[] output)
            => DeviceIo.DeviceIoControl(device, code, input, input.Length, output, output.Length, out var returned, IntPtr.Zero) ? returned : -1;
    }

    public sealed unsafe class OverlappedReader : IDisposable
    {
        private readonly SafeHandle _file;
        private readonly ThreadPoolBoundHandle _bound;
        private readonly byte[] _buffer = new byte[4096];

        public OverlappedReader(SafeHandle file)
        {
            _file = file;
            _bound = ThreadPoolBoundHandle.BindHandle(file);
        }

        public void Start()
        {
            // The buffer is pin data of the overlapped: pinned until FreeNativeOverlapped in the completion.
            NativeOverlapped* overlapped = _bound.AllocateNativeOverlapped(OnCompleted, this, _buffer);
            if (!DeviceIo.ReadFile(_file, _buffer, _buffer.Length, out _, overlapped) && Marshal.GetLastWin32Error() != 997)
            {
                _bound.FreeNativeOverlapped(overlapped);
            }
        }

        private static void OnCompleted(uint error, uint bytes, NativeOverlapped* overlapped)
        {
            var reader = (OverlappedReader)ThreadPoolBoundHandle.GetNativeOverlappedState(overlapped)!;
            reader._bound.FreeNativeOverlapped(overlapped);
        }

        public void Dispose() => _bound.Dispose();
    }

    public sealed class PluginHost
    {
        private static readonly Action<string> Sink = Console.WriteLine;

        public static int Register(string name, IntPtr vtable) => Plugins.plugin_register(name, vtable, 0);

        public static double Align(double[] moving, double[] target)
        {
            Plugins.vision_registerPointSets(moving, moving.Length / 2, target, target.Length / 2, out var error);
            return error;
        }

        public static unsafe void AttachLog(IntPtr host, GCHandle state, delegate* unmanaged<IntPtr, byte*, void> callback)
        {
            // User data is the number of a handle kept by the caller, not a pointer into a managed buffer.
            Plugins.plugin_set_log_callback(host, callback, GCHandle.ToIntPtr(state));
        }
    }

    public sealed unsafe class PinnedReceiveBuffer : IDisposable
    {
        private readonly IntPtr _device;
        private readonly Memory<byte> _memory;
        private MemoryHandle _pin;

        public PinnedReceiveBuffer(IntPtr device, Memory<byte> memory)
        {
            _device = device;
            _memory = memory;
            _pin = memory.Pin();
            Plugins.vision_register_buffer(device, (IntPtr)_pin.Pointer, memory.Length);
        }

        public ReadOnlySpan<byte> Received => _memory.Span;

        public void Dispose()
        {
            Plugins.vision_unregister_buffer(_device);
            _pin.Dispose();
        }
    }
}
