using System;
using System.IO;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Callbacks.UserCallbackThrows
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int Visitor(int index, IntPtr user);

    /// <summary>What the library's user hands in: called once per record, returns the record's value.</summary>
    public delegate int RecordHandler(int index);

    internal static class Native
    {
        [DllImport("igsample")]
        internal static extern int igs_for_each(int count, Visitor visit, IntPtr user);
    }

    /// <summary>The library: walks the native records and hands each to the user's handler.</summary>
    public static class Records
    {
        // The library already rethrows what its bridge hands over after the native call, the way the rule's page tells
        // authors to; the defect is that Bridge does not hand anything over.
        [ThreadStatic]
        private static Exception? pendingCallbackException;

        // The user's handler travels to the bridge behind a GCHandle, as native user data.
        private static int Bridge(int index, IntPtr user) // IG5002 'Bridge'
        {
            var handler = (RecordHandler)GCHandle.FromIntPtr(user).Target!;
            return handler(index);
        }

        // Call after the native call returns: rethrows, with its stack trace, what a callback caught on this thread.
        internal static void ThrowPendingCallbackException()
        {
            var pending = pendingCallbackException;
            if (pending != null)
            {
                pendingCallbackException = null;
                ExceptionDispatchInfo.Capture(pending).Throw();
            }
        }

        public static int Sum(int count, RecordHandler handler)
        {
            var handle = GCHandle.Alloc(handler);
            try
            {
                int sum = Native.igs_for_each(count, Bridge, GCHandle.ToIntPtr(handle));
                ThrowPendingCallbackException();
                return sum;
            }
            finally
            {
                handle.Free();
            }
        }
    }

    internal static class Program
    {
        private const int RecordCount = 4;
        private const int CorruptRecord = 2;

        // The user's code: it throws on a record it cannot read, as user code does.
        private static int Read(int index)
        {
            if (index == CorruptRecord)
            {
                throw new InvalidDataException($"record {index} is corrupt");
            }

            return index;
        }

        private static int Main()
        {
            Console.WriteLine($"VISIT records={RecordCount}");
            try
            {
                int sum = Records.Sum(RecordCount, Read);
                Console.WriteLine($"UNREPORTED sum={sum}");
                return 1;
            }
            catch (InvalidDataException exception)
            {
                // Only reachable once the bridge hands the user's exception over: unwinding through igs_for_each's C
                // frame is not something the runtime does, it fails the process instead.
                Console.WriteLine("REPORTED " + exception.Message);
                return 0;
            }
        }
    }
}
