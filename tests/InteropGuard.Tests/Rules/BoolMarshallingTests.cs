using System.Threading.Tasks;
using InteropGuard.CodeFixes;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG4003: a DllImport bool without MarshalAs is marshalled as a 4-byte BOOL; a C bool is one byte.</summary>
    public class BoolMarshallingTests
    {
        private const string Usings = "using System;\nusing System.Runtime.InteropServices;\n";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<BoolMarshallingAnalyzer> { Source = Usings + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task ReturnValueOfACLibrary() => Check(@"
static class Native
{
    [DllImport(""igsample"")]
    internal static extern {|#0:bool|} igs_is_ready(int id, bool strict);
}",
            Verify.Diagnostic("IG4003").WithLocation(0).WithSeverity(DiagnosticSeverity.Info).WithMessage(
                "The return value of 'Native.igs_is_ready' is a bool without [MarshalAs]: it is marshalled as the 4-byte Win32 BOOL, but a C bool is 1 byte; state the native type with [MarshalAs(UnmanagedType.U1)] for a C bool or [MarshalAs(UnmanagedType.Bool)] for a Win32 BOOL"));

        // A BOOL argument of 0 or 1 carries the C bool in its low byte, which is what the callee reads, by value or
        // through a pointer to the marshaller's zeroed 4-byte temporary. Found as noise on TorchSharp's tensor API
        // (bool flags passed by value to a C++ library): correct at run time, so not a finding.
        [Fact]
        public Task BoolParametersAreNotFindings() => Check(@"
static class Native
{
    [DllImport(""libfoo.so"")]
    internal static extern int foo_set(IntPtr handle, bool enabled, ref bool previous, out bool changed, in bool strict);
}");

        [Fact]
        public Task FullyQualifiedBoolAndDllImportWithEntryPoint() => Check(@"
static class Native
{
    [DllImport(""mylib"", EntryPoint = ""mylib_flag"", CallingConvention = CallingConvention.Cdecl)]
    internal static extern {|#0:System.Boolean|} Flag();
}",
            Verify.Diagnostic("IG4003").WithLocation(0));

        [Fact]
        public Task ExplicitMarshallingWindowsLibrariesAndLibraryImportAreSilent() => Check(@"
static partial class Native
{
    [DllImport(""igsample"")]
    [return: MarshalAs(UnmanagedType.U1)]
    internal static extern bool igs_is_ready([MarshalAs(UnmanagedType.U1)] bool strict, [MarshalAs(UnmanagedType.Bool)] ref bool previous);

    [DllImport(""kernel32.dll"", SetLastError = true)]
    internal static extern bool CloseHandle(IntPtr handle);

    [DllImport(""USER32"")]
    internal static extern bool IsWindowVisible(IntPtr window);

    [DllImport(""advapi32.dll"")]
    internal static extern bool RevertToSelf();

    [DllImport(""ntdll"")]
    internal static extern bool RtlAreLongPathsEnabled();

    // The Bluetooth and USB APIs return BOOL too; the Bluetooth one lives in a control-panel file (found on HidSharp).
    [DllImport(""bthprops.cpl"", SetLastError = true)]
    internal static extern bool BluetoothFindDeviceClose(IntPtr searchHandle);

    [DllImport(""winusb.dll"", SetLastError = true)]
    internal static extern bool WinUsb_Free(IntPtr handle);

    [LibraryImport(""igsample"")]
    [return: MarshalAs(UnmanagedType.U1)]
    internal static partial bool igs_other(int id);

    internal static partial bool igs_other(int id) => id != 0;

    [DllImport(""igsample"")]
    internal static extern int igs_count(byte flag, int value);

    internal static bool NotNative(bool value) => value;

    internal delegate bool Callback(bool value);
}");

        // libgit2's predicates return C int (found as false findings on libgit2sharp, whose library name carries a build
        // hash); the 4-byte default is right for every library whose booleans are int-sized.
        [Fact]
        public Task LibrariesWhoseBooleansAreIntAreSilent() => Check(@"
static class Native
{
    [DllImport(""git2-a418d9d"", CallingConvention = CallingConvention.Cdecl)]
    internal static extern bool git_refspec_force(IntPtr refspec);

    [DllImport(""libgit2.so.1.7"")]
    internal static extern bool git_refspec_src_matches(IntPtr refspec, string name);

    [DllImport(""e_sqlite3"")]
    internal static extern bool sqlite3_stmt_readonly(IntPtr statement);

    [DllImport(""SDL2"")]
    internal static extern bool SDL_HasClipboardText();

    [DllImport(""libglfw.so.3"")]
    internal static extern bool glfwWindowShouldClose(IntPtr window);

    [DllImport(""avcodec-61"")]
    internal static extern bool av_codec_is_encoder(IntPtr codec);

    // librdkafka, and the distribution-specific builds a binding ships beside it.
    [DllImport(""librdkafka"")]
    internal static extern bool rd_kafka_topic_partition_available(IntPtr topic, int partition);

    [DllImport(""alpine-librdkafka.so"")]
    internal static extern bool rd_kafka_alpine_available(IntPtr topic, int partition);

    // Windows packet-capture drivers' user-mode libraries return BOOL.
    [DllImport(""WinDivert.dll"", SetLastError = true)]
    internal static extern bool WinDivertClose(IntPtr handle);

    [DllImport(""ndisapi.dll"")]
    internal static extern bool ReadPacket(IntPtr driver, IntPtr request);

    // GLib and the libraries built on it: gboolean is an int.
    [DllImport(""libglib-2.0.so.0"")]
    internal static extern bool g_str_equal(IntPtr a, IntPtr b);

    [DllImport(""libsecret-1.so.0"")]
    internal static extern bool secret_item_get_locked(IntPtr item);

    [DllImport(""libgtk-3.so.0"")]
    internal static extern bool gtk_widget_get_visible(IntPtr widget);

    // PDFium's FPDF_BOOL is an int.
    [DllImport(""pdfium.dll"")]
    internal static extern bool FPDF_ImportPages(IntPtr dest, IntPtr src, string range, int index);

    // BASS and its add-ons: bass.h makes BOOL an int on every platform.
    [DllImport(""bass"")]
    internal static extern bool BASS_ChannelPlay(int handle, bool restart);

    [DllImport(""libbass.so"")]
    internal static extern bool BASS_ChannelStop(int handle);

    [DllImport(""bass_fx"")]
    internal static extern bool BASS_FX_BPM_Free(int handle);

    [DllImport(""bassenc_mp3"")]
    internal static extern bool BASS_Encode_MP3_Ready(int handle);

    [DllImport(""xVideo"")]
    internal static extern bool xVideo_ChannelColorRange(int handle, int control, IntPtr range);
}");

        // Look-alikes: a name that only starts like one of those libraries, and SDL3, whose booleans are C bool.
        [Fact]
        public Task LibrariesThatOnlyLookLikeIntBooleanOnesAreReported() => Check(@"
static class Native
{
    [DllImport(""git2x"")]
    internal static extern {|#0:bool|} gx_ready();

    [DllImport(""SDL3"")]
    internal static extern {|#1:bool|} SDL_HasClipboardText();

    [DllImport(""wgpu_native"")]
    internal static extern {|#2:bool|} wgpuDevicePoll();

    // A distribution prefix in front of a library that is not one of them.
    [DllImport(""alpine-libwgpu_native"")]
    internal static extern {|#3:bool|} wgpuAdapterHasFeature();

    // glibc is not GLib; CoreFoundation's Boolean is one byte.
    [DllImport(""glibc"")]
    internal static extern {|#6:bool|} glibc_flag();

    [DllImport(""/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation"")]
    internal static extern {|#7:bool|} CFStringGetCString(IntPtr text, IntPtr buffer, long size, uint encoding);

    // Names that only contain BASS's: not its library.
    [DllImport(""mybass"")]
    internal static extern {|#4:bool|} mybass_ready();

    [DllImport(""bass2000"")]
    internal static extern {|#5:bool|} b2k_ready();

    // A library whose name only contains PDFium's.
    [DllImport(""pdfiumx"")]
    internal static extern {|#8:bool|} pdfx_ready();
}",
            Verify.Diagnostic("IG4003").WithLocation(0),
            Verify.Diagnostic("IG4003").WithLocation(1),
            Verify.Diagnostic("IG4003").WithLocation(2),
            Verify.Diagnostic("IG4003").WithLocation(3),
            Verify.Diagnostic("IG4003").WithLocation(4),
            Verify.Diagnostic("IG4003").WithLocation(5),
            Verify.Diagnostic("IG4003").WithLocation(6),
            Verify.Diagnostic("IG4003").WithLocation(7),
            Verify.Diagnostic("IG4003").WithLocation(8));

        // The security editor, the image helper and the API sets are Windows system libraries: their truth values are
        // the 4-byte BOOL the default marshalling gives.
        [Fact]
        public Task SecurityEditorImageHelperAndApiSetsReturnWin32Bool() => Check(@"
static class Native
{
    [DllImport(""aclui.dll"", SetLastError = true)]
    internal static extern bool EditSecurity(IntPtr owner, IntPtr info);

    [DllImport(""imagehlp.dll"", SetLastError = true)]
    internal static extern bool ImageEnumerateCertificates(IntPtr file, ushort filter, out int count, int[] indices, int size);

    [DllImport(""api-ms-win-core-synch-l1-2-0.dll"", SetLastError = true)]
    internal static extern bool WaitOnAddress(IntPtr address, IntPtr compare, IntPtr size, int milliseconds);

    [DllImport(""ext-ms-win-ntuser-window-l1-1-0"")]
    internal static extern bool IsWindowVisible(IntPtr window);
}");

        // Look-alikes: names that only begin like those libraries are someone else's. (The C runtime's API sets are not
        // Win32, but their ISO C functions return int: CRuntimeFunctionsReturnInt.)
        [Fact]
        public Task LookAlikeNamesOfWindowsLibrariesAreReported() => Check(@"
static class Native
{
    [DllImport(""acluix"")]
    internal static extern {|#0:bool|} acluix_ready();

    [DllImport(""imagehlper"")]
    internal static extern {|#1:bool|} ih_ready();

    [DllImport(""my-api-ms-win-core"")]
    internal static extern {|#2:bool|} mine_ready();
}",
            Verify.Diagnostic("IG4003").WithLocation(0),
            Verify.Diagnostic("IG4003").WithLocation(1),
            Verify.Diagnostic("IG4003").WithLocation(2));

        // EasyHook's native library exports its truth values as the Win32 BOOL (easyhook.h: EASYHOOK_BOOL_EXPORT is
        // 'EXTERN_C BOOL EASYHOOK_API'; the GAC helpers are 'BOOL __stdcall'): the 4-byte default is right for both builds.
        [Fact]
        public Task HookingLibraryReturnsWin32Bool() => Check(@"
static class Native32
{
    [DllImport(""EasyHook32.dll"", CallingConvention = CallingConvention.StdCall)]
    internal static extern bool RhIsAdministrator();
}
static class Native64
{
    [DllImport(""EasyHook64"", CallingConvention = CallingConvention.StdCall, CharSet = CharSet.Unicode)]
    internal static extern bool GacInstallAssembly(IntPtr context, string path, string description, string id);
}");

        // Look-alikes: a library whose name only contains the hooking library's, and a hooking library of another name
        // whose exports are declared 'bool'.
        [Fact]
        public Task HookingLibraryLookAlikesAreReported() => Check(@"
static class Native
{
    [DllImport(""EasyHook32Ext.dll"")]
    internal static extern {|#0:bool|} ext_is_hooked();

    [DllImport(""hookkit64"")]
    internal static extern {|#1:bool|} mh_is_ready();
}",
            Verify.Diagnostic("IG4003").WithLocation(0),
            Verify.Diagnostic("IG4003").WithLocation(1));

        // winpty's agent library declares its truth values WINPTY_API BOOL: a terminal binding's spawn and resize calls
        // declared 'bool' get the 4-byte default right. A pseudo-terminal library of another name, or one whose name only
        // starts like it, is still asked to state its type.
        [Fact]
        public Task PseudoTerminalAgentReturnsWin32Bool() => Check(@"
static class Agent
{
    [DllImport(""winpty.dll"", CallingConvention = CallingConvention.Cdecl)]
    internal static extern bool winpty_set_size(IntPtr agent, int columns, int rows, out IntPtr error);

    [DllImport(""WINPTY"", CallingConvention = CallingConvention.Cdecl)]
    internal static extern bool winpty_spawn(IntPtr agent, IntPtr config, out IntPtr process, out IntPtr thread, out int code, out IntPtr error);
}");

        [Fact]
        public Task PseudoTerminalLookAlikesAreReported() => Check(@"
static class Agent
{
    [DllImport(""winpty-helper.dll"")]
    internal static extern {|#0:bool|} helper_is_attached(IntPtr agent);

    [DllImport(""ptykit"")]
    internal static extern {|#1:bool|} pty_resize(IntPtr pty, int columns, int rows);
}",
            Verify.Diagnostic("IG4003").WithLocation(0),
            Verify.Diagnostic("IG4003").WithLocation(1));

        // A virtual gamepad bus's client library answers 'is this pad plugged in' with the Win32 BOOL (ViGEmClient.h:
        // 'VIGEM_API BOOL vigem_target_is_attached'): a binding declaring it 'bool' gets the 4-byte default right.
        [Fact]
        public Task GamepadBusClientReturnsWin32Bool() => Check(@"
static class Bus
{
    [DllImport(""ViGEmClient.dll"", CallingConvention = CallingConvention.Cdecl)]
    internal static extern bool vigem_target_is_attached(IntPtr pad);
}");

        // Look-alikes: a library whose name only starts like the bus client's, and another gamepad library's 'bool'.
        [Fact]
        public Task GamepadBusClientLookAlikesAreReported() => Check(@"
static class Pads
{
    [DllImport(""vigemclient_ext.dll"")]
    internal static extern {|#0:bool|} pad_is_attached(IntPtr pad);

    [DllImport(""padkit"")]
    internal static extern {|#1:bool|} padkit_is_plugged(IntPtr pad);
}",
            Verify.Diagnostic("IG4003").WithLocation(0).WithMessage("The return value of 'Pads.pad_is_attached' is a bool without [MarshalAs]: it is marshalled as the 4-byte Win32 BOOL, but a C bool is 1 byte; state the native type with [MarshalAs(UnmanagedType.U1)] for a C bool or [MarshalAs(UnmanagedType.Bool)] for a Win32 BOOL"),
            Verify.Diagnostic("IG4003").WithLocation(1).WithMessage("The return value of 'Pads.padkit_is_plugged' is a bool without [MarshalAs]: it is marshalled as the 4-byte Win32 BOOL, but a C bool is 1 byte; state the native type with [MarshalAs(UnmanagedType.U1)] for a C bool or [MarshalAs(UnmanagedType.Bool)] for a Win32 BOOL"));

        // The C runtime's and POSIX's functions return an int for a truth value (unloading a shared object, asking whether a
        // descriptor is a terminal), so the 4-byte default reads the whole value. Found as a false finding on a PDF
        // renderer's Linux loader (dlclose declared bool).
        [Fact]
        public Task CRuntimeFunctionsReturnInt() => Check(@"
static class Posix
{
    [DllImport(""libdl.so.2"")]
    internal static extern bool dlclose(IntPtr module);

    [DllImport(""libc"", EntryPoint = ""isatty"")]
    internal static extern bool IsTerminal(int descriptor);

    [DllImport(""msvcrt.dll"")]
    internal static extern bool _isatty(int descriptor);

    [DllImport(""api-ms-win-crt-stdio-l1-1-0.dll"")]
    internal static extern bool _eof(int descriptor);
}");

        // A C library whose header has no bool: an encoder's flag getters and a recognizer's accept call return int.
        [Fact]
        public Task EncoderAndRecognizerFlagsReturnInt() => Check(@"
static class Encoder
{
    [DllImport(""libmp3lame.64.dll"", CallingConvention = CallingConvention.Cdecl)]
    internal static extern bool lame_get_decode_only(IntPtr flags);

    [DllImport(""libvosk"")]
    internal static extern bool vosk_recognizer_accept_waveform(HandleRef recognizer, byte[] data, int length);
}");

        // A compression library whose C90 header returns its error test as 'unsigned'; a library merely named like it is another.
        [Fact]
        public Task CompressionErrorTestReturnsUnsigned() => Check(@"
static class Compressor
{
    [DllImport(""libzstd"", CallingConvention = CallingConvention.Cdecl)]
    internal static extern bool ZSTD_isError(UIntPtr code);

    [DllImport(""zstd.dll"")]
    internal static extern bool ZDICT_isError(UIntPtr code);

    [DllImport(""libzstdx"")]
    internal static extern {|#0:bool|} zstdx_ready(IntPtr context);
}",
            Verify.Diagnostic("IG4003").WithLocation(0).WithMessage("The return value of 'Compressor.zstdx_ready' is a bool without [MarshalAs]: it is marshalled as the 4-byte Win32 BOOL, but a C bool is 1 byte; state the native type with [MarshalAs(UnmanagedType.U1)] for a C bool or [MarshalAs(UnmanagedType.Bool)] for a Win32 BOOL"));

        // An image library whose header declares its own 4-byte BOOL for every truth value; a library whose name only
        // begins like it declares its own types.
        [Fact]
        public Task ImageLibraryReturnsItsOwnFourByteBool() => Check(@"
static class Pictures
{
    [DllImport(""FreeImage"", EntryPoint = ""FreeImage_HasPixels"")]
    internal static extern bool HasPixels(IntPtr bitmap);

    [DllImport(""libfreeimage.so.3"")]
    internal static extern bool FreeImage_IsTransparent(IntPtr bitmap);

    [DllImport(""FreeImagePlusPlus"")]
    internal static extern {|#0:bool|} fipImage_isValid(IntPtr image);
}",
            Verify.Diagnostic("IG4003").WithLocation(0).WithMessage("The return value of 'Pictures.fipImage_isValid' is a bool without [MarshalAs]: it is marshalled as the 4-byte Win32 BOOL, but a C bool is 1 byte; state the native type with [MarshalAs(UnmanagedType.U1)] for a C bool or [MarshalAs(UnmanagedType.Bool)] for a Win32 BOOL"));

        // C23's bit utilities in the C library do return a C bool; macOS's libSystem re-exports libxpc, whose getters
        // return one; a library whose name merely starts like the C runtime's is another library.
        [Fact]
        public Task CRuntimeLookAlikesAreReported() => Check(@"
static class Posix
{
    [DllImport(""libc.so.6"")]
    internal static extern {|#0:bool|} stdc_has_single_bit_ui(uint value);

    [DllImport(""/usr/lib/libSystem.dylib"")]
    internal static extern {|#1:bool|} xpc_dictionary_get_bool(IntPtr dictionary, string key);

    [DllImport(""libcdio"")]
    internal static extern {|#2:bool|} cdio_is_device(string source, int driver);

    [DllImport(""libmp3lamex"")]
    internal static extern {|#3:bool|} lamex_is_ready(IntPtr flags);
}",
            Verify.Diagnostic("IG4003").WithLocation(0),
            Verify.Diagnostic("IG4003").WithLocation(1),
            Verify.Diagnostic("IG4003").WithLocation(2),
            Verify.Diagnostic("IG4003").WithLocation(3));

        [Fact]
        public Task DisabledRuntimeMarshallingPassesBoolAsOneByte() => Check(@"
[assembly: System.Runtime.CompilerServices.DisableRuntimeMarshalling]
static class Native
{
    [DllImport(""igsample"")]
    internal static extern bool igs_is_ready(int id);
}");

        [Fact]
        public Task IncompleteDeclarationDoesNotThrow() => new AnalyzerTest<BoolMarshallingAnalyzer>
        {
            Source = Usings + @"
static class Native
{
    [DllImport(""igsample"")]
    internal static extern {|#0:bool|} igs_is_ready(bool
}",
            AllowCompilerErrors = true,
            ExpectedDiagnostics = { Verify.Diagnostic("IG4003").WithLocation(0).WithMessage("The return value of 'Native.igs_is_ready' is a bool without [MarshalAs]: it is marshalled as the 4-byte Win32 BOOL, but a C bool is 1 byte; state the native type with [MarshalAs(UnmanagedType.U1)] for a C bool or [MarshalAs(UnmanagedType.Bool)] for a Win32 BOOL") },
        }.RunAsync();

        [Fact]
        public Task FixMarshalsAsOneByteCBoolFirst() => new CodeFixTest<BoolMarshallingAnalyzer, BoolMarshallingCodeFix>
        {
            Source = @"using System;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""igsample"")]
    internal static extern [|bool|] igs_is_ready(int id);

    [DllImport(""igsample"")] internal static extern [|bool|] igs_toggle([In] bool on, ref bool previous);
}",
            FixedSource = @"using System;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""igsample"")]
    [return: MarshalAs(UnmanagedType.U1)]
    internal static extern bool igs_is_ready(int id);

    [DllImport(""igsample"")][return: MarshalAs(UnmanagedType.U1)] internal static extern bool igs_toggle([In] bool on, ref bool previous);
}",
        }.RunAsync();

        [Fact]
        public Task SecondActionMarshalsAsWin32Bool() => new CodeFixTest<BoolMarshallingAnalyzer, BoolMarshallingCodeFix>
        {
            CodeActionEquivalenceKey = BoolMarshallingCodeFix.Win32BoolKey,
            Source = @"using System.Runtime.InteropServices;

static class Native
{
    /// <summary>Returns a BOOL.</summary>
    [DllImport(""legacy"")]
    internal static extern [|bool|] legacy_ok(bool strict);
}",
            FixedSource = @"using System.Runtime.InteropServices;

static class Native
{
    /// <summary>Returns a BOOL.</summary>
    [DllImport(""legacy"")]
    [return: MarshalAs(UnmanagedType.Bool)]
    internal static extern bool legacy_ok(bool strict);
}",
        }.RunAsync();

        [Fact]
        public Task FixAddsTheImportWhenMissing() => new CodeFixTest<BoolMarshallingAnalyzer, BoolMarshallingCodeFix>
        {
            Source = @"static class Native
{
    [System.Runtime.InteropServices.DllImport(""igsample"")]
    internal static extern [|bool|] igs_is_ready(int id);
}",
            FixedSource = @"using System.Runtime.InteropServices;

static class Native
{
    [System.Runtime.InteropServices.DllImport(""igsample"")]
    [return: MarshalAs(UnmanagedType.U1)]
    internal static extern bool igs_is_ready(int id);
}",
        }.RunAsync();
    }
}
