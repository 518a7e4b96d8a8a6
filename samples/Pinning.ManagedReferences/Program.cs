using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using IgSample;

namespace Pinning.ManagedReferences
{
    internal static unsafe class Native
    {
        // Copies the struct's bytes into the library's own storage; the pointer itself is not kept.
        [DllImport("igsample")]
        internal static extern int igs_keep_copy(void* data, nuint size);

        [DllImport("igsample")]
        internal static extern IntPtr igs_copied_word(nuint index);
    }

    /// <summary>Options a library keeps a copy of; the name is a managed reference.</summary>
    internal struct Options
    {
        public string Name;
        public int Level;
    }

    /// <summary>The same options as the library can hold them: the name travels as a GCHandle's IntPtr.</summary>
    internal struct OptionsData
    {
        public IntPtr Name;
        public int Level;
    }

    /// <summary>
    /// There is no code fix for IG2004: what the native side should hold instead of a reference depends on the
    /// library. So this sample holds the unsafe form and, next to it, the form written by hand; `correct` on the
    /// command line runs the latter.
    /// </summary>
    internal static unsafe class Program
    {
        private const int ExitStale = 14;

        // A young string the collection moves (a literal would live in the frozen heap and never move).
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static string NewName() => new string('n', 16);

        // The library's copy holds the name's address as a plain word: the GC neither sees it nor updates it when it
        // moves the string, so the copy points where the string used to be. (Read back as a reference, it would be
        // a GC hole; the sample only compares the bits.)
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static bool Unsafe_CopyIsCurrent()
        {
            var options = new Options { Name = NewName(), Level = 3 };
            Native.igs_keep_copy(Unsafe.AsPointer(ref options), (nuint)Unsafe.SizeOf<Options>()); // IG2004 'options'
            MovingHeap.Collect();

            nint offset = Unsafe.ByteOffset(ref Unsafe.As<Options, byte>(ref options), ref Unsafe.As<string, byte>(ref options.Name));
            nint copied = Native.igs_copied_word((nuint)(offset / IntPtr.Size));
            nint current = Unsafe.As<string, nint>(ref options.Name);
            return copied == current;
        }

        // The pattern IG2004's page recommends: the library gets a blittable copy whose reference is a GCHandle,
        // which stays valid however the GC moves the string, and is freed when the library no longer needs it.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static bool Correct_CopyIsCurrent()
        {
            string name = NewName();
            GCHandle nameHandle = GCHandle.Alloc(name);
            try
            {
                var data = new OptionsData { Name = GCHandle.ToIntPtr(nameHandle), Level = 3 };
                Native.igs_keep_copy(&data, (nuint)sizeof(OptionsData));
                MovingHeap.Collect();

                object? copied = GCHandle.FromIntPtr(Native.igs_copied_word(0)).Target;
                return ReferenceEquals(copied, name);
            }
            finally
            {
                nameHandle.Free();
            }
        }

        private static int Main(string[] args)
        {
            bool correct = args.Length > 0 && args[0] == "correct";
            MovingHeap.Churn();
            bool current = correct ? Correct_CopyIsCurrent() : Unsafe_CopyIsCurrent();

            string counters = $"copied_reference={(current ? "current" : "stale")}";
            if (!current)
            {
                Console.WriteLine("STALE " + counters);
                return ExitStale;
            }

            Console.WriteLine("OK " + counters);
            return 0;
        }
    }
}
