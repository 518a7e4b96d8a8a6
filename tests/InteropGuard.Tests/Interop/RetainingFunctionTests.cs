using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Interop
{
    /// <summary>Which native functions keep what they are given after they return.</summary>
    public class RetainingFunctionTests
    {
        [Theory]
        [InlineData("git_remote_set_cred_acquire_cb", true)]
        [InlineData("SetConsoleCtrlHandler", true)]
        [InlineData("sqlite3_commit_hook", true)]
        [InlineData("RegisterWaitForSingleObject", true)]
        [InlineData("mylib_add_event_listener", true)]
        [InlineData("uv_read_start_async", true)]
        [InlineData("BeginRead", true)]
        [InlineData("io_uring_submit", true)]
        [InlineData("work_queue_enqueue", true)]
        [InlineData("qsort", false)]
        [InlineData("sqlite3_exec", false)]
        [InlineData("UnregisterWait", false)]
        [InlineData("set_name", false)]
        [InlineData("unhook_all", false)]
        [InlineData("memset", false)]
        [InlineData("libvlc_video_set_callbacks", true)]
        [InlineData("mylib_set_log_listener", true)]
        [InlineData("SetWindowProc", true)]
        [InlineData("CallNextHookEx", false)]
        [InlineData("UnhookWindowsHookEx", false)]
        [InlineData("RemoveVectoredExceptionHandler", false)]
        [InlineData("get_log_callback", false)]
        [InlineData("git_stash_foreach", false)]
        [InlineData("run_with_callback", false)]
        [InlineData("mylib_register_with_loop", true)]
        public void RegistrationStyleNames(string entryPoint, bool retaining)
            => Assert.Equal(retaining, RetainingFunctions.HasRegistrationName(entryPoint));

        private const string Source = @"
using System;
using System.Runtime.InteropServices;
using System.Threading;
public static unsafe class Api
{
    [DllImport(""mylib"")] public static extern void set_progress_cb(IntPtr cb);
    [DllImport(""mylib"")] public static extern void store_buffer(IntPtr buffer);
    [DllImport(""kernel32"")] public static extern bool ReadFile(IntPtr file, byte* buffer, int count, int* read, NativeOverlapped* overlapped);
    [DllImport(""kernel32"")] public static extern bool GetOverlappedResult(IntPtr file, NativeOverlapped* overlapped, out int transferred, bool wait);
    [DllImport(""kernel32"")] public static extern bool CancelIoEx(IntPtr file, NativeOverlapped* overlapped);
}";

        private static bool IsRetaining(string method, string? editorConfig)
        {
            var test = new InteropTestCompilation(Source);
            var provider = new SingleOptions(editorConfig);
            var context = InteropContext.Create(test.Compilation, new AnalyzerOptions(System.Collections.Immutable.ImmutableArray<AdditionalText>.Empty, provider));
            var scope = context.ForTree(test.Compilation.SyntaxTrees.Single());
            return scope.IsRetaining(context.NativeFunctions.Get(test.Method("Api", method))!);
        }

        private const string RegistrationShapes = @"
using System;
using System.Runtime.InteropServices;
public delegate void Notify(int code);
public static class Shapes
{
    [DllImport(""mylib"")] public static extern void mylib_SetProgressCB(int every);
    [DllImport(""mylib"")] public static extern void WORKQ_ENQUEUE_JOB(int job);
    [DllImport(""mylib"")] public static extern void mylib_log_set(IntPtr logProc, IntPtr userData);
    [DllImport(""mylib"")] public static extern void ev_watch_attach(Notify notify);
    [DllImport(""mylib"")] public static extern void core_Mat_new(IntPtr data);
    [DllImport(""mylib"")] public static extern void imgproc_threshold(IntPtr src, IntPtr dst);
    [DllImport(""mylib"")] public static extern IntPtr new_mylib_loader(Notify load, Notify free);
    [DllImport(""mylib"")] public static extern Microsoft.Win32.SafeHandles.SafeFileHandle mylib_CreateWatcher(Notify changed);
    [DllImport(""mylib"")] public static extern IntPtr mylib_surface_create_from_stream(Notify read, IntPtr closure);
    [DllImport(""mylib"")] public static extern void mylib_new_event(Notify notify);
    [DllImport(""mylib"")] public static extern IntPtr mylib_create_sorted(Notify compare);
}";

        /// <summary>
        /// The character test in front of the registration reading lets through every name and signature the words accept:
        /// upper-case words beside 'set', a callback only a parameter's name shows, a delegate parameter beside a verb that
        /// counts only with a callback. Each of the first four fails when its part of the test is left out. The last five are
        /// the object-making reading: a constructor-like function keeps the callbacks it is given (a sorted container its
        /// comparator) unless it makes the object from a source it reads now or returns no object.
        /// </summary>
        [Theory]
        [InlineData("mylib_SetProgressCB", true)]
        [InlineData("WORKQ_ENQUEUE_JOB", true)]
        [InlineData("mylib_log_set", true)]
        [InlineData("ev_watch_attach", true)]
        [InlineData("core_Mat_new", false)]
        [InlineData("imgproc_threshold", false)]
        [InlineData("new_mylib_loader", true)]
        [InlineData("mylib_CreateWatcher", true)]
        [InlineData("mylib_surface_create_from_stream", false)]
        [InlineData("mylib_new_event", false)]
        [InlineData("mylib_create_sorted", true)]
        public void RegistrationReadingAcceptsEveryCaseAndSignature(string method, bool registration)
        {
            var test = new InteropTestCompilation(RegistrationShapes);
            var function = test.Context.NativeFunctions.Get(test.Method("Shapes", method))!;
            Assert.Equal(registration, RetainingFunctions.ReadsAsRegistration(function));
        }

        [Fact]
        public void NamesOptionsAndOverlappedDecide()
        {
            Assert.True(IsRetaining("set_progress_cb", null));
            Assert.False(IsRetaining("set_progress_cb", "interopguard.non_retaining_functions = set_progress_cb"));
            Assert.False(IsRetaining("store_buffer", null));
            Assert.True(IsRetaining("store_buffer", "interopguard.retaining_functions = Api.store_buffer"));
            Assert.True(IsRetaining("ReadFile", null));

            // The user's word beats the OVERLAPPED heuristic too: a handle opened without FILE_FLAG_OVERLAPPED reads synchronously.
            Assert.False(IsRetaining("ReadFile", "interopguard.non_retaining_functions = ReadFile"));
        }

        [Fact]
        public void FunctionsThatWaitForOrCancelAnOperationKeepNothing()
        {
            Assert.False(IsRetaining("GetOverlappedResult", null));
            Assert.False(IsRetaining("CancelIoEx", null));
            Assert.True(IsRetaining("GetOverlappedResult", "interopguard.retaining_functions = GetOverlappedResult"));
        }

        private const string Catalogue = @"
using System;
using System.Runtime.InteropServices;
public delegate int Callback(IntPtr data);
public delegate void LogCallback(IntPtr data, int level, IntPtr message);
public static unsafe class Api
{
    [DllImport(""e_sqlite3"")] public static extern int sqlite3_create_function_v2(IntPtr db, byte[] name, int nArg, int rep, IntPtr app, Callback func, Callback step, Callback final, Callback destroy);
    [DllImport(""mysqlite"")] public static extern int sqlite3_busy_handler(IntPtr db, Callback handler, IntPtr arg);
    [DllImport(""e_sqlite3"")] public static extern int sqlite3_exec(IntPtr db, byte[] sql, Callback callback, IntPtr arg, out IntPtr error);
    [DllImport(""user32.dll"", EntryPoint = ""SetWindowsHookExW"")] public static extern IntPtr SetHook(int id, Callback proc, IntPtr module, int thread);
    [DllImport(""user32"")] public static extern UIntPtr SetTimer(IntPtr window, UIntPtr id, uint elapse, Callback timerProc);
    [DllImport(""mylib"")] public static extern UIntPtr SetTimer(int id, Callback proc, int elapse, int repeat, int flags);
    [DllImport(""user32"")] public static extern bool EnumWindows(Callback enumProc, IntPtr lParam);
    [DllImport(""user32"")] public static extern int RegisterWindowMessageW(string name);
    [DllImport(""libc.so.6"")] public static extern void qsort(IntPtr items, UIntPtr count, UIntPtr size, Callback compare);
    [DllImport(""libc"")] public static extern int setvbuf(IntPtr stream, byte[] buffer, int mode, UIntPtr size);
    [DllImport(""libc"")] public static extern int pthread_create(out IntPtr thread, IntPtr attr, Callback start, IntPtr arg);
    [DllImport(""git2-3f4182d"")] public static extern int git_transport_register(byte[] prefix, Callback cb, IntPtr param);
    [DllImport(""git2-3f4182d"")] public static extern int git_tag_foreach(IntPtr repo, Callback cb, IntPtr payload);
    [DllImport(""libvlc.so.5"")] public static extern int libvlc_event_attach(IntPtr manager, int type, Callback callback, IntPtr userData);
    [DllImport(""libglfw.so.3"")] public static extern IntPtr glfwSetKeyCallback(IntPtr window, Callback callback);
    [DllImport(""llama"", EntryPoint = ""llama_log_set"")] public static extern void native_llama_log_set(Callback logCallback);
    [DllImport(""freetype6.dll"")] public static extern int FT_New_Memory_Face(IntPtr library, IntPtr file_base, int file_size, int face_index, out IntPtr aface);
    [DllImport(""librocksdb.so.9"")] public static extern IntPtr rocksdb_comparator_create(IntPtr state, Callback destructor, Callback compare, Callback name);
    [DllImport(""OpenCL"")] public static extern int clEnqueueWriteBuffer(IntPtr queue, IntPtr buffer, bool blocking, UIntPtr offset, UIntPtr size, IntPtr ptr, uint count, IntPtr[] waitList, out IntPtr done);
    [DllImport(""OpenCL"")] public static extern int clEnqueueFillBuffer(IntPtr queue, IntPtr buffer, IntPtr pattern, UIntPtr patternSize, UIntPtr offset, UIntPtr size, uint count, IntPtr[] waitList, out IntPtr done);
    [DllImport(""OpenCL"")] public static extern int clSetEventCallback(IntPtr done, int type, Callback notify, IntPtr userData);
    [DllImport(""LibTorchSharp"")] public static extern IntPtr THSTensor_new(IntPtr data, long[] sizes, int count, sbyte type, bool requiresGrad);
    [DllImport(""LibTorchSharp"")] public static extern IntPtr THSTensor_newInt64(IntPtr data, Callback deleter, IntPtr sizes, int count, int device, int index, bool requiresGrad);
    [DllImport(""libvips-42.dll"", EntryPoint = ""vips_value_set_blob"")] public static extern void SetBlob(IntPtr value, Callback freeFn, IntPtr data, ulong length);
    [DllImport(""libvips.so.42"", EntryPoint = ""vips_value_set_blob_free"")] public static extern void SetBlobFree(IntPtr value, IntPtr data, ulong length);
    [DllImport(""libuv"")] public static extern int uv_write(IntPtr req, IntPtr stream, IntPtr bufs, uint count, Callback cb);
    [DllImport(""libssl.so.3"")] public static extern void SSL_CTX_set_verify(IntPtr ctx, int mode, Callback verify);
    [DllImport(""libcrypto-3-x64"")] public static extern IntPtr BIO_new_mem_buf(byte[] buffer, int length);
    [DllImport(""libusb-1.0"")] public static extern int libusb_submit_transfer(IntPtr transfer);
    [DllImport(""/System/Library/Frameworks/IOKit.framework/IOKit"")] public static extern void IOHIDDeviceRegisterInputReportCallback(IntPtr device, byte[] report, IntPtr length, Callback callback, IntPtr context);
    [DllImport(""mylib"")] public static extern void mylib_log_set(IntPtr instance, LogCallback cb, IntPtr data);
    [DllImport(""mylib"")] public static extern void mylib_log_set_level(IntPtr instance, int level);
    [DllImport(""mylib"")] public static extern int mylib_busy_handler(IntPtr db, Callback handler, void* arg);
    [DllImport(""mylib"")] public static extern int mylib_event_attach(IntPtr source, Callback handler);
    [DllImport(""mylib"")] public static extern int mylib_attach_thread(IntPtr thread);
    [DllImport(""mylib"")] public static extern int mylib_run_handler(IntPtr db, Callback handler, IntPtr arg);
    [DllImport(""mylib"")] public static extern int mylib_for_each_row(IntPtr db, Callback handler, IntPtr arg);
    [DllImport(""mylib"")] public static extern int mylib_connect_signal(IntPtr source, IntPtr callbackFn, IntPtr data);
    [DllImport(""mylib"")] public static extern int mylib_connect(IntPtr source, IntPtr address, IntPtr data);
    [DllImport(""mylib"")] public static extern int mylib_sort(IntPtr items, Callback compare, IntPtr context);
    [DllImport(""mylib"")] public static extern int mylib_register_name(IntPtr session, byte[] name, Callback cb);
}";

        /// <summary>The parameters (by name) the function keeps, or "-" when it keeps none.</summary>
        private static string Kept(string method, string? editorConfig = null, int arity = -1)
        {
            var test = new InteropTestCompilation(Catalogue);
            var context = InteropContext.Create(test.Compilation, new AnalyzerOptions(System.Collections.Immutable.ImmutableArray<AdditionalText>.Empty, new SingleOptions(editorConfig)));
            var scope = context.ForTree(test.Compilation.SyntaxTrees.Single());
            var symbol = test.Compilation.GetTypeByMetadataName("Api")!.GetMembers(method).OfType<IMethodSymbol>().Single(m => arity < 0 || m.Parameters.Length == arity);
            var function = context.NativeFunctions.Get(symbol)!;
            var kept = symbol.Parameters.Where(p => scope.Keeps(function, p)).Select(p => p.Name + ":" + scope.WhyKept(function, p)).ToList();
            return kept.Count == 0 ? "-" : string.Join(" ", kept);
        }

        [Theory]
        [InlineData("sqlite3_create_function_v2", "app:Catalogue func:Catalogue step:Catalogue final:Catalogue destroy:Catalogue")]
        [InlineData("sqlite3_busy_handler", "handler:Catalogue arg:Catalogue")]
        [InlineData("SetHook", "proc:Catalogue")]
        [InlineData("setvbuf", "buffer:Catalogue")]
        [InlineData("pthread_create", "start:Catalogue arg:Catalogue")]
        [InlineData("git_transport_register", "cb:Catalogue param:Catalogue")]
        [InlineData("libvlc_event_attach", "callback:Catalogue userData:Catalogue")]
        [InlineData("glfwSetKeyCallback", "callback:Catalogue")]
        [InlineData("native_llama_log_set", "logCallback:Catalogue")]
        [InlineData("rocksdb_comparator_create", "state:Catalogue destructor:Catalogue compare:Catalogue name:Catalogue")]
        [InlineData("clEnqueueWriteBuffer", "ptr:Catalogue")]
        [InlineData("clSetEventCallback", "notify:Catalogue userData:Catalogue")]
        [InlineData("THSTensor_new", "data:Catalogue")]
        [InlineData("FT_New_Memory_Face", "file_base:Catalogue")]
        [InlineData("THSTensor_newInt64", "data:Catalogue")]
        [InlineData("uv_write", "req:Catalogue stream:Catalogue cb:Catalogue")]
        [InlineData("SetBlob", "freeFn:Catalogue data:Catalogue")]
        [InlineData("SetBlobFree", "data:Catalogue")]
        [InlineData("SSL_CTX_set_verify", "verify:Catalogue")]
        [InlineData("BIO_new_mem_buf", "buffer:Catalogue")]
        [InlineData("libusb_submit_transfer", "transfer:Catalogue")]
        [InlineData("IOHIDDeviceRegisterInputReportCallback", "report:Catalogue callback:Catalogue context:Catalogue")]
        public void CatalogueKeepsTheDocumentedParameters(string method, string kept) => Assert.Equal(kept, Kept(method));

        [Theory]
        [InlineData("sqlite3_exec")]
        [InlineData("EnumWindows")]
        [InlineData("qsort")]
        [InlineData("git_tag_foreach")]
        [InlineData("RegisterWindowMessageW")]
        [InlineData("clEnqueueFillBuffer")]
        public void CatalogueKnowsFunctionsThatCallBackOnlyDuringTheCall(string method) => Assert.Equal("-", Kept(method));

        [Fact]
        public void CatalogueEntriesNeedTheirLibrary()
        {
            // SetTimer of user32 keeps its timer procedure; a SetTimer of another library is left to the name reading,
            // which does not take 'set timer' with a callback and no user data for a registration.
            Assert.Equal("timerProc:Catalogue", Kept("SetTimer", arity: 4));
            Assert.Equal("-", Kept("SetTimer", arity: 5));
        }

        [Fact]
        public void CatalogueDataIsWellFormed()
        {
            foreach (var entry in RetainingCatalogue.Entries)
            {
                Assert.All(entry.Kept, k => Assert.InRange(k, 0, 12));
                Assert.Equal(entry.Kept.Distinct().Count(), entry.Kept.Length);
            }

            Assert.True(RetainingCatalogue.Entries.Count() > 250);
        }

        [Theory]
        [InlineData("mylib_log_set", "instance:Name cb:Name data:Name")]
        [InlineData("mylib_busy_handler", "db:Name handler:Name arg:Name")]
        [InlineData("mylib_event_attach", "source:Name handler:Name")]
        [InlineData("mylib_connect_signal", "source:Name callbackFn:Name data:Name")]
        [InlineData("mylib_register_name", "session:Name name:Name cb:Name")]
        [InlineData("mylib_log_set_level", "-")]
        [InlineData("mylib_attach_thread", "-")]
        [InlineData("mylib_run_handler", "-")]
        [InlineData("mylib_for_each_row", "-")]
        [InlineData("mylib_connect", "-")]
        [InlineData("mylib_sort", "-")]
        public void NamesAndSignaturesReadAsRegistrations(string method, string kept) => Assert.Equal(kept, Kept(method));

        [Fact]
        public void OptionsNameTheKeptParameters()
        {
            // Listing a function with a parameter keeps only that one, above the catalogue and the name reading.
            Assert.Equal("cb:Option", Kept("mylib_register_name", "interopguard.retaining_functions = mylib_register_name(3)"));
            Assert.Equal("cb:Option", Kept("mylib_register_name", "interopguard.retaining_functions = Api.mylib_register_name:cb"));
            Assert.Equal("name:Option cb:Option", Kept("mylib_register_name", "interopguard.retaining_functions = mylib_register_name(2,3)"));
            Assert.Equal("session:Option name:Option cb:Option", Kept("mylib_register_name", "interopguard.retaining_functions = mylib_register_name"));
            Assert.Equal("func:Option", Kept("sqlite3_create_function_v2", "interopguard.retaining_functions = sqlite3_create_function_v2(6)"));

            // non_retaining with a parameter takes that one out and leaves the other readings to the rest.
            Assert.Equal("session:Name cb:Name", Kept("mylib_register_name", "interopguard.non_retaining_functions = mylib_register_name:name"));
            Assert.Equal("app:Catalogue step:Catalogue final:Catalogue destroy:Catalogue", Kept("sqlite3_create_function_v2", "interopguard.non_retaining_functions = sqlite3_create_function_v2(6)"));
            Assert.Equal("-", Kept("sqlite3_create_function_v2", "interopguard.non_retaining_functions = sqlite3_create_function_v2"));

            // A parameter the function does not have keeps nothing.
            Assert.Equal("-", Kept("mylib_register_name", "interopguard.retaining_functions = mylib_register_name(9)"));
        }

        private sealed class SingleOptions : AnalyzerConfigOptionsProvider
        {
            private readonly Options _options;

            public SingleOptions(string? line)
            {
                _options = new Options(line);
            }

            public override AnalyzerConfigOptions GlobalOptions => _options;
            public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => _options;
            public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => _options;

            private sealed class Options : AnalyzerConfigOptions
            {
                private readonly string? _key;
                private readonly string? _value;

                public Options(string? line)
                {
                    if (line != null)
                    {
                        _key = line.Substring(0, line.IndexOf('=')).Trim();
                        _value = line.Substring(line.IndexOf('=') + 1).Trim();
                    }
                }

                public override bool TryGetValue(string key, out string value)
                {
                    value = _value ?? string.Empty;
                    return key == _key;
                }
            }
        }
    }
}
