using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Interop types of one compilation, each resolved on first use. Any may be null when the compilation cannot see it.
    /// Every analyzer's compilation start and many callbacks read them concurrently: resolving all of them at once behind
    /// one lock made the first reader pay for types only other families use while the others waited, and a compilation
    /// the vocabulary gates out reads none. A type is looked up by whichever thread first reads it (two threads may both
    /// look it up and find the same symbol); a published type is read without a lock.
    /// </summary>
    internal sealed class WellKnownTypes
    {
        private enum Slot
        {
            Marshal,
            NativeMemory,
            NativeLibrary,
            SafeHandle,
            CriticalHandle,
            DllImportAttribute,
            LibraryImportAttribute,
            UnmanagedFunctionPointerAttribute,
            Exception,
            GC,
            GCHandle,
            MemoryHandle,
            Memory,
            ReadOnlyMemory,
            Pinnable,
            ThreadPoolBoundHandle,
            Overlapped,
            PreAllocatedOverlapped,
            Unsafe,
            MemoryMarshal,
            CollectionsMarshal,
            MemoryExtensions,
            Span,
            ReadOnlySpan,
            Thread,
            ThreadingTimer,
            Action,
            INotifyCompletion,
            WeakReference,
            GenericWeakReference,
            Interlocked,
            Debug,
            Trace,
            Debugger,
            Console,
            InternalsVisibleToAttribute,
            RuntimeInformation,
            OSPlatform,
            OperatingSystem,
            Enumerable,
            List,
        }

        // In the order of Slot.
        private static readonly string[] MetadataNames =
        {
            "System.Runtime.InteropServices.Marshal",
            "System.Runtime.InteropServices.NativeMemory",
            "System.Runtime.InteropServices.NativeLibrary",
            "System.Runtime.InteropServices.SafeHandle",
            "System.Runtime.InteropServices.CriticalHandle",
            "System.Runtime.InteropServices.DllImportAttribute",
            "System.Runtime.InteropServices.LibraryImportAttribute",
            "System.Runtime.InteropServices.UnmanagedFunctionPointerAttribute",
            "System.Exception",
            "System.GC",
            "System.Runtime.InteropServices.GCHandle",
            "System.Buffers.MemoryHandle",
            "System.Memory`1",
            "System.ReadOnlyMemory`1",
            "System.Buffers.IPinnable",
            "System.Threading.ThreadPoolBoundHandle",
            "System.Threading.Overlapped",
            "System.Threading.PreAllocatedOverlapped",
            "System.Runtime.CompilerServices.Unsafe",
            "System.Runtime.InteropServices.MemoryMarshal",
            "System.Runtime.InteropServices.CollectionsMarshal",
            "System.MemoryExtensions",
            "System.Span`1",
            "System.ReadOnlySpan`1",
            "System.Threading.Thread",
            "System.Threading.Timer",
            "System.Action",
            "System.Runtime.CompilerServices.INotifyCompletion",
            "System.WeakReference",
            "System.WeakReference`1",
            "System.Threading.Interlocked",
            "System.Diagnostics.Debug",
            "System.Diagnostics.Trace",
            "System.Diagnostics.Debugger",
            "System.Console",
            "System.Runtime.CompilerServices.InternalsVisibleToAttribute",
            "System.Runtime.InteropServices.RuntimeInformation",
            "System.Runtime.InteropServices.OSPlatform",
            "System.OperatingSystem",
            "System.Linq.Enumerable",
            "System.Collections.Generic.List`1",
        };

        private readonly Compilation _compilation;
        private readonly INamedTypeSymbol?[] _types = new INamedTypeSymbol?[MetadataNames.Length];

        // 1 once the slot's type (or its absence) is published; written after the type, read before it.
        private readonly int[] _resolved = new int[MetadataNames.Length];
        private IMethodSymbol? _disposeMethod;
        private int _disposeResolved;

        private WellKnownTypes(Compilation compilation)
        {
            _compilation = compilation;
        }

        /// <summary><c>IDisposable.Dispose</c>: what a <c>using</c> calls on its resource.</summary>
        public IMethodSymbol? DisposeMethod
        {
            get
            {
                if (Volatile.Read(ref _disposeResolved) != 0)
                {
                    return _disposeMethod;
                }

                var method = _compilation.GetSpecialType(SpecialType.System_IDisposable).GetMembers("Dispose").OfType<IMethodSymbol>().FirstOrDefault();
                _disposeMethod = method;
                Volatile.Write(ref _disposeResolved, 1);
                return method;
            }
        }

        public INamedTypeSymbol? Marshal => Type(Slot.Marshal);
        public INamedTypeSymbol? NativeMemory => Type(Slot.NativeMemory);
        public INamedTypeSymbol? NativeLibrary => Type(Slot.NativeLibrary);
        public INamedTypeSymbol? SafeHandle => Type(Slot.SafeHandle);
        public INamedTypeSymbol? CriticalHandle => Type(Slot.CriticalHandle);
        public INamedTypeSymbol? DllImportAttribute => Type(Slot.DllImportAttribute);
        public INamedTypeSymbol? LibraryImportAttribute => Type(Slot.LibraryImportAttribute);
        public INamedTypeSymbol? UnmanagedFunctionPointerAttribute => Type(Slot.UnmanagedFunctionPointerAttribute);
        public INamedTypeSymbol? Exception => Type(Slot.Exception);
        public INamedTypeSymbol? GC => Type(Slot.GC);
        public INamedTypeSymbol? GCHandle => Type(Slot.GCHandle);
        public INamedTypeSymbol? MemoryHandle => Type(Slot.MemoryHandle);
        public INamedTypeSymbol? Memory => Type(Slot.Memory);
        public INamedTypeSymbol? ReadOnlyMemory => Type(Slot.ReadOnlyMemory);
        public INamedTypeSymbol? Pinnable => Type(Slot.Pinnable);
        public INamedTypeSymbol? ThreadPoolBoundHandle => Type(Slot.ThreadPoolBoundHandle);
        public INamedTypeSymbol? Overlapped => Type(Slot.Overlapped);
        public INamedTypeSymbol? PreAllocatedOverlapped => Type(Slot.PreAllocatedOverlapped);
        public INamedTypeSymbol? Unsafe => Type(Slot.Unsafe);
        public INamedTypeSymbol? MemoryMarshal => Type(Slot.MemoryMarshal);
        public INamedTypeSymbol? CollectionsMarshal => Type(Slot.CollectionsMarshal);
        public INamedTypeSymbol? MemoryExtensions => Type(Slot.MemoryExtensions);
        public INamedTypeSymbol? Span => Type(Slot.Span);
        public INamedTypeSymbol? ReadOnlySpan => Type(Slot.ReadOnlySpan);

        /// <summary>Started with a delegate and state that run later, on another thread.</summary>
        public INamedTypeSymbol? Thread => Type(Slot.Thread);

        /// <summary>System.Threading.Timer: its callback and state run later, on the thread pool.</summary>
        public INamedTypeSymbol? ThreadingTimer => Type(Slot.ThreadingTimer);

        /// <summary>System.Action: the continuation an awaiter's <c>OnCompleted</c> receives.</summary>
        public INamedTypeSymbol? Action => Type(Slot.Action);

        /// <summary>System.Runtime.CompilerServices.INotifyCompletion: what makes a type an awaiter.</summary>
        public INamedTypeSymbol? INotifyCompletion => Type(Slot.INotifyCompletion);

        /// <summary>System.WeakReference (not the generic one): its <c>Target</c> is read through a weak GCHandle.</summary>
        public INamedTypeSymbol? WeakReference => Type(Slot.WeakReference);

        /// <summary>System.WeakReference&lt;T&gt;: holds its target without keeping it alive.</summary>
        public INamedTypeSymbol? GenericWeakReference => Type(Slot.GenericWeakReference);

        /// <summary>System.Threading.Interlocked: atomic reads and writes of what it is given.</summary>
        public INamedTypeSymbol? Interlocked => Type(Slot.Interlocked);

        /// <summary>System.Diagnostics.Debug: output only, compiled into debug builds.</summary>
        public INamedTypeSymbol? Debug => Type(Slot.Debug);

        /// <summary>System.Diagnostics.Trace: output only.</summary>
        public INamedTypeSymbol? Trace => Type(Slot.Trace);

        /// <summary>System.Diagnostics.Debugger: breaks and logs to an attached debugger.</summary>
        public INamedTypeSymbol? Debugger => Type(Slot.Debugger);

        /// <summary>System.Console: output only.</summary>
        public INamedTypeSymbol? Console => Type(Slot.Console);

        /// <summary>System.Runtime.CompilerServices.InternalsVisibleToAttribute: an assembly whose internals other assemblies may call.</summary>
        public INamedTypeSymbol? InternalsVisibleToAttribute => Type(Slot.InternalsVisibleToAttribute);

        public INamedTypeSymbol? RuntimeInformation => Type(Slot.RuntimeInformation);

        public INamedTypeSymbol? OSPlatform => Type(Slot.OSPlatform);

        public INamedTypeSymbol? OperatingSystem => Type(Slot.OperatingSystem);

        /// <summary>System.Linq.Enumerable: LINQ to Objects' operators.</summary>
        public INamedTypeSymbol? Enumerable => Type(Slot.Enumerable);

        /// <summary>System.Collections.Generic.List&lt;T&gt;: keeps its elements in an array of its own.</summary>
        public INamedTypeSymbol? List => Type(Slot.List);

        public static WellKnownTypes Create(Compilation compilation) => new WellKnownTypes(compilation);

        /// <summary>Span&lt;T&gt; or ReadOnlySpan&lt;T&gt; of any T.</summary>
        public bool IsSpan(ITypeSymbol? type)
            => type is INamedTypeSymbol named
               && (SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, Span) || SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, ReadOnlySpan));

        /// <summary><c>Marshal.GetFunctionPointerForDelegate</c>, generic or not: the call that turns a delegate into a native function pointer.</summary>
        public bool IsDelegatePointerConversion(IMethodSymbol method)
            => method.Name == "GetFunctionPointerForDelegate" && SymbolEqualityComparer.Default.Equals(method.ContainingType, Marshal);

        /// <summary>True for SafeHandle and every type deriving from it.</summary>
        public bool IsSafeHandle(ITypeSymbol? type)
        {
            for (var t = type; t != null; t = t.BaseType)
            {
                if (SymbolEqualityComparer.Default.Equals(t, SafeHandle))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>True for SafeHandle/CriticalHandle and every type deriving from them.</summary>
        public bool IsHandleWrapper(ITypeSymbol? type)
        {
            for (var t = type; t != null; t = t.BaseType)
            {
                if (SymbolEqualityComparer.Default.Equals(t, SafeHandle) || SymbolEqualityComparer.Default.Equals(t, CriticalHandle))
                {
                    return true;
                }
            }

            return false;
        }

        private INamedTypeSymbol? Type(Slot slot)
        {
            var index = (int)slot;
            if (Volatile.Read(ref _resolved[index]) != 0)
            {
                return _types[index];
            }

            var type = Get(_compilation, MetadataNames[index]);
            _types[index] = type;
            Volatile.Write(ref _resolved[index], 1);
            return type;
        }

        // GetTypeByMetadataName returns null when polyfills define a second copy; fall back to the core library's.
        private static INamedTypeSymbol? Get(Compilation compilation, string metadataName)
        {
            var type = compilation.GetTypeByMetadataName(metadataName);
            if (type != null)
            {
                return type;
            }

            foreach (var candidate in compilation.GetTypesByMetadataName(metadataName))
            {
                if (SymbolEqualityComparer.Default.Equals(candidate.ContainingAssembly, compilation.GetSpecialType(SpecialType.System_Object).ContainingAssembly))
                {
                    return candidate;
                }
            }

            return null;
        }
    }
}
