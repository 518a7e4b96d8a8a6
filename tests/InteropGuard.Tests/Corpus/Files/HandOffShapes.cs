// Pins handed to the caller or kept in an object, and a SafeHandle closed then disposed (idempotent): IG3003-IG3005 stay silent.
using System;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Corpus.HandOffShapes
{
    internal static class HandOff
    {
        [DllImport("lib")] internal static extern SafeFileHandle open(string name);

        internal static void CloseThenDispose(string name)
        {
            var h = open(name);
            h.Close();
            h.Dispose();
        }

        internal static MemoryHandleHolder Keep(Memory<byte> memory) => new MemoryHandleHolder { Pin = memory.Pin() };

        internal static System.Buffers.MemoryHandle PinFor(Memory<byte> memory)
        {
            var pin = memory.Pin();
            return pin;
        }
    }

    internal sealed class MemoryHandleHolder
    {
        public System.Buffers.MemoryHandle Pin;
    }
}
