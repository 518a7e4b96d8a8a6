using System;
using System.Linq;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Names that say a call ends a native operation started earlier — waits for it, cancels it, unregisters what it was
    /// given — and the Win32 functions that take an OVERLAPPED only to name such an operation. Names are the evidence, as
    /// they are for retaining functions themselves (<see cref="RetainingFunctions"/>).
    /// </summary>
    internal static class OperationEndingNames
    {
        private static readonly string[] EndOfOperationWords =
        {
            "unregister", "deregister", "unschedule", "unbind", "remove", "cancel", "wait", "result", "sync", "finish", "complete", "flush", "join", "close", "destroy", "detach", "stop",
        };

        /// <summary>
        /// Win32 functions that take an OVERLAPPED only to name the operation they wait for, test or cancel: they keep
        /// nothing after they return.
        /// </summary>
        public static bool IsCompletionFunction(string entryPoint)
            => entryPoint.StartsWith("GetOverlappedResult", StringComparison.Ordinal)
               || entryPoint.StartsWith("WSAGetOverlappedResult", StringComparison.Ordinal)
               || entryPoint.StartsWith("CancelIo", StringComparison.Ordinal)
               || entryPoint == "HasOverlappedIoCompleted";

        // Whole words only: "endpoint" and "freeze" end nothing.
        private static readonly string[] EndOfOperationWholeWords = { "end", "free", "release", "dispose" };

        /// <summary>A name that says the call ends an operation: waits for, cancels, unregisters, unschedules, completes it.</summary>
        public static bool EndsOperation(string name)
            => IsCompletionFunction(name)
               || NameWords.Of(name).Any(word => EndOfOperationWords.Any(end => word.StartsWith(end, StringComparison.Ordinal))
                                                 || EndOfOperationWholeWords.Contains(word));
    }
}
