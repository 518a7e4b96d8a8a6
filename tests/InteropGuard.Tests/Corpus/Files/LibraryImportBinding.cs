#nullable enable
using System;
using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;

namespace Corpus.LibraryImports
{
    internal static partial class Compression
    {
        private const string Library = "zstdlite";

        [LibraryImport(Library, EntryPoint = "zl_compress_bound")]
        internal static partial nuint CompressBound(nuint sourceSize);

        [LibraryImport(Library, EntryPoint = "zl_compress")]
        internal static partial nuint Compress(IntPtr destination, nuint destinationCapacity, IntPtr source, nuint sourceSize, int level);

        [LibraryImport(Library, EntryPoint = "zl_is_error")]
        [return: MarshalAs(UnmanagedType.I4)]
        internal static partial int IsError(nuint code);

        [LibraryImport(Library, EntryPoint = "zl_set_dictionary_name", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int SetDictionaryName(string name);

        [LibraryImport("libc", EntryPoint = "malloc")]
        internal static partial IntPtr Malloc(nuint size);

        [LibraryImport("libc", EntryPoint = "free")]
        internal static partial void Free(IntPtr pointer);
    }

    public static class Compressor
    {
        public static byte[] Compress(byte[] input, int level)
        {
            nuint bound = Compression.CompressBound((nuint)input.Length);
            IntPtr destination = Compression.Malloc(bound);
            if (destination == IntPtr.Zero)
            {
                throw new OutOfMemoryException();
            }

            try
            {
                IntPtr source = Marshal.AllocHGlobal(input.Length);
                try
                {
                    Marshal.Copy(input, 0, source, input.Length);
                    nuint written = Compression.Compress(destination, bound, source, (nuint)input.Length, level);
                    if (Compression.IsError(written) != 0)
                    {
                        throw new InvalidOperationException("compression failed");
                    }

                    byte[] output = new byte[(int)written];
                    Marshal.Copy(destination, output, 0, output.Length);
                    return output;
                }
                finally
                {
                    Marshal.FreeHGlobal(source);
                }
            }
            finally
            {
                Compression.Free(destination);
            }
        }

        public static void UseDictionary(string name)
        {
            if (Compression.SetDictionaryName(name) != 0)
            {
                throw new ArgumentException("unknown dictionary", nameof(name));
            }
        }
    }
}
