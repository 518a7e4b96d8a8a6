using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001 on framework calls that callbacks of real bindings make and that cannot fail on what they are given (found on
    /// Realm, ClrMD and GLFW.NET): completing a task source with TrySet*, the object behind a ComWrappers dispatch pointer,
    /// calling an async method (its exceptions go to its task), building an exception or an event-argument object, geometry
    /// values, closing a SafeHandle, clearing a dictionary, and an index bounded by the converted count the array was made
    /// with. Each has a look-alike that still throws and is still reported.
    /// </summary>
    public class NativeCallbackQuietFrameworkCallTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using Microsoft.Win32.SafeHandles;

sealed class Sink
{
    public int Last;
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(string operation, string? inside = null)
            => Verify.Diagnostic("IG5001").WithLocation(0).WithMessage(
                "Callback 'OnEvent' is [UnmanagedCallersOnly], and '" + operation + "' may throw " + (inside == null ? string.Empty : "(" + inside + ") ")
                + "outside a catch-all: an exception escaping to native code terminates the process");

        [Fact]
        public Task CompletingATaskSourceWithTrySetDoesNotThrow() => Check(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static void OnEvent(IntPtr user, int code)
    {
        var source = (TaskCompletionSource<int>)GCHandle.FromIntPtr(user).Target!;
        if (code == 0)
            source.TrySetResult(code);
        else
            source.TrySetException(new InvalidOperationException(""native failure""));
    }
}");

        [Fact]
        public Task SetResultStillThrowsOnACompletedSource() => Check(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static void {|#0:OnEvent|}(IntPtr user, int code)
    {
        var source = (TaskCompletionSource<int>)GCHandle.FromIntPtr(user).Target!;
        source.SetResult(code);
    }
}", Finding("source.SetResult(code)"));

        [Fact]
        public Task ComparingTwoReferencesDoesNotThrow() => Check(@"
static class Exports
{
    static Sink? s_current;

    [UnmanagedCallersOnly]
    static void OnEvent(IntPtr user, int code)
    {
        var sink = (Sink?)GCHandle.FromIntPtr(user).Target;
        if (!ReferenceEquals(s_current, sink))
            s_current = sink;
    }
}");

        [Fact]
        public Task MarkingAHandleInvalidDoesNotThrow() => Check(@"
static class Exports
{
    static SafeFileHandle? s_replaced;

    [UnmanagedCallersOnly]
    static void OnEvent(IntPtr user, int code)
    {
        var old = s_replaced;
        s_replaced = null;
        if (old is not null)
            old.SetHandleAsInvalid();
    }
}");

        [Fact]
        public Task AddingAReferenceToAHandleStillThrows() => Check(@"
static class Exports
{
    static SafeFileHandle? s_current;

    [UnmanagedCallersOnly]
    static void {|#0:OnEvent|}(IntPtr user, int code)
    {
        var current = s_current;
        if (current is not null)
        {
            bool added = false;
            current.DangerousAddRef(ref added);
        }
    }
}", Finding("current.DangerousAddRef(ref added)"));

        [Fact]
        public Task EqualsThroughAnOverrideStillThrows() => Check(@"
sealed class Key
{
    public override bool Equals(object? other) => throw new NotSupportedException();
    public override int GetHashCode() => 0;
}

static class Exports
{
    static Key? s_current;

    [UnmanagedCallersOnly]
    static void {|#0:OnEvent|}(IntPtr user, int code)
    {
        var key = (Key?)GCHandle.FromIntPtr(user).Target;
        if (!Equals(s_current, key))
            s_current = key;
    }
}", Finding("Equals(s_current, key)"));

        [Fact]
        public Task TheObjectBehindAComDispatchPointerIsReadWithoutACheck() => Check(@"
static unsafe class Exports
{
    [UnmanagedCallersOnly]
    static int OnEvent(IntPtr self, int code)
    {
        var sink = ComWrappers.ComInterfaceDispatch.GetInstance<Sink>((ComWrappers.ComInterfaceDispatch*)self);
        sink.Last = code;
        return 0;
    }
}");

        [Fact]
        public Task AnObjectFromAnIUnknownPointerIsStillAThrowPoint() => Check(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static int {|#0:OnEvent|}(IntPtr self, int code)
    {
        var sink = (Sink)Marshal.GetObjectForIUnknown(self);
        sink.Last = code;
        return 0;
    }
}", Finding("Marshal.GetObjectForIUnknown(self)"));

        [Fact]
        public Task CallingAnAsyncTaskMethodKeepsItsExceptionsInTheTask() => Check(@"
sealed class Queue
{
    public static readonly Queue Shared = new Queue();

    public async Task PostAsync(int code)
    {
        if (code < 0) throw new ArgumentOutOfRangeException(nameof(code));
        await Task.Yield();
    }
}

static class Exports
{
    [UnmanagedCallersOnly]
    static void OnEvent(int code) { _ = Queue.Shared.PostAsync(code); }
}");

        [Fact]
        public Task AnAsyncVoidMethodStillThrows() => Check(@"
sealed class Queue
{
    public static readonly Queue Shared = new Queue();

    public async void Post(int code)
    {
        if (code < 0) throw new ArgumentOutOfRangeException(nameof(code));
        await Task.Yield();
    }
}

static class Exports
{
    [UnmanagedCallersOnly]
    static void {|#0:OnEvent|}(int code) { Queue.Shared.Post(code); }
}", Finding("Queue.Shared.Post(code)", inside: "'throw new ArgumentOutOfRangeException(…)' in 'Post'"));

        [Fact]
        public Task ExceptionsEventArgumentsAndGeometryValuesAreMadeWithoutChecks() => Check(@"
sealed class NativeError : Exception
{
    public NativeError(int code) : base(""native error "" + code) { }
}

static class Exports
{
    public static Action<object> Report = _ => { };

    [UnmanagedCallersOnly]
    static void OnEvent(int width, int height)
    {
        var error = new NativeError(width);
        var cancelled = new TaskCanceledException(""closed"", error);
        var args = new CancelEventArgs();
        var size = new System.Drawing.Size(width, height);
        var scale = new System.Numerics.Vector2(width, height);
        GC.KeepAlive(cancelled);
        GC.KeepAlive(args);
        GC.KeepAlive(size);
        GC.KeepAlive(scale);
    }
}");

        [Fact]
        public Task AValueWhoseConstructorValidatesStillThrows() => Check(@"
static class Exports
{
    [UnmanagedCallersOnly]
    static void {|#0:OnEvent|}(int year, int height)
    {
        var when = new DateTime(year, 1, 1);
        GC.KeepAlive(when);
    }
}", Finding("new DateTime(year, 1, 1)"));

        [Fact]
        public Task ClosingASafeHandleAndClearingADictionaryDoNotThrow() => Check(@"
sealed class Registry
{
    public static readonly Registry Shared = new Registry();
    private readonly Dictionary<Guid, IntPtr> _interfaces = new Dictionary<Guid, IntPtr>();
    public SafeFileHandle File = new SafeFileHandle(IntPtr.Zero, true);

    public void Release()
    {
        _interfaces.Clear();
        File.Close();
    }
}

static class Exports
{
    [UnmanagedCallersOnly]
    static void OnEvent(int code) { Registry.Shared.Release(); }
}");

        [Fact]
        public Task AddingToADictionaryStillThrows() => Check(@"
sealed class Registry
{
    public static readonly Registry Shared = new Registry();
    private readonly Dictionary<int, IntPtr> _interfaces = new Dictionary<int, IntPtr>();

    public void Remember(int code) => _interfaces.Add(code, IntPtr.Zero);
}

static class Exports
{
    [UnmanagedCallersOnly]
    static void {|#0:OnEvent|}(int code) { Registry.Shared.Remember(code); }
}", Finding("Registry.Shared.Remember(code)", inside: "'_interfaces.Add(code, IntPtr.Zero)' in 'Remember'"));

        [Fact]
        public Task AnIndexBoundedByTheConvertedCountOfTheArrayIsInRange() => Check(@"
static class Exports
{
    public static int[] Last = new int[0];

    [UnmanagedCallersOnly]
    static void OnEvent(IntPtr items, IntPtr count)
    {
        var result = new int[count.ToInt32()];
        var offset = 0;
        for (var i = 0; i < count.ToInt32(); i++, offset += 4)
        {
            result[i] = Marshal.ReadInt32(items, offset);
        }

        Last = result;
    }
}");

        [Fact]
        public Task AnIndexBoundedByAnotherCountStillThrows() => Check(@"
static class Exports
{
    public static int[] Last = new int[0];

    [UnmanagedCallersOnly]
    static void {|#0:OnEvent|}(IntPtr items, IntPtr count, IntPtr other)
    {
        var result = new int[count.ToInt32()];
        for (var i = 0; i < other.ToInt32(); i++)
        {
            result[i] = Marshal.ReadInt32(items, i * 4);
        }

        Last = result;
    }
}", Finding("result[i]"));
    }
}
