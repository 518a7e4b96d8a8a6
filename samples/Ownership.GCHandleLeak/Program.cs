using System;
using System.Buffers;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Ownership.GCHandleLeak
{
    internal static class Native
    {
        [DllImport("igsample")]
        internal static extern int igs_validate(int value);

        [DllImport("igsample")]
        internal static extern unsafe int igs_report(byte* buffer, int capacity);
    }

    internal static class Program
    {
        private const int ExitLeak = 6;
        private const int ReportCapacity = 256;

        // igs_report writes into the caller's buffer, so each record's managed buffer is pinned for the call: once
        // through a GCHandle, once through Memory<T>.Pin(). A rejected record throws before either pin is released,
        // and a pin that is never released keeps its array alive and unmovable for the rest of the process.
        private static unsafe void StageWithHandle(byte[] buffer, int record)
        {
            GCHandle pin = GCHandle.Alloc(buffer, GCHandleType.Pinned); // IG3004: stays pinned if Validate throws
            Validate(record);
            int length = Native.igs_report((byte*)pin.AddrOfPinnedObject(), buffer.Length);
            Console.WriteLine($"record {record}: {Encoding.ASCII.GetString(buffer, 0, Math.Min(length, buffer.Length - 1))}");
            pin.Free();
        }

        private static unsafe void StageWithMemory(byte[] buffer, int record)
        {
            Memory<byte> memory = buffer;
            MemoryHandle pin = memory.Pin(); // IG3004: stays pinned if Validate throws
            Validate(record);
            int length = Native.igs_report((byte*)pin.Pointer, memory.Length);
            Console.WriteLine($"record {record}: {Encoding.ASCII.GetString(buffer, 0, Math.Min(length, buffer.Length - 1))}");
            pin.Dispose();
        }

        private static void Validate(int record)
        {
            int status = Native.igs_validate(record);
            if (status != 0)
            {
                throw new InvalidDataException($"record {record} rejected by igs_validate (status {status})");
            }
        }

        // Not inlined, so once it returns no stack slot of Main can hold the buffer: only a pin can keep it alive.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static WeakReference Stage(int record, bool throughMemory)
        {
            var buffer = new byte[ReportCapacity];
            try
            {
                if (throughMemory)
                {
                    StageWithMemory(buffer, record);
                }
                else
                {
                    StageWithHandle(buffer, record);
                }
            }
            catch (InvalidDataException e)
            {
                Console.WriteLine($"record {record}: {e.Message}");
            }

            return new WeakReference(buffer);
        }

        private static int Main()
        {
            var buffers = new System.Collections.Generic.List<WeakReference>();
            foreach (int record in new[] { 1, -1, 2 })
            {
                buffers.Add(Stage(record, throughMemory: false));
                buffers.Add(Stage(record, throughMemory: true));
            }

            // A full blocking compacting collection frees every buffer nothing refers to; a pinned handle is a root.
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);

            int alive = buffers.FindAll(b => b.IsAlive).Count;
            if (alive != 0)
            {
                Console.WriteLine($"LEAK pinned_buffers_alive={alive}");
                return ExitLeak;
            }

            Console.WriteLine("OK pinned_buffers_alive=0");
            return 0;
        }
    }
}
