using System;
using System.Collections.Immutable;
using System.Linq;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Native libraries whose functions return a truth value four bytes wide — the Win32 <c>BOOL</c> of the Windows system
    /// libraries and of libraries written in their style, or the <c>int</c> (or an int-sized <c>BOOL</c> of their own) of C
    /// libraries without a C <c>bool</c> — so that the runtime's default marshalling of a <c>bool</c> return (a 4-byte
    /// <c>BOOL</c>) reads them right (IG4003). Names are normalized as <see cref="NativeFunction.NormalizeLibrary"/> does.
    /// </summary>
    internal static class FourByteTruthLibraries
    {
        /// <summary>Does <paramref name="entryPoint"/> of the library <paramref name="normalized"/> return a 4-byte truth value?</summary>
        public static bool ReturnsFourByteTruth(string normalized, string entryPoint)
            => Win32BoolLibraries.Contains(normalized) || IsWindowsApiSet(normalized) || IsBassLibrary(normalized) || IsIntBoolLibrary(normalized)
               || (CRuntimeLibraries.Contains(normalized) && CRuntimeLibraries.ReturnsIntTruth(entryPoint));

        /// <summary>
        /// Windows system libraries (and Windows driver libraries written in their style) whose functions take and return
        /// the 4-byte BOOL, which is the default marshalling.
        /// Normalized as <see cref="NativeFunction.NormalizeLibrary"/> does (lower case, no directory, no extension).
        /// </summary>
        private static readonly ImmutableHashSet<string> Win32BoolLibraries = ImmutableHashSet.Create(
            StringComparer.Ordinal,
            "kernel32", "kernelbase", "user32", "advapi32", "gdi32", "shell32", "ws2_32", "ole32", "oleaut32", "ntdll",
            "comctl32", "comdlg32", "crypt32", "secur32", "setupapi", "winmm", "winspool", "winspool.drv", "netapi32",
            "iphlpapi", "dbghelp", "psapi", "version", "wininet", "winhttp", "shlwapi", "userenv", "wtsapi32", "rpcrt4",
            "dwmapi", "uxtheme", "imm32", "mpr", "powrprof", "hid", "cfgmgr32", "wintrust", "msi", "dnsapi", "wevtapi",
            "bcrypt", "ncrypt", "credui", "odbc32", "opengl32", "mswsock", "avrt", "dxva2", "wlanapi", "sspicli",
            "bthprops", "bthprops.cpl", "bluetoothapis", "irprops", "irprops.cpl", "winusb", "newdev",
            // The security editor's and the image helper's BOOL functions (EditSecurity, ImageGetCertificateData): found as
            // 3 false findings on NtCoreLib (sandbox-attacksurface-analysis-tools).
            "aclui", "imagehlp",
            // Windows packet-capture drivers whose user-mode APIs return BOOL like the system's (windivert.h, WinpkFilter's
            // ndisapi.h); found as 18 false findings on SharpPcap.
            "windivert", "ndisapi",
            // EasyHook's native library, both builds: easyhook.h exports its truth values as BOOL (EASYHOOK_BOOL_EXPORT), and
            // the GAC helpers are 'BOOL __stdcall'; found as 8 false findings on EasyHook's own binding.
            "easyhook32", "easyhook64",
            // winpty's agent library: winpty.h declares every truth value WINPTY_API BOOL (winpty_spawn, winpty_set_size);
            // found as 2 false findings on vs-pty.net.
            "winpty",
            // The virtual gamepad bus's client library: ViGEmClient.h declares its one truth value 'VIGEM_API BOOL
            // vigem_target_is_attached'; found as a false finding on ViGEm.NET.
            "vigemclient");

        /// <summary>
        /// C libraries whose API has no C <c>bool</c>: truth values are <c>int</c> (or an int-sized enum such as SDL2's
        /// <c>SDL_bool</c>), so a binding that declares them <c>bool</c> gets the 4-byte default right. Found as false
        /// findings on libgit2sharp (<c>git_refspec_force</c> returns <c>int</c>) and confluent-kafka-dotnet
        /// (<c>rd_kafka_topic_partition_available</c> returns <c>int</c>; rdkafka.h includes no <c>stdbool.h</c>). Matched on the normalized name with
        /// any version or build suffix (<c>git2-a418d9d</c>, <c>lua54</c>, <c>avcodec-61</c>). Libraries whose
        /// booleans are a C <c>bool</c> or a byte in some version (SDL3, libvlc 4, OpenAL's <c>ALboolean</c>, libjpeg's
        /// <c>boolean</c>) are deliberately not here.
        /// </summary>
        private static readonly ImmutableArray<string> IntBoolLibraries = ImmutableArray.Create(
            "git2", "sqlite3", "e_sqlite3", "sqlcipher", "e_sqlcipher", "winsqlite3", "sdl2", "glfw", "glfw3", "usb-1.0", "uv",
            "zlib", "zlib1", "ssl", "crypto", "lua", "luajit", "avcodec", "avformat", "avutil", "avfilter", "avdevice", "swscale",
            "swresample", "curl", "png", "sodium", "portaudio", "rdkafka",
            // GLib and the libraries built on it: gboolean is a typedef of int (found as 6 false findings on
            // git-credential-manager's GLib and libsecret declarations).
            "glib", "gobject", "gio", "gmodule", "gthread", "secret", "gtk", "gdk", "pango", "pangocairo", "atk", "soup",
            "gstreamer", "webkit2gtk", "javascriptcoregtk",
            // PDFium: fpdfview.h declares FPDF_BOOL as int (found as 8 false findings on PdfiumViewer).
            "pdfium",
            // LAME (libmp3lame, any build: libmp3lame.64.dll): lame.h is C89 and declares every flag getter 'int'
            // (lame_get_bWriteVbrTag, lame_get_decode_only: 2 false findings on NAudio.Lame). Vosk: vosk_api.h has no
            // bool either (vosk_recognizer_accept_waveform returns int: 3 false findings on Vosk's own binding).
            "mp3lame", "vosk",
            // Zstandard: zstd.h is C90 and returns its truth values as 'unsigned' (ZSTD_isError, ZSTD_isFrame; zdict.h's
            // ZDICT_isError): 1 false finding on Zstandard.Net.
            "zstd",
            // FreeImage: FreeImage.h declares its own BOOL where windows.h is not included, as int32_t (long under MSVC), and
            // every truth value of the API is that BOOL (FreeImage_IsTransparent, FreeImage_SetPixelColor): 55 false findings
            // on FreeImage.Standard.
            "freeimage");

        /// <summary>
        /// A Windows API set (<c>api-ms-win-core-synch-l1-2-0</c>, <c>ext-ms-win-…</c>): another name for functions of the
        /// system libraries above, with their BOOL. The C runtime's sets (<c>api-ms-win-crt-…</c>) are C, not Win32.
        /// </summary>
        private static bool IsWindowsApiSet(string normalized)
            => (normalized.StartsWith("api-ms-win-", StringComparison.Ordinal) || normalized.StartsWith("ext-ms-win-", StringComparison.Ordinal))
               && !normalized.StartsWith("api-ms-win-crt-", StringComparison.Ordinal);

        /// <summary>
        /// The BASS audio library and its add-ons (<c>bass</c>, <c>bass_fx</c>, <c>bassmix</c>, <c>bassenc_mp3</c>, ...): every one
        /// is declared through bass.h, which defines <c>BOOL</c> as <c>int</c> on every platform, Windows' own elsewhere; and
        /// xVideo (BASS_DSHOW), the DirectShow add-on, whose API declares the same 4-byte <c>BOOL</c>. Found as 302 false
        /// findings on ManagedBass.
        /// </summary>
        private static bool IsBassLibrary(string normalized)
            => (normalized.StartsWith("bass", StringComparison.Ordinal)
                && (normalized.Length == 4 || normalized[4] == '_' || char.IsLetter(normalized[4])))
               || normalized == "xvideo";

        /// <summary>One of <see cref="IntBoolLibraries"/>, exactly or with a version or build suffix (<see cref="NativeFunction.IsBuildOf"/>), or a distribution's build of one.</summary>
        private static bool IsIntBoolLibrary(string normalized)
        {
            var unprefixed = NativeFunction.WithoutDistribution(normalized);
            return IntBoolLibraries.Any(stem => NativeFunction.IsBuildOf(normalized, stem, digitVersions: true)
                                                || NativeFunction.IsBuildOf(unprefixed, stem, digitVersions: true));
        }
    }
}
