using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG2003: managed buffers given to native functions that keep the pointer after the call.</summary>
    public class RetainedManagedBufferTests
    {
        private const string Prelude = @"using System;
using System.Text;
using System.Threading;
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
static unsafe class Io
{
    [DllImport(""kernel32"")] public static extern bool ReadFile(IntPtr file, byte[] buffer, int count, IntPtr read, NativeOverlapped* overlapped);
    [DllImport(""kernel32"")] public static extern bool ReadFile(IntPtr file, byte* buffer, int count, IntPtr read, NativeOverlapped* overlapped);
    [DllImport(""kernel32"")] public static extern bool WriteFile(IntPtr file, byte[] buffer, int count, out int written, ref NativeOverlapped overlapped);
    [DllImport(""kernel32"")] public static extern bool WriteFile(IntPtr file, ref byte buffer, int count, out int written, IntPtr overlapped);
}
static unsafe class Win
{
    [DllImport(""kernel32"")] public static extern bool GetOverlappedResult(IntPtr file, NativeOverlapped* overlapped, out int transferred, bool wait);
    [DllImport(""kernel32"")] public static extern int WaitForSingleObject(IntPtr handle, int milliseconds);
    [DllImport(""kernel32"")] public static extern bool CancelIoEx(IntPtr file, NativeOverlapped* overlapped);
    [DllImport(""net"")] public static extern int net_unregister_buffer(IntPtr session);
}
static unsafe class Net
{
    [DllImport(""net"")] public static extern int net_register_buffer(IntPtr session, byte[] buffer, int length);
    [DllImport(""net"")] public static extern int net_register_buffer_ptr(IntPtr session, byte* buffer, int length);
    [DllImport(""net"")] public static extern int net_register_buffer_intptr(IntPtr session, IntPtr buffer, int length);
    [DllImport(""net"")] public static extern int net_register_buffer_ref(IntPtr session, ref byte buffer, int length);
    [DllImport(""net"")] public static extern int net_register_name(IntPtr session, string name);
    [DllImport(""net"")] public static extern int net_register_label(IntPtr session, StringBuilder label);
    [DllImport(""net"")] public static extern int net_send(IntPtr session, byte[] buffer, int length);
    [DllImport(""net"")] public static extern int net_send_ptr(IntPtr session, byte* buffer, int length);
    [DllImport(""net"")] public static extern int net_queue_text(IntPtr session, string text);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected) => Check(source, null, expected);

        private static Task Check(string source, string? editorConfig, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<RetainedManagedBufferAnalyzer> { Source = Prelude + source, EditorConfig = editorConfig };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(int location, string buffer, string function, string why)
            => Verify.Diagnostic("IG2003").WithLocation(location).WithMessage(
                buffer + " is given to " + function + ", which " + why
                + "; it is pinned only for the duration of the call, so native code keeps the pointer and later writes into memory the GC may move or reuse");

        private const string ByName = "has a registration-style name and keeps what it is given after it returns";
        private const string ByOption = "is listed in interopguard.retaining_functions as keeping what it is given";
        private const string ByOverlapped = "starts asynchronous I/O with an OVERLAPPED that nothing pins the buffer with, so the I/O completes after it returns";

        [Fact]
        public Task ArrayToRegistrationFunction() => Check(@"
class C
{
    byte[] _buffer = new byte[4096];
    void M(IntPtr session) => Net.net_register_buffer(session, {|#0:_buffer|}, _buffer.Length);
}", Finding(0, "The array '_buffer'", "'Net.net_register_buffer'", ByName));

        [Fact]
        public Task ArrayToAsyncReadWithStackOverlapped() => Check(@"
unsafe class C
{
    void M(IntPtr file)
    {
        var buffer = new byte[512];
        NativeOverlapped overlapped = default;
        if (!Io.ReadFile(file, {|#0:buffer|}, buffer.Length, IntPtr.Zero, &overlapped) && Marshal.GetLastWin32Error() == 997)
            return;
    }
}", Finding(0, "The array 'buffer'", "'Io.ReadFile'", ByOverlapped));

        [Fact]
        public Task ArrayToAsyncWriteWithOverlappedByRef() => Check(@"
class C
{
    void M(IntPtr file, byte[] data)
    {
        var overlapped = new NativeOverlapped();
        Io.WriteFile(file, {|#0:data|}, data.Length, out _, ref overlapped);
        Win.WaitForSingleObject(overlapped.EventHandle, -1);
    }
}", Finding(0, "The array 'data'", "'Io.WriteFile'", ByOverlapped));

        [Fact]
        public Task ArrayToAsyncReadWithNativeOverlapped() => Check(@"
unsafe class C
{
    void M(IntPtr file, byte[] buffer)
    {
        var overlapped = (NativeOverlapped*)NativeMemory.AllocZeroed((nuint)sizeof(NativeOverlapped));
        Io.ReadFile(file, {|#0:buffer|}, buffer.Length, IntPtr.Zero, overlapped);
    }
}", Finding(0, "The array 'buffer'", "'Io.ReadFile'", ByOverlapped));

        [Fact]
        public Task FixedPointerToAsyncRead() => Check(@"
unsafe class C
{
    void M(IntPtr file, byte[] buffer)
    {
        NativeOverlapped overlapped = default;
        fixed (byte* p = buffer)
        {
            Io.ReadFile(file, {|#0:p|}, buffer.Length, IntPtr.Zero, &overlapped);
        }

        Win.WaitForSingleObject(overlapped.EventHandle, -1);
    }
}", Finding(0, "The fixed pointer 'p' to the array 'buffer'", "'Io.ReadFile'", ByOverlapped));

        // GCHandle.Free inside the fixed block empties a slot of the runtime's handle table: it ends no native operation,
        // so the buffer registered before it is still kept by native code once the block ends. The same block that
        // unregisters the buffer before the handle is freed stays silent.
        [Fact]
        public Task FixedPointerRegisteredBeforeAHandleIsFreed() => Check(@"
unsafe class Recorder
{
    void Record(IntPtr session, byte[] frames, object tag)
    {
        var tagHandle = GCHandle.Alloc(tag);
        fixed (byte* p = frames)
        {
            Net.net_register_buffer_ptr(session, {|#0:p|}, frames.Length);
            tagHandle.Free();
        }
    }

    void RecordUntilDone(IntPtr session, byte[] frames, object tag, ManualResetEventSlim done)
    {
        var tagHandle = GCHandle.Alloc(tag);
        fixed (byte* p = frames)
        {
            Net.net_register_buffer_ptr(session, p, frames.Length);
            done.Wait();
            Win.net_unregister_buffer(session);
            tagHandle.Free();
        }
    }
}", Finding(0, "The fixed pointer 'p' to the array 'frames'", "'Net.net_register_buffer_ptr'", ByName));

        [Fact]
        public Task FixedPointerToRegistrationFunctionWithArithmeticAndIntPtr() => Check(@"
unsafe class C
{
    void M(IntPtr session, byte[] buffer)
    {
        fixed (byte* p = &buffer[0])
        {
            Net.net_register_buffer_ptr(session, {|#0:p + 16|}, buffer.Length - 16);
            Net.net_register_buffer_intptr(session, {|#1:(IntPtr)p|}, buffer.Length);
            Net.net_register_buffer_intptr(session, {|#2:new IntPtr(p)|}, buffer.Length);
        }
    }
}",
            Finding(0, "The fixed pointer 'p' to an element of the array 'buffer'", "'Net.net_register_buffer_ptr'", ByName),
            Finding(1, "The fixed pointer 'p' to an element of the array 'buffer'", "'Net.net_register_buffer_intptr'", ByName),
            Finding(2, "The fixed pointer 'p' to an element of the array 'buffer'", "'Net.net_register_buffer_intptr'", ByName));

        [Fact]
        public Task FixedPointerOverStringAndArrayBackedSpan() => Check(@"
unsafe class C
{
    void M(IntPtr session, string text, byte[] data)
    {
        fixed (char* p = text)
        {
            // The characters of a string given to a function retaining only by name: copied, like a name.
            Net.net_register_buffer_ptr(session, (byte*)p, text.Length * 2);
        }

        Span<byte> view = data.AsSpan(4);
        fixed (byte* q = view)
        {
            Net.net_register_buffer_ptr(session, {|#1:q|}, view.Length);
        }
    }
}",
            Finding(1, "The fixed pointer 'q' to the array 'data'", "'Net.net_register_buffer_ptr'", ByName));

        // A fixed local's initializer is read without looking for later assignments (a fixed local is read-only): the
        // second declarator of one statement, and one of two nested statements, still name their own arrays; a plain
        // pointer copied from a fixed one is not itself a fixed pointer.
        [Fact]
        public Task FixedPointersOfOneStatementAndOfNestedStatements() => Check(@"
unsafe class C
{
    void M(IntPtr session, byte[] a, byte[] b, byte[] c)
    {
        fixed (byte* p = a, q = b)
        {
            Net.net_register_buffer_ptr(session, {|#0:q|}, b.Length);
            fixed (byte* r = c)
            {
                Net.net_register_buffer_ptr(session, {|#1:p|}, a.Length);
                Net.net_register_buffer_ptr(session, {|#2:r|}, c.Length);
                byte* copy = r;
                Net.net_register_buffer_ptr(session, copy, c.Length);
            }
        }
    }
}",
            Finding(0, "The fixed pointer 'q' to the array 'b'", "'Net.net_register_buffer_ptr'", ByName),
            Finding(1, "The fixed pointer 'p' to the array 'a'", "'Net.net_register_buffer_ptr'", ByName),
            Finding(2, "The fixed pointer 'r' to the array 'c'", "'Net.net_register_buffer_ptr'", ByName));

        [Fact]
        public Task StringCharactersToAConfiguredRetainingFunction() => Check(@"
unsafe class C
{
    void M(IntPtr session, string text)
    {
        fixed (char* p = text)
        {
            Net.net_register_buffer_ptr(session, {|#0:(byte*)p|}, text.Length * 2);
        }
    }
}", "interopguard.retaining_functions = net_register_buffer_ptr",
            Finding(0, "The fixed pointer 'p' to the string 'text'", "'Net.net_register_buffer_ptr'", ByOption));

        [Fact]
        public Task RefToArrayElement() => Check(@"
class C
{
    void M(IntPtr session, byte[] buffer)
    {
        Net.net_register_buffer_ref(session, {|#0:ref buffer[0]|}, buffer.Length);
        Net.net_register_buffer_ref(session, {|#1:ref MemoryMarshal.GetArrayDataReference(buffer)|}, buffer.Length);
    }
}",
            Finding(0, "A ref to an element of the array 'buffer'", "'Net.net_register_buffer_ref'", ByName),
            Finding(1, "A ref to the data of the array 'buffer'", "'Net.net_register_buffer_ref'", ByName));

        [Fact]
        public Task RefToFirstElementOfArrayBackedSpan() => Check(@"
class C
{
    void M(IntPtr session, byte[] buffer)
    {
        var span = new Span<byte>(buffer);
        Net.net_register_buffer_ref(session, {|#0:ref MemoryMarshal.GetReference(span)|}, span.Length);
    }
}", Finding(0, "A ref to the first element of the array 'buffer'", "'Net.net_register_buffer_ref'", ByName));

        [Fact]
        public Task RefToSynchronousWriteIsNotAFinding() => Check(@"
class C
{
    void M(IntPtr file, byte[] buffer) => Io.WriteFile(file, ref buffer[0], buffer.Length, out _, IntPtr.Zero);
}");

        [Fact]
        public Task ConfiguredRetainingFunction() => Check(@"
class C
{
    void M(IntPtr session, byte[] buffer, string text) 
    {
        Net.net_send(session, {|#0:buffer|}, buffer.Length);
        Net.net_queue_text(session, {|#1:text|});
    }
}", "interopguard.retaining_functions = net_send, net_queue_text",
            Finding(0, "The array 'buffer'", "'Net.net_send'", ByOption),
            Finding(1, "The string 'text'", "'Net.net_queue_text'", ByOption));

        [Fact]
        public Task NonRetainingOptionSilencesTheNameHeuristic() => Check(@"
class C
{
    void M(IntPtr session, byte[] buffer) => Net.net_register_buffer(session, buffer, buffer.Length);
}", "interopguard.non_retaining_functions = net_register_buffer");

        [Fact]
        public Task StringsToRegistrationNamesAreCopiedNotKept() => Check(@"
class C
{
    void M(IntPtr session, string name, StringBuilder label)
    {
        Net.net_register_name(session, name);
        Net.net_register_name(session, ""fixed-name"");
        Net.net_register_label(session, label);
    }
}");

        [Fact]
        public Task StringBuilderToConfiguredRetainingFunction() => Check(@"
class C
{
    StringBuilder _status = new StringBuilder(256);
    void M(IntPtr session) => Net.net_register_label(session, {|#0:_status|});
}", "interopguard.retaining_functions = net_register_label",
            Finding(0, "The StringBuilder '_status'", "'Net.net_register_label'", ByOption));

        [Fact]
        public Task SynchronousReadWithNullOverlapped() => Check(@"
unsafe class C
{
    void M(IntPtr file, byte[] buffer)
    {
        Io.ReadFile(file, buffer, buffer.Length, IntPtr.Zero, null);
        Io.ReadFile(file, buffer, buffer.Length, IntPtr.Zero, (NativeOverlapped*)IntPtr.Zero);
        Io.ReadFile(file, buffer, buffer.Length, IntPtr.Zero, default);
        fixed (byte* p = buffer)
        {
            Io.ReadFile(file, p, buffer.Length, IntPtr.Zero, null);
        }
    }
}");

        [Fact]
        public Task OverlappedFromThreadPoolBoundHandlePinsTheBuffer() => Check(@"
unsafe class C
{
    ThreadPoolBoundHandle _bound = null!;
    void M(IntPtr file, byte[] buffer, NativeOverlapped* given)
    {
        NativeOverlapped* overlapped = _bound.AllocateNativeOverlapped((e, n, o) => { }, null, buffer);
        Io.ReadFile(file, buffer, buffer.Length, IntPtr.Zero, overlapped);
        var packed = new Overlapped().Pack((e, n, o) => { }, buffer);
        Io.ReadFile(file, buffer, buffer.Length, IntPtr.Zero, packed);
        // Created elsewhere (with the buffer as pin data, as far as this method can tell).
        Io.ReadFile(file, buffer, buffer.Length, IntPtr.Zero, given);
    }
}");

        [Fact]
        public Task NativeMemoryAndUnknownPointersAreNotFindings() => Check(@"
unsafe class C
{
    void M(IntPtr session, IntPtr unknown, byte* raw, Span<byte> span)
    {
        IntPtr block = Marshal.AllocHGlobal(4096);
        Net.net_register_buffer_intptr(session, block, 4096);
        byte* native = (byte*)NativeMemory.Alloc(64);
        Net.net_register_buffer_ptr(session, native, 64);
        Net.net_register_buffer_intptr(session, unknown, 16);
        Net.net_register_buffer_ptr(session, raw, 16);
        byte* onStack = stackalloc byte[16];
        Net.net_register_buffer_ptr(session, onStack, 16);
        fixed (byte* p = span)
        {
            Net.net_register_buffer_ptr(session, p, span.Length);
        }
        var nativeSpan = new Span<byte>(native, 64);
        Net.net_register_buffer_ref(session, ref MemoryMarshal.GetReference(nativeSpan), 64);
        Net.net_register_buffer_ref(session, ref MemoryMarshal.GetReference(span), span.Length);
    }
}");

        [Fact]
        public Task PinnedHandleOwnedBeyondTheCallIsNotAFinding() => Check(@"
unsafe class C : IDisposable
{
    GCHandle _pin;
    System.Buffers.MemoryHandle _memoryPin;
    void Start(IntPtr session, byte[] buffer, Memory<byte> memory)
    {
        _pin = GCHandle.Alloc(buffer, GCHandleType.Pinned);
        Net.net_register_buffer_intptr(session, _pin.AddrOfPinnedObject(), buffer.Length);
        _memoryPin = memory.Pin();
        Net.net_register_buffer_ptr(session, (byte*)_memoryPin.Pointer, memory.Length);
    }
    public void Dispose()
    {
        _pin.Free();
        _memoryPin.Dispose();
    }
}");

        [Fact]
        public Task NonRetainingCallsWithManagedBuffersAreFine() => Check(@"
unsafe class C
{
    int M(IntPtr session, byte[] buffer, string text)
    {
        Net.net_send(session, buffer, buffer.Length);
        fixed (byte* p = buffer)
        {
            return Net.net_send_ptr(session, p, buffer.Length);
        }
    }
}");

        [Fact]
        public Task NullBufferIsNotAFinding() => Check(@"
class C
{
    void M(IntPtr session)
    {
        Net.net_register_buffer(session, null, 0);
        Net.net_register_name(session, null);
    }
}", "interopguard.retaining_functions = net_register_name");

        [Fact]
        public Task ThroughAWrapperTakingAPointer() => Check(@"
unsafe class Session
{
    IntPtr _handle;
    public void Register(byte* data, int length) => Net.net_register_buffer_ptr(_handle, data, length);
    public void RegisterSpan(IntPtr data, int length) { Net.net_register_buffer_intptr(_handle, data, length); }
}
unsafe class C
{
    void M(Session session, byte[] buffer)
    {
        fixed (byte* p = buffer)
        {
            session.Register({|#0:p|}, buffer.Length);
            session.RegisterSpan({|#1:(IntPtr)p|}, buffer.Length);
        }
    }
}",
            Finding(0, "The fixed pointer 'p' to the array 'buffer'", "'Net.net_register_buffer_ptr' through 'Session.Register'", ByName),
            Finding(1, "The fixed pointer 'p' to the array 'buffer'", "'Net.net_register_buffer_intptr' through 'Session.RegisterSpan'", ByName));

        [Fact]
        public Task WrapperTakingAnArrayIsReportedOnceInsideTheWrapper() => Check(@"
class Session
{
    IntPtr _handle;
    public void Register(byte[] data) => Net.net_register_buffer(_handle, {|#0:data|}, data.Length);
}
class C
{
    void M(Session session) => session.Register(new byte[64]);
}", Finding(0, "The array 'data'", "'Net.net_register_buffer'", ByName));

        [Fact]
        public Task WrapperForwardingTheOverlapped() => Check(@"
unsafe class File
{
    IntPtr _handle;
    public bool Read(byte* buffer, int count, NativeOverlapped* overlapped) => Io.ReadFile(_handle, buffer, count, IntPtr.Zero, overlapped);
}
unsafe class C
{
    void M(File file, byte[] buffer)
    {
        NativeOverlapped overlapped = default;
        fixed (byte* p = buffer)
        {
            file.Read({|#0:p|}, buffer.Length, &overlapped);
            file.Read(p, buffer.Length, null);
        }

        Win.CancelIoEx(IntPtr.Zero, &overlapped);
    }
}", Finding(0, "The fixed pointer 'p' to the array 'buffer'", "'Io.ReadFile' through 'File.Read'", ByOverlapped));

        [Fact]
        public Task LibraryImportSpans() => Check(@"
static partial class Lib
{
    [LibraryImport(""lib"")] public static partial int lib_register_buffer_span(IntPtr session, Span<byte> data);
    [LibraryImport(""lib"")] public static partial int lib_register_buffer_readonly(IntPtr session, ReadOnlySpan<byte> data);
}
static partial class Lib
{
    public static partial int lib_register_buffer_span(IntPtr session, Span<byte> data) => 0;
    public static partial int lib_register_buffer_readonly(IntPtr session, ReadOnlySpan<byte> data) => 0;
}
unsafe class C
{
    void M(IntPtr session, byte[] buffer, Span<byte> unknown)
    {
        Lib.lib_register_buffer_span(session, {|#0:buffer|});
        Lib.lib_register_buffer_span(session, {|#1:buffer.AsSpan(0, 8)|});
        Lib.lib_register_buffer_readonly(session, {|#2:new ReadOnlySpan<byte>(buffer, 1, 2)|});
        Lib.lib_register_buffer_span(session, unknown);
        Lib.lib_register_buffer_span(session, stackalloc byte[8]);
        Lib.lib_register_buffer_span(session, new Span<byte>((void*)Marshal.AllocHGlobal(8), 8));
    }
}",
            Finding(0, "The span over the array 'buffer'", "'Lib.lib_register_buffer_span'", ByName),
            Finding(1, "The span over the array 'buffer'", "'Lib.lib_register_buffer_span'", ByName),
            Finding(2, "The span over the array 'buffer'", "'Lib.lib_register_buffer_readonly'", ByName));

        [Fact]
        public Task TopLevelStatementsLambdasLocalFunctionsAndAsync() => new AnalyzerTest<RetainedManagedBufferAnalyzer>
        {
            OutputKind = OutputKind.ConsoleApplication,
            Source = @"using System;
using System.Threading.Tasks;
using System.Runtime.InteropServices;

var buffer = new byte[16];
Native.dev_register_buffer(IntPtr.Zero, {|#0:buffer|});
Action a = () => Native.dev_register_buffer(IntPtr.Zero, {|#1:buffer|});
Local();
await Later();

void Local() => Native.dev_register_buffer(IntPtr.Zero, {|#2:buffer|});
async Task Later()
{
    await Task.Yield();
    Native.dev_register_buffer(IntPtr.Zero, {|#3:buffer|});
}

static class Native
{
    [DllImport(""dev"")] public static extern void dev_register_buffer(IntPtr device, byte[] buffer);
}",
            ExpectedDiagnostics =
            {
                Finding(0, "The array 'buffer'", "'Native.dev_register_buffer'", ByName),
                Finding(1, "The array 'buffer'", "'Native.dev_register_buffer'", ByName),
                Finding(2, "The array 'buffer'", "'Native.dev_register_buffer'", ByName),
                Finding(3, "The array 'buffer'", "'Native.dev_register_buffer'", ByName),
            },
        }.RunAsync();

        [Fact]
        public Task FunctionPointersAndUnmanagedDelegatesHaveNoNameToJudge() => Check(@"
unsafe class C
{
    void M(delegate* unmanaged<byte[], void> register_buffer, byte[] buffer)
    {
        register_buffer(buffer);
    }
}");

        [Fact]
        public Task IncompleteCodeDoesNotThrow() => new AnalyzerTest<RetainedManagedBufferAnalyzer>
        {
            AllowCompilerErrors = true,
            Source = Prelude + @"
unsafe class C
{
    void M(IntPtr session, byte[] buffer)
    {
        Net.net_register_buffer(session, {|#0:buffer|}, 
        Net.net_register_buffer_ptr(session, missing, 4);
        fixed (byte* p = )
            Net.net_register_buffer_ptr(session, p, 4);
        Io.ReadFile(session, buffer, 4, IntPtr.Zero, undefined);
    }
}",
            ExpectedDiagnostics = { Finding(0, "The array 'buffer'", "'Net.net_register_buffer'", ByName) },
        }.RunAsync();

        [Fact]
        public Task RegistrationWordsThatReadArraysDuringTheCall() => Check(@"
struct SubmitInfo { public int Count; }
static class Geo
{
    [DllImport(""geo"")] public static extern int geo_registerPoints(double[] source, int sourceCount, double[] target, int targetCount, out double error);
    [DllImport(""gpu"")] public static extern int gpu_queue_submit(IntPtr queue, int count, SubmitInfo[] infos);
    [DllImport(""gpu"")] public static extern int gpuEnqueueKernel(IntPtr queue, IntPtr kernel, int dims, long[] globalSize, long[] localSize);
    [DllImport(""gpu"")] public static extern int gpu_begin_frame(IntPtr device, float[] clearColor);
}
class C
{
    void M(double[] a, double[] b, SubmitInfo[] infos, long[] sizes, float[] color)
    {
        Geo.geo_registerPoints(a, a.Length, b, b.Length, out _);
        Geo.gpu_queue_submit(IntPtr.Zero, infos.Length, infos);
        Geo.gpuEnqueueKernel(IntPtr.Zero, IntPtr.Zero, 1, sizes, sizes);
        Geo.gpu_begin_frame(IntPtr.Zero, color);
    }
}");

        [Fact]
        public Task NamesThatSpeakOfBuffersOrMemory() => Check(@"
static unsafe class Gpu
{
    [DllImport(""gpu"")] public static extern int gpuEnqueueWriteBuffer(IntPtr queue, IntPtr target, bool blocking, long size, byte[] source);
    [DllImport(""gpu"")] public static extern int gpuMemcpyAsync(void* destination, void* source, long size, IntPtr stream);
}
unsafe class C
{
    void M(byte[] data, float[] host, void* device)
    {
        Gpu.gpuEnqueueWriteBuffer(IntPtr.Zero, IntPtr.Zero, false, data.Length, {|#0:data|});
        fixed (float* p = host)
        {
            Gpu.gpuMemcpyAsync(device, {|#1:p|}, host.Length * 4L, IntPtr.Zero);
        }
    }
}",
            Finding(0, "The array 'data'", "'Gpu.gpuEnqueueWriteBuffer'", ByName),
            Finding(1, "The fixed pointer 'p' to the array 'host'", "'Gpu.gpuMemcpyAsync'", ByName));

        [Fact]
        public Task PointerAsUserDataOfACallbackRegistration() => Check(@"
delegate void Progress(IntPtr userData, int percent);
static unsafe class Jobs
{
    [DllImport(""jobs"")] public static extern int jobs_set_progress_callback(IntPtr job, Progress callback, IntPtr userData);
    [DllImport(""jobs"")] public static extern int jobs_register_listener(IntPtr job, delegate* unmanaged<void*, void> listener, void* context, int[] options);
}
unsafe class C
{
    static readonly Progress OnProgress = (data, percent) => { };
    void M(IntPtr job, int[] state, int[] options, delegate* unmanaged<void*, void> listener)
    {
        fixed (int* p = state)
        {
            Jobs.jobs_set_progress_callback(job, OnProgress, {|#0:(IntPtr)p|});
            Jobs.jobs_register_listener(job, listener, {|#1:p|}, options);
        }
    }
}",
            Finding(0, "The fixed pointer 'p' to the array 'state'", "'Jobs.jobs_set_progress_callback'", ByName),
            Finding(1, "The fixed pointer 'p' to the array 'state'", "'Jobs.jobs_register_listener'", ByName));

        [Fact]
        public Task ProxiesByRefToLocalsAndHandleNumbersAsUserData() => Check(@"
struct ArrayView { public IntPtr Data; public int Length; }
delegate int Step(IntPtr userData);
static class Vision
{
    [DllImport(""vision"")] public static extern int vision_registerDepth(in ArrayView depth, in ArrayView camera, ref ArrayView registered);
    [DllImport(""vision"")] public static extern int vision_set_step_callback(IntPtr context, Step step, IntPtr userData);
}
class C
{
    static readonly Step OnStep = data => 0;
    void M(IntPtr context, object state)
    {
        var depth = new ArrayView();
        var camera = new ArrayView();
        var registered = new ArrayView();
        Vision.vision_registerDepth(in depth, in camera, ref registered);
        var handle = GCHandle.Alloc(state);
        Vision.vision_set_step_callback(context, OnStep, GCHandle.ToIntPtr(handle));
    }
}");

        // A report buffer registered with a callback, filled while a run loop runs inside the fixed block, and
        // unscheduled before the block ends: pinned for as long as native code writes into it.
        [Fact]
        public Task FixedBlockThatRunsAndUnschedulesTheCallbackBeforeItEnds() => Check(@"
delegate void ReportCallback(IntPtr context, int result, IntPtr sender, int length);
unsafe class Device
{
    [DllImport(""hid"")] static extern void hid_register_report_callback(IntPtr device, IntPtr report, IntPtr length, ReportCallback callback, IntPtr context);
    [DllImport(""hid"")] static extern void hid_schedule_with_run_loop(IntPtr device, IntPtr loop);
    [DllImport(""hid"")] static extern void hid_unschedule_from_run_loop(IntPtr device, IntPtr loop);
    [DllImport(""hid"")] static extern void run_loop_run();

    void ReadReports(IntPtr device, IntPtr loop, ReportCallback callback)
    {
        var report = new byte[64];
        fixed (byte* p = report)
        {
            hid_register_report_callback(device, (IntPtr)p, (IntPtr)report.Length, callback, IntPtr.Zero);
            hid_schedule_with_run_loop(device, loop);
            run_loop_run();
            hid_unschedule_from_run_loop(device, loop);
        }

        GC.KeepAlive(callback);
    }

    void LeavesItScheduled(IntPtr device, IntPtr loop, ReportCallback callback)
    {
        var report = new byte[64];
        fixed (byte* p = report)
        {
            hid_register_report_callback(device, {|#0:(IntPtr)p|}, (IntPtr)report.Length, callback, IntPtr.Zero);
            hid_schedule_with_run_loop(device, loop);
        }
    }
}", Finding(0, "The fixed pointer 'p' to the array 'report'", "'Device.hid_register_report_callback'", ByName));

        [Fact]
        public Task FixedBlockThatWaitsOrUnregistersBeforeItEnds() => Check(@"
unsafe class C
{
    int Read(IntPtr file, byte[] buffer)
    {
        NativeOverlapped overlapped = default;
        fixed (byte* p = buffer)
        {
            Io.ReadFile(file, p, buffer.Length, IntPtr.Zero, &overlapped);
            Win.GetOverlappedResult(file, &overlapped, out var transferred, true);
            return transferred;
        }
    }

    void Capture(IntPtr session, byte[] buffer, ManualResetEventSlim done)
    {
        fixed (byte* p = buffer)
        {
            Net.net_register_buffer_ptr(session, p, buffer.Length);
            done.Wait();
            Win.net_unregister_buffer(session);
        }
    }

    void ArrayIsUnpinnedWhileWaiting(IntPtr file, byte[] buffer)
    {
        NativeOverlapped overlapped = default;
        Io.ReadFile(file, {|#0:buffer|}, buffer.Length, IntPtr.Zero, &overlapped);
        Win.GetOverlappedResult(file, &overlapped, out _, true);
    }

    void WaitBeforeTheCallDoesNotCount(IntPtr session, byte[] buffer, ManualResetEventSlim ready)
    {
        fixed (byte* p = buffer)
        {
            ready.Wait();
            Net.net_register_buffer_ptr(session, {|#1:p|}, buffer.Length);
        }
    }
}",
            Finding(0, "The array 'buffer'", "'Io.ReadFile'", ByOverlapped),
            Finding(1, "The fixed pointer 'p' to the array 'buffer'", "'Net.net_register_buffer_ptr'", ByName));

        [Fact]
        public Task RefToAFieldOfAnObject() => Check(@"
class Box { public byte First; }
class C
{
    byte _first;
    void M(IntPtr session, Box box)
    {
        byte onStack = 0;
        Net.net_register_buffer_ref(session, {|#0:ref _first|}, 1);
        Net.net_register_buffer_ref(session, {|#1:ref box.First|}, 1);
        Net.net_register_buffer_ref(session, ref onStack, 1);
    }
}",
            Finding(0, "A ref to the field '_first' of this object", "'Net.net_register_buffer_ref'", ByName),
            Finding(1, "A ref to the field 'First' of the object 'box'", "'Net.net_register_buffer_ref'", ByName));

        [Fact]
        public Task LibraryImportGeneratedStubIsLeftAlone()
        {
            var test = new AnalyzerTest<RetainedManagedBufferAnalyzer>
            {
                Source = Prelude + @"
static partial class Queue
{
    [LibraryImport(""queue"")] public static partial int queue_register_buffer(IntPtr queue, byte[] data, int length);
}
class C
{
    void M(IntPtr queue, byte[] data) => Queue.queue_register_buffer(queue, {|#0:data|}, data.Length);
}",
                AdditionalSources =
                {
                    @"// <auto-generated/>
using System;
static unsafe partial class Queue
{
    public static partial int queue_register_buffer(IntPtr queue, byte[] data, int length)
    {
        fixed (byte* p = data)
        {
            return __PInvoke(queue, p, length);
        }

        [System.Runtime.InteropServices.DllImport(""queue"", EntryPoint = ""queue_register_buffer"")]
        static extern int __PInvoke(IntPtr queue, byte* data, int length);
    }
}",
                },
            };
            test.ExpectedDiagnostics.Add(Finding(0, "The array 'data'", "'Queue.queue_register_buffer'", ByName));
            return test.RunAsync();
        }

        [Fact]
        public Task StackOverlappedCarryingOnlyAnOffsetForSynchronousIo() => Check(@"
unsafe class C
{
    int ReadAt(IntPtr file, byte[] buffer, long offset)
    {
        var overlapped = new NativeOverlapped { OffsetLow = (int)offset, OffsetHigh = (int)(offset >> 32) };
        Io.WriteFile(file, buffer, buffer.Length, out var written, ref overlapped);
        NativeOverlapped second = default;
        Io.ReadFile(file, buffer, buffer.Length, IntPtr.Zero, &second);
        return written;
    }
}");

        [Fact]
        public Task ArraysPinnedByAnOwnerOfTheirOwn() => Check(@"
unsafe class Receiver : IDisposable
{
    readonly byte[] _frame = new byte[1024];
    readonly byte[] _other = new byte[1024];
    GCHandle _pin;
    System.Buffers.MemoryHandle _memoryPin;
    PreAllocatedOverlapped? _preallocated;
    public Receiver(IntPtr session)
    {
        _pin = GCHandle.Alloc(_frame, GCHandleType.Pinned);
        Net.net_register_buffer(session, _frame, _frame.Length);
    }
    public void Start(IntPtr session, byte[] scratch, byte[] io)
    {
        _memoryPin = scratch.AsMemory().Pin();
        Net.net_register_buffer(session, scratch, scratch.Length);
        _preallocated = new PreAllocatedOverlapped((e, n, o) => { }, null, io);
        Net.net_register_buffer(session, io, io.Length);
        Net.net_register_buffer(session, {|#0:_other|}, _other.Length);
    }
    public void Dispose()
    {
        _pin.Free();
        _memoryPin.Dispose();
        _preallocated?.Dispose();
    }
}", Finding(0, "The array '_other'", "'Net.net_register_buffer'", ByName));

        // The owned-pin check reads symbols, not text: overlapped pin data pins its pinData/userData argument (and every
        // element of an object[] given there, also through a local), a GCHandle whose type is not a constant may pin.
        [Fact]
        public Task PinDataThroughAnObjectArrayOrAHandleTypeWeCannotRead() => Check(@"
unsafe class C
{
    ThreadPoolBoundHandle _bound = null!;
    void M(IntPtr session, byte[] first, byte[] second, byte[] third, byte[] fourth, GCHandleType kind)
    {
        var pins = new object[] { first, second };
        var packed = new Overlapped().Pack((e, n, o) => { }, pins);
        Net.net_register_buffer(session, first, first.Length);
        Net.net_register_buffer(session, second, second.Length);
        var overlapped = _bound.UnsafeAllocateNativeOverlapped((e, n, o) => { }, null, new object[] { third });
        Net.net_register_buffer(session, third, third.Length);
        var handle = GCHandle.Alloc(fourth, kind);
        Net.net_register_buffer(session, fourth, fourth.Length);
    }
}");

        // Found unifying the owned-pin check with PinningScopes: the text match took any argument of an overlapped
        // constructor or factory as pinned, and a pinned GCHandle of an object[] as pinning its elements. The state of
        // an overlapped is not pinned, and a GCHandle pins only the array of references (Alloc(object[], Pinned) even throws).
        [Fact]
        public Task StateOfAnOverlappedAndElementsOfAPinnedObjectArrayAreNotPinned() => Check(@"
unsafe class C
{
    ThreadPoolBoundHandle _bound = null!;
    void M(IntPtr session, byte[] state, byte[] element, byte[] preallocatedState)
    {
        var overlapped = _bound.AllocateNativeOverlapped((e, n, o) => { }, state, null);
        Net.net_register_buffer(session, {|#0:state|}, state.Length);
        var handle = GCHandle.Alloc(new object[] { element }, GCHandleType.Pinned);
        Net.net_register_buffer(session, {|#1:element|}, element.Length);
        using var preallocated = PreAllocatedOverlapped.UnsafeCreate((e, n, o) => { }, preallocatedState, null);
        Net.net_register_buffer(session, {|#2:preallocatedState|}, preallocatedState.Length);
    }
}", Finding(0, "The array 'state'", "'Net.net_register_buffer'", ByName),
            Finding(1, "The array 'element'", "'Net.net_register_buffer'", ByName),
            Finding(2, "The array 'preallocatedState'", "'Net.net_register_buffer'", ByName));

        // A field pinned by overlapped pin data in another method of the type: the pin lasts until the overlapped is freed.
        [Fact]
        public Task FieldPinnedByPackInAnotherMethod() => Check(@"
unsafe class Reader
{
    readonly byte[] _frame = new byte[512];
    readonly byte[] _state = new byte[16];
    NativeOverlapped* _overlapped;
    void Open() => _overlapped = new Overlapped().UnsafePack((e, n, o) => { }, new object[] { _frame });
    void Start(IntPtr session)
    {
        Net.net_register_buffer(session, _frame, _frame.Length);
        Net.net_register_buffer(session, {|#0:_state|}, _state.Length);
    }
}", Finding(0, "The array '_state'", "'Net.net_register_buffer'", ByName));
    }
}
