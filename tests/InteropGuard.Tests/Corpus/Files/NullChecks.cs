#nullable enable
using System;
using System.Runtime.InteropServices;

namespace Corpus.NullChecks
{
    internal static class Libc
    {
        [DllImport("libc")]
        internal static extern IntPtr malloc(nuint size);

        [DllImport("libc")]
        internal static extern unsafe void* calloc(nuint count, nuint size);

        [DllImport("libc")]
        internal static extern void free(IntPtr pointer);

        [DllImport("libc")]
        internal static extern unsafe void free(void* pointer);
    }

    internal static class Sensor
    {
        [DllImport("sensorhub", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int sensor_read(IntPtr buffer, int capacity);
    }

    public static class Readings
    {
        public static bool TryRead(int capacity, out int value)
        {
            value = 0;
            IntPtr buffer = Libc.malloc((nuint)capacity);
            if (buffer == IntPtr.Zero)
            {
                return false;
            }

            try
            {
                if (Sensor.sensor_read(buffer, capacity) != 0)
                {
                    return false;
                }

                value = Marshal.ReadInt32(buffer);
                return true;
            }
            finally
            {
                Libc.free(buffer);
            }
        }

        public static unsafe int Count(int count)
        {
            int* slots = (int*)Libc.calloc((nuint)count, sizeof(int));
            if (slots == null)
            {
                throw new OutOfMemoryException();
            }

            try
            {
                int nonZero = 0;
                for (int i = 0; i < count; i++)
                {
                    if (slots[i] != 0)
                    {
                        nonZero++;
                    }
                }

                return nonZero;
            }
            finally
            {
                Libc.free(slots);
            }
        }

        public static int ReadWithPattern(int capacity)
        {
            IntPtr buffer = Libc.malloc((nuint)capacity);
            if (buffer is 0)
            {
                throw new OutOfMemoryException();
            }

            try
            {
                return Sensor.sensor_read(buffer, capacity);
            }
            finally
            {
                Libc.free(buffer);
            }
        }

        public static int ReadEarlyExit(int capacity)
        {
            IntPtr buffer = Libc.malloc((nuint)capacity);
            if (buffer != IntPtr.Zero)
            {
                try
                {
                    return Sensor.sensor_read(buffer, capacity);
                }
                finally
                {
                    Libc.free(buffer);
                }
            }

            return -1;
        }
    }
}
