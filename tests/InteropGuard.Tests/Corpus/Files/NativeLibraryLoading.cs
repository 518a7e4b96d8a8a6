#nullable enable
using System;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Corpus.Loading
{
    public static class PluginHost
    {
        private static IntPtr s_codec;
        private static readonly Lazy<IntPtr> s_crypto = new Lazy<IntPtr>(() => NativeLibrary.Load("libcrypto.so.3"));

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate int VersionFunction();

        public static void Initialize(string path)
        {
            s_codec = NativeLibrary.Load(path);
        }

        public static IntPtr Crypto => s_crypto.Value;

        public static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
        {
            if (libraryName == "codec" && NativeLibrary.TryLoad("libcodec.so.2", assembly, searchPath, out IntPtr handle))
            {
                return handle;
            }

            return IntPtr.Zero;
        }

        public static int ProbeVersion(string path)
        {
            IntPtr library = NativeLibrary.Load(path);
            try
            {
                IntPtr export = NativeLibrary.GetExport(library, "plugin_version");
                var version = Marshal.GetDelegateForFunctionPointer<VersionFunction>(export);
                return version();
            }
            finally
            {
                NativeLibrary.Free(library);
            }
        }

        public static IntPtr LoadOrThrow(string path)
        {
            IntPtr library = NativeLibrary.Load(path);
            if (!NativeLibrary.TryGetExport(library, "plugin_init", out _))
            {
                NativeLibrary.Free(library);
                throw new EntryPointNotFoundException("plugin_init");
            }

            return library;
        }

        public static bool IsCodecLoaded => s_codec != IntPtr.Zero;
    }
}
