#nullable enable
using System;
using System.Runtime.InteropServices;

namespace Corpus.Imaging
{
    internal static class ImgNative
    {
        private const string Library = "imgkit";

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr img_create(int width, int height, int channels);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr img_load(IntPtr path);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void img_destroy(IntPtr image);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int img_width(IntPtr image);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int img_height(IntPtr image);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int img_write_pixels(IntPtr image, IntPtr pixels, nuint length);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int img_read_pixels(IntPtr image, IntPtr destination, nuint length);
    }

    /// <summary>Owns one native image; the finalizer is the safety net for callers that forget Dispose.</summary>
    public sealed class Image : IDisposable
    {
        private IntPtr _handle;

        private Image(IntPtr handle)
        {
            _handle = handle;
        }

        ~Image()
        {
            Release();
        }

        public static Image Create(int width, int height)
        {
            IntPtr handle = ImgNative.img_create(width, height, 4);
            if (handle == IntPtr.Zero)
            {
                throw new OutOfMemoryException("img_create failed");
            }

            return new Image(handle);
        }

        public static Image Load(string path)
        {
            IntPtr nativePath = Marshal.StringToHGlobalAnsi(path);
            try
            {
                IntPtr handle = ImgNative.img_load(nativePath);
                if (handle == IntPtr.Zero)
                {
                    throw new InvalidOperationException("cannot load " + path);
                }

                return new Image(handle);
            }
            finally
            {
                Marshal.FreeHGlobal(nativePath);
            }
        }

        public int Width
        {
            get
            {
                int width = ImgNative.img_width(Handle);
                GC.KeepAlive(this);
                return width;
            }
        }

        public int Height
        {
            get
            {
                int height = ImgNative.img_height(Handle);
                GC.KeepAlive(this);
                return height;
            }
        }

        public void SetPixels(byte[] rgba)
        {
            IntPtr staging = Marshal.AllocHGlobal(rgba.Length);
            try
            {
                Marshal.Copy(rgba, 0, staging, rgba.Length);
                int rc = ImgNative.img_write_pixels(Handle, staging, (nuint)rgba.Length);
                GC.KeepAlive(this);
                if (rc != 0)
                {
                    throw new InvalidOperationException("img_write_pixels failed: " + rc);
                }
            }
            finally
            {
                Marshal.FreeHGlobal(staging);
            }
        }

        public unsafe byte[] GetPixels()
        {
            int length = checked(Width * Height * 4);
            void* scratch = NativeMemory.Alloc((nuint)length);
            try
            {
                int rc = ImgNative.img_read_pixels(Handle, (IntPtr)scratch, (nuint)length);
                GC.KeepAlive(this);
                if (rc != 0)
                {
                    throw new InvalidOperationException("img_read_pixels failed: " + rc);
                }

                return new ReadOnlySpan<byte>(scratch, length).ToArray();
            }
            finally
            {
                NativeMemory.Free(scratch);
            }
        }

        public void Dispose()
        {
            Release();
            GC.SuppressFinalize(this);
        }

        private IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(Image));

        private void Release()
        {
            IntPtr handle = _handle;
            _handle = IntPtr.Zero;
            if (handle != IntPtr.Zero)
            {
                ImgNative.img_destroy(handle);
            }
        }
    }
}
