using System;
using System.IO;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Callbacks.ExceptionToNative
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int Visitor(int index, IntPtr user);

    internal static class Native
    {
        [DllImport("igsample")]
        internal static extern int igs_for_each(int count, Visitor visit, IntPtr user);
    }

    internal static class Program
    {
        private const int RecordCount = 4;
        private const int CorruptRecord = 2;

        // The program already rethrows what a callback hands over after each native call, the way the rule's page
        // tells users to; the defect is that Visit does not hand anything over.
        [ThreadStatic]
        private static Exception? pendingCallbackException;

        private static int Visit(int index, IntPtr user) // IG5001 'Visit'
        {
            if (index == CorruptRecord)
            {
                throw new InvalidDataException($"record {index} is corrupt");
            }

            return index;
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

        private static int Main()
        {
            Console.WriteLine($"VISIT records={RecordCount}");
            try
            {
                int sum = Native.igs_for_each(RecordCount, Visit, IntPtr.Zero);
                ThrowPendingCallbackException();
                Console.WriteLine($"UNREPORTED sum={sum}");
                return 1;
            }
            catch (InvalidDataException exception)
            {
                // Only reachable once the callback hands its exception over: unwinding through igs_for_each's C
                // frame is not something the runtime does, it fails the process instead.
                Console.WriteLine("REPORTED " + exception.Message);
                return 0;
            }
        }
    }
}
