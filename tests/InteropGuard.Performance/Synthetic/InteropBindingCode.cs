using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace InteropGuard.Performance.Synthetic
{
    /// <summary>
    /// Interop-heavy synthetic files in the styles real bindings use, mostly correct code. Files come in groups of ten
    /// (one "library binding" per group); file <c>k</c> of a group uses only files <c>0..k-1</c> of its group, so any
    /// prefix of the sequence compiles, and file <c>i</c> is the same text whatever the total size.
    /// </summary>
    internal static class InteropBindingCode
    {
        private static readonly string[] Entities =
        {
            "Mat", "Filter", "Codec", "Graph", "Tensor", "Frame", "Decoder", "Encoder", "Window", "Font", "Surface",
            "Sampler", "Channel", "Matrix", "Buffer", "Index", "Tokenizer", "Session", "Device", "Queue",
        };

        private static readonly string[] Properties =
        {
            "rows", "cols", "channels", "depth", "type", "flags", "count", "capacity", "stride", "width", "height",
            "size", "elem_size", "total", "dims", "step", "offset", "format", "version", "state",
        };

        private static readonly string[] Operations =
        {
            "reset", "clear", "normalize", "transpose", "invert", "flip", "copy_to", "convert_to", "apply", "update",
            "compact", "sort", "reserve", "shrink", "release_data", "validate",
        };

        /// <param name="index">The file's position in the sequence.</param>
        /// <param name="libraryImport">
        /// Declare one entity of each group's table as <c>[LibraryImport]</c> partial methods (they compile only with the
        /// SDK's LibraryImport generator run over the compilation); otherwise every P/Invoke is a DllImport.
        /// </param>
        public static string File(int index, bool libraryImport)
        {
            int group = index / 10;
            var random = new Random(unchecked(index * 7919 + 17));
            return (index % 10) switch
            {
                0 => NativeMethodsTable(group, libraryImport),
                1 => StreamWrapper(group, random),
                2 => ImageOwner(group, random),
                3 => PinningOperations(group, random),
                4 => NativeMemoryOperations(group, random),
                5 => CallbackRegistrations(group, random),
                6 => LastErrorOperations(group, random),
                7 => ProcessingContext(group, random),
                8 => NativeStructures(group, random),
                _ => HighLevelPipeline(group, random),
            };
        }

        public static string FileName(int index) => $"Lib{index / 10:D3}/{KindName(index % 10)}.cs";

        private static string KindName(int kind) => kind switch
        {
            0 => "NativeMethods",
            1 => "DataStream",
            2 => "Image",
            3 => "PixelOperations",
            4 => "NativeBuffers",
            5 => "CallbackContext",
            6 => "FileMapping",
            7 => "ProcessingContext",
            8 => "NativeStructures",
            _ => "ImagePipeline",
        };

        private readonly struct TableEntry
        {
            public TableEntry(string entity, string member, string kind)
            {
                Entity = entity;
                Member = member;
                Kind = kind;
            }

            public string Entity { get; }

            public string Member { get; }

            /// <summary>"int", "double", "op" (an operation with an int argument) or "new"/"delete".</summary>
            public string Kind { get; }
        }

        /// <summary>The group's generated table: three entities, each with a constructor, destructor, getters and operations.</summary>
        private static List<TableEntry> Table(int group)
        {
            var random = new Random(unchecked(group * 104729 + 3));
            var entries = new List<TableEntry>();
            var entities = Entities.OrderBy(_ => random.Next()).Take(3).ToList();
            foreach (string entity in entities)
            {
                entries.Add(new TableEntry(entity, "new", "new"));
                entries.Add(new TableEntry(entity, "delete", "delete"));
                foreach (string property in Properties.OrderBy(_ => random.Next()).Take(random.Next(6, 10)))
                {
                    entries.Add(new TableEntry(entity, property, random.Next(4) == 0 ? "double" : "int"));
                }

                foreach (string operation in Operations.OrderBy(_ => random.Next()).Take(random.Next(2, 5)))
                {
                    entries.Add(new TableEntry(entity, operation, "op"));
                }
            }

            return entries;
        }

        private static string Prefix(int group) => "sy" + group.ToString("D3", CultureInfo.InvariantCulture);

        private static string NativeMethodsTable(int group, bool libraryImport)
        {
            string p = Prefix(group);
            var table = new StringBuilder();
            List<TableEntry> entries = Table(group);
            string generatedEntity = entries[entries.Count - 1].Entity;
            foreach (TableEntry entry in entries)
            {
                string name = $"{p}_{entry.Entity}_{entry.Member}";
                string signature = entry.Kind switch
                {
                    "new" => $"Status {name}(int flags, out IntPtr result)",
                    "delete" => $"void {name}(IntPtr obj)",
                    "int" => $"Status {name}(IntPtr obj, out int value)",
                    "double" => $"Status {name}(IntPtr obj, out double value)",
                    _ => $"Status {name}(IntPtr obj, int argument)",
                };
                if (libraryImport && entry.Entity == generatedEntity)
                {
                    // The style of bindings moved to source-generated marshalling (OpenCvSharp, TorchSharp).
                    table.Append($"        [LibraryImport(Lib, EntryPoint = \"{name}\")]\n");
                    table.Append("        [UnmanagedCallConv(CallConvs = new[] { typeof(CallConvCdecl) })]\n");
                    table.Append("        public static partial ").Append(signature).Append(";\n\n");
                }
                else
                {
                    table.Append("        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]\n");
                    table.Append("        public static extern ").Append(signature).Append(";\n\n");
                }
            }

            return $$"""
// Synthetic binding {{group}}: the native function table, in the style binding generators emit.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Synthetic.Interop.Lib{{group}}
{
    public enum Status
    {
        Ok = 0,
        Error = 1,
        OutOfMemory = 2,
        InvalidArgument = 3,
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct ImageInfo
    {
        public int Width;
        public int Height;
        public int Stride;
        public int Format;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct ProcessOptions
    {
        public int Flags;
        public double Scale;
        public IntPtr UserData;
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void LogCallback(int level, IntPtr message, IntPtr userData);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate int ProgressCallback(long done, long total, IntPtr userData);

    public sealed class StreamSafeHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public StreamSafeHandle()
            : base(true)
        {
        }

        protected override bool ReleaseHandle()
        {
            NativeMethods.{{p}}_stream_close(handle);
            return true;
        }
    }

    public sealed class ContextSafeHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public ContextSafeHandle()
            : base(true)
        {
        }

        protected override bool ReleaseHandle()
        {
            NativeMethods.{{p}}_context_release(handle);
            return true;
        }
    }

    internal static unsafe partial class NativeMethods
    {
        private const string Lib = "synth{{group}}";

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false)]
        public static extern StreamSafeHandle {{p}}_stream_open(string path, int flags);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern int {{p}}_stream_read(StreamSafeHandle stream, byte* buffer, int count);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern int {{p}}_stream_write(StreamSafeHandle stream, byte[] buffer, int count);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern long {{p}}_stream_tell(IntPtr stream);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern void {{p}}_stream_close(IntPtr stream);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, SetLastError = true)]
        public static extern int {{p}}_stream_sync(StreamSafeHandle stream);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern IntPtr {{p}}_image_create(int width, int height);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern void {{p}}_image_destroy(IntPtr image);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern int {{p}}_image_width(IntPtr image);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        [return: MarshalAs(UnmanagedType.U1)]
        public static extern bool {{p}}_image_is_valid(IntPtr image);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern Status {{p}}_image_info(IntPtr image, out ImageInfo info);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern Status {{p}}_image_copy_pixels(IntPtr image, byte* destination, int length);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern Status {{p}}_image_fill(IntPtr image, int value);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern Status {{p}}_image_process(IntPtr image, ref ProcessOptions options);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern Status {{p}}_context_create(out ContextSafeHandle context);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern void {{p}}_context_release(IntPtr context);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern Status {{p}}_context_set_log_callback(ContextSafeHandle context, LogCallback callback, IntPtr userData);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern Status {{p}}_context_run(ContextSafeHandle context, IntPtr image, ProgressCallback progress, IntPtr userData);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern Status {{p}}_checksum(byte* data, nuint length, out uint checksum);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern Status {{p}}_encode(IntPtr input, int inputLength, IntPtr output, int outputLength);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        public static extern void {{p}}_sort(void* items, nuint count, nuint size, delegate* unmanaged[Cdecl]<void*, void*, int> compare);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, CharSet = CharSet.Ansi, BestFitMapping = false)]
        public static extern int {{p}}_version(StringBuilder buffer, int capacity);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, SetLastError = true)]
        public static extern IntPtr {{p}}_map(IntPtr address, nuint length, int protection);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, SetLastError = true)]
        public static extern int {{p}}_unmap(IntPtr address, nuint length);

{{table.ToString().TrimEnd()}}
    }
}

""";
        }

        private static string StreamWrapper(int group, Random random)
        {
            string p = Prefix(group);
            var extra = new StringBuilder();
            int readers = random.Next(2, 5);
            for (int i = 0; i < readers; i++)
            {
                extra.Append($$"""

        public int ReadBlock{{i}}(byte[] buffer, int offset)
        {
            if ((uint)offset >= (uint)buffer.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(offset));
            }

            fixed (byte* pointer = &buffer[offset])
            {
                return NativeMethods.{{p}}_stream_read(_handle, pointer, Math.Min(buffer.Length - offset, {{64 << i}}));
            }
        }

""");
            }

            return $$"""
using System;
using System.IO;
using System.Runtime.InteropServices;

namespace Synthetic.Interop.Lib{{group}}
{
    /// <summary>A stream over a native handle owned by a SafeHandle.</summary>
    public sealed unsafe class DataStream : IDisposable
    {
        private readonly StreamSafeHandle _handle;

        public DataStream(string path, int flags)
        {
            _handle = NativeMethods.{{p}}_stream_open(path, flags);
            if (_handle.IsInvalid)
            {
                int error = Marshal.GetLastPInvokeError();
                _handle.Dispose();
                throw new IOException($"Cannot open '{path}' (error {error}).");
            }
        }

        public int Read(Span<byte> buffer)
        {
            fixed (byte* pointer = buffer)
            {
                return NativeMethods.{{p}}_stream_read(_handle, pointer, buffer.Length);
            }
        }
{{extra.ToString().TrimEnd()}}

        public void Write(byte[] buffer)
        {
            int written = NativeMethods.{{p}}_stream_write(_handle, buffer, buffer.Length);
            if (written != buffer.Length)
            {
                throw new IOException($"Short write: {written} of {buffer.Length} bytes.");
            }
        }

        public void Flush()
        {
            if (NativeMethods.{{p}}_stream_sync(_handle) != 0)
            {
                int error = Marshal.GetLastPInvokeError();
                throw new IOException($"Sync failed with error {error}.");
            }
        }

        public long Position
        {
            get
            {
                bool added = false;
                try
                {
                    _handle.DangerousAddRef(ref added);
                    return NativeMethods.{{p}}_stream_tell(_handle.DangerousGetHandle());
                }
                finally
                {
                    if (added)
                    {
                        _handle.DangerousRelease();
                    }
                }
            }
        }

        public uint Checksum(ReadOnlySpan<byte> data)
        {
            fixed (byte* pointer = data)
            {
                Status status = NativeMethods.{{p}}_checksum(pointer, (nuint)data.Length, out uint checksum);
                if (status != Status.Ok)
                {
                    throw new InvalidOperationException($"Checksum failed: {status}.");
                }

                return checksum;
            }
        }

        public void Dispose() => _handle.Dispose();
    }
}

""";
        }

        private static string ImageOwner(int group, Random random)
        {
            string p = Prefix(group);
            List<TableEntry> table = Table(group);
            string entity = table[0].Entity;
            var properties = new StringBuilder();
            foreach (TableEntry entry in table.Where(e => e.Entity == entity && (e.Kind == "int" || e.Kind == "double")).Take(random.Next(3, 6)))
            {
                string name = entity + Pascal(entry.Member);
                properties.Append($$"""

        public {{entry.Kind}} {{name}}
        {
            get
            {
                ThrowIfDisposed();
                Check(NativeMethods.{{p}}_{{entity}}_{{entry.Member}}(_ptr, out {{entry.Kind}} value));
                GC.KeepAlive(this);
                return value;
            }
        }

""");
            }

            foreach (TableEntry entry in table.Where(e => e.Entity == entity && e.Kind == "op").Take(random.Next(1, 3)))
            {
                properties.Append($$"""

        public void {{entity}}{{Pascal(entry.Member)}}(int argument)
        {
            ThrowIfDisposed();
            Check(NativeMethods.{{p}}_{{entity}}_{{entry.Member}}(_ptr, argument));
            GC.KeepAlive(this);
        }

""");
            }

            return $$"""
using System;
using System.Threading;

namespace Synthetic.Interop.Lib{{group}}
{
    /// <summary>Owns a native image through a raw pointer released by Dispose or the finalizer.</summary>
    public sealed unsafe class Image : IDisposable
    {
        private IntPtr _ptr;

        public Image(int width, int height)
        {
            _ptr = NativeMethods.{{p}}_image_create(width, height);
            if (_ptr == IntPtr.Zero)
            {
                throw new OutOfMemoryException($"Cannot create a {width}x{height} image.");
            }
        }

        ~Image()
        {
            Release();
        }

        public IntPtr Handle => _ptr;

        public bool IsDisposed => _ptr == IntPtr.Zero;

        public int Width
        {
            get
            {
                ThrowIfDisposed();
                int width = NativeMethods.{{p}}_image_width(_ptr);
                GC.KeepAlive(this);
                return width;
            }
        }

        public bool IsValid
        {
            get
            {
                bool valid = !IsDisposed && NativeMethods.{{p}}_image_is_valid(_ptr);
                GC.KeepAlive(this);
                return valid;
            }
        }

        public ImageInfo GetInfo()
        {
            ThrowIfDisposed();
            Check(NativeMethods.{{p}}_image_info(_ptr, out ImageInfo info));
            GC.KeepAlive(this);
            return info;
        }

        public byte[] CopyPixels()
        {
            ImageInfo info = GetInfo();
            var pixels = new byte[info.Stride * info.Height];
            fixed (byte* destination = pixels)
            {
                Check(NativeMethods.{{p}}_image_copy_pixels(_ptr, destination, pixels.Length));
            }

            GC.KeepAlive(this);
            return pixels;
        }
{{properties.ToString().TrimEnd()}}

        public void Dispose()
        {
            Release();
            GC.SuppressFinalize(this);
        }

        private void Release()
        {
            IntPtr ptr = Interlocked.Exchange(ref _ptr, IntPtr.Zero);
            if (ptr != IntPtr.Zero)
            {
                NativeMethods.{{p}}_image_destroy(ptr);
            }
        }

        private void ThrowIfDisposed()
        {
            if (_ptr == IntPtr.Zero)
            {
                throw new ObjectDisposedException(nameof(Image));
            }
        }

        internal static void Check(Status status)
        {
            if (status != Status.Ok)
            {
                throw new InvalidOperationException($"Native call failed: {status}.");
            }
        }
    }
}

""";
        }

        private static string PinningOperations(int group, Random random)
        {
            string p = Prefix(group);
            var fills = new StringBuilder();
            int count = random.Next(2, 5);
            for (int i = 0; i < count; i++)
            {
                fills.Append($$"""

        public static uint ChecksumOfText{{i}}(string text)
        {
            fixed (char* chars = text)
            {
                Image.Check(NativeMethods.{{p}}_checksum((byte*)chars, (nuint)(text.Length * sizeof(char)), out uint checksum));
                return checksum + {{i}}u;
            }
        }

""");
            }

            return $$"""
using System;
using System.Buffers;
using System.Runtime.InteropServices;

namespace Synthetic.Interop.Lib{{group}}
{
    /// <summary>Pixel and buffer operations that pin managed memory for the duration of a native call.</summary>
    public static unsafe class PixelOperations
    {
        public static byte[] Encode(byte[] input)
        {
            var output = new byte[input.Length * 2 + 16];
            GCHandle inputPin = GCHandle.Alloc(input, GCHandleType.Pinned);
            try
            {
                GCHandle outputPin = GCHandle.Alloc(output, GCHandleType.Pinned);
                try
                {
                    Image.Check(NativeMethods.{{p}}_encode(
                        inputPin.AddrOfPinnedObject(), input.Length, outputPin.AddrOfPinnedObject(), output.Length));
                }
                finally
                {
                    outputPin.Free();
                }
            }
            finally
            {
                inputPin.Free();
            }

            return output;
        }

        public static uint ChecksumOf(ReadOnlyMemory<byte> memory)
        {
            using MemoryHandle pin = memory.Pin();
            Image.Check(NativeMethods.{{p}}_checksum((byte*)pin.Pointer, (nuint)memory.Length, out uint checksum));
            return checksum;
        }

        public static uint ChecksumOfStack(int value)
        {
            byte* buffer = stackalloc byte[16];
            for (int i = 0; i < 16; i++)
            {
                buffer[i] = (byte)(value >> (i % 4 * 8));
            }

            Image.Check(NativeMethods.{{p}}_checksum(buffer, 16, out uint checksum));
            return checksum;
        }

        public static void CopyRow(Image image, Span<byte> destination)
        {
            fixed (byte* pointer = destination)
            {
                Image.Check(NativeMethods.{{p}}_image_copy_pixels(image.Handle, pointer, destination.Length));
            }

            GC.KeepAlive(image);
        }
{{fills.ToString().TrimEnd()}}
    }
}

""";
        }

        private static string NativeMemoryOperations(int group, Random random)
        {
            string p = Prefix(group);
            var scratch = new StringBuilder();
            int count = random.Next(1, 4);
            for (int i = 0; i < count; i++)
            {
                scratch.Append($$"""

        public static uint ScratchChecksum{{i}}(int size)
        {
            void* block = NativeMemory.Alloc((nuint)size);
            try
            {
                new Span<byte>(block, size).Fill({{i + 1}});
                Image.Check(NativeMethods.{{p}}_checksum((byte*)block, (nuint)size, out uint checksum));
                return checksum;
            }
            finally
            {
                NativeMemory.Free(block);
            }
        }

""");
            }

            return $$"""
using System;
using System.Runtime.InteropServices;

namespace Synthetic.Interop.Lib{{group}}
{
    /// <summary>Native memory allocated and released around native calls.</summary>
    public static unsafe class NativeBuffers
    {
        public static byte[] EncodeUnmanaged(ReadOnlySpan<byte> input)
        {
            IntPtr source = Marshal.AllocHGlobal(input.Length);
            try
            {
                input.CopyTo(new Span<byte>((void*)source, input.Length));
                int outputLength = input.Length * 2 + 16;
                IntPtr target = Marshal.AllocHGlobal(outputLength);
                try
                {
                    Image.Check(NativeMethods.{{p}}_encode(source, input.Length, target, outputLength));
                    var result = new byte[outputLength];
                    Marshal.Copy(target, result, 0, outputLength);
                    return result;
                }
                finally
                {
                    Marshal.FreeHGlobal(target);
                }
            }
            finally
            {
                Marshal.FreeHGlobal(source);
            }
        }

        public static void Process(Image image, double scale)
        {
            IntPtr name = Marshal.StringToHGlobalAnsi("scale:" + scale.ToString(System.Globalization.CultureInfo.InvariantCulture));
            try
            {
                var options = new ProcessOptions { Flags = 1, Scale = scale, UserData = name };
                Image.Check(NativeMethods.{{p}}_image_process(image.Handle, ref options));
                GC.KeepAlive(image);
            }
            finally
            {
                Marshal.FreeHGlobal(name);
            }
        }

        public static ImageInfo ReadInfo(IntPtr block)
        {
            return Marshal.PtrToStructure<ImageInfo>(block);
        }

        public static IntPtr CopyToNative(ImageInfo info)
        {
            IntPtr block = Marshal.AllocHGlobal(Marshal.SizeOf<ImageInfo>());
            Marshal.StructureToPtr(info, block, false);
            return block;
        }
{{scratch.ToString().TrimEnd()}}
    }
}

""";
        }

        private static string CallbackRegistrations(int group, Random random)
        {
            string p = Prefix(group);
            int levels = random.Next(3, 6);
            var cases = new StringBuilder();
            for (int i = 0; i < levels; i++)
            {
                cases.Append($"                    {i} => \"level{i}\",\n");
            }

            return $$"""
using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Synthetic.Interop.Lib{{group}}
{
    /// <summary>A native context with a log callback registered for its whole lifetime.</summary>
    public sealed unsafe class CallbackContext : IDisposable
    {
        private readonly ContextSafeHandle _context;
        private readonly LogCallback _logCallback;
        private readonly List<string> _messages = new List<string>();
        private Exception? _pendingException;

        public CallbackContext()
        {
            Image.Check(NativeMethods.{{p}}_context_create(out _context));
            _logCallback = OnLog;
            Image.Check(NativeMethods.{{p}}_context_set_log_callback(_context, _logCallback, IntPtr.Zero));
        }

        public IReadOnlyList<string> Messages => _messages;

        public void Run(Image image)
        {
            GCHandle self = GCHandle.Alloc(this);
            try
            {
                ProgressCallback progress = OnProgress;
                Status status = NativeMethods.{{p}}_context_run(_context, image.Handle, progress, GCHandle.ToIntPtr(self));
                GC.KeepAlive(progress);
                GC.KeepAlive(image);
                Image.Check(status);
            }
            finally
            {
                self.Free();
            }

            Exception? pending = _pendingException;
            _pendingException = null;
            if (pending != null)
            {
                throw new InvalidOperationException("A callback failed.", pending);
            }
        }

        public static void SortValues(int[] values)
        {
            fixed (int* items = values)
            {
                NativeMethods.{{p}}_sort(items, (nuint)values.Length, sizeof(int), &CompareValues);
            }
        }

        [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
        private static int CompareValues(void* left, void* right)
        {
            try
            {
                return (*(int*)left).CompareTo(*(int*)right);
            }
            catch (Exception)
            {
                return 0;
            }
        }

        private void OnLog(int level, IntPtr message, IntPtr userData)
        {
            try
            {
                string text = Marshal.PtrToStringUTF8(message) ?? string.Empty;
                string name = level switch
                {
{{cases.ToString().TrimEnd()}}
                    _ => "other",
                };
                _messages.Add(name + ": " + text);
            }
            catch (Exception exception)
            {
                _pendingException ??= exception;
            }
        }

        private static int OnProgress(long done, long total, IntPtr userData)
        {
            try
            {
                var self = (CallbackContext?)GCHandle.FromIntPtr(userData).Target;
                self?._messages.Add($"progress {done}/{total}");
                return 0;
            }
            catch (Exception)
            {
                return 1;
            }
        }

        public void Dispose() => _context.Dispose();
    }
}

""";
        }

        private static string LastErrorOperations(int group, Random random)
        {
            string p = Prefix(group);
            int protections = random.Next(1, 4);
            var methods = new StringBuilder();
            for (int i = 0; i < protections; i++)
            {
                methods.Append($$"""

        public static uint ChecksumMapped{{i}}(nuint length)
        {
            IntPtr address = NativeMethods.{{p}}_map(IntPtr.Zero, length, {{i + 1}});
            if (address == new IntPtr(-1))
            {
                throw new MappingException(Marshal.GetLastPInvokeError(), "map");
            }

            try
            {
                Image.Check(NativeMethods.{{p}}_checksum((byte*)address, length, out uint checksum));
                return checksum;
            }
            finally
            {
                if (NativeMethods.{{p}}_unmap(address, length) != 0)
                {
                    int error = Marshal.GetLastPInvokeError();
                    System.Diagnostics.Debug.WriteLine($"unmap failed: {error}");
                }
            }
        }

""");
            }

            return $$"""
using System;
using System.Runtime.InteropServices;

namespace Synthetic.Interop.Lib{{group}}
{
    public sealed class MappingException : Exception
    {
        public MappingException(int error, string operation)
            : base($"{operation} failed with error {error}.")
        {
            Error = error;
        }

        public int Error { get; }
    }

    /// <summary>Native mappings whose failures are read from the last P/Invoke error.</summary>
    public static unsafe class FileMapping
    {
        public static void Sync(DataStream stream, string path)
        {
            using StreamSafeHandle handle = NativeMethods.{{p}}_stream_open(path, 2);
            if (handle.IsInvalid)
            {
                throw new MappingException(Marshal.GetLastPInvokeError(), "open");
            }

            if (NativeMethods.{{p}}_stream_sync(handle) != 0)
            {
                int error = Marshal.GetLastPInvokeError();
                throw new MappingException(error, "sync");
            }

            stream.Flush();
        }
{{methods.ToString().TrimEnd()}}
    }
}

""";
        }

        private static string ProcessingContext(int group, Random random)
        {
            string p = Prefix(group);
            List<TableEntry> table = Table(group);
            string entity = table[table.Count - 1].Entity;
            var members = new StringBuilder();
            foreach (TableEntry entry in table.Where(e => e.Entity == entity && e.Kind != "new" && e.Kind != "delete").Take(random.Next(3, 7)))
            {
                if (entry.Kind == "op")
                {
                    members.Append($$"""

        public void {{Pascal(entry.Member)}}(int argument)
        {
            Image.Check(NativeMethods.{{p}}_{{entity}}_{{entry.Member}}(_handle, argument));
            GC.KeepAlive(this);
        }

""");
                }
                else
                {
                    members.Append($$"""

        public {{entry.Kind}} Get{{Pascal(entry.Member)}}()
        {
            Image.Check(NativeMethods.{{p}}_{{entity}}_{{entry.Member}}(_handle, out {{entry.Kind}} value));
            GC.KeepAlive(this);
            return value;
        }

""");
                }
            }

            return $$"""
using System;

namespace Synthetic.Interop.Lib{{group}}
{
    /// <summary>A generated-binding style wrapper: a disposable object over a native {{entity}}.</summary>
    public sealed class {{entity}}Object : IDisposable
    {
        private IntPtr _handle;

        public {{entity}}Object(int flags)
        {
            Image.Check(NativeMethods.{{p}}_{{entity}}_new(flags, out _handle));
        }

        ~{{entity}}Object()
        {
            DisposeNative();
        }

        public IntPtr CvPtr => _handle;
{{members.ToString().TrimEnd()}}

        public void Dispose()
        {
            DisposeNative();
            GC.SuppressFinalize(this);
        }

        private void DisposeNative()
        {
            if (_handle != IntPtr.Zero)
            {
                NativeMethods.{{p}}_{{entity}}_delete(_handle);
                _handle = IntPtr.Zero;
            }
        }
    }
}

""";
        }

        private static string NativeStructures(int group, Random random)
        {
            int fields = random.Next(4, 9);
            var fieldText = new StringBuilder();
            var sum = new StringBuilder();
            for (int i = 0; i < fields; i++)
            {
                fieldText.Append($"        public int Field{i};\n");
                sum.Append(i == 0 ? string.Empty : " + ").Append($"Field{i}");
            }

            return $$"""
using System;
using System.Runtime.InteropServices;

namespace Synthetic.Interop.Lib{{group}}
{
    [Flags]
    public enum PixelFormat
    {
        None = 0,
        Gray = 1,
        Rgb = 2,
        Alpha = 4,
        Premultiplied = 8,
    }

    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct HeaderBlock
    {
{{fieldText.ToString().TrimEnd()}}

        public readonly int Sum => {{sum}};
    }

    [StructLayout(LayoutKind.Explicit)]
    public struct PixelValue
    {
        [FieldOffset(0)]
        public uint Packed;

        [FieldOffset(0)]
        public byte Blue;

        [FieldOffset(1)]
        public byte Green;

        [FieldOffset(2)]
        public byte Red;

        [FieldOffset(3)]
        public byte Alpha;
    }

    public static class NativeStructures
    {
        public static int HeaderSize => Marshal.SizeOf<HeaderBlock>();

        public static PixelFormat FormatOf(ImageInfo info) => info.Format switch
        {
            1 => PixelFormat.Gray,
            3 => PixelFormat.Rgb,
            4 => PixelFormat.Rgb | PixelFormat.Alpha,
            _ => PixelFormat.None,
        };

        public static HeaderBlock ReadHeader(ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length < HeaderSize)
            {
                throw new ArgumentException("Too short for a header.", nameof(bytes));
            }

            return MemoryMarshal.Read<HeaderBlock>(bytes);
        }

        public static uint Pack(byte red, byte green, byte blue, byte alpha)
        {
            var value = new PixelValue { Red = red, Green = green, Blue = blue, Alpha = alpha };
            return value.Packed;
        }
    }
}

""";
        }

        private static string HighLevelPipeline(int group, Random random)
        {
            int steps = random.Next(4, 9);
            var stepText = new StringBuilder();
            for (int i = 0; i < steps; i++)
            {
                stepText.Append($"            NativeBuffers.Process(image, {(i + 1) * 0.5:0.0});\n");
            }

            return $$"""
using System;
using System.Collections.Generic;
using System.Linq;

namespace Synthetic.Interop.Lib{{group}}
{
    /// <summary>The binding's public API: composes the wrappers, no P/Invoke of its own.</summary>
    public sealed class ImagePipeline : IDisposable
    {
        private readonly CallbackContext _context = new CallbackContext();
        private readonly List<uint> _checksums = new List<uint>();

        public IReadOnlyList<uint> Checksums => _checksums;

        public byte[] Run(int width, int height, string outputPath)
        {
            using var image = new Image(width, height);
{{stepText.ToString().TrimEnd()}}
            _context.Run(image);
            byte[] pixels = image.CopyPixels();
            _checksums.Add(PixelOperations.ChecksumOf(pixels));
            byte[] encoded = PixelOperations.Encode(pixels);
            using (var stream = new DataStream(outputPath, 1))
            {
                stream.Write(encoded);
                FileMapping.Sync(stream, outputPath);
            }

            return encoded;
        }

        public IEnumerable<string> Summary()
        {
            return _context.Messages
                .Where(message => message.Length > 0)
                .GroupBy(message => message.Split(':')[0])
                .OrderBy(group => group.Key, StringComparer.Ordinal)
                .Select(group => $"{group.Key}: {group.Count()}");
        }

        public static PixelFormat Probe(Image image)
        {
            return image.IsValid ? NativeStructures.FormatOf(image.GetInfo()) : PixelFormat.None;
        }

        public static string Describe(Image image)
        {
            if (!image.IsValid)
            {
                return "invalid image";
            }

            ImageInfo info = image.GetInfo();
            PixelFormat format = NativeStructures.FormatOf(info);
            return $"{info.Width}x{info.Height}, stride {info.Stride}, {format}";
        }

        public void Dispose() => _context.Dispose();
    }
}

""";
        }

        private static string Pascal(string snake)
        {
            var builder = new StringBuilder();
            foreach (string part in snake.Split('_'))
            {
                builder.Append(char.ToUpperInvariant(part[0])).Append(part, 1, part.Length - 1);
            }

            return builder.ToString();
        }
    }
}
