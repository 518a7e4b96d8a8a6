#nullable enable
using System;
using System.IO;
using System.Runtime.InteropServices;

namespace Corpus.ExceptionPaths
{
    internal static class Zip
    {
        [DllImport("minizip", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int zip_compress(IntPtr input, int inputLength, IntPtr output, ref int outputLength);
    }

    public static class Compressor
    {
        public static byte[] Compress(byte[] input)
        {
            IntPtr source = Marshal.AllocHGlobal(input.Length);
            IntPtr target;
            try
            {
                target = Marshal.AllocHGlobal(input.Length + 64);
            }
            catch
            {
                Marshal.FreeHGlobal(source);
                throw;
            }

            try
            {
                Marshal.Copy(input, 0, source, input.Length);
                int outputLength = input.Length + 64;
                int rc = Zip.zip_compress(source, input.Length, target, ref outputLength);
                if (rc != 0)
                {
                    throw new InvalidDataException("zip_compress failed: " + rc);
                }

                byte[] result = new byte[outputLength];
                Marshal.Copy(target, result, 0, outputLength);
                return result;
            }
            finally
            {
                Marshal.FreeHGlobal(target);
                Marshal.FreeHGlobal(source);
            }
        }

        public static int CompressedSize(byte[] input)
        {
            IntPtr source = Marshal.AllocHGlobal(input.Length);
            int size;
            try
            {
                Marshal.Copy(input, 0, source, input.Length);
                size = input.Length + 64;
                IntPtr scratch = Marshal.AllocHGlobal(size);
                try
                {
                    if (Zip.zip_compress(source, input.Length, scratch, ref size) != 0)
                    {
                        size = -1;
                    }
                }
                finally
                {
                    Marshal.FreeHGlobal(scratch);
                }
            }
            catch
            {
                Marshal.FreeHGlobal(source);
                throw;
            }

            Marshal.FreeHGlobal(source);
            return size;
        }

        public static int WithLateAllocation(byte[] input)
        {
            IntPtr source = IntPtr.Zero;
            try
            {
                source = Marshal.AllocHGlobal(input.Length);
                Marshal.Copy(input, 0, source, input.Length);
                int outputLength = 0;
                return Zip.zip_compress(source, input.Length, IntPtr.Zero, ref outputLength);
            }
            finally
            {
                if (source != IntPtr.Zero)
                {
                    Marshal.FreeHGlobal(source);
                }
            }
        }

        public static int EachChunk(byte[][] chunks)
        {
            int failures = 0;
            for (int i = 0; i < chunks.Length; i++)
            {
                IntPtr chunk = Marshal.AllocHGlobal(chunks[i].Length);
                try
                {
                    Marshal.Copy(chunks[i], 0, chunk, chunks[i].Length);
                    int length = 0;
                    if (Zip.zip_compress(chunk, chunks[i].Length, IntPtr.Zero, ref length) != 0)
                    {
                        failures++;
                        continue;
                    }

                    if (length == 0)
                    {
                        break;
                    }
                }
                finally
                {
                    Marshal.FreeHGlobal(chunk);
                }
            }

            return failures;
        }

        public static bool TryCompress(byte[] input, out int length)
        {
            length = 0;
            IntPtr source = Marshal.AllocHGlobal(input.Length);
            try
            {
                Marshal.Copy(input, 0, source, input.Length);
                return Zip.zip_compress(source, input.Length, IntPtr.Zero, ref length) == 0;
            }
            catch (ArgumentException)
            {
                return false;
            }
            finally
            {
                Marshal.FreeHGlobal(source);
            }
        }
    }
}
