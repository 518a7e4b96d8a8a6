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
