namespace InteropGuard.Interop
{
    /// <summary>
    /// The names under which a catalogued allocator can be called directly (<see cref="AllocationCatalogue.KnownAllocatorNames"/>),
    /// as a plain array: what the interop vocabulary needs of the catalogue to answer "no interop here".
    /// </summary>
    /// <remarks>
    /// Why a copy rather than the catalogue's own set: reading that set runs the catalogue's static constructor (every
    /// allocator and release of every library, dictionaries and a LINQ query), which cost 6.6-7.6 ms of thread time in a
    /// fresh process (a build's compiler pays it per compilation of a project without interop). The catalogue stays the one
    /// source of truth: a test fails when the two differ.
    /// </remarks>
    internal static class CataloguedAllocatorNames
    {
        public static readonly string[] All =
        {
            // BCL: Marshal, NativeMemory, NativeLibrary.Load, GCHandle.Alloc, Memory<T>.Pin.
            "AllocHGlobal", "ReAllocHGlobal", "StringToHGlobalAnsi", "StringToHGlobalUni", "StringToHGlobalAuto",
            "SecureStringToGlobalAllocAnsi", "SecureStringToGlobalAllocUnicode", "AllocCoTaskMem", "ReAllocCoTaskMem",
            "StringToCoTaskMemAnsi", "StringToCoTaskMemUni", "StringToCoTaskMemAuto", "StringToCoTaskMemUTF8",
            "SecureStringToCoTaskMemAnsi", "SecureStringToCoTaskMemUnicode", "StringToBSTR", "SecureStringToBSTR",
            "Alloc", "AllocZeroed", "Realloc", "AlignedAlloc", "AlignedRealloc", "Load", "Pin",

            // libc, kernel32, ole32.
            "malloc", "calloc", "realloc", "strdup", "strndup", "_strdup", "mmap",
            "LocalAlloc", "LocalReAlloc", "GlobalAlloc", "GlobalReAlloc", "HeapAlloc", "HeapReAlloc", "VirtualAlloc",
            "CoTaskMemAlloc", "CoTaskMemRealloc",

            // GLib.
            "g_malloc", "g_malloc0", "g_malloc_n", "g_malloc0_n", "g_try_malloc", "g_try_malloc0", "g_try_malloc_n",
            "g_try_malloc0_n", "g_realloc", "g_realloc_n", "g_try_realloc", "g_try_realloc_n", "g_strdup", "g_strndup",
            "g_memdup", "g_memdup2", "g_strdupv",

            // libvips: strings it hands out from the GLib heap.
            "vips_filename_get_filename", "vips_filename_get_options",

            // SDL2.
            "SDL_malloc", "SDL_calloc", "SDL_realloc", "SDL_strdup", "SDL_GetClipboardText", "SDL_GetPrimarySelectionText",
            "SDL_GetBasePath", "SDL_GetPrefPath", "SDL_GameControllerMapping", "SDL_GameControllerMappingForGUID",
            "SDL_GameControllerMappingForIndex", "SDL_GameControllerMappingForDeviceIndex", "SDL_LoadFile", "SDL_LoadFile_RW",

            // Magick.Native.
            "PixelCollection_ToByteArray", "PixelCollection_ToShortArray", "MagickImage_FormatExpression", "MagickImage_WriteBlob",
            "MagickImageCollection_WriteBlob",

            // Leptonica: images returned, and images handed out through out parameters.
            "pixCreate", "pixCreateNoInit", "pixCreateTemplate", "pixClone", "pixRead", "pixReadMem", "pixaCreate",
            "pixaReadMultipageTiff", "pixOtsuAdaptiveThreshold", "pixSauvolaBinarize", "pixSauvolaBinarizeTiled",

            // RocksDB's C API.
            "rocksdb_get", "rocksdb_get_cf", "rocksdb_property_value", "rocksdb_property_value_cf", "rocksdb_list_column_families",

            // librdkafka.
            "rd_kafka_topic_partition_list_new", "rd_kafka_queue_poll",

            // libpcap: filter programs compiled into the caller's bpf_program record.
            "pcap_compile", "pcap_compile_nopcap",
        };
    }
}
