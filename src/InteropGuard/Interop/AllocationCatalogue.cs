using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>What kind of resource an allocation hands out; each kind has its own rule.</summary>
    internal enum ResourceKind
    {
        /// <summary>Native memory or a native library handle (IG3001).</summary>
        NativeMemory,

        /// <summary>A <c>GCHandle</c> (IG3004).</summary>
        GCHandle,

        /// <summary>A <c>MemoryHandle</c> from <c>Pin()</c> (IG3004).</summary>
        MemoryHandle,

        /// <summary>A <c>SafeHandle</c> (IG3005).</summary>
        SafeHandle,

        /// <summary>
        /// A reference taken on a SafeHandle with <c>DangerousAddRef</c>, owed back with <c>DangerousRelease</c> (IG3006).
        /// Not a resource site: the rule names the acquisitions itself.
        /// </summary>
        SafeHandleReference,
    }

    /// <summary>A function that hands out memory or a handle the caller must release.</summary>
    internal sealed class Allocator
    {
        public Allocator(string family, string display, string release, string? releaseMethod, int reallocatedParameter = -1, ResourceKind kind = ResourceKind.NativeMemory, string? receiverRelease = null, int filledRecordParameter = -1)
        {
            FilledRecordParameter = filledRecordParameter;
            Family = family;
            Display = display;
            Release = release;
            ReleaseMethod = releaseMethod;
            ReallocatedParameter = reallocatedParameter;
            Kind = kind;
            ReceiverRelease = receiverRelease;
        }

        public ResourceKind Kind { get; }

        /// <summary>For handles released through a method of their own (<c>h.Free()</c>, <c>h.Dispose()</c>), that method's name.</summary>
        public string? ReceiverRelease { get; }

        /// <summary>The block holds a copy of a secret: only the zeroing release is the right one.</summary>
        public bool RequiresZeroing => Release.StartsWith("Marshal.ZeroFree", StringComparison.Ordinal);

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

        /// <summary>
        /// For a function that allocates into the record its pointer argument points to (libpcap's <c>pcap_compile</c>
        /// fills a <c>bpf_program</c>), that parameter's ordinal; otherwise -1. What is owned is the record's contents, held
        /// through that pointer: freeing the record's own storage (another family's release) does not release them.
        /// </summary>
        public int FilledRecordParameter { get; }

        public Allocator WithDisplay(string display) => new Allocator(Family, display, Release, ReleaseMethod, ReallocatedParameter, Kind, ReceiverRelease, FilledRecordParameter);

        public Allocator WithReallocatedParameter(int ordinal) => new Allocator(Family, Display, Release, ReleaseMethod, ordinal, Kind, ReceiverRelease, FilledRecordParameter);

        public Allocator WithFilledRecord(int ordinal) => new Allocator(Family, Display, Release, ReleaseMethod, ReallocatedParameter, Kind, ReceiverRelease, ordinal);

        public Allocator WithRelease(string release, string? releaseMethod) => new Allocator(Family, Display, release, releaseMethod ?? ReleaseMethod, ReallocatedParameter, Kind, ReceiverRelease, FilledRecordParameter);
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

        /// <summary>Releasing twice is harmless (Dispose is idempotent), so IG3003 does not report it.</summary>
        public bool Idempotent { get; set; }

        /// <summary>
        /// Releases what a record filler allocated inside the record the pointer points to (<c>pcap_freecode</c>), not the
        /// record's own storage: for a block of another family given the same pointer, it is neither a release nor a wrong one.
        /// </summary>
        public bool ReleasesRecordContents { get; set; }

        public bool Zeroing => Display.StartsWith("Marshal.ZeroFree", StringComparison.Ordinal);

        public Deallocator WithPointerParameter(int ordinal, string display) => new Deallocator(Family, ordinal, display) { ReleasesRecordContents = ReleasesRecordContents };
    }

    /// <summary>
    /// Which calls allocate and which release, for the BCL, well-known native libraries (by library and entry
    /// point), configured <c>alloc:free</c> pairs and the compilation's own wrappers around any of those.
    /// One instance per compilation and option set; lookups are cached per method.
    /// </summary>
    internal sealed class AllocationCatalogue
    {
        /// <summary>The reference <c>h.DangerousAddRef(ref success)</c> takes on <c>h</c>; <c>h.DangerousRelease()</c> gives it back.</summary>
        public static readonly Allocator SafeHandleReference = new Allocator(
            "SafeHandle.Reference", "SafeHandle.DangerousAddRef", "SafeHandle.DangerousRelease", null, kind: ResourceKind.SafeHandleReference, receiverRelease: "DangerousRelease");

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
        private const string GLibHeap = "GLib heap";
        private const string Sdl2Heap = "SDL heap";
        private const string MagickMemory = "MagickMemory";
        private const string LeptonicaPix = "Leptonica PIX";
        private const string LeptonicaPixa = "Leptonica PIXA";
        private const string RocksDbHeap = "RocksDB malloc";
        private const string RocksDbColumnFamilyList = "RocksDB column family list";
        private const string KafkaPartitionList = "librdkafka topic partition list";
        private const string KafkaEvent = "librdkafka event";
        private const string PcapProgram = "libpcap filter program";
        private const string GCHandleFamily = "GCHandle";
        private const string MemoryHandleFamily = "MemoryHandle";
        private const string SafeHandleFamily = "SafeHandle";

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

        // GLib's allocator (docs.gtk.org/glib/memory.html): every block from g_malloc and its wrappers is released by
        // g_free; g_strfreev releases a g_malloc'd vector of such strings (and the strings), so it belongs to the same
        // family: a vector a binding builds with g_malloc and g_strdup is rightly released by it. The g_ prefix is GLib's own namespace, so these entries are matched by
        // entry point in any library (GLib ships under many file names), and through delegate fields a binding loads by
        // name (LoadedEntryPoints). g_new and friends are C macros over g_malloc_n; they have no entry point.
        private static readonly Dictionary<string, Allocator> GLibAllocators = new Dictionary<string, Allocator>(StringComparer.Ordinal)
        {
            ["g_malloc"] = Native(GLibHeap, "g_malloc", "g_free"),
            ["g_malloc0"] = Native(GLibHeap, "g_malloc0", "g_free"),
            ["g_malloc_n"] = Native(GLibHeap, "g_malloc_n", "g_free"),
            ["g_malloc0_n"] = Native(GLibHeap, "g_malloc0_n", "g_free"),
            ["g_try_malloc"] = Native(GLibHeap, "g_try_malloc", "g_free"),
            ["g_try_malloc0"] = Native(GLibHeap, "g_try_malloc0", "g_free"),
            ["g_try_malloc_n"] = Native(GLibHeap, "g_try_malloc_n", "g_free"),
            ["g_try_malloc0_n"] = Native(GLibHeap, "g_try_malloc0_n", "g_free"),
            ["g_realloc"] = Native(GLibHeap, "g_realloc", "g_free").WithReallocatedParameter(0),
            ["g_realloc_n"] = Native(GLibHeap, "g_realloc_n", "g_free").WithReallocatedParameter(0),
            ["g_try_realloc"] = Native(GLibHeap, "g_try_realloc", "g_free").WithReallocatedParameter(0),
            ["g_try_realloc_n"] = Native(GLibHeap, "g_try_realloc_n", "g_free").WithReallocatedParameter(0),
            ["g_strdup"] = Native(GLibHeap, "g_strdup", "g_free"),
            ["g_strndup"] = Native(GLibHeap, "g_strndup", "g_free"),
            ["g_memdup"] = Native(GLibHeap, "g_memdup", "g_free"),
            ["g_memdup2"] = Native(GLibHeap, "g_memdup2", "g_free"),
            ["g_strdupv"] = Native(GLibHeap, "g_strdupv", "g_strfreev"),
        };

        private static readonly Dictionary<string, Deallocator> GLibReleases = new Dictionary<string, Deallocator>(StringComparer.Ordinal)
        {
            ["g_free"] = new Deallocator(GLibHeap, 0, "g_free"),
            ["g_strfreev"] = new Deallocator(GLibHeap, 0, "g_strfreev"),
        };

        // libvips's functions that hand out a GLib string the caller frees with g_free (libvips reference, "transfer
        // full"): the two parts of a "file.jpg[Q=90]" name. Matched by libvips's module (libvips-42, vips).
        private static readonly HashSet<string> VipsLibraries = new HashSet<string>(StringComparer.Ordinal) { "vips" };

        private static readonly Dictionary<string, Allocator> VipsAllocators = new Dictionary<string, Allocator>(StringComparer.Ordinal)
        {
            ["vips_filename_get_filename"] = Native(GLibHeap, "vips_filename_get_filename", "g_free"),
            ["vips_filename_get_options"] = Native(GLibHeap, "vips_filename_get_options", "g_free"),
        };

        // SDL2's heap (wiki.libsdl.org/SDL2): the functions whose documentation says the returned pointer must be freed
        // with SDL_free. Matched by SDL2's module (SDL2, SDL2-2.0, ...) only: SDL3 changed several of these to return
        // memory SDL owns (SDL_GetBasePath), so its entries would need their own list.
        private static readonly HashSet<string> Sdl2Libraries = new HashSet<string>(StringComparer.Ordinal) { "sdl2" };

        private static readonly Dictionary<string, Allocator> Sdl2Allocators = new Dictionary<string, Allocator>(StringComparer.Ordinal)
        {
            ["SDL_malloc"] = Native(Sdl2Heap, "SDL_malloc", "SDL_free"),
            ["SDL_calloc"] = Native(Sdl2Heap, "SDL_calloc", "SDL_free"),
            ["SDL_realloc"] = Native(Sdl2Heap, "SDL_realloc", "SDL_free").WithReallocatedParameter(0),
            ["SDL_strdup"] = Native(Sdl2Heap, "SDL_strdup", "SDL_free"),
            ["SDL_GetClipboardText"] = Native(Sdl2Heap, "SDL_GetClipboardText", "SDL_free"),
            ["SDL_GetPrimarySelectionText"] = Native(Sdl2Heap, "SDL_GetPrimarySelectionText", "SDL_free"),
            ["SDL_GetBasePath"] = Native(Sdl2Heap, "SDL_GetBasePath", "SDL_free"),
            ["SDL_GetPrefPath"] = Native(Sdl2Heap, "SDL_GetPrefPath", "SDL_free"),
            ["SDL_GameControllerMapping"] = Native(Sdl2Heap, "SDL_GameControllerMapping", "SDL_free"),
            ["SDL_GameControllerMappingForGUID"] = Native(Sdl2Heap, "SDL_GameControllerMappingForGUID", "SDL_free"),
            ["SDL_GameControllerMappingForIndex"] = Native(Sdl2Heap, "SDL_GameControllerMappingForIndex", "SDL_free"),
            ["SDL_GameControllerMappingForDeviceIndex"] = Native(Sdl2Heap, "SDL_GameControllerMappingForDeviceIndex", "SDL_free"),
            ["SDL_LoadFile"] = Native(Sdl2Heap, "SDL_LoadFile", "SDL_free"),
            ["SDL_LoadFile_RW"] = Native(Sdl2Heap, "SDL_LoadFile_RW", "SDL_free"),
        };

        private static readonly Dictionary<string, Deallocator> Sdl2Releases = new Dictionary<string, Deallocator>(StringComparer.Ordinal)
        {
            ["SDL_free"] = new Deallocator(Sdl2Heap, 0, "SDL_free"),
        };

        // Magick.NET's native library (Magick.Native, formerly Magick.NET-Qn-arch.Native): the exports whose result
        // Magick.NET itself declares to be released with MagickMemory_Relinquish (its generator's [Cleanup] attribute
        // and the release on its error paths).
        private static readonly HashSet<string> MagickNativeLibraries = new HashSet<string>(StringComparer.Ordinal) { "magick.native", "magick.net" };

        private static readonly Dictionary<string, Allocator> MagickNativeAllocators = new Dictionary<string, Allocator>(StringComparer.Ordinal)
        {
            ["PixelCollection_ToByteArray"] = Native(MagickMemory, "PixelCollection_ToByteArray", "MagickMemory_Relinquish"),
            ["PixelCollection_ToShortArray"] = Native(MagickMemory, "PixelCollection_ToShortArray", "MagickMemory_Relinquish"),
            ["MagickImage_FormatExpression"] = Native(MagickMemory, "MagickImage_FormatExpression", "MagickMemory_Relinquish"),
            ["MagickImage_WriteBlob"] = Native(MagickMemory, "MagickImage_WriteBlob", "MagickMemory_Relinquish"),
            ["MagickImageCollection_WriteBlob"] = Native(MagickMemory, "MagickImageCollection_WriteBlob", "MagickMemory_Relinquish"),
        };

        private static readonly Dictionary<string, Deallocator> MagickNativeReleases = new Dictionary<string, Deallocator>(StringComparer.Ordinal)
        {
            ["MagickMemory_Relinquish"] = new Deallocator(MagickMemory, 0, "MagickMemory_Relinquish"),
        };

        // Leptonica's images (leptonica.org, "Leptonica reference counting and memory management"; pix1.c and pixabasic.c):
        // a function returning a PIX or PIXA hands the caller a new object or a new reference (pixClone), which pixDestroy
        // or pixaDestroy gives back; each takes the address of the caller's pointer (PIX **) and nulls it. Only the
        // constructors are listed (pixCopy returns its destination, which may be the caller's own). Matched by Leptonica's
        // module (liblept168, leptonica-1.82.0).
        private static readonly HashSet<string> LeptonicaLibraries = new HashSet<string>(StringComparer.Ordinal) { "lept", "leptonica" };

        private static readonly Dictionary<string, Allocator> LeptonicaAllocators = new Dictionary<string, Allocator>(StringComparer.Ordinal)
        {
            ["pixCreate"] = Native(LeptonicaPix, "pixCreate", "pixDestroy"),
            ["pixCreateNoInit"] = Native(LeptonicaPix, "pixCreateNoInit", "pixDestroy"),
            ["pixCreateTemplate"] = Native(LeptonicaPix, "pixCreateTemplate", "pixDestroy"),
            ["pixClone"] = Native(LeptonicaPix, "pixClone", "pixDestroy"),
            ["pixRead"] = Native(LeptonicaPix, "pixRead", "pixDestroy"),
            ["pixReadMem"] = Native(LeptonicaPix, "pixReadMem", "pixDestroy"),
            ["pixaCreate"] = Native(LeptonicaPixa, "pixaCreate", "pixaDestroy"),
            ["pixaReadMultipageTiff"] = Native(LeptonicaPixa, "pixaReadMultipageTiff", "pixaDestroy"),
        };

        // Leptonica's binarization functions (binarize.c) return images through PIX ** out parameters ("&pixth [optional]
        // array of threshold values", "&pixd [optional] thresholded input pixs"; the library's own callers pixDestroy them):
        // every pointer-sized out parameter of these is an image the caller owns.
        private static readonly Dictionary<string, Allocator> LeptonicaOutAllocators = new Dictionary<string, Allocator>(StringComparer.Ordinal)
        {
            ["pixOtsuAdaptiveThreshold"] = Native(LeptonicaPix, "pixOtsuAdaptiveThreshold", "pixDestroy"),
            ["pixSauvolaBinarize"] = Native(LeptonicaPix, "pixSauvolaBinarize", "pixDestroy"),
            ["pixSauvolaBinarizeTiled"] = Native(LeptonicaPix, "pixSauvolaBinarizeTiled", "pixDestroy"),
        };

        private static readonly Dictionary<string, Deallocator> LeptonicaReleases = new Dictionary<string, Deallocator>(StringComparer.Ordinal)
        {
            ["pixDestroy"] = new Deallocator(LeptonicaPix, 0, "pixDestroy"),
            ["pixaDestroy"] = new Deallocator(LeptonicaPixa, 0, "pixaDestroy"),
        };

        // RocksDB's C API (include/rocksdb/c.h): rocksdb_get returns "a malloc()ed array" and rocksdb_property_value "a
        // pointer to a malloc()-ed null-terminated value", both released with rocksdb_free (the library's own free, in case
        // it was built with another allocator); rocksdb_list_column_families returns an array of names that
        // rocksdb_list_column_families_destroy releases with its strings. The rocksdb_ prefix is RocksDB's own namespace, and
        // bindings reach it under names of their own (rocksdb-sharp loaded librocksdb at run time into an abstract class
        // whose members bear the exports' names, CataloguedRunTimeImports), so these are matched by entry point in any library.

        private static readonly Dictionary<string, Allocator> RocksDbAllocators = new Dictionary<string, Allocator>(StringComparer.Ordinal)
        {
            ["rocksdb_get"] = Native(RocksDbHeap, "rocksdb_get", "rocksdb_free"),
            ["rocksdb_get_cf"] = Native(RocksDbHeap, "rocksdb_get_cf", "rocksdb_free"),
            ["rocksdb_property_value"] = Native(RocksDbHeap, "rocksdb_property_value", "rocksdb_free"),
            ["rocksdb_property_value_cf"] = Native(RocksDbHeap, "rocksdb_property_value_cf", "rocksdb_free"),
            ["rocksdb_list_column_families"] = Native(RocksDbColumnFamilyList, "rocksdb_list_column_families", "rocksdb_list_column_families_destroy"),
        };

        private static readonly Dictionary<string, Deallocator> RocksDbReleases = new Dictionary<string, Deallocator>(StringComparer.Ordinal)
        {
            ["rocksdb_free"] = new Deallocator(RocksDbHeap, 0, "rocksdb_free"),
            ["rocksdb_list_column_families_destroy"] = new Deallocator(RocksDbColumnFamilyList, 0, "rocksdb_list_column_families_destroy"),
        };

        // librdkafka (src/rdkafka.h): rd_kafka_topic_partition_list_new "Create a new list/vector Topic+Partition container
        // ... Use rd_kafka_topic_partition_list_destroy() to free all resources in use by a list and the list itself";
        // rd_kafka_queue_poll returns "an event, or NULL", which "the application must destroy ... with
        // rd_kafka_event_destroy()". The rd_kafka_ prefix is the library's own namespace, and confluent-kafka-dotnet loads it
        // under per-platform file names (centos7-librdkafka.so, alpine-librdkafka.so), so these are matched by entry point
        // in any library, like GLib's.
        private static readonly Dictionary<string, Allocator> LibrdkafkaAllocators = new Dictionary<string, Allocator>(StringComparer.Ordinal)
        {
            ["rd_kafka_topic_partition_list_new"] = Native(KafkaPartitionList, "rd_kafka_topic_partition_list_new", "rd_kafka_topic_partition_list_destroy"),
            ["rd_kafka_queue_poll"] = Native(KafkaEvent, "rd_kafka_queue_poll", "rd_kafka_event_destroy"),
        };

        private static readonly Dictionary<string, Deallocator> LibrdkafkaReleases = new Dictionary<string, Deallocator>(StringComparer.Ordinal)
        {
            ["rd_kafka_topic_partition_list_destroy"] = new Deallocator(KafkaPartitionList, 0, "rd_kafka_topic_partition_list_destroy"),
            ["rd_kafka_event_destroy"] = new Deallocator(KafkaEvent, 0, "rd_kafka_event_destroy"),
        };

        // libpcap (pcap_compile(3PCAP)): "The program is a pointer to a bpf_program struct and is filled in by
        // pcap_compile()"; pcap_freecode(3PCAP): "used to free up allocated memory pointed to by a bpf_program struct
        // generated by pcap_compile(3PCAP) when that BPF program is no longer needed". pcap_compile_nopcap fills its third
        // argument the same way. What the caller owns is the record's contents, reached through the pointer it passed.
        // Matched by libpcap's module (libpcap, and wpcap, WinPcap's and Npcap's name on Windows).
        private static readonly HashSet<string> PcapLibraries = new HashSet<string>(StringComparer.Ordinal) { "pcap", "wpcap" };

        private static readonly Dictionary<string, Allocator> PcapRecordAllocators = new Dictionary<string, Allocator>(StringComparer.Ordinal)
        {
            ["pcap_compile"] = Native(PcapProgram, "pcap_compile", "pcap_freecode").WithFilledRecord(1),
            ["pcap_compile_nopcap"] = Native(PcapProgram, "pcap_compile_nopcap", "pcap_freecode").WithFilledRecord(2),
        };

        private static readonly Dictionary<string, Deallocator> PcapReleases = new Dictionary<string, Deallocator>(StringComparer.Ordinal)
        {
            ["pcap_freecode"] = new Deallocator(PcapProgram, 0, "pcap_freecode") { ReleasesRecordContents = true },
        };

        private static Dictionary<string, T> Merged<T>(params Dictionary<string, T>[] tables)
            => tables.SelectMany(t => t).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);

        private static readonly CatalogueTables<Allocator> AllocatorTables = new CatalogueTables<Allocator>(
            MarshalAllocators,
            NativeMemoryAllocators,
            new Dictionary<string, Allocator>(StringComparer.Ordinal)
            {
                ["Load"] = Bcl(NativeLibraryFamily, "NativeLibrary.Load", "NativeLibrary.Free", "System.Runtime.InteropServices.NativeLibrary.Free"),
            },
            Merged(GLibAllocators, LibrdkafkaAllocators, RocksDbAllocators),
            (LibcLibraries, LibcAllocators),
            (Kernel32Libraries, Kernel32Allocators),
            (Ole32Libraries, Ole32Allocators),
            (Sdl2Libraries, Sdl2Allocators),
            (VipsLibraries, VipsAllocators),
            (MagickNativeLibraries, MagickNativeAllocators),
            (LeptonicaLibraries, LeptonicaAllocators));

        /// <summary>Functions whose pointer-sized <c>out</c> values are allocations the caller owns, by library.</summary>
        private static readonly CatalogueTables<Allocator> OutAllocatorTables = NativeOnly((LeptonicaLibraries, LeptonicaOutAllocators));

        /// <summary>Functions that allocate into the record a pointer argument points to (<see cref="Allocator.FilledRecordParameter"/>), by library.</summary>
        private static readonly CatalogueTables<Allocator> FilledRecordTables = NativeOnly((PcapLibraries, PcapRecordAllocators));

        /// <summary>A side of the catalogue with native entries only, by library (no BCL and no any-library entries).</summary>
        private static CatalogueTables<Allocator> NativeOnly(params (HashSet<string> Libraries, Dictionary<string, Allocator> Entries)[] native)
            => new CatalogueTables<Allocator>(
                new Dictionary<string, Allocator>(), new Dictionary<string, Allocator>(), new Dictionary<string, Allocator>(), new Dictionary<string, Allocator>(), native);

        private static readonly CatalogueTables<Deallocator> DeallocatorTables = new CatalogueTables<Deallocator>(
            MarshalReleases,
            NativeMemoryReleases,
            new Dictionary<string, Deallocator>(StringComparer.Ordinal)
            {
                ["Free"] = new Deallocator(NativeLibraryFamily, 0, "NativeLibrary.Free"),
            },
            Merged(GLibReleases, LibrdkafkaReleases, RocksDbReleases),
            (LibcLibraries, LibcReleases),
            (Kernel32Libraries, Kernel32Releases),
            (Ole32Libraries, Ole32Releases),
            (Sdl2Libraries, Sdl2Releases),
            (MagickNativeLibraries, MagickNativeReleases),
            (LeptonicaLibraries, LeptonicaReleases),
            (PcapLibraries, PcapReleases));

        /// <summary>Names under which a catalogued allocator can be called directly (BCL methods and native entry points).</summary>
        internal static readonly ImmutableHashSet<string> KnownAllocatorNames = MarshalAllocators.Keys
            .Concat(NativeMemoryAllocators.Keys)
            .Concat(new[] { "Load", "Alloc", "Pin" })
            .Concat(LibcAllocators.Keys)
            .Concat(Kernel32Allocators.Keys)
            .Concat(Ole32Allocators.Keys)
            .Concat(GLibAllocators.Keys)
            .Concat(Sdl2Allocators.Keys)
            .Concat(VipsAllocators.Keys)
            .Concat(MagickNativeAllocators.Keys)
            .Concat(LeptonicaAllocators.Keys)
            .Concat(LeptonicaOutAllocators.Keys)
            .Concat(RocksDbAllocators.Keys)
            .Concat(LibrdkafkaAllocators.Keys)
            .Concat(PcapRecordAllocators.Keys)
            .ToImmutableHashSet(StringComparer.Ordinal);

        /// <summary>
        /// The last words of catalogued native allocators, two words or more, after a word break (<c>topic_partition_list_new</c>,
        /// <c>queue_poll</c>, <c>get_filename</c> of <c>rd_kafka_topic_partition_list_new</c>, <c>rd_kafka_queue_poll</c>,
        /// <c>vips_filename_get_filename</c>): the names a binding's own wrappers of those functions carry when they drop the
        /// library prefix (confluent-kafka-dotnet's <c>Librdkafka.queue_poll(...) =&gt; _queue_poll(...)</c>). A syntax gate
        /// only: whether such a call allocates is decided by what it forwards to.
        /// </summary>
        internal static readonly ImmutableHashSet<string> KnownAllocatorTails = KnownAllocatorNames
            .SelectMany(name => Enumerable.Range(1, name.Length - 1).Where(i => name[i - 1] == '_').Select(i => name.Substring(i)))
            .Where(tail => tail.IndexOf('_') > 0 && tail[tail.Length - 1] != '_')
            .ToImmutableHashSet(StringComparer.Ordinal);

        /// <summary>A name <see cref="KnownAllocatorTails"/> holds, with the field prefix <c>_</c> a delegate field adds.</summary>
        internal static bool IsAllocatorTail(string name) => KnownAllocatorTails.Contains(name.TrimStart('_'));

        /// <summary>Names under which a catalogued release can be called directly: with an <c>out</c> argument, a body naming one may own a native out value.</summary>
        internal static readonly ImmutableHashSet<string> KnownReleaseNames = MarshalReleases.Keys
            .Concat(NativeMemoryReleases.Keys)
            .Concat(LibcReleases.Keys)
            .Concat(Kernel32Releases.Keys)
            .Concat(Ole32Releases.Keys)
            .Concat(GLibReleases.Keys)
            .Concat(Sdl2Releases.Keys)
            .Concat(MagickNativeReleases.Keys)
            .Concat(LeptonicaReleases.Keys)
            .Concat(RocksDbReleases.Keys)
            .Concat(LibrdkafkaReleases.Keys)
            .Concat(PcapReleases.Keys)
            .ToImmutableHashSet(StringComparer.Ordinal);

        private readonly InteropContext _context;
        private readonly ImmutableArray<ConfiguredAllocatorPair> _pairs;
        private readonly LoadedEntryPoints _loaded;
        private readonly ConcurrentDictionary<IMethodSymbol, Allocator?> _allocators = ConcurrentTables.Create<IMethodSymbol, Allocator?>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<IMethodSymbol, Deallocator?> _releases = ConcurrentTables.Create<IMethodSymbol, Deallocator?>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<IMethodSymbol, Allocator?> _recordFillers = ConcurrentTables.Create<IMethodSymbol, Allocator?>(SymbolEqualityComparer.Default);

        // Made once: a lambda that reads the catalogue is a new delegate at every lookup, and the lookups run for every call
        // of every body the ownership gates let through.
        private readonly Func<IMethodSymbol, Allocator?> _findAllocator;
        private readonly Func<IMethodSymbol, Deallocator?> _findDeallocator;

        public AllocationCatalogue(InteropContext context, ImmutableArray<ConfiguredAllocatorPair> pairs)
        {
            _context = context;
            _pairs = pairs;
            _loaded = new LoadedEntryPoints(context.Compilation, context.Types, context.Vocabulary);
            _findAllocator = m => FindAllocator(m, depth: 0);
            _findDeallocator = m => FindDeallocator(m, depth: 0);
        }

        public bool TryGetAllocator(IMethodSymbol method, out Allocator allocator)
        {
            var found = _allocators.GetOrAdd(method.OriginalDefinition, _findAllocator);
            allocator = found!;
            return found != null;
        }

        /// <summary>Is <paramref name="method"/> the <c>Invoke</c> of a delegate field loaded by entry point name (<see cref="LoadedEntryPoints"/>)?</summary>
        public bool IsLoadedEntryPoint(IMethodSymbol method) => LoadedEntryPointOf(method) != null;

        /// <summary>
        /// The model of a tree of this compilation, for a question about a whole body asked from a graph's operation (which
        /// carries no model); asked of record fillers' arguments only.
        /// </summary>
        public SemanticModel? ModelOf(SyntaxTree tree)
        {
#pragma warning disable RS1030 // The graph's operations carry no model; the driver's caching provider hands out the tree's model.
            return _context.Compilation.ContainsSyntaxTree(tree) ? _context.Compilation.GetSemanticModel(tree) : null;
#pragma warning restore RS1030
        }

        /// <summary>Is <paramref name="method"/> a native function of the compilation's table?</summary>
        public bool IsNativeFunction(IMethodSymbol method) => _context.NativeFunctions.Get(method) != null;

        /// <summary>The entry point an invocation of <paramref name="method"/> calls when it is the <c>Invoke</c> of a loaded delegate field, or null.</summary>
        public string? LoadedEntryPointOf(IMethodSymbol method) => method.MethodKind == MethodKind.DelegateInvoke ? _loaded.EntryPointOf(method) : null;

        public bool TryGetDeallocator(IMethodSymbol method, out Deallocator deallocator)
        {
            var found = _releases.GetOrAdd(method.OriginalDefinition, _findDeallocator);
            deallocator = found!;
            return found != null;
        }

        private Allocator? FindAllocator(IMethodSymbol method, int depth)
        {
            if (FindHandleAllocator(method) is { } handle)
            {
                return handle;
            }

            var known = FindKnown(method, AllocatorTables, out var native);
            if (known != null)
            {
                if (native == null)
                {
                    return known;
                }

                var (releaseDisplay, releaseMethod) = ReleaseDisplay(method, known.Release);
                return known.WithDisplay(Display(method)).WithRelease(releaseDisplay, releaseMethod);
            }

            foreach (var pair in _pairs)
            {
                if (FunctionNameSet.NameMatches(pair.Allocator, method, native?.EntryPoint))
                {
                    var (releaseDisplay, releaseMethod) = ReleaseDisplay(method, pair.Release);
                    return new Allocator("configured " + pair.Allocator + ":" + pair.Release, Display(method), releaseDisplay, releaseMethod);
                }
            }

            // A helper of this compilation that returns a block it allocated (a string marshaller, a GCHandle property).
            if (depth < WrapperSummaries.MaxDepth && WrapperSummaries.IsSourceMethodWithBody(method) && _context.NativeFunctions.Get(method) == null
                && ReturnedAllocations.MayReturnAllocation(method, IsAllocatorName, _context.Types.IsHandleWrapper)
                && _context.Wrappers.GetBody(method) is { } body
                && ReturnedAllocations.Summarize(body, m => FindAllocator(m.OriginalDefinition, depth + 1), m => TryGetDeallocator(m, out _) || FindAllocator(m.OriginalDefinition, depth + 1) is { ReallocatedParameter: >= 0 }, ForHandedOutHandle, MakesView) is { } returned)
            {
                return returned.WithDisplay(Display(method));
            }

            // A wrapper whose body is one forwarded call to an allocator is that allocator.
            if (depth < WrapperSummaries.MaxDepth && _context.Wrappers.GetForwardedCall(method) is { } forwarded
                && FindAllocator(forwarded.Target, depth + 1) is { } inner
                && !(inner.Kind == ResourceKind.SafeHandle && MakesView(forwarded.Call)))
            {
                var wrapped = inner.WithDisplay(Display(method));
                return inner.ReallocatedParameter < 0 ? wrapped : wrapped.WithReallocatedParameter(forwarded.WrapperParameterFor(inner.ReallocatedParameter));
            }

            return null;
        }

        /// <summary>A name a catalogue or configured allocator can be called by: what a helper's body must name to be read.</summary>
        private bool IsAllocatorName(string name)
            => KnownAllocatorNames.Contains(name) || IsAllocatorTail(name) || _pairs.Any(pair => pair.Allocator == name || pair.Allocator.EndsWith("." + name, StringComparison.Ordinal));

        /// <summary>
        /// <c>GCHandle.Alloc(x)</c> of a Normal handle whose result is dropped (<c>GCHandle.Alloc(this);</c>,
        /// <c>_ = GCHandle.Alloc(callback);</c>): no code can ever free it, so it is written to root the object for the
        /// life of the process (GtkSharp's print helper, which native code keeps calling) — a decision, not a forgotten
        /// release. A dropped Pinned or Weak handle has no such reading (pinning "for the call" and a slot nothing reads)
        /// and stays a leak.
        /// </summary>
        public bool IsDeliberateRoot(IInvocationOperation call)
            => (call.Parent is IExpressionStatementOperation
                || call.Parent is ISimpleAssignmentOperation { Target: IDiscardOperation, Parent: IExpressionStatementOperation })
               && call.TargetMethod.Name == "Alloc" && Same(call.TargetMethod.ContainingType, _context.Types.GCHandle)
               && (call.Arguments.Length == 1 || call.Arguments[1].ArgumentKind == ArgumentKind.DefaultValue
                   || call.Arguments[1].Value.ConstantValue is { HasValue: true, Value: (int)System.Runtime.InteropServices.GCHandleType.Normal });

        /// <summary>
        /// <c>VirtualAlloc(address, size, MEM_COMMIT, …)</c> at an address, without <c>MEM_RESERVE</c>: it commits (or resets)
        /// pages of a region an earlier reserving call made, and hands back an address inside that region; the region is
        /// released as one, by the <c>VirtualFree(base, 0, MEM_RELEASE)</c> of the reservation, so the commit owes no
        /// release of its own (the in-memory module loaders commit their headers and sections this way). With a zero
        /// address, or flags that are not a constant, it is an allocation as any.
        /// </summary>
        public bool CommitsIntoReservation(IInvocationOperation call, Allocator allocator)
        {
            const long memReserve = 0x2000;
            return allocator.Family == VirtualMemory && call.Arguments.Length == 4
                   && call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0) is { ArgumentKind: ArgumentKind.Explicit } address && !HandleOwners.IsZero(address.Value)
                   && call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 2) is { } type
                   && OperationTree.SkipConversions(type.Value).ConstantValue is { HasValue: true, Value: var flags } && flags != null
                   && (System.Convert.ToInt64(flags, System.Globalization.CultureInfo.InvariantCulture) & memReserve) == 0;
        }

        private Allocator? FindHandleAllocator(IMethodSymbol method)
        {
            var types = _context.Types;
            var type = method.ContainingType;
            if (type == null)
            {
                return null;
            }

            if (method.Name == "Alloc" && method.IsStatic && Same(type, types.GCHandle))
            {
                return new Allocator(GCHandleFamily, "GCHandle.Alloc", "GCHandle.Free", null, kind: ResourceKind.GCHandle, receiverRelease: "Free");
            }

            if (method.Name == "Pin" && !method.IsStatic && Same(method.ReturnType, types.MemoryHandle))
            {
                var owner = type.IsGenericType ? type.Name + "<" + string.Join(", ", type.TypeArguments.Select(t => t.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat))) + ">" : type.Name;
                return new Allocator(MemoryHandleFamily, owner + ".Pin", "Dispose", null, kind: ResourceKind.MemoryHandle, receiverRelease: "Dispose");
            }

            if (_context.NativeFunctions.Get(method) != null && types.IsHandleWrapper(method.ReturnType) && !_context.HandleReleases.MarshalledDisowned(method.ReturnType))
            {
                return new Allocator(SafeHandleFamily, Display(method), "Dispose", null, kind: ResourceKind.SafeHandle, receiverRelease: "Dispose");
            }

            return null;
        }

        private Deallocator? FindDeallocator(IMethodSymbol method, int depth)
        {
            var known = FindKnown(method, DeallocatorTables, out var native);
            if (known != null)
            {
                return known.PointerParameter < method.Parameters.Length ? known : null;
            }

            foreach (var pair in _pairs)
            {
                if (method.Parameters.Length > 0 && FunctionNameSet.NameMatches(pair.Release, method, native?.EntryPoint))
                {
                    return new Deallocator("configured " + pair.Allocator + ":" + pair.Release, 0, Display(method));
                }
            }

            // A wrapper whose body is one forwarded call to a release, with the pointer forwarded, is that release.
            if (depth < WrapperSummaries.MaxDepth && _context.Wrappers.GetForwardedCall(method) is { } forwarded
                && FindDeallocator(forwarded.Target, depth + 1) is { } inner)
            {
                var ordinal = forwarded.WrapperParameterFor(inner.PointerParameter);
                return ordinal >= 0 ? inner.WithPointerParameter(ordinal, Display(method)) : null;
            }

            return null;
        }

        /// <summary>The BCL entry or the well-known native entry (by library and entry point) for <paramref name="method"/>.</summary>
        private T? FindKnown<T>(IMethodSymbol method, CatalogueTables<T> tables, out NativeFunction? native)
            where T : class
        {
            native = null;
            var types = _context.Types;
            var type = method.ContainingType;
            if (type != null)
            {
                var bcl = Same(type, types.Marshal) ? tables.Marshal
                    : Same(type, types.NativeMemory) ? tables.NativeMemory
                    : Same(type, types.NativeLibrary) ? tables.NativeLibrary
                    : null;
                if (bcl != null)
                {
                    return bcl.TryGetValue(method.Name, out var found) ? found : null;
                }
            }

            native = _context.NativeFunctions.Get(method);
            if (native == null)
            {
                // A delegate field the binding loaded by entry point name, or an abstract member a loader implements at run
                // time with the export of its name: only the entries known in any library apply, since no library is named.
                var entryPoint = _loaded.EntryPointOf(method)
                    ?? (tables.AnyLibrary.ContainsKey(method.Name) ? CataloguedRunTimeImports.EntryPointOf(method, _context) : null);
                return entryPoint != null && tables.AnyLibrary.TryGetValue(entryPoint, out var byEntry) ? byEntry : null;
            }

            if (tables.AnyLibrary.TryGetValue(native.EntryPoint, out var anywhere))
            {
                return anywhere;
            }

            foreach (var (libraries, entries) in tables.Native)
            {
                if (entries.TryGetValue(native.EntryPoint, out var found) && IsLibraryOf(libraries, native.NormalizedLibrary))
                {
                    return found;
                }
            }

            return null;
        }

        /// <summary>
        /// Names a native release the way the user declared it (<c>Native.free</c>) when the allocator's type declares
        /// it too; otherwise by its configured or entry-point name.
        /// </summary>
        private (string Display, string? Method) ReleaseDisplay(IMethodSymbol allocator, string release)
        {
            var type = allocator.ContainingType;
            if (type == null)
            {
                return (release, null);
            }

            foreach (var candidate in type.GetMembers().OfType<IMethodSymbol>())
            {
                var native = _context.NativeFunctions.Get(candidate);
                if (FunctionNameSet.NameMatches(release, candidate, native?.EntryPoint))
                {
                    // Only a one-parameter release can be called by a fix with nothing but the pointer.
                    var callable = candidate.Parameters.Length == 1 && candidate.IsStatic
                        ? candidate.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat.WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted)) + "." + candidate.Name
                        : null;
                    return (Display(candidate), callable);
                }
            }

            return (release, null);
        }

        /// <summary>
        /// Releases called on the resource itself: <c>GCHandle.Free</c>, <c>MemoryHandle.Dispose</c>, and
        /// <c>Dispose</c>/<c>Close</c> of a SafeHandle (also through <c>IDisposable</c>, as <c>using</c> does).
        /// </summary>
        public bool TryGetReceiverRelease(IMethodSymbol method, ITypeSymbol? receiverType, out Deallocator deallocator, IInvocationOperation? call = null)
        {
            var types = _context.Types;
            deallocator = null!;
            if (receiverType == null)
            {
                return false;
            }

            if (method.Name == "Free" && Same(receiverType, types.GCHandle))
            {
                deallocator = new Deallocator(GCHandleFamily, -1, "GCHandle.Free");
                return true;
            }

            if (method.Name == "Dispose" && Same(receiverType, types.MemoryHandle))
            {
                deallocator = new Deallocator(MemoryHandleFamily, -1, "MemoryHandle.Dispose") { Idempotent = true };
                return true;
            }

            if ((method.Name == "Dispose" || method.Name == "Close") && method.Parameters.Length == 0 && types.IsHandleWrapper(receiverType))
            {
                deallocator = new Deallocator(SafeHandleFamily, -1, "Dispose") { Idempotent = true };
                return true;
            }

            // A handle that gives up its value has nothing left to close: 'SetHandleAsInvalid()' after handing the value to
            // native code that owns it now, or 'SetHandle(IntPtr.Zero)' on a type for which zero is invalid, after freeing
            // the value another way (SharpPcap's BpfProgram on a failed compile).
            if (types.IsHandleWrapper(receiverType)
                && ((method.Name == "SetHandleAsInvalid" && method.Parameters.Length == 0)
                    || (method.Name == "SetHandle" && call is { Arguments.Length: 1 } && HandleOwners.IsZero(call.Arguments[0].Value) && IsZeroInvalid(receiverType))))
            {
                deallocator = new Deallocator(SafeHandleFamily, -1, "Dispose") { Idempotent = true };
                return true;
            }

            return false;
        }

        private static bool IsZeroInvalid(ITypeSymbol type)
        {
            for (var current = type; current != null; current = current.BaseType)
            {
                if (current.Name == "SafeHandleZeroOrMinusOneIsInvalid" && NamespaceNames.Is(current.ContainingNamespace, "Microsoft.Win32.SafeHandles"))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// The SafeHandle <paramref name="operation"/> hands out: a creation that owns its handle (<c>new SafeFileHandle(fd,
        /// ownsHandle: false)</c> is a view, disposing it closes nothing, and so is an object whose constructor passes
        /// <c>false</c> to its base: <see cref="HandleReleases.ConstructorDisowns"/>), or the <c>out</c>/<c>ref</c> argument a native
        /// call fills with one.
        /// </summary>
        public Allocator? ForHandedOutHandle(IOperation operation) => operation switch
        {
            IObjectCreationOperation creation => Disowns(creation.Arguments) || WrapsOnlyZero(creation) || _context.HandleReleases.ConstructorDisowns(creation.Constructor)
                                                 || _context.HandleReleases.CreationDisowns(creation)
                ? null
                : ForCreatedHandle(creation.Type),
            IArgumentOperation { Parameter: { } parameter, Parent: IInvocationOperation call } => ForOutHandle(call.TargetMethod, parameter),
            _ => null,
        };

        /// <summary>
        /// A call of a factory told by a constant that the handle it makes does not own its value
        /// (<c>Device.DangerousCreate(p, ownsHandle: false)</c>): a view, as the same constant makes a created handle one.
        /// </summary>
        public bool MakesView(IInvocationOperation call) => Disowns(call.Arguments) || WrapsOnlyZero(call);

        /// <summary>
        /// A factory of this compilation given zero for every pointer-sized argument, returning a type for which zero is
        /// invalid, when nothing it runs (nor the factories it forwards to) opens a native handle of its own: what it returns
        /// wraps zero, which the handle never releases (<c>Zero => DangerousCreate(IntPtr.Zero, fromHotplug: false)</c>, the
        /// static "none" of generated libusb and libimobiledevice bindings).
        /// </summary>
        private bool WrapsOnlyZero(IInvocationOperation call)
        {
            if (call.Type is not { } made || !IsZeroInvalid(made))
            {
                return false;
            }

            var any = false;
            foreach (var argument in call.Arguments)
            {
                if (argument.Parameter?.Type is { SpecialType: SpecialType.System_IntPtr or SpecialType.System_UIntPtr } or IPointerTypeSymbol)
                {
                    if (argument.ArgumentKind != ArgumentKind.Explicit || !HandleOwners.IsZero(argument.Value))
                    {
                        return false;
                    }

                    any = true;
                }
            }

            return any && OpensNothing(call.TargetMethod.OriginalDefinition, 0);
        }

        // No native call, loaded entry point or catalogued allocator in the body, nor in the methods and constructors of this
        // compilation it calls (to the wrapper depth); of other assemblies, only the framework's (FrameworkTypes) are trusted
        // to open nothing that the catalogue does not name.
        private bool OpensNothing(IMethodSymbol method, int depth)
        {
            if (depth >= WrapperSummaries.MaxDepth || !WrapperSummaries.IsSourceMethodWithBody(method) || _context.Wrappers.GetBody(method) is not { } body)
            {
                return false;
            }

            foreach (var operation in body.DescendantsAndSelf())
            {
                var target = operation switch
                {
                    IInvocationOperation invocation => invocation.TargetMethod,
                    IObjectCreationOperation creation => creation.Constructor,
                    _ => null,
                };
                if (target == null)
                {
                    continue;
                }

                target = target.OriginalDefinition;
                if (_context.NativeFunctions.Get(target) != null || IsLoadedEntryPoint(target))
                {
                    return false;
                }

                if (SymbolEqualityComparer.Default.Equals(target.ContainingAssembly, _context.Compilation.Assembly))
                {
                    if (!OpensNothing(target, depth + 1))
                    {
                        return false;
                    }
                }
                else if ((operation is IInvocationOperation && TryGetAllocator(target, out _)) || !FrameworkTypes.Contains(target.ContainingType))
                {
                    return false;
                }
            }

            return true;
        }

        private static bool Disowns(ImmutableArray<IArgumentOperation> arguments)
            => arguments.Any(a => a.Parameter?.Name == "ownsHandle" && a.Value.ConstantValue is { HasValue: true, Value: false });

        /// <summary>
        /// <c>new FuncHandle(IntPtr.Zero)</c>: a SafeHandle over no native handle (the "none" a native parameter accepts),
        /// every pointer-sized argument zero. Nothing is open, so there is nothing to dispose.
        /// </summary>
        private static bool WrapsOnlyZero(IObjectCreationOperation creation)
        {
            var any = false;
            foreach (var argument in creation.Arguments)
            {
                if (argument.Parameter?.Type is { SpecialType: SpecialType.System_IntPtr or SpecialType.System_UIntPtr } or IPointerTypeSymbol)
                {
                    if (argument.ArgumentKind != ArgumentKind.Explicit || !HandleOwners.IsZero(argument.Value))
                    {
                        return false;
                    }

                    any = true;
                }
            }

            return any;
        }

        /// <summary>A SafeHandle created with <c>new</c>: the caller owns it.</summary>
        public Allocator? ForCreatedHandle(ITypeSymbol? type)
            => type != null && _context.Types.IsHandleWrapper(type) && !type.IsAbstract
                ? new Allocator(SafeHandleFamily, "new " + type.Name, "Dispose", null, kind: ResourceKind.SafeHandle, receiverRelease: "Dispose")
                : null;

        /// <summary>
        /// A SafeHandle a native call hands out through an <c>out</c> or <c>ref</c> parameter: for either, the marshaller
        /// wraps the value the native function leaves there in a new SafeHandle the caller owns.
        /// </summary>
        public Allocator? ForOutHandle(IMethodSymbol method, IParameterSymbol parameter) => ForOutHandle(method, parameter, 0);

        private Allocator? ForOutHandle(IMethodSymbol method, IParameterSymbol parameter, int depth)
            => (parameter.RefKind == RefKind.Out || parameter.RefKind == RefKind.Ref) && _context.Types.IsHandleWrapper(parameter.Type)
               && !_context.HandleReleases.MarshalledDisowned(parameter.Type)
               && (_context.NativeFunctions.Get(method) != null || parameter.RefKind == RefKind.Out && FillsOutOnlyFromNative(method, parameter, depth))
                ? new Allocator(SafeHandleFamily, Display(method), "Dispose", null, kind: ResourceKind.SafeHandle, receiverRelease: "Dispose")
                : null;

        /// <summary>
        /// A wrapper of this compilation whose <c>out</c> SafeHandle parameter is written only by handing it on as the
        /// <c>out</c> argument of a native call (or of such a wrapper), and read nowhere: the caller receives the new handle
        /// the marshaller made, as from the native call itself (Microsoft.Data.Sqlite's <c>sqlite3_prepare_v2</c> overload
        /// that converts the SQL text, then forwards <c>out ppStmt</c>). A wrapper that disposes, stores or reads the
        /// handle, or fills the parameter any other way, is not one.
        /// </summary>
        private bool FillsOutOnlyFromNative(IMethodSymbol method, IParameterSymbol parameter, int depth)
        {
            if (depth >= WrapperSummaries.MaxDepth || !WrapperSummaries.IsSourceMethodWithBody(method) || _context.Wrappers.GetBody(method) is not { } body)
            {
                return false;
            }

            var filled = false;
            foreach (var operation in body.Descendants())
            {
                if (operation is not IParameterReferenceOperation reference || !SymbolEqualityComparer.Default.Equals(reference.Parameter.OriginalDefinition, parameter.OriginalDefinition))
                {
                    continue;
                }

                if (reference.Parent is not IArgumentOperation { Parameter: { RefKind: RefKind.Out } inner, Parent: IInvocationOperation call }
                    || OperationTree.IsInNestedFunction(reference, body)
                    || ForOutHandle(call.TargetMethod.OriginalDefinition, inner.OriginalDefinition, depth + 1) == null)
                {
                    return false;
                }

                filled = true;
            }

            return filled;
        }

        /// <summary>
        /// A pointer a native function hands out through an <c>out</c> parameter (<c>SHGetFolderLocation(.., out pidl)</c>),
        /// when the calling method releases that value itself with <paramref name="release"/> on some path: by releasing
        /// it, the method says it owns it, so a path that drops it leaks. (A method that never releases such a value is
        /// not asked: whether it owns it cannot be told.)
        /// </summary>
        public Allocator? ForOutAllocation(IMethodSymbol method, IParameterSymbol parameter, Deallocator release, IMethodSymbol releaseMethod)
        {
            var type = parameter.Type;
            if (parameter.RefKind != RefKind.Out || _context.NativeFunctions.Get(method) == null
                || !(type is IPointerTypeSymbol || type.SpecialType == SpecialType.System_IntPtr || type.SpecialType == SpecialType.System_UIntPtr))
            {
                return null;
            }

            // Only a one-parameter static release can be written by a fix with nothing but the pointer.
            var callable = releaseMethod.IsStatic && releaseMethod.Parameters.Length == 1 && releaseMethod.ContainingType != null
                ? releaseMethod.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat.WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted)) + "." + releaseMethod.Name
                : null;
            return new Allocator(release.Family, Display(method), release.Display, callable);
        }

        /// <summary>
        /// A pointer-sized <c>out</c> value of a catalogued function that hands the caller an allocation through it
        /// (Leptonica's binarization results), whether or not the calling method ever releases it.
        /// </summary>
        public Allocator? ForCataloguedOut(IMethodSymbol method, IParameterSymbol parameter)
        {
            var type = parameter.Type;
            if (parameter.RefKind != RefKind.Out
                || !(type is IPointerTypeSymbol || type.SpecialType == SpecialType.System_IntPtr || type.SpecialType == SpecialType.System_UIntPtr)
                || FindKnown(method, OutAllocatorTables, out var native) is not { } known || native == null)
            {
                return null;
            }

            var (releaseDisplay, releaseMethod) = ReleaseDisplay(method, known.Release);
            return known.WithDisplay(Display(method)).WithRelease(releaseDisplay, releaseMethod);
        }

        /// <summary>
        /// A catalogued function that allocates into the record a pointer argument of <paramref name="method"/> points to
        /// (<see cref="Allocator.FilledRecordParameter"/>), named as the user declared it; null for every other method.
        /// Cached: asked of every call whose arguments the ownership analysis reads as possible sites.
        /// </summary>
        public Allocator? RecordFillerOf(IMethodSymbol method)
            => _recordFillers.GetOrAdd(method.OriginalDefinition, m =>
            {
                if (FindKnown(m, FilledRecordTables, out var native) is not { } known || native == null)
                {
                    return null;
                }

                var (releaseDisplay, releaseMethod) = ReleaseDisplay(m, known.Release);
                return known.WithDisplay(Display(m)).WithRelease(releaseDisplay, releaseMethod);
            });

        /// <summary>
        /// The record <paramref name="parameter"/> of a catalogued record filler points to (<c>pcap_compile(p, program, ..)</c>),
        /// passed as a plain pointer: the contents the call allocates there are the caller's.
        /// </summary>
        public Allocator? ForFilledRecord(IMethodSymbol method, IParameterSymbol parameter)
            => parameter.RefKind == RefKind.None
               && (parameter.Type is IPointerTypeSymbol || parameter.Type.SpecialType == SpecialType.System_IntPtr)
               && RecordFillerOf(method) is { } filler && filler.FilledRecordParameter == parameter.Ordinal
                ? filler
                : null;

        // Libraries whose file names carry their version's digits right after the stem (liblept168).
        private static readonly HashSet<string> DigitVersionedLibraries = new HashSet<string>(StringComparer.Ordinal) { "lept" };

        /// <summary>The module is one of <paramref name="libraries"/> or a build of one (SDL2-2.0, Magick.Native-Q16-x64).</summary>
        private static bool IsLibraryOf(HashSet<string> libraries, string normalized)
        {
            if (libraries.Contains(normalized))
            {
                return true;
            }

            foreach (var library in libraries)
            {
                if (NativeFunction.IsBuildOf(normalized, library, DigitVersionedLibraries.Contains(library)))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Native functions that leave an allocation in their out parameter even when they report failure, so the caller
        /// must free it on that path too (SHGetKnownFolderPath: "whether SHGetKnownFolderPath succeeds or not", in its
        /// documentation). For every other function an out value of a failed call is taken to hold nothing.
        /// </summary>
        private static readonly (string Library, string EntryPoint)[] OutAllocatedOnFailure =
        {
            ("shell32", "SHGetKnownFolderPath"),
        };

        /// <summary>Does <paramref name="method"/> leave its out allocation to the caller also when it reports failure?</summary>
        public bool AllocatesEvenOnFailure(IMethodSymbol method)
            => Lists(OutAllocatedOnFailure, method);

        /// <summary>
        /// Native functions whose integer result is a count (of characters written), zero when they fail and allocate
        /// nothing (FormatMessage with FORMAT_MESSAGE_ALLOCATE_BUFFER: "If the function fails, the return value is
        /// zero"). A zero result is their failure, where most C functions' zero status is success.
        /// </summary>
        private static readonly (string Library, string EntryPoint)[] CountZeroOnFailure =
        {
            ("kernel32", "FormatMessage"),
            ("kernel32", "FormatMessageW"),
            ("kernel32", "FormatMessageA"),
        };

        /// <summary>Does <paramref name="method"/> return a count that is zero exactly when it fails?</summary>
        public bool ReturnsCountZeroOnFailure(IMethodSymbol method)
            => Lists(CountZeroOnFailure, method);

        // Is the native function 'method' calls on a list of (library, entry point) pairs (any build of the library)?
        private bool Lists((string Library, string EntryPoint)[] list, IMethodSymbol method)
        {
            var native = _context.NativeFunctions.Get(method);
            return native != null && list.Any(f => f.EntryPoint == native.EntryPoint && NativeFunction.IsBuildOf(native.NormalizedLibrary, f.Library));
        }

        private static bool Same(ITypeSymbol type, ITypeSymbol? known) => known != null && SymbolEqualityComparer.Default.Equals(type, known);

        internal static string Display(IMethodSymbol method)
        {
            // A property getter is named as the property is read ('request.Gch'), not as its accessor.
            var name = method.MethodKind == MethodKind.PropertyGet && method.AssociatedSymbol != null ? method.AssociatedSymbol.Name : method.Name;
            return method.ContainingType == null ? name : method.ContainingType.Name + "." + name;
        }

        private static Allocator Bcl(string family, string display, string release, string releaseMethod, int reallocated = -1)
            => new Allocator(family, display, release, releaseMethod, reallocated);

        private static Allocator Native(string family, string display, string release) => new Allocator(family, display, release, releaseMethod: null);
    }

    /// <summary>One side of the catalogue (allocators or releases): BCL entries by type, native entries by library.</summary>
    internal sealed class CatalogueTables<T>
        where T : class
    {
        public CatalogueTables(
            Dictionary<string, T> marshal,
            Dictionary<string, T> nativeMemory,
            Dictionary<string, T> nativeLibrary,
            Dictionary<string, T> anyLibrary,
            params (HashSet<string> Libraries, Dictionary<string, T> Entries)[] native)
        {
            AnyLibrary = anyLibrary;
            Marshal = marshal;
            NativeMemory = nativeMemory;
            NativeLibrary = nativeLibrary;
            Native = native;
        }

        public Dictionary<string, T> Marshal { get; }
        public Dictionary<string, T> NativeMemory { get; }
        public Dictionary<string, T> NativeLibrary { get; }
        public IReadOnlyList<(HashSet<string> Libraries, Dictionary<string, T> Entries)> Native { get; }

        /// <summary>Native entries known by entry point alone, in whatever library (a library's own name prefix).</summary>
        public Dictionary<string, T> AnyLibrary { get; }
    }
}
