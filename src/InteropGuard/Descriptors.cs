using Microsoft.CodeAnalysis;

namespace InteropGuard
{
    /// <summary>Every diagnostic InteropGuard reports. Ids are public contract: never renumber.</summary>
    internal static class Descriptors
    {
        internal const string HelpLinkBase = "https://github.com/InteropGuard/InteropGuard/blob/main/docs/rules/";

        internal static class Categories
        {
            internal const string Configuration = "Configuration";
            internal const string Lifetime = "Lifetime";
            internal const string Pinning = "Pinning";
            internal const string Ownership = "Ownership";
            internal const string Marshalling = "Marshalling";
            internal const string Callbacks = "Callbacks";
        }

        internal static string HelpLink(string id) => HelpLinkBase + id + ".md";

        /// <summary>IG0001: a malformed <c>interopguard.*</c> option. The rule that reads it falls back to its defaults.</summary>
        internal static readonly DiagnosticDescriptor MalformedOption = new DiagnosticDescriptor(
            id: "IG0001",
            title: "Malformed InteropGuard option",
            messageFormat: "The .editorconfig option '{0}' has a malformed entry '{1}': expected {2}; InteropGuard ignores this option and uses its defaults",
            category: Categories.Configuration,
            defaultSeverity: DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: "An interopguard.* option in .editorconfig could not be read. The rules fall back to their defaults until it is corrected.",
            helpLinkUri: HelpLink("IG0001"),
            customTags: WellKnownDiagnosticTags.CompilationEnd);

        /// <summary>IG3001: native memory from the allocation catalogue is not released on every path and does not escape.</summary>
        internal static readonly DiagnosticDescriptor NativeMemoryLeak = new DiagnosticDescriptor(
            id: "IG3001",
            title: "Native memory is not released on every path",
            messageFormat: "Native memory from '{0}' {1} is not released by '{2}' {3}",
            category: Categories.Ownership,
            defaultSeverity: DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: "Memory allocated by a native allocator is not collected by the GC. If it is neither released on every path (exceptional ones included) nor handed to an owner, it leaks for the lifetime of the process.",
            helpLinkUri: HelpLink("IG3001"));
    
        /// <summary>IG3002: released with a deallocator of another allocator family, or a secret's copy released without zeroing.</summary>
        internal static readonly DiagnosticDescriptor WrongDeallocator = new DiagnosticDescriptor(
            id: "IG3002",
            title: "Native memory is released with the wrong deallocator",
            messageFormat: "Native memory from '{0}' in '{1}' is released by '{2}', {3}: release it with '{4}'",
            category: Categories.Ownership,
            defaultSeverity: DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: "Each native allocator has its own release. Handing a block to another allocator's release corrupts that allocator's heap or fails silently on some platforms; a copy of a SecureString must be released by the zeroing release, or the secret stays readable in freed memory.",
            helpLinkUri: HelpLink("IG3002"));

        /// <summary>IG3003: a pointer, GCHandle or SafeHandle is used or released again after it was released.</summary>
        internal static readonly DiagnosticDescriptor UseAfterRelease = new DiagnosticDescriptor(
            id: "IG3003",
            title: "Native resource is used after it was released",
            messageFormat: "'{0}' {1} after '{2}' released it{3}",
            category: Categories.Ownership,
            defaultSeverity: DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: "Once released, native memory may be handed out again and a handle value reused: reading, writing or releasing it again corrupts whatever lives there now.",
            helpLinkUri: HelpLink("IG3003"));

        /// <summary>IG3004: a GCHandle or a MemoryHandle from Pin() is not released on every path and does not escape.</summary>
        internal static readonly DiagnosticDescriptor HandleNotReleased = new DiagnosticDescriptor(
            id: "IG3004",
            title: "GCHandle or pin is not released on every path",
            messageFormat: "The {0} {1} from '{2}' is not released by '{3}' {4}, so {5}",
            category: Categories.Ownership,
            defaultSeverity: DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: "A Normal or Pinned GCHandle keeps its object alive (and pinned, for a pinned handle) until it is freed, and every GCHandle, weak ones included, holds a slot in the runtime's handle table; a MemoryHandle keeps its memory pinned until it is disposed. Not releasing it on every path leaks the object (or the slot) and fragments the GC heap for good.",
            helpLinkUri: HelpLink("IG3004"));

        /// <summary>IG3005: a SafeHandle from a native call, an out parameter or new is not disposed on every path and does not escape.</summary>
        internal static readonly DiagnosticDescriptor SafeHandleNotDisposed = new DiagnosticDescriptor(
            id: "IG3005",
            title: "SafeHandle is not disposed on every path",
            messageFormat: "{0}; {1}",
            category: Categories.Ownership,
            defaultSeverity: DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: "A SafeHandle that is not disposed keeps its native handle (a file, a socket, a lock, a library object) open until the GC happens to finalize it, which may be never under low memory pressure.",
            helpLinkUri: HelpLink("IG3005"));

        /// <summary>IG3006: a raw SafeHandle value used without DangerousAddRef/DangerousRelease, or an AddRef not released on every path.</summary>
        internal static readonly DiagnosticDescriptor SafeHandleRefCount = new DiagnosticDescriptor(
            id: "IG3006",
            title: "SafeHandle reference counting is broken",
            messageFormat: "{0}: {1}",
            category: Categories.Ownership,
            defaultSeverity: DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: "A value from SafeHandle.DangerousGetHandle() that reaches native code or is stored must be protected by DangerousAddRef/DangerousRelease, or another thread may dispose the handle and the operating system may reuse the value. A DangerousAddRef that is not released on every path keeps the handle open for good.",
            helpLinkUri: HelpLink("IG3006"));

        /// <summary>IG3007: a raw IntPtr handle from an acquire P/Invoke with a paired release is kept in a field instead of a SafeHandle.</summary>
        internal static readonly DiagnosticDescriptor RawHandleField = new DiagnosticDescriptor(
            id: "IG3007",
            title: "Native handle kept in a raw IntPtr field",
            messageFormat: "Field '{0}' keeps the raw handle from '{1}'; a SafeHandle whose ReleaseHandle calls '{2}' would make release, reference counting and finalization correct",
            category: Categories.Ownership,
            defaultSeverity: DiagnosticSeverity.Info,
            isEnabledByDefault: true,
            description: "A handle kept as IntPtr is released only if every Dispose path and the finalizer remember to, can be released while another thread still passes it to native code, and is recycled by the native library once released. A SafeHandle subclass releases it exactly once, counts the references the marshaller holds during calls and is finalized by the runtime.",
            helpLinkUri: HelpLink("IG3007"));

        /// <summary>IG3008: a class releases a raw handle in its finalizer and hands it out to code that passes it to native calls.</summary>
        internal static readonly DiagnosticDescriptor FinalizerReleasedHandle = new DiagnosticDescriptor(
            id: "IG3008",
            title: "Raw handle released by a finalizer is handed out to callers",
            messageFormat: "'{0}' releases its raw handle '{1}' through '{2}' in its finalizer and hands it out through '{3}': {4} native call(s) given it do not keep the '{0}' alive (IG1001); a SafeHandle that the P/Invokes take instead protects every call at once",
            category: Categories.Ownership,
            defaultSeverity: DiagnosticSeverity.Info,
            isEnabledByDefault: true,
            description: "When a class keeps a native handle as IntPtr and its finalizer releases it, the object is the handle's only guard: any code that reads the handle and passes it to native code must keep the object alive until the call returns, or the GC may finalize it mid-call. A class that hands the handle out makes every caller responsible. A SafeHandle subclass holding the handle, taken by the P/Invokes in place of IntPtr, is kept alive and reference-counted by the marshaller for the duration of each call.",
            helpLinkUri: HelpLink("IG3008"),
            customTags: WellKnownDiagnosticTags.CompilationEnd);

        /// <summary>IG5001: an exception can escape a method or lambda that native code calls.</summary>
        internal static readonly DiagnosticDescriptor CallbackException = new DiagnosticDescriptor(
            id: "IG5001",
            title: "Exception may escape to a native caller",
            messageFormat: "Callback '{0}' {1}, and '{2}' may throw {3}",
            category: Categories.Callbacks,
            defaultSeverity: DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: "Native code cannot handle a managed exception. One that reaches the end of an [UnmanagedCallersOnly] method or of a delegate called from native code fails the process fast; the managed code that made the outer native call never sees it. Catch everything in the callback, keep the exception for the managed caller and return a failure value.",
            helpLinkUri: HelpLink("IG5001"));

        /// <summary>IG5002: a method or lambda that native code calls forwards to code the library's user supplied, and only that code can throw.</summary>
        internal static readonly DiagnosticDescriptor CallbackForwardsException = new DiagnosticDescriptor(
            id: "IG5002",
            title: "Exception from user-supplied code may escape to a native caller",
            messageFormat: "Callback '{0}' {1}, and '{2}' {3} outside a catch-all: an exception the user's code throws there terminates the process",
            category: Categories.Callbacks,
            defaultSeverity: DiagnosticSeverity.Info,
            isEnabledByDefault: true,
            description: "A callback that native code calls forwards to code the library's user supplied (a delegate, an interface or virtual member), and nothing else in it can throw. An exception from the user's code reaches the native caller and fails the process fast. Whether the library catches it, or documents that user callbacks must not throw, is the library author's decision; catch everything in the callback, keep the exception for the managed caller and return a failure value.",
            helpLinkUri: HelpLink("IG5002"));

        /// <summary>IG1002: a delegate handed to native code (registered, or as a function pointer) is not kept reachable as long as native code can call it.</summary>
        internal static readonly DiagnosticDescriptor CallbackDelegateCollected = new DiagnosticDescriptor(
            id: "IG1002",
            title: "Callback delegate may be collected while native code can call it",
            messageFormat: "{0} {1} but is not kept reachable {2}; once the GC collects it, a call from native code through it crashes the process",
            category: Categories.Lifetime,
            defaultSeverity: DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: "Native code holds only the unmanaged thunk of a delegate, which the GC does not see. A delegate that a native function keeps after it returns, or whose function pointer is used, must be referenced by managed code (a field, a static, a GCHandle, GC.KeepAlive after the last use) for as long as native code can call it; otherwise the GC collects it and the runtime fails fast with 'A callback was made on a garbage collected delegate'.",
            helpLinkUri: HelpLink("IG1002"));
        /// <summary>IG1001: a raw handle read from an object that releases it when collected reaches native code, and the object is not used after the call.</summary>
        internal static readonly DiagnosticDescriptor HandleOwnerLifetime = new DiagnosticDescriptor(
            id: "IG1001",
            title: "Handle owner may be collected during a native call",
            messageFormat: "'{0}' is not used after '{2}' receives its handle '{1}': the GC may collect '{0}' and release the handle while native code still uses it{3}",
            category: Categories.Lifetime,
            defaultSeverity: DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: "In optimized code an object is dead after its last use, even in the middle of a method. When the last use is reading a raw handle that is then passed to native code, the GC may collect the object during the call and its finalizer (or the finalizer of the SafeHandle it holds) closes the handle native code is still using. GC.KeepAlive(owner) after the call, or a HandleRef, keeps the owner alive until the call returns.",
            helpLinkUri: HelpLink("IG1001"));

        /// <summary>IG2001: a pointer valid only inside a pinning scope (fixed, pinned GCHandle, MemoryHandle, stackalloc) escapes it.</summary>
        internal static readonly DiagnosticDescriptor EscapingPinnedPointer = new DiagnosticDescriptor(
            id: "IG2001",
            title: "Pointer escapes its pinning scope",
            messageFormat: "Pointer '{0}' {1} {2}; {3}",
            category: Categories.Pinning,
            defaultSeverity: DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: "A pointer into managed memory is valid only while that memory is pinned: inside the fixed statement, before the pinned GCHandle is freed, before the MemoryHandle is disposed. Stack memory from stackalloc is valid only until the method returns. Once the scope ends, the GC may move the object (or the stack frame is reused), and reads or writes through the kept pointer hit whatever lives there now.",
            helpLinkUri: HelpLink("IG2001"));

        /// <summary>IG2002: the address of movable managed memory (array, class field, string) is taken without pinning it.</summary>
        internal static readonly DiagnosticDescriptor UnpinnedAddress = new DiagnosticDescriptor(
            id: "IG2002",
            title: "Address of movable managed memory is taken without pinning",
            messageFormat: "'{0}' takes the address of {1} without pinning it{2}: {3}",
            category: Categories.Pinning,
            defaultSeverity: DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: "Arrays, strings and class objects live on the GC heap, and a compacting GC moves them. A pointer taken with Unsafe.AsPointer, or an address from Marshal.UnsafeAddrOfPinnedArrayElement, stays valid only while the object is pinned (a fixed statement, a pinned GCHandle, Memory<T>.Pin()); otherwise reads and writes through it after a GC hit whatever the GC put there. AddrOfPinnedObject of a handle not allocated as GCHandleType.Pinned throws.",
            helpLinkUri: HelpLink("IG2002"));

        /// <summary>IG2003: a managed buffer is given to a native function that keeps the pointer after it returns.</summary>
        internal static readonly DiagnosticDescriptor RetainedManagedBuffer = new DiagnosticDescriptor(
            id: "IG2003",
            title: "Managed buffer is given to a native function that keeps it",
            messageFormat: "{0} is given to {1}, which {2}; it is pinned only for the duration of the call, so native code keeps the pointer and later writes into memory the GC may move or reuse",
            category: Categories.Pinning,
            defaultSeverity: DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: "Marshalling pins an array, span, string or StringBuilder (or copies it to a temporary native buffer) only while the call runs, and a fixed statement pins only until its block ends. A native function that keeps the pointer — an asynchronous read with an OVERLAPPED, a registered buffer — later reads or writes memory the GC has compacted away or given to other objects. Give it native memory, or pin the buffer with a GCHandle or Memory<T>.Pin() owned by the operation and released when it completes.",
            helpLinkUri: HelpLink("IG2003"));

        /// <summary>IG2004: a pointer to memory that holds managed references reaches native code, or a pinned GCHandle of such an object.</summary>
        internal static readonly DiagnosticDescriptor ManagedReferencesInNativeMemory = new DiagnosticDescriptor(
            id: "IG2004",
            title: "Memory that contains managed references is handed to native code",
            messageFormat: "{0} {1}, but {2}; {3}",
            category: Categories.Pinning,
            defaultSeverity: DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: "The GC updates and keeps alive only the references it can see. A pointer to a struct or variable that holds object references, handed to native code, lets native code copy those references where the GC never looks: the objects may be moved or collected while native code still uses them. GCHandle.Alloc with GCHandleType.Pinned refuses such objects outright and throws ArgumentException. Pass a GCHandle.ToIntPtr of a normal handle as user data, or copy the data into an unmanaged struct.",
            helpLinkUri: HelpLink("IG2004"));

        /// <summary>IG4001: the last error is read after a P/Invoke declared without SetLastError = true.</summary>
        internal static readonly DiagnosticDescriptor LastErrorWithoutSetLastError = new DiagnosticDescriptor(
            id: "IG4001",
            title: "Last error read after a P/Invoke declared without SetLastError",
            messageFormat: "'{0}' reads the last error of '{1}', which is declared without SetLastError = true: the marshaller does not save the error it sets, so the value read is whatever an earlier call left",
            category: Categories.Marshalling,
            defaultSeverity: DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: "Marshal.GetLastWin32Error, GetLastPInvokeError and new Win32Exception() return the error the marshaller saved after the most recent P/Invoke declared with SetLastError = true. A P/Invoke declared without it saves nothing, so the read reports a stale error (often 0) from an earlier call instead of the one this call set.",
            helpLinkUri: HelpLink("IG4001"));

        /// <summary>IG4002: the last error is read after a call that can overwrite it.</summary>
        internal static readonly DiagnosticDescriptor LastErrorReadTooLate = new DiagnosticDescriptor(
            id: "IG4002",
            title: "Last error read after a call that can overwrite it",
            messageFormat: "'{0}' reads the last error of '{1}' after '{2}', which {3}: capture the error right after '{1}'",
            category: Categories.Marshalling,
            defaultSeverity: DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description: "The last error is one per-thread value. Another P/Invoke declared with SetLastError = true replaces it, and so can managed code run in between: logging and other I/O, formatting, disposing a SafeHandle (which closes the handle natively), an await that resumes on another thread. Read the error into a local right after the native call and use the local.",
            helpLinkUri: HelpLink("IG4002"));

        /// <summary>IG4003: a bool parameter or return value of a DllImport has no MarshalAs, so it is marshalled as a 4-byte BOOL.</summary>
        internal static readonly DiagnosticDescriptor BoolWithoutMarshalAs = new DiagnosticDescriptor(
            id: "IG4003",
            title: "bool in a DllImport signature without explicit marshalling",
            messageFormat: "{0} of '{1}' is a bool without [MarshalAs]: it is marshalled as the 4-byte Win32 BOOL, but a C bool is 1 byte; state the native type with [MarshalAs(UnmanagedType.U1)] for a C bool or [MarshalAs(UnmanagedType.Bool)] for a Win32 BOOL",
            category: Categories.Marshalling,
            defaultSeverity: DiagnosticSeverity.Info,
            isEnabledByDefault: true,
            description: "A DllImport bool without MarshalAs is marshalled as a 4-byte integer (Win32 BOOL). A C or C++ bool is one byte: a returned false with garbage in the upper bytes of the register reads as true, and a bool passed by reference overwrites three bytes next to it. State the native type explicitly.",
            helpLinkUri: HelpLink("IG4003"));
    }
}
