using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;

namespace InteropGuard.Interop
{
    /// <summary>One well-known native function: which of its parameters the library keeps after the call returns.</summary>
    internal sealed class CatalogueEntry
    {
        public CatalogueEntry(RetainingFamily family, string entryPoint, ImmutableArray<int> kept, ImmutableArray<int> ignored)
        {
            Family = family;
            EntryPoint = entryPoint;
            Kept = kept;
            Ignored = ignored;
        }

        public RetainingFamily Family { get; }
        public string EntryPoint { get; }

        /// <summary>0-based positions of the kept parameters, as in the C declaration; empty for a function that keeps nothing.</summary>
        public ImmutableArray<int> Kept { get; }

        public bool Keeps(int ordinal) => Kept.Contains(ordinal);

        /// <summary>
        /// 0-based positions of the parameters the library documents as ignored: whatever is passed there, native code does
        /// not use it, so a handle passed there is not used by the call.
        /// </summary>
        public ImmutableArray<int> Ignored { get; }

        public bool Ignores(int ordinal) => Ignored.Contains(ordinal);
    }

    /// <summary>A library the catalogue knows: how its module is named in DllImport/LibraryImport and how its entry points start.</summary>
    internal sealed class RetainingFamily
    {
        public RetainingFamily(string name, ImmutableArray<string> libraries, ImmutableArray<string> entryPrefixes, bool charSetSuffixes)
        {
            Name = name;
            Libraries = libraries;
            EntryPrefixes = entryPrefixes;
            CharSetSuffixes = charSetSuffixes;
        }

        /// <summary>The name messages use ("SQLite", "Win32").</summary>
        public string Name { get; }

        /// <summary>Normalised module names (<see cref="NativeFunction.NormalizedLibrary"/>, without a leading "lib": OpenSSL's old
        /// Windows <c>libeay32</c> is <c>eay32</c>); a name followed by '-', '_' or '.' counts too (git2-3f4182d, ssl-3-x64).</summary>
        public ImmutableArray<string> Libraries { get; }

        /// <summary>Entry-point prefixes distinctive enough to name the family without its module (sqlite3_, libvlc_), for bindings that load a renamed build.</summary>
        public ImmutableArray<string> EntryPrefixes { get; }

        /// <summary>Win32: an entry point may carry the A/W suffix of its character set.</summary>
        public bool CharSetSuffixes { get; }

        public bool Matches(NativeFunction function)
        {
            foreach (var prefix in EntryPrefixes)
            {
                if (function.EntryPoint.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            var library = function.NormalizedLibrary;
            foreach (var known in Libraries)
            {
                if (NativeFunction.IsBuildOf(library, known))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// Well-known native functions, keyed by library and entry point, with the parameters each keeps after it returns —
    /// compiled from the libraries' documentation — and the well-known functions that call back only during the call
    /// (<c>EnumWindows</c>, <c>qsort</c>, <c>sqlite3_exec</c>), which keep nothing whatever their names suggest. Ranked
    /// below the options and above every heuristic (DESIGN.md, Rule catalogue).
    /// </summary>
    /// <remarks>
    /// Data, not code: a line is <c>family entry-point kept</c>, where kept lists the 0-based positions of the kept
    /// parameters in the C declaration (a P/Invoke declares them in the same order) or is <c>-</c> for a function that keeps
    /// nothing. A parameter is listed when the library keeps the pointer or callback itself: the callbacks and their user
    /// data of a registration, a buffer an asynchronous operation fills, a request or handle struct the library links into
    /// its own lists. Names and descriptors the library copies are not listed (sqlite3_create_function's name, uv_write's
    /// uv_buf_t array). Functions whose retention depends on an argument's value (sqlite3_bind_blob with SQLITE_STATIC,
    /// SetWindowLongPtr with an index other than GWLP_WNDPROC/GWLP_USERDATA) are listed only where keeping is the documented purpose.
    /// LibTorchSharp has no documentation of its exports: its tensor constructors wrap their data pointer with
    /// <c>torch::from_blob</c>, which does not copy (read in its native source, THSTensor.cpp and later
    /// THSTensorFactories.cpp). Only the data pointer is listed: it is the first parameter in every version, while the
    /// parameters after it moved (a deleter was inserted at position 1, and the sizes are copied).
    /// libvips's <c>vips_value_set_blob</c> keeps the block in the value and frees it with the given function when the
    /// value is freed; <c>vips_value_set_blob_free</c> does the same with <c>g_free</c> (its reference documentation).
    /// FreeType's <c>FT_New_Memory_Face</c> reads the font from the caller's buffer for the face's whole life: "you must
    /// not deallocate the memory before calling FT_Done_Face" (its reference documentation).
    /// PDFium's <c>FPDF_LoadMemDocument</c> and <c>FPDF_LoadMemDocument64</c> read the document from the caller's buffer
    /// while it is open: "The memory buffer must remain valid when the document is open" (fpdfview.h).
    /// CSFML's <c>sfFont_createFromMemory</c> and <c>sfMusic_createFromMemory</c> keep reading the caller's buffer for the
    /// object's life: SFML loads a font's glyphs and streams a music's samples on demand, and documents that the buffer
    /// "has to remain valid" (<c>Font::loadFromMemory</c>) or "must remain accessible" (<c>Music::openFromMemory</c>) until
    /// the object loads another or is destroyed. Its other <c>…_createFromMemory</c> functions (textures, images, sound
    /// buffers, shaders) decode or copy during the call, and are not listed.
    /// RocksDB's <c>rocksdb_comparator_create(state, destructor, compare, name)</c> returns a comparator object that keeps
    /// the state and the three function pointers and calls them until <c>rocksdb_comparator_destroy</c> (c.cc stores each
    /// in the new object).
    /// OpenSSL's <c>ERR_print_errors_cb(cb, u)</c> calls <c>cb</c> once for each error line of the thread's queue and returns
    /// ("the callback function, cb, is called for each error line with the string, length, and userdata u"), and
    /// <c>OBJ_NAME_do_all</c>/<c>OBJ_NAME_do_all_sorted</c> call <c>fn</c> for each name of a type before they return (their
    /// manual pages): a <c>_cb</c> name, but nothing is kept.
    /// Win32's <c>TreeSetNamedSecurityInfo</c> and <c>TreeResetNamedSecurityInfo</c> call their <c>FN_PROGRESS</c> function
    /// for the objects of the tree while they walk it, and return when the walk is done (aclapi.h, <c>PROG_INVOKE_SETTING</c>):
    /// a progress callback during the call, like <c>CopyFileEx</c>'s.
    /// OpenCL's enqueue functions keep only the host pointer of a read or write that need not block (the buffer is
    /// read or filled when the command runs); the origin, offset and region arrays, the event wait list ("can be reused
    /// or freed after the function returns") and <c>clEnqueueFillBuffer</c>'s pattern (the same words) are read during
    /// the call. The other enqueue functions take only handles, sizes, those arrays and a memory-object list the command
    /// retains object by object (<c>clEnqueueMigrateMemObjects</c>, the GL acquire/release), and the mapped pointer of an
    /// unmap is the library's own: they keep nothing of the caller's (found as 8 false IG2003 on NOpenCL, whose wait lists
    /// an "Enqueue" name made look kept). Its notification callbacks and their user data are kept until called (the specification's entries).
    /// Win32's <c>SetClipboardData</c> keeps the global memory block it is given when it succeeds ("If SetClipboardData
    /// succeeds, the system owns the object identified by the hMem parameter"); it returns NULL when it fails, and the
    /// block is then still the caller's (the IG3001 reading of a kept-on-success handle result, <c>Flow/NativeHandleResults</c>).
    /// A line may end with <c>ignores</c> and the positions of parameters the documentation says the function ignores:
    /// Win32's <c>CallNextHookEx</c> takes the hook handle first, and winuser.h documents it "This parameter is ignored"
    /// (the next hook is found from the calling thread's chain), so a hook handle its owner may release meanwhile is
    /// not used by the call.
    /// </remarks>
    internal static class RetainingCatalogue
    {
        private static readonly RetainingFamily[] Families =
        {
            Family("Win32", "kernel32 user32 comctl32 advapi32 winmm winhttp wininet gdi32 cfgmgr32 kernelbase", "", charSetSuffixes: true),
            Family("C runtime", "c msvcrt ucrtbase system system.b pthread", ""),
            Family("SQLite", "sqlite3 e_sqlite3 e_sqlcipher sqlcipher winsqlite3 sqlite3mc", "sqlite3_"),
            Family("libgit2", "git2", "git_"),
            Family("libvlc", "vlc", "libvlc_"),
            Family("GLFW", "glfw glfw3", "glfw"),
            Family("libuv", "uv", "uv_"),
            Family("OpenSSL", "ssl crypto ssleay32 eay32", "SSL_CTX_ SSL_set_"),
            Family("libusb", "usb-1.0 usb", "libusb_"),
            Family("IOKit", "iokit", "IOHID"),
            Family("GLib", "glib-2.0 gobject-2.0 glib gobject", "g_value_ g_object_"),
            Family("libvips", "vips vips-42", "vips_value_"),
            Family("llama.cpp", "llama ggml ggml-base", "llama_ ggml_"),
            Family("LibTorchSharp", "torchsharp", "THSTensor_"),
            Family("FreeType", "freetype freetype6", "FT_"),
            Family("RocksDB", "rocksdb", "rocksdb_"),
            Family("OpenCL", "opencl", ""),
            Family("PDFium", "pdfium", "FPDF_"),
            Family("CSFML", "csfml-graphics csfml-audio csfml-graphics-2 csfml-audio-2", "sfFont_ sfMusic_"),
        };

        // family    entry point                            kept parameters (0-based) or '-' for "keeps nothing"
        private const string Table = @"
Win32      SetWindowsHookEx                         1
Win32      SetClipboardData                         1
Win32      SetWinEventHook                          3
Win32      SetTimer                                 3
Win32      SetCoalescableTimer                      3
Win32      SetWindowLongPtr                         2
Win32      SetWindowLong                            2
Win32      SetClassLongPtr                          2
Win32      SetWindowSubclass                        1 3
Win32      RegisterClass                            0
Win32      RegisterClassEx                          0
Win32      CreateDialogParam                        3 4
Win32      CreateDialogIndirectParam                3 4
Win32      SendMessageCallback                      4 5
Win32      SetConsoleCtrlHandler                    0
Win32      SetUnhandledExceptionFilter              0
Win32      AddVectoredExceptionHandler              1
Win32      AddVectoredContinueHandler               1
Win32      CreateThread                             2 3
Win32      CreateFiber                              1 2
Win32      QueueUserWorkItem                        0 1
Win32      QueueUserAPC                             0 2
Win32      RegisterWaitForSingleObject              2 3
Win32      CreateTimerQueueTimer                    2 3
Win32      BindIoCompletionCallback                 1
Win32      CreateThreadpoolWork                     0 1
Win32      CreateThreadpoolTimer                    0 1
Win32      CreateThreadpoolWait                     0 1
Win32      CreateThreadpoolIo                       1 2
Win32      TrySubmitThreadpoolCallback              0 1
Win32      ReadFileEx                               4
Win32      WriteFileEx                              4
Win32      RegisterServiceCtrlHandler               1
Win32      RegisterServiceCtrlHandlerEx             1 2
Win32      RegisterApplicationRecoveryCallback      0 1
Win32      timeSetEvent                             2 3
Win32      waveOutOpen                              3 4
Win32      waveInOpen                               3 4
Win32      midiInOpen                               2 3
Win32      midiOutOpen                              2 3
Win32      midiStreamOpen                           3 4
Win32      mixerOpen                                2 3
Win32      waveOutPrepareHeader                     1
Win32      waveOutWrite                             1
Win32      waveInPrepareHeader                      1
Win32      waveInAddBuffer                          1
Win32      midiOutPrepareHeader                     1
Win32      midiOutLongMsg                           1
Win32      midiInPrepareHeader                      1
Win32      midiInAddBuffer                          1
Win32      WinHttpSetStatusCallback                 1
Win32      InternetSetStatusCallback                1
Win32      CM_Register_Notification                 1 2
Win32      EnumWindows                              -
Win32      EnumChildWindows                         -
Win32      EnumThreadWindows                        -
Win32      EnumDesktopWindows                       -
Win32      EnumDisplayMonitors                      -
Win32      EnumFontFamiliesEx                       -
Win32      EnumFontFamilies                         -
Win32      EnumFonts                                -
Win32      EnumResourceNames                        -
Win32      EnumResourceTypes                        -
Win32      EnumSystemLocales                        -
Win32      EnumSystemLocalesEx                      -
Win32      EnumPropsEx                              -
Win32      EnumWindowStations                       -
Win32      EnumDesktops                             -
Win32      CallWindowProc                           -
Win32      CallNextHookEx                           - ignores 0
Win32      UnhookWindowsHookEx                      -
Win32      UnhookWinEvent                           -
Win32      DialogBoxParam                           -
Win32      DialogBoxIndirectParam                   -
Win32      CopyFileEx                               -
Win32      MoveFileWithProgress                     -
Win32      TreeSetNamedSecurityInfo                 -
Win32      TreeResetNamedSecurityInfo               -
Win32      StartServiceCtrlDispatcher               -
Win32      RegisterWindowMessage                    -
Win32      RegisterClipboardFormat                  -
Win32      RegisterHotKey                           -
Win32      RegisterRawInputDevices                  -
Win32      RegisterDeviceNotification               -
Win32      RegisterPowerSettingNotification         -
Win32      acmDriverEnum                            -
Win32      acmFormatEnum                            -
Win32      acmFormatTagEnum                         -
C runtime  atexit                                   0
C runtime  at_quick_exit                            0
C runtime  on_exit                                  0 1
C runtime  signal                                   1
C runtime  sigaction                                1
C runtime  pthread_create                           2 3
C runtime  pthread_atfork                           0 1 2
C runtime  pthread_key_create                       1
C runtime  pthread_setspecific                      1
C runtime  setvbuf                                  1
C runtime  setbuf                                   1
C runtime  setbuffer                                1
C runtime  aio_read                                 0
C runtime  aio_write                                0
C runtime  qsort                                    -
C runtime  qsort_r                                  -
C runtime  qsort_s                                  -
C runtime  bsearch                                  -
C runtime  bsearch_s                                -
C runtime  lfind                                    -
C runtime  lsearch                                  -
C runtime  ftw                                      -
C runtime  nftw                                     -
C runtime  scandir                                  -
C runtime  pthread_once                             -
C runtime  dl_iterate_phdr                          -
SQLite     sqlite3_create_function                  4 5 6 7
SQLite     sqlite3_create_function16                4 5 6 7
SQLite     sqlite3_create_function_v2               4 5 6 7 8
SQLite     sqlite3_create_window_function           4 5 6 7 8 9
SQLite     sqlite3_create_collation                 3 4
SQLite     sqlite3_create_collation16               3 4
SQLite     sqlite3_create_collation_v2              3 4 5
SQLite     sqlite3_collation_needed                 1 2
SQLite     sqlite3_collation_needed16               1 2
SQLite     sqlite3_create_module                    2 3
SQLite     sqlite3_create_module_v2                 2 3 4
SQLite     sqlite3_busy_handler                     1 2
SQLite     sqlite3_progress_handler                 2 3
SQLite     sqlite3_commit_hook                      1 2
SQLite     sqlite3_rollback_hook                    1 2
SQLite     sqlite3_update_hook                      1 2
SQLite     sqlite3_preupdate_hook                   1 2
SQLite     sqlite3_wal_hook                         1 2
SQLite     sqlite3_set_authorizer                   1 2
SQLite     sqlite3_trace                            1 2
SQLite     sqlite3_profile                          1 2
SQLite     sqlite3_trace_v2                         2 3
SQLite     sqlite3_unlock_notify                    1 2
SQLite     sqlite3_auto_extension                   0
SQLite     sqlite3_config                           1 2 3
SQLite     sqlite3_set_auxdata                      2 3
SQLite     sqlite3_bind_pointer                     2 3 4
SQLite     sqlite3_result_pointer                   1 2 3
SQLite     sqlite3_rtree_geometry_callback          2 3
SQLite     sqlite3_rtree_query_callback             2 3 4
SQLite     sqlite3_exec                             -
SQLite     sqlite3_log                              -
libgit2    git_transport_register                   1 2
libgit2    git_filter_register                      1
libgit2    git_trace_set                            1
libgit2    git_odb_add_backend                      1
libgit2    git_odb_add_alternate                    1
libgit2    git_refdb_set_backend                    1
libgit2    git_config_add_backend                   1
libgit2    git_remote_connect                       2
libgit2    git_remote_set_callbacks                 1
libgit2    git_stash_foreach                        -
libgit2    git_tag_foreach                          -
libgit2    git_status_foreach                       -
libgit2    git_status_foreach_ext                   -
libgit2    git_diff_foreach                         -
libgit2    git_diff_print                           -
libgit2    git_note_foreach                         -
libgit2    git_reference_foreach                    -
libgit2    git_reference_foreach_name               -
libgit2    git_reference_foreach_glob               -
libgit2    git_odb_foreach                          -
libgit2    git_submodule_foreach                    -
libgit2    git_attr_foreach                         -
libgit2    git_config_foreach                       -
libgit2    git_repository_fetchhead_foreach         -
libgit2    git_repository_mergehead_foreach         -
libgit2    git_blob_filter                          -
libgit2    git_clone                                -
libgit2    git_checkout_tree                        -
libgit2    git_checkout_head                        -
libgit2    git_checkout_index                       -
libgit2    git_remote_fetch                         -
libgit2    git_remote_push                          -
libgit2    git_packbuilder_foreach                  -
libvlc     libvlc_video_set_callbacks               1 2 3 4
libvlc     libvlc_video_set_format_callbacks        1 2
libvlc     libvlc_audio_set_callbacks               1 2 3 4 5 6
libvlc     libvlc_audio_set_volume_callback         1
libvlc     libvlc_audio_set_format_callbacks        1 2
libvlc     libvlc_event_attach                      2 3
libvlc     libvlc_log_set                           1 2
libvlc     libvlc_log_set_file                      1
libvlc     libvlc_media_new_callbacks               1 2 3 4 5
libvlc     libvlc_set_exit_handler                  1 2
libvlc     libvlc_dialog_set_callbacks              1 2
libvlc     libvlc_event_detach                      -
GLFW       glfwSetErrorCallback                     0
GLFW       glfwSetMonitorCallback                   0
GLFW       glfwSetJoystickCallback                  0
GLFW       glfwSetWindowPosCallback                 1
GLFW       glfwSetWindowSizeCallback                1
GLFW       glfwSetWindowCloseCallback               1
GLFW       glfwSetWindowRefreshCallback             1
GLFW       glfwSetWindowFocusCallback               1
GLFW       glfwSetWindowIconifyCallback             1
GLFW       glfwSetWindowMaximizeCallback            1
GLFW       glfwSetFramebufferSizeCallback           1
GLFW       glfwSetWindowContentScaleCallback        1
GLFW       glfwSetKeyCallback                       1
GLFW       glfwSetCharCallback                      1
GLFW       glfwSetCharModsCallback                  1
GLFW       glfwSetMouseButtonCallback               1
GLFW       glfwSetCursorPosCallback                 1
GLFW       glfwSetCursorEnterCallback               1
GLFW       glfwSetScrollCallback                    1
GLFW       glfwSetDropCallback                      1
GLFW       glfwSetWindowUserPointer                 1
GLFW       glfwSetMonitorUserPointer                1
GLFW       glfwSetJoystickUserPointer               1
GLFW       glfwSetClipboardString                   -
GLFW       glfwSetWindowTitle                       -
libuv      uv_read_start                            1 2
libuv      uv_udp_recv_start                        1 2
libuv      uv_timer_start                           1
libuv      uv_idle_start                            1
libuv      uv_prepare_start                         1
libuv      uv_check_start                           1
libuv      uv_signal_start                          1
libuv      uv_signal_start_oneshot                  1
libuv      uv_poll_start                            2
libuv      uv_fs_event_start                        1
libuv      uv_fs_poll_start                         1
libuv      uv_listen                                2
libuv      uv_async_init                            1 2
libuv      uv_timer_init                            1
libuv      uv_idle_init                             1
libuv      uv_prepare_init                          1
libuv      uv_check_init                            1
libuv      uv_signal_init                           1
libuv      uv_poll_init                             1
libuv      uv_tcp_init                              1
libuv      uv_udp_init                              1
libuv      uv_pipe_init                             1
libuv      uv_tty_init                              1
libuv      uv_fs_event_init                         1
libuv      uv_fs_poll_init                          1
libuv      uv_spawn                                 1
libuv      uv_write                                 0 1 4
libuv      uv_write2                                0 1 4 5
libuv      uv_shutdown                              0 2
libuv      uv_close                                 0 1
libuv      uv_tcp_connect                           0 3
libuv      uv_pipe_connect                          0 3
libuv      uv_udp_send                              0 5
libuv      uv_queue_work                            1 2 3
libuv      uv_getaddrinfo                           1 2
libuv      uv_thread_create                         1 2
libuv      uv_handle_set_data                       1
libuv      uv_req_set_data                          1
libuv      uv_loop_set_data                         1
libuv      uv_walk                                  -
libuv      uv_try_write                             -
OpenSSL    SSL_CTX_set_verify                       2
OpenSSL    SSL_set_verify                           2
OpenSSL    SSL_CTX_set_cert_verify_callback         1 2
OpenSSL    SSL_CTX_set_info_callback                1
OpenSSL    SSL_set_info_callback                    1
OpenSSL    SSL_CTX_set_msg_callback                 1
OpenSSL    SSL_set_msg_callback                     1
OpenSSL    SSL_CTX_set_client_cert_cb               1
OpenSSL    SSL_CTX_set_alpn_select_cb               1 2
OpenSSL    SSL_CTX_set_next_proto_select_cb         1 2
OpenSSL    SSL_CTX_set_psk_client_callback          1
OpenSSL    SSL_CTX_set_psk_server_callback          1
OpenSSL    SSL_CTX_callback_ctrl                    2
OpenSSL    SSL_CTX_set_default_passwd_cb            1
OpenSSL    SSL_CTX_set_default_passwd_cb_userdata   1
OpenSSL    SSL_CTX_set_keylog_callback              1
OpenSSL    SSL_CTX_set_cookie_generate_cb           1
OpenSSL    SSL_CTX_set_cookie_verify_cb             1
OpenSSL    SSL_CTX_sess_set_new_cb                  1
OpenSSL    SSL_CTX_sess_set_remove_cb               1
OpenSSL    SSL_CTX_sess_set_get_cb                  1
OpenSSL    SSL_CTX_set_cert_cb                      1 2
OpenSSL    SSL_set_cert_cb                          1 2
OpenSSL    SSL_CTX_set_client_hello_cb              1 2
OpenSSL    SSL_CTX_set_tmp_dh_callback              1
OpenSSL    SSL_CTX_set_ex_data                      2
OpenSSL    SSL_set_ex_data                          2
OpenSSL    BIO_new_mem_buf                          0
OpenSSL    BIO_set_callback                         1
OpenSSL    BIO_set_callback_ex                      1
OpenSSL    BIO_set_data                             1
OpenSSL    CRYPTO_set_mem_functions                 0 1 2
OpenSSL    CRYPTO_set_locking_callback              0
OpenSSL    CRYPTO_set_id_callback                   0
OpenSSL    X509_STORE_set_verify_cb                 1
OpenSSL    ERR_print_errors_cb                      -
OpenSSL    OBJ_NAME_do_all                          -
OpenSSL    OBJ_NAME_do_all_sorted                   -
libusb     libusb_submit_transfer                   0
libusb     libusb_hotplug_register_callback         6 7
libusb     libusb_set_log_cb                        1
libusb     libusb_set_pollfd_notifiers              1 2 3
IOKit      IOHIDManagerRegisterDeviceMatchingCallback 1 2
IOKit      IOHIDManagerRegisterDeviceRemovalCallback  1 2
IOKit      IOHIDManagerRegisterInputReportCallback    1 2
IOKit      IOHIDManagerRegisterInputValueCallback     1 2
IOKit      IOHIDDeviceRegisterInputReportCallback     1 3 4
IOKit      IOHIDDeviceRegisterRemovalCallback         1 2
IOKit      IOHIDDeviceRegisterInputValueCallback      1 2
IOKit      IOServiceAddMatchingNotification           3 4
IOKit      IOServiceAddInterestNotification           3 4
GLib       g_value_set_pointer                        1
GLib       g_value_take_string                        1
GLib       g_value_take_boxed                         1
GLib       g_object_set_data                          2
GLib       g_object_set_data_full                     2 3
GLib       g_hash_table_insert                        1 2
GLib       g_hash_table_replace                       1 2
GLib       g_hash_table_add                           1
GLib       g_list_append                              1
GLib       g_list_prepend                             1
GLib       g_slist_append                             1
GLib       g_slist_prepend                            1
GLib       g_ptr_array_add                            1
GLib       g_queue_push_head                          1
GLib       g_queue_push_tail                          1
FreeType   FT_New_Memory_Face                       1
PDFium     FPDF_LoadMemDocument                     0
PDFium     FPDF_LoadMemDocument64                   0
CSFML      sfFont_createFromMemory                  0
CSFML      sfMusic_createFromMemory                 0
libvips    vips_value_set_blob                      1 2
libvips    vips_value_set_blob_free                 1
llama.cpp  llama_log_set                            0 1
llama.cpp  ggml_log_set                             0 1
LibTorchSharp THSTensor_new                          0
LibTorchSharp THSTensor_newLong                      0
LibTorchSharp THSTensor_newInt64                     0
LibTorchSharp THSTensor_frombuffer                   0
RocksDB    rocksdb_comparator_create                0 1 2 3
OpenCL     clEnqueueReadBuffer                      5
OpenCL     clEnqueueWriteBuffer                     5
OpenCL     clEnqueueReadBufferRect                  10
OpenCL     clEnqueueWriteBufferRect                 10
OpenCL     clEnqueueReadImage                       7
OpenCL     clEnqueueWriteImage                      7
OpenCL     clEnqueueFillBuffer                      -
OpenCL     clEnqueueCopyBuffer                      -
OpenCL     clEnqueueCopyBufferRect                  -
OpenCL     clEnqueueCopyImage                       -
OpenCL     clEnqueueCopyImageToBuffer               -
OpenCL     clEnqueueCopyBufferToImage               -
OpenCL     clEnqueueMapBuffer                       -
OpenCL     clEnqueueMapImage                        -
OpenCL     clEnqueueUnmapMemObject                  -
OpenCL     clEnqueueMigrateMemObjects               -
OpenCL     clEnqueueNDRangeKernel                   -
OpenCL     clEnqueueTask                            -
OpenCL     clEnqueueMarkerWithWaitList              -
OpenCL     clEnqueueBarrierWithWaitList             -
OpenCL     clEnqueueWaitForEvents                   -
OpenCL     clEnqueueAcquireGLObjects                -
OpenCL     clEnqueueReleaseGLObjects                -
OpenCL     clEnqueueNativeKernel                    1
OpenCL     clEnqueueSVMFree                         3 4
OpenCL     clSetEventCallback                       2 3
OpenCL     clSetMemObjectDestructorCallback         1 2
OpenCL     clSetContextDestructorCallback           1 2
OpenCL     clSetProgramReleaseCallback              1 2
OpenCL     clCreateContext                          3 4
OpenCL     clCreateContextFromType                  2 3
OpenCL     clBuildProgram                           4 5
OpenCL     clCompileProgram                         7 8
OpenCL     clLinkProgram                            6 7
";

        private static readonly Dictionary<string, List<CatalogueEntry>> ByEntryPoint = Parse();

        /// <summary>The catalogue's entry for the function, when its library (or its entry point's prefix) and its entry point are known.</summary>
        public static CatalogueEntry? Find(NativeFunction function)
        {
            if (!ByEntryPoint.TryGetValue(function.EntryPoint, out var entries))
            {
                return null;
            }

            foreach (var entry in entries)
            {
                if (entry.Family.Matches(function))
                {
                    return entry;
                }
            }

            return null;
        }

        /// <summary>True when the catalogue knows the function and documents its parameter at <paramref name="ordinal"/> as ignored.</summary>
        public static bool IgnoresParameter(NativeFunction function, int ordinal) => Find(function)?.Ignores(ordinal) == true;

        /// <summary>Every entry, for tests and docs.</summary>
        internal static IEnumerable<CatalogueEntry> Entries => ByEntryPoint.Values.SelectMany(e => e).Distinct();

        private static RetainingFamily Family(string name, string libraries, string prefixes, bool charSetSuffixes = false)
            => new RetainingFamily(name, Words(libraries), Words(prefixes), charSetSuffixes);

        private static ImmutableArray<string> Words(string text)
            => text.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries).ToImmutableArray();

        private static Dictionary<string, List<CatalogueEntry>> Parse()
        {
            var byEntryPoint = new Dictionary<string, List<CatalogueEntry>>(StringComparer.Ordinal);
            foreach (var line in Table.Split('\n'))
            {
                var trimmed = line.Trim();
                if (trimmed.Length == 0)
                {
                    continue;
                }

                // The family name may contain one space ("C runtime"): match the longest family name the line starts with.
                var family = Families.Where(f => trimmed.StartsWith(f.Name + " ", StringComparison.Ordinal)).OrderByDescending(f => f.Name.Length).First();
                var fields = trimmed.Substring(family.Name.Length).Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
                var ignores = Array.IndexOf(fields, "ignores");
                var keptFields = ignores < 0 ? fields.Skip(1) : fields.Skip(1).Take(ignores - 1);
                var kept = fields[1] == "-" ? ImmutableArray<int>.Empty : Positions(keptFields);
                var ignored = ignores < 0 ? ImmutableArray<int>.Empty : Positions(fields.Skip(ignores + 1));
                var entry = new CatalogueEntry(family, fields[0], kept, ignored);
                Add(byEntryPoint, fields[0], entry);
                if (family.CharSetSuffixes)
                {
                    Add(byEntryPoint, fields[0] + "A", entry);
                    Add(byEntryPoint, fields[0] + "W", entry);
                }
            }

            return byEntryPoint;
        }

        private static ImmutableArray<int> Positions(IEnumerable<string> fields)
            => fields.Select(f => int.Parse(f, System.Globalization.CultureInfo.InvariantCulture)).ToImmutableArray();

        private static void Add(Dictionary<string, List<CatalogueEntry>> byEntryPoint, string entryPoint, CatalogueEntry entry)
        {
            if (!byEntryPoint.TryGetValue(entryPoint, out var list))
            {
                byEntryPoint[entryPoint] = list = new List<CatalogueEntry>();
            }

            list.Add(entry);
        }
    }
}
