using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>A function that hands out memory or a handle the caller must release.</summary>
    internal sealed class Allocator
    {
        public Allocator(string family, string display, string release, string? releaseMethod, int reallocatedParameter = -1)
        {
            Family = family;
            Display = display;
            Release = release;
            ReleaseMethod = releaseMethod;
            ReallocatedParameter = reallocatedParameter;
        }

        /// <summary>Identifies the underlying allocator: any release of the same family releases the block.</summary>
        public string Family { get; }

        /// <summary>How the diagnostic names the allocating function, e.g. <c>Marshal.AllocHGlobal</c>.</summary>
        public string Display { get; }

        /// <summary>The matching release, as the diagnostic names it.</summary>
        public string Release { get; }

        /// <summary>Fully qualified name of a BCL release taking the pointer as its only argument, for fixes that generate a call; null when none can be generated.</summary>
        public string? ReleaseMethod { get; }

        /// <summary>For realloc-style functions, the ordinal of the parameter whose block is consumed; otherwise -1.</summary>
        public int ReallocatedParameter { get; }

        public Allocator WithDisplay(string display) => new Allocator(Family, display, Release, ReleaseMethod, ReallocatedParameter);

        public Allocator WithReallocatedParameter(int ordinal) => new Allocator(Family, Display, Release, ReleaseMethod, ordinal);
    }

    /// <summary>A function that releases a block of one allocator family.</summary>
    internal sealed class Deallocator
    {
        public Deallocator(string family, int pointerParameter, string display)
        {
            Family = family;
            PointerParameter = pointerParameter;
            Display = display;
        }

        public string Family { get; }
        public int PointerParameter { get; }
        public string Display { get; }

        public Deallocator WithPointerParameter(int ordinal, string display) => new Deallocator(Family, ordinal, display);
    }

    /// <summary>
    /// Which calls allocate and which release, for the BCL, well-known native libraries (by library and entry
    /// point), configured <c>alloc:free</c> pairs and the compilation's own wrappers around any of those.
    /// One instance per compilation and option set; lookups are cached per method.
    /// </summary>
    internal sealed class AllocationCatalogue
    {
        private const string HGlobal = "HGlobal";
        private const string CoTaskMem = "CoTaskMem";
        private const string Bstr = "BSTR";
        private const string NativeMemoryFamily = "NativeMemory";
        private const string NativeMemoryAligned = "NativeMemory.Aligned";
        private const string NativeLibraryFamily = "NativeLibrary";
        private const string LibcHeap = "libc heap";
        private const string Mmap = "mmap";
        private const string LocalHeap = "LocalAlloc";
        private const string GlobalHeap = "GlobalAlloc";
        private const string Win32Heap = "HeapAlloc";
        private const string VirtualMemory = "VirtualAlloc";

        private const string MarshalName = "System.Runtime.InteropServices.Marshal.";

        private static readonly Dictionary<string, Allocator> MarshalAllocators = new Dictionary<string, Allocator>(StringComparer.Ordinal)
        {
            ["AllocHGlobal"] = Bcl(HGlobal, "Marshal.AllocHGlobal", "Marshal.FreeHGlobal", MarshalName + "FreeHGlobal"),
            ["ReAllocHGlobal"] = Bcl(HGlobal, "Marshal.ReAllocHGlobal", "Marshal.FreeHGlobal", MarshalName + "FreeHGlobal", 0),
            ["StringToHGlobalAnsi"] = Bcl(HGlobal, "Marshal.StringToHGlobalAnsi", "Marshal.FreeHGlobal", MarshalName + "FreeHGlobal"),
            ["StringToHGlobalUni"] = Bcl(HGlobal, "Marshal.StringToHGlobalUni", "Marshal.FreeHGlobal", MarshalName + "FreeHGlobal"),
            ["StringToHGlobalAuto"] = Bcl(HGlobal, "Marshal.StringToHGlobalAuto", "Marshal.FreeHGlobal", MarshalName + "FreeHGlobal"),
            ["SecureStringToGlobalAllocAnsi"] = Bcl(HGlobal, "Marshal.SecureStringToGlobalAllocAnsi", "Marshal.ZeroFreeGlobalAllocAnsi", MarshalName + "ZeroFreeGlobalAllocAnsi"),
            ["SecureStringToGlobalAllocUnicode"] = Bcl(HGlobal, "Marshal.SecureStringToGlobalAllocUnicode", "Marshal.ZeroFreeGlobalAllocUnicode", MarshalName + "ZeroFreeGlobalAllocUnicode"),
            ["AllocCoTaskMem"] = Bcl(CoTaskMem, "Marshal.AllocCoTaskMem", "Marshal.FreeCoTaskMem", MarshalName + "FreeCoTaskMem"),
            ["ReAllocCoTaskMem"] = Bcl(CoTaskMem, "Marshal.ReAllocCoTaskMem", "Marshal.FreeCoTaskMem", MarshalName + "FreeCoTaskMem", 0),
            ["StringToCoTaskMemAnsi"] = Bcl(CoTaskMem, "Marshal.StringToCoTaskMemAnsi", "Marshal.FreeCoTaskMem", MarshalName + "FreeCoTaskMem"),
            ["StringToCoTaskMemUni"] = Bcl(CoTaskMem, "Marshal.StringToCoTaskMemUni", "Marshal.FreeCoTaskMem", MarshalName + "FreeCoTaskMem"),
            ["StringToCoTaskMemAuto"] = Bcl(CoTaskMem, "Marshal.StringToCoTaskMemAuto", "Marshal.FreeCoTaskMem", MarshalName + "FreeCoTaskMem"),
            ["StringToCoTaskMemUTF8"] = Bcl(CoTaskMem, "Marshal.StringToCoTaskMemUTF8", "Marshal.FreeCoTaskMem", MarshalName + "FreeCoTaskMem"),
            ["SecureStringToCoTaskMemAnsi"] = Bcl(CoTaskMem, "Marshal.SecureStringToCoTaskMemAnsi", "Marshal.ZeroFreeCoTaskMemAnsi", MarshalName + "ZeroFreeCoTaskMemAnsi"),
            ["SecureStringToCoTaskMemUnicode"] = Bcl(CoTaskMem, "Marshal.SecureStringToCoTaskMemUnicode", "Marshal.ZeroFreeCoTaskMemUnicode", MarshalName + "ZeroFreeCoTaskMemUnicode"),
            ["StringToBSTR"] = Bcl(Bstr, "Marshal.StringToBSTR", "Marshal.FreeBSTR", MarshalName + "FreeBSTR"),
            ["SecureStringToBSTR"] = Bcl(Bstr, "Marshal.SecureStringToBSTR", "Marshal.ZeroFreeBSTR", MarshalName + "ZeroFreeBSTR"),
        };

        private static readonly Dictionary<string, Deallocator> MarshalReleases = new Dictionary<string, Deallocator>(StringComparer.Ordinal)
        {
            ["FreeHGlobal"] = new Deallocator(HGlobal, 0, "Marshal.FreeHGlobal"),
            ["ZeroFreeGlobalAllocAnsi"] = new Deallocator(HGlobal, 0, "Marshal.ZeroFreeGlobalAllocAnsi"),
            ["ZeroFreeGlobalAllocUnicode"] = new Deallocator(HGlobal, 0, "Marshal.ZeroFreeGlobalAllocUnicode"),
            ["FreeCoTaskMem"] = new Deallocator(CoTaskMem, 0, "Marshal.FreeCoTaskMem"),
            ["ZeroFreeCoTaskMemAnsi"] = new Deallocator(CoTaskMem, 0, "Marshal.ZeroFreeCoTaskMemAnsi"),
            ["ZeroFreeCoTaskMemUnicode"] = new Deallocator(CoTaskMem, 0, "Marshal.ZeroFreeCoTaskMemUnicode"),
            ["ZeroFreeCoTaskMemUTF8"] = new Deallocator(CoTaskMem, 0, "Marshal.ZeroFreeCoTaskMemUTF8"),
            ["FreeBSTR"] = new Deallocator(Bstr, 0, "Marshal.FreeBSTR"),
            ["ZeroFreeBSTR"] = new Deallocator(Bstr, 0, "Marshal.ZeroFreeBSTR"),
        };

        private const string NativeMemoryName = "System.Runtime.InteropServices.NativeMemory.";

        private static readonly Dictionary<string, Allocator> NativeMemoryAllocators = new Dictionary<string, Allocator>(StringComparer.Ordinal)
        {
            ["Alloc"] = Bcl(NativeMemoryFamily, "NativeMemory.Alloc", "NativeMemory.Free", NativeMemoryName + "Free"),
            ["AllocZeroed"] = Bcl(NativeMemoryFamily, "NativeMemory.AllocZeroed", "NativeMemory.Free", NativeMemoryName + "Free"),
            ["Realloc"] = Bcl(NativeMemoryFamily, "NativeMemory.Realloc", "NativeMemory.Free", NativeMemoryName + "Free", 0),
            ["AlignedAlloc"] = Bcl(NativeMemoryAligned, "NativeMemory.AlignedAlloc", "NativeMemory.AlignedFree", NativeMemoryName + "AlignedFree"),
            ["AlignedRealloc"] = Bcl(NativeMemoryAligned, "NativeMemory.AlignedRealloc", "NativeMemory.AlignedFree", NativeMemoryName + "AlignedFree", 0),
        };

        private static readonly Dictionary<string, Deallocator> NativeMemoryReleases = new Dictionary<string, Deallocator>(StringComparer.Ordinal)
        {
            ["Free"] = new Deallocator(NativeMemoryFamily, 0, "NativeMemory.Free"),
            ["AlignedFree"] = new Deallocator(NativeMemoryAligned, 0, "NativeMemory.AlignedFree"),
        };

        private static readonly HashSet<string> LibcLibraries = new HashSet<string>(StringComparer.Ordinal)
        {
            "c", "msvcrt", "ucrtbase", "ucrtbased", "system", "system.b", "api-ms-win-crt-heap-l1-1-0",
        };

        private static readonly HashSet<string> Kernel32Libraries = new HashSet<string>(StringComparer.Ordinal)
        {
            "kernel32", "kernelbase", "api-ms-win-core-heap-l1-1-0", "api-ms-win-core-heap-l1-2-0", "api-ms-win-core-heap-l2-1-0",
            "api-ms-win-core-memory-l1-1-0", "api-ms-win-core-memory-l1-1-1", "api-ms-win-core-memory-l1-1-2",
        };

        private static readonly HashSet<string> Ole32Libraries = new HashSet<string>(StringComparer.Ordinal)
        {
            "ole32", "api-ms-win-core-com-l1-1-0", "combase",
        };

        private static readonly Dictionary<string, Allocator> LibcAllocators = new Dictionary<string, Allocator>(StringComparer.Ordinal)
        {
            ["malloc"] = Native(LibcHeap, "malloc", "free"),
            ["calloc"] = Native(LibcHeap, "calloc", "free"),
            ["realloc"] = Native(LibcHeap, "realloc", "free").WithReallocatedParameter(0),
            ["strdup"] = Native(LibcHeap, "strdup", "free"),
            ["strndup"] = Native(LibcHeap, "strndup", "free"),
            ["_strdup"] = Native(LibcHeap, "_strdup", "free"),
            ["mmap"] = Native(Mmap, "mmap", "munmap"),
        };

        private static readonly Dictionary<string, Deallocator> LibcReleases = new Dictionary<string, Deallocator>(StringComparer.Ordinal)
        {
            ["free"] = new Deallocator(LibcHeap, 0, "free"),
            ["munmap"] = new Deallocator(Mmap, 0, "munmap"),
        };

        private static readonly Dictionary<string, Allocator> Kernel32Allocators = new Dictionary<string, Allocator>(StringComparer.Ordinal)
        {
            ["LocalAlloc"] = Native(LocalHeap, "LocalAlloc", "LocalFree"),
            ["LocalReAlloc"] = Native(LocalHeap, "LocalReAlloc", "LocalFree").WithReallocatedParameter(0),
            ["GlobalAlloc"] = Native(GlobalHeap, "GlobalAlloc", "GlobalFree"),
            ["GlobalReAlloc"] = Native(GlobalHeap, "GlobalReAlloc", "GlobalFree").WithReallocatedParameter(0),
            ["HeapAlloc"] = Native(Win32Heap, "HeapAlloc", "HeapFree"),
            ["HeapReAlloc"] = Native(Win32Heap, "HeapReAlloc", "HeapFree").WithReallocatedParameter(2),
            ["VirtualAlloc"] = Native(VirtualMemory, "VirtualAlloc", "VirtualFree"),
        };

        private static readonly Dictionary<string, Deallocator> Kernel32Releases = new Dictionary<string, Deallocator>(StringComparer.Ordinal)
        {
            ["LocalFree"] = new Deallocator(LocalHeap, 0, "LocalFree"),
            ["GlobalFree"] = new Deallocator(GlobalHeap, 0, "GlobalFree"),
            ["HeapFree"] = new Deallocator(Win32Heap, 2, "HeapFree"),
            ["VirtualFree"] = new Deallocator(VirtualMemory, 0, "VirtualFree"),
        };

        private static readonly Dictionary<string, Allocator> Ole32Allocators = new Dictionary<string, Allocator>(StringComparer.Ordinal)
        {
            ["CoTaskMemAlloc"] = Native(CoTaskMem, "CoTaskMemAlloc", "CoTaskMemFree"),
            ["CoTaskMemRealloc"] = Native(CoTaskMem, "CoTaskMemRealloc", "CoTaskMemFree").WithReallocatedParameter(0),
        };

        private static readonly Dictionary<string, Deallocator> Ole32Releases = new Dictionary<string, Deallocator>(StringComparer.Ordinal)
        {
            ["CoTaskMemFree"] = new Deallocator(CoTaskMem, 0, "CoTaskMemFree"),
        };

        private readonly InteropContext _context;
        private readonly ImmutableArray<ConfiguredAllocatorPair> _pairs;
        private readonly ConcurrentDictionary<IMethodSymbol, Allocator?> _allocators = new ConcurrentDictionary<IMethodSymbol, Allocator?>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<IMethodSymbol, Deallocator?> _releases = new ConcurrentDictionary<IMethodSymbol, Deallocator?>(SymbolEqualityComparer.Default);

        public AllocationCatalogue(InteropContext context, ImmutableArray<ConfiguredAllocatorPair> pairs)
        {
            _context = context;
            _pairs = pairs;
        }

        public bool TryGetAllocator(IMethodSymbol method, out Allocator allocator)
        {
            var found = _allocators.GetOrAdd(method.OriginalDefinition, m => FindAllocator(m, depth: 0));
            allocator = found!;
            return found != null;
        }

        public bool TryGetDeallocator(IMethodSymbol method, out Deallocator deallocator)
        {
            var found = _releases.GetOrAdd(method.OriginalDefinition, m => FindDeallocator(m, depth: 0));
            deallocator = found!;
            return found != null;
        }

        private Allocator? FindAllocator(IMethodSymbol method, int depth)
        {
            var types = _context.Types;
            var type = method.ContainingType;
            if (type != null)
            {
                if (Same(type, types.Marshal) && MarshalAllocators.TryGetValue(method.Name, out var marshal))
                {
                    return marshal;
                }

                if (Same(type, types.NativeMemory) && NativeMemoryAllocators.TryGetValue(method.Name, out var nativeMemory))
                {
                    return nativeMemory;
                }

                if (Same(type, types.NativeLibrary) && method.Name == "Load")
                {
                    return Bcl(NativeLibraryFamily, "NativeLibrary.Load", "NativeLibrary.Free", "System.Runtime.InteropServices.NativeLibrary.Free");
                }
            }

            var native = _context.NativeFunctions.Get(method);
            if (native != null)
            {
                var known = Lookup(native, LibcLibraries, LibcAllocators) ?? Lookup(native, Kernel32Libraries, Kernel32Allocators) ?? Lookup(native, Ole32Libraries, Ole32Allocators);
                if (known != null)
                {
                    return known.WithDisplay(Display(method));
                }
            }

            foreach (var pair in _pairs)
            {
                if (FunctionNameSet.NameMatches(pair.Allocator, method, native?.EntryPoint))
                {
                    return new Allocator("configured " + pair.Allocator + ":" + pair.Release, Display(method), pair.Release, releaseMethod: null);
                }
            }

            // A wrapper whose body is one forwarded call to an allocator is that allocator.
            if (depth < WrapperSummaries.MaxDepth && _context.Wrappers.GetForwardedCall(method) is { } forwarded
                && FindAllocator(forwarded.Target, depth + 1) is { } inner)
            {
                var wrapped = inner.WithDisplay(Display(method));
                if (inner.ReallocatedParameter >= 0)
                {
                    var ordinal = forwarded.WrapperParameterFor(inner.ReallocatedParameter);
                    wrapped = ordinal >= 0 ? wrapped.WithReallocatedParameter(ordinal) : wrapped.WithReallocatedParameter(-1);
                }

                return wrapped;
            }

            return null;
        }

        private Deallocator? FindDeallocator(IMethodSymbol method, int depth)
        {
            var types = _context.Types;
            var type = method.ContainingType;
            if (type != null)
            {
                if (Same(type, types.Marshal) && MarshalReleases.TryGetValue(method.Name, out var marshal))
                {
                    return marshal;
                }

                if (Same(type, types.NativeMemory) && NativeMemoryReleases.TryGetValue(method.Name, out var nativeMemory))
                {
                    return nativeMemory;
                }

                if (Same(type, types.NativeLibrary) && method.Name == "Free")
                {
                    return new Deallocator(NativeLibraryFamily, 0, "NativeLibrary.Free");
                }
            }

            var native = _context.NativeFunctions.Get(method);
            if (native != null)
            {
                var known = Lookup(native, LibcLibraries, LibcReleases) ?? Lookup(native, Kernel32Libraries, Kernel32Releases) ?? Lookup(native, Ole32Libraries, Ole32Releases);
                if (known != null && known.PointerParameter < method.Parameters.Length)
                {
                    return known;
                }
            }

            foreach (var pair in _pairs)
            {
                if (method.Parameters.Length > 0 && FunctionNameSet.NameMatches(pair.Release, method, native?.EntryPoint))
                {
                    return new Deallocator("configured " + pair.Allocator + ":" + pair.Release, 0, Display(method));
                }
            }

            if (depth < WrapperSummaries.MaxDepth && _context.Wrappers.GetForwardedCall(method) is { } forwarded
                && FindDeallocator(forwarded.Target, depth + 1) is { } inner)
            {
                var ordinal = forwarded.WrapperParameterFor(inner.PointerParameter);
                if (ordinal >= 0)
                {
                    return inner.WithPointerParameter(ordinal, Display(method));
                }
            }

            return null;
        }

        private static T? Lookup<T>(NativeFunction native, HashSet<string> libraries, Dictionary<string, T> entries)
            where T : class
        {
            return libraries.Contains(native.NormalizedLibrary) && entries.TryGetValue(native.EntryPoint, out var found) ? found : null;
        }

        private static bool Same(ITypeSymbol type, ITypeSymbol? known) => known != null && SymbolEqualityComparer.Default.Equals(type, known);

        internal static string Display(IMethodSymbol method) => method.ContainingType == null ? method.Name : method.ContainingType.Name + "." + method.Name;

        private static Allocator Bcl(string family, string display, string release, string releaseMethod, int reallocated = -1)
            => new Allocator(family, display, release, releaseMethod, reallocated);

        private static Allocator Native(string family, string display, string release) => new Allocator(family, display, release, releaseMethod: null);
    }
}
