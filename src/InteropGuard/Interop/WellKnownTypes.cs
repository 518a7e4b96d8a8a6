using System.Linq;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>Interop types resolved once per compilation. Any may be null when the compilation cannot see it.</summary>
    internal sealed class WellKnownTypes
    {
        private WellKnownTypes(Compilation compilation)
        {
            Marshal = Get(compilation, "System.Runtime.InteropServices.Marshal");
            NativeMemory = Get(compilation, "System.Runtime.InteropServices.NativeMemory");
            NativeLibrary = Get(compilation, "System.Runtime.InteropServices.NativeLibrary");
            SafeHandle = Get(compilation, "System.Runtime.InteropServices.SafeHandle");
            CriticalHandle = Get(compilation, "System.Runtime.InteropServices.CriticalHandle");
            DllImportAttribute = Get(compilation, "System.Runtime.InteropServices.DllImportAttribute");
            LibraryImportAttribute = Get(compilation, "System.Runtime.InteropServices.LibraryImportAttribute");
            UnmanagedFunctionPointerAttribute = Get(compilation, "System.Runtime.InteropServices.UnmanagedFunctionPointerAttribute");
            Exception = Get(compilation, "System.Exception");
            GC = Get(compilation, "System.GC");
            GCHandle = Get(compilation, "System.Runtime.InteropServices.GCHandle");
            MemoryHandle = Get(compilation, "System.Buffers.MemoryHandle");
            Memory = Get(compilation, "System.Memory`1");
            ReadOnlyMemory = Get(compilation, "System.ReadOnlyMemory`1");
            Pinnable = Get(compilation, "System.Buffers.IPinnable");
            ThreadPoolBoundHandle = Get(compilation, "System.Threading.ThreadPoolBoundHandle");
            Overlapped = Get(compilation, "System.Threading.Overlapped");
            PreAllocatedOverlapped = Get(compilation, "System.Threading.PreAllocatedOverlapped");
            Unsafe = Get(compilation, "System.Runtime.CompilerServices.Unsafe");
            MemoryMarshal = Get(compilation, "System.Runtime.InteropServices.MemoryMarshal");
            CollectionsMarshal = Get(compilation, "System.Runtime.InteropServices.CollectionsMarshal");
            MemoryExtensions = Get(compilation, "System.MemoryExtensions");
            Span = Get(compilation, "System.Span`1");
            ReadOnlySpan = Get(compilation, "System.ReadOnlySpan`1");
            Thread = Get(compilation, "System.Threading.Thread");
            ThreadingTimer = Get(compilation, "System.Threading.Timer");
            DisposeMethod = compilation.GetSpecialType(SpecialType.System_IDisposable).GetMembers("Dispose").OfType<IMethodSymbol>().FirstOrDefault();
        }

        /// <summary><c>IDisposable.Dispose</c>: what a <c>using</c> calls on its resource.</summary>
        public IMethodSymbol? DisposeMethod { get; }

        public INamedTypeSymbol? Marshal { get; }
        public INamedTypeSymbol? NativeMemory { get; }
        public INamedTypeSymbol? NativeLibrary { get; }
        public INamedTypeSymbol? SafeHandle { get; }
        public INamedTypeSymbol? CriticalHandle { get; }
        public INamedTypeSymbol? DllImportAttribute { get; }
        public INamedTypeSymbol? LibraryImportAttribute { get; }
        public INamedTypeSymbol? UnmanagedFunctionPointerAttribute { get; }
        public INamedTypeSymbol? Exception { get; }
        public INamedTypeSymbol? GC { get; }
        public INamedTypeSymbol? GCHandle { get; }
        public INamedTypeSymbol? MemoryHandle { get; }
        public INamedTypeSymbol? Memory { get; }
        public INamedTypeSymbol? ReadOnlyMemory { get; }
        public INamedTypeSymbol? Pinnable { get; }
        public INamedTypeSymbol? ThreadPoolBoundHandle { get; }
        public INamedTypeSymbol? Overlapped { get; }
        public INamedTypeSymbol? PreAllocatedOverlapped { get; }
        public INamedTypeSymbol? Unsafe { get; }
        public INamedTypeSymbol? MemoryMarshal { get; }
        public INamedTypeSymbol? CollectionsMarshal { get; }
        public INamedTypeSymbol? MemoryExtensions { get; }
        public INamedTypeSymbol? Span { get; }
        public INamedTypeSymbol? ReadOnlySpan { get; }

        /// <summary>Started with a delegate and state that run later, on another thread.</summary>
        public INamedTypeSymbol? Thread { get; }

        /// <summary>System.Threading.Timer: its callback and state run later, on the thread pool.</summary>
        public INamedTypeSymbol? ThreadingTimer { get; }

        public static WellKnownTypes Create(Compilation compilation) => new WellKnownTypes(compilation);

        /// <summary>Span&lt;T&gt; or ReadOnlySpan&lt;T&gt; of any T.</summary>
        public bool IsSpan(ITypeSymbol? type)
            => type is INamedTypeSymbol named
               && (SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, Span) || SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, ReadOnlySpan));

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
