using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// Operations the throw model (Flow/ThrowPoints) reads by what they create, check or stand for: a field initialized with
    /// a collection expression of constants (Flow/CreatedCollections); a list's or set's quiet member called through the
    /// interface a private field is declared as, when every store creates that collection; a memory-pressure hint of an
    /// amount the code has already shown positive (Flow/PositiveValues); platform tests; a flag no constructor sets, in the
    /// object's own constructor (Flow/FreshObjectFlags); and a NotImplementedException placeholder. Each beside the
    /// look-alike that still throws.
    /// </summary>
    public class QuietOperationThrowPointTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""imaging"")] public static extern IntPtr source_new(IntPtr data, int length);
    [DllImport(""imaging"")] public static extern void blob_set(IntPtr blob, int length);
    [DllImport(""imaging"")] public static extern void on_release(IntPtr user);
}
";

        private static Task Leaks(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static Task Callbacks(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Pinned(int location, string thrower)
            => Verify.Diagnostic("IG3004").WithLocation(location).WithMessage(
                "The GCHandle in 'pin' from 'GCHandle.Alloc' is not released by 'GCHandle.Free' if '" + thrower
                + "' throws, so the object stays pinned and can never be collected");

        private static DiagnosticResult Leak(int location, string thrower)
            => Verify.Diagnostic("IG3001").WithLocation(location).WithMessage(
                "Native memory from 'Marshal.AllocHGlobal' in 'copy' is not released by 'Marshal.FreeHGlobal' if '" + thrower + "' throws");

        private static DiagnosticResult Escapes(int location, string callback, string operation)
            => Verify.Diagnostic("IG5001").WithLocation(location).WithMessage(
                "Callback '" + callback + "' is [UnmanagedCallersOnly], and '" + operation
                + "' may throw outside a catch-all: an exception escaping to native code terminates the process");

        // A wrapper whose fields start as empty or constant collections: creating it cannot fail, so the pinned buffer is
        // handed to the object that frees it. A field that starts from a list built by a method of the compilation can.
        [Fact]
        public Task CreatingAnObjectWhoseFieldsStartAsConstantCollectionsDoesNotThrow() => Leaks(@"
class Source
{
    private readonly ICollection<GCHandle> _handles = [];
    private readonly int[] _levels = [1, 2, 4];
    private readonly List<string> _names = [];
    private GCHandle _data;
    internal Source(IntPtr native) { }

    public static Source Quiet(byte[] bytes)
    {
        var pin = GCHandle.Alloc(bytes, GCHandleType.Pinned);
        var native = Native.source_new(pin.AddrOfPinnedObject(), bytes.Length);
        if (native == IntPtr.Zero)
        {
            pin.Free();
            throw new InvalidOperationException(""no source"");
        }

        return new Source(native) { _data = pin };
    }
}

class Checked
{
    private readonly List<int> _sizes = Sizes.Read();
    private GCHandle _data;
    internal Checked(IntPtr native) { }

    public static Checked Loud(byte[] bytes)
    {
        var pin = {|#0:GCHandle.Alloc(bytes, GCHandleType.Pinned)|};
        var native = Native.source_new(pin.AddrOfPinnedObject(), bytes.Length);
        if (native == IntPtr.Zero)
        {
            pin.Free();
            throw new InvalidOperationException(""no source"");
        }

        return new Checked(native) { _data = pin };
    }
}

static class Sizes
{
    public static List<int> Read() => Environment.GetEnvironmentVariable(""SIZES"") is { } text ? new List<int> { int.Parse(text) } : throw new InvalidOperationException(""unset"");
}", Pinned(0, "new Checked(native) { _data = pin }"));

        // The helper rejects a non-positive amount before it hints the collector, the hint's only failure. Without that
        // test (or with a test that lets zero through) the hint can throw and the copy leaks.
        [Fact]
        public Task AMemoryPressureHintOfAnAmountShownPositiveDoesNotThrow() => Leaks(@"
class Blob
{
    private long _pressure;

    private void Hint(long bytes)
    {
        if (bytes <= 0)
        {
            return;
        }

        GC.AddMemoryPressure(bytes);
        _pressure += bytes;
    }

    private void HintInside(int bytes)
    {
        if (bytes > 0)
            GC.AddMemoryPressure(bytes);
    }

    private void HintBlindly(long bytes) => GC.AddMemoryPressure(bytes);

    private void HintFromZero(long bytes)
    {
        if (bytes < 0)
            return;
        GC.AddMemoryPressure(bytes);
    }

    public void Quiet(IntPtr blob, byte[] data)
    {
        var copy = Marshal.AllocHGlobal(data.Length);
        Marshal.Copy(data, 0, copy, data.Length);
        Hint(data.Length);
        HintInside(data.Length);
        Native.blob_set(copy, data.Length);
        Marshal.FreeHGlobal(copy);
    }

    public void Blind(IntPtr blob, byte[] data)
    {
        var copy = {|#0:Marshal.AllocHGlobal(data.Length)|};
        Marshal.Copy(data, 0, copy, data.Length);
        HintBlindly(data.Length);
        Native.blob_set(copy, data.Length);
        Marshal.FreeHGlobal(copy);
    }

    public void FromZero(IntPtr blob, byte[] data)
    {
        var copy = {|#1:Marshal.AllocHGlobal(data.Length)|};
        Marshal.Copy(data, 0, copy, data.Length);
        HintFromZero(data.Length);
        Native.blob_set(copy, data.Length);
        Marshal.FreeHGlobal(copy);
    }
}", Leak(0, "HintBlindly(data.Length)"), Leak(1, "HintFromZero(data.Length)"));

        // The private field is declared as an interface, but every value it is given is a list: clearing it cannot fail.
        // A public field (anyone may store any collection), or one also given a caller's collection, is a call into
        // unknown code.
        [Fact]
        public Task ClearingAPrivateInterfaceFieldThatAlwaysHoldsAListDoesNotThrow() => Callbacks(@"
sealed class Signals
{
    private readonly ICollection<GCHandle> _handles = [];
    private ICollection<GCHandle> _pending = new List<GCHandle>();
    private ICollection<GCHandle> _given = [];
    public ICollection<GCHandle> Shared = [];

    public void Adopt(ICollection<GCHandle> handles) => _given = handles;

    [UnmanagedCallersOnly]
    static void Released(IntPtr user)
    {
        var self = (Signals)GCHandle.FromIntPtr(user).Target!;
        self._handles.Clear();
        self._pending.Add(default);
        self._pending = new List<GCHandle>();
        Native.on_release(user);
    }

    [UnmanagedCallersOnly]
    static void {|#0:ReleasedGiven|}(IntPtr user)
    {
        var self = (Signals)GCHandle.FromIntPtr(user).Target!;
        self._given.Clear();
    }

    [UnmanagedCallersOnly]
    static void {|#1:ReleasedShared|}(IntPtr user)
    {
        var self = (Signals)GCHandle.FromIntPtr(user).Target!;
        self.Shared.Clear();
    }
}", Escapes(0, "ReleasedGiven", "self._given.Clear()"), Escapes(1, "ReleasedShared", "self.Shared.Clear()"));
    
        // Choosing the native formatter by platform: the platform tests cannot fail (nor can a debugger break, which traps
        // instead of throwing), so the buffer is freed on every path they are on. A platform named by a value the caller passes can be null, and that test can throw.
        [Fact]
        public Task PlatformTestsDoNotThrow() => Leaks(@"
static class Formatter
{
    [DllImport(""c"")] static extern int vsprintf(IntPtr buffer, IntPtr format, IntPtr args);
    [DllImport(""msvcrt"")] static extern int vsprintf_s(IntPtr buffer, IntPtr format, IntPtr args);

    static int Print(IntPtr buffer, IntPtr format, IntPtr args)
    {
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            return vsprintf_s(buffer, format, args);
        System.Diagnostics.Debugger.Break();
        if (OperatingSystem.IsLinux() || RuntimeInformation.IsOSPlatform(OSPlatform.Create(""ANDROID"")))
            return vsprintf(buffer, format, args);
        return -1;
    }

    static int PrintOn(string platform, IntPtr buffer, IntPtr format, IntPtr args)
        => OperatingSystem.IsOSPlatform(platform) ? vsprintf(buffer, format, args) : -1;

    public static void Quiet(IntPtr format, IntPtr args, int length)
    {
        var copy = Marshal.AllocHGlobal(length);
        Print(copy, format, args);
        Marshal.FreeHGlobal(copy);
    }

    public static void Named(string platform, IntPtr format, IntPtr args, int length)
    {
        var copy = {|#0:Marshal.AllocHGlobal(length)|};
        PrintOn(platform, copy, format, args);
        Marshal.FreeHGlobal(copy);
    }
}", Leak(0, "PrintOn(platform, copy, format, args)"));

        // A wrapper's constructor stores a fresh native record through its own checked setter: the setter throws only once
        // the object is disposed, which cannot have happened yet. The same setter used on another object, or a flag that a
        // constructor sets, can throw.
        [Fact]
        public Task AFlagNothingSetsBeforeTheConstructorReturnsCannotFireInIt() => Leaks(@"
sealed class Bitmap
{
    private bool _disposed;
    private IntPtr _record;

    public Bitmap()
    {
        var record = Marshal.AllocHGlobal(32);
        Native.blob_set(record, 32);
        Record = record;
    }

    public Bitmap(Bitmap other)
    {
        var record = {|#0:Marshal.AllocHGlobal(32)|};
        Native.blob_set(record, 32);
        other.Record = record;
    }

    internal IntPtr Record
    {
        get
        {
            if (_disposed)
                throw new ObjectDisposedException(nameof(Bitmap));
            return _record;
        }
        set
        {
            if (_disposed)
                throw new ObjectDisposedException(nameof(Bitmap));
            _record = value;
        }
    }

    public void Dispose()
    {
        Marshal.FreeHGlobal(_record);
        _disposed = true;
    }
}

sealed class Frame
{
    private bool _closed;
    private IntPtr _record;

    public Frame(bool closed)
    {
        _closed = closed;
        var record = {|#1:Marshal.AllocHGlobal(32)|};
        Native.blob_set(record, 32);
        Record = record;
    }

    internal IntPtr Record
    {
        set
        {
            if (_closed)
                throw new InvalidOperationException(""closed"");
            _record = value;
        }
    }

    public void Close()
    {
        Marshal.FreeHGlobal(_record);
        _closed = true;
    }
}", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage("Native memory from 'Marshal.AllocHGlobal' in 'record' is not released by 'Marshal.FreeHGlobal' if 'other.Record' throws"),
            Verify.Diagnostic("IG3001").WithLocation(1).WithMessage("Native memory from 'Marshal.AllocHGlobal' in 'record' is not released by 'Marshal.FreeHGlobal' if 'Record' throws"));

        // A placeholder an IL-weaving build replaces (or a stub): only 'throw new NotImplementedException()'. A helper that
        // throws something else, or does more than throw, is read as usual.
        [Fact]
        public Task ANotImplementedPlaceholderIsNotAThrowPoint() => Leaks(@"
static unsafe class Calls
{
    internal static int CallI(void* instance, void* text, void* method)
    {
        throw new NotImplementedException();
    }

    internal static int CallChecked(void* instance, void* text, void* method) => throw new NotSupportedException();

    internal static int CallLater(void* instance, void* text, void* method)
    {
        Console.WriteLine(""not yet"");
        throw new NotImplementedException();
    }
}

unsafe class Session
{
    private readonly void* _instance;
    private readonly void* _method;

    public int SetName(string name)
    {
        var text = Marshal.StringToHGlobalUni(name);
        int result = Calls.CallI(_instance, text.ToPointer(), _method);
        Marshal.FreeHGlobal(text);
        return result;
    }

    public int SetChecked(string name)
    {
        var text = {|#0:Marshal.StringToHGlobalUni(name)|};
        int result = Calls.CallChecked(_instance, text.ToPointer(), _method);
        Marshal.FreeHGlobal(text);
        return result;
    }

    public int SetLater(string name)
    {
        var text = {|#1:Marshal.StringToHGlobalUni(name)|};
        int result = Calls.CallLater(_instance, text.ToPointer(), _method);
        Marshal.FreeHGlobal(text);
        return result;
    }
}", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage("Native memory from 'Marshal.StringToHGlobalUni' in 'text' is not released by 'Marshal.FreeHGlobal' if 'Calls.CallChecked(_instance, text.ToPointer(), _method)' throws"),
            Verify.Diagnostic("IG3001").WithLocation(1).WithMessage("Native memory from 'Marshal.StringToHGlobalUni' in 'text' is not released by 'Marshal.FreeHGlobal' if 'Calls.CallLater(_instance, text.ToPointer(), _method)' throws"));

        // A pool made with a capacity the code has shown positive, or a constant one, cannot fail for its capacity (only a
        // negative capacity throws), read in the callback and in a helper it calls; a capacity nothing checked can.
        [Fact]
        public Task ACollectionMadeWithACheckedCapacityDoesNotThrow() => Callbacks(@"
static class Pools
{
    [UnmanagedCallersOnly]
    private static void Returned(IntPtr block, int limit)
    {
        if (limit <= 0)
        {
            return;
        }

        var pool = new Stack<IntPtr>(limit);
        var names = new List<string>(16);
        var text = new System.Text.StringBuilder(0);
    }

    [UnmanagedCallersOnly]
    private static void Forwarded(IntPtr block, int limit) => Keep(block, limit);

    private static void Keep(IntPtr block, int limit)
    {
        if (block == IntPtr.Zero || limit <= 0)
        {
            return;
        }

        var pool = new Queue<IntPtr>(limit);
    }

    [UnmanagedCallersOnly]
    private static void {|#0:Sized|}(IntPtr block, int limit)
    {
        var pool = new Stack<IntPtr>(limit);
    }
}", Escapes(0, "Sized", "new Stack<IntPtr>(limit)"));

        // A pool table filled on first use: the add follows a lookup of the same key that found nothing, in its branch or
        // after a statement that left when the key was there, so it cannot meet a duplicate. An add with no lookup before
        // it, one of another key, and a second add in the same branch can.
        [Fact]
        public Task AnAddAfterALookupThatFoundNothingDoesNotThrow() => Callbacks(@"
static class Buckets
{
    private static readonly Dictionary<int, Stack<IntPtr>> Pools = new Dictionary<int, Stack<IntPtr>>();

    [UnmanagedCallersOnly]
    private static void Returned(IntPtr block, int size)
    {
        if (!Pools.TryGetValue(size, out var pool))
        {
            pool = new Stack<IntPtr>();
            Pools.Add(size, pool);
        }

        pool.Push(block);
    }

    [UnmanagedCallersOnly]
    private static void Opened(IntPtr block, int size)
    {
        if (Pools.ContainsKey(size))
        {
            return;
        }

        Pools.Add(size, new Stack<IntPtr>());
    }

    [UnmanagedCallersOnly]
    private static void {|#0:Unchecked|}(IntPtr block, int size)
    {
        Pools.Add(size, new Stack<IntPtr>());
    }

    [UnmanagedCallersOnly]
    private static void {|#1:OtherKey|}(IntPtr block, int size, int other)
    {
        if (!Pools.ContainsKey(size))
        {
            Pools.Add(other, new Stack<IntPtr>());
        }
    }

    [UnmanagedCallersOnly]
    private static void {|#2:Twice|}(IntPtr block, int size)
    {
        if (!Pools.ContainsKey(size))
        {
            Pools.Add(size, new Stack<IntPtr>());
            Pools.Add(size + 1, new Stack<IntPtr>());
        }
    }
}", Escapes(0, "Unchecked", "Pools.Add(size, new Stack<IntPtr>())"),
            Escapes(1, "OtherKey", "Pools.Add(other, new Stack<IntPtr>())"),
            Escapes(2, "Twice", "Pools.Add(size, new Stack<IntPtr>())"));

        // A helper's null check of its argument, where the callback has already dereferenced that value (or checks it with
        // ThrowIfNull after doing so): had it been null, the dereference would have failed first. A value nothing
        // dereferenced still meets the check.
        [Fact]
        public Task ANullCheckOfAValueDereferencedOnTheWayDoesNotThrow() => Callbacks(@"
sealed class Counter
{
    public int Count;
    public bool Decrement() => --Count == 0;
}

static class Counters
{
    private static readonly Dictionary<IntPtr, Counter> Live = new Dictionary<IntPtr, Counter>();
    private static readonly Stack<Counter> Spare = new Stack<Counter>();
    private static Counter s_last = new Counter();

    [UnmanagedCallersOnly]
    private static void Freed(IntPtr block)
    {
        if (!Live.TryGetValue(block, out var counter))
        {
            return;
        }

        if (counter.Decrement())
        {
            Recycle(counter);
            Remember(counter);
        }
    }

    [UnmanagedCallersOnly]
    private static void Touched(IntPtr block)
    {
        if (Live.TryGetValue(block, out var counter))
        {
            counter.Count++;
            ArgumentNullException.ThrowIfNull(counter);
        }
    }

    [UnmanagedCallersOnly]
    private static void {|#0:Blind|}(IntPtr block)
    {
        Live.TryGetValue(block, out var counter);
        Recycle(counter);
    }

    [UnmanagedCallersOnly]
    private static void {|#1:Unchecked|}(IntPtr block)
    {
        Live.TryGetValue(block, out var counter);
        ArgumentNullException.ThrowIfNull(counter);
    }

    private static void Recycle(Counter counter)
    {
        if (counter == null)
        {
            throw new ArgumentNullException(nameof(counter));
        }

        Spare.Push(counter);
    }

    private static void Remember(Counter counter) => s_last = counter ?? throw new ArgumentNullException(nameof(counter));
}", Verify.Diagnostic("IG5001").WithLocation(0).WithMessage(
            "Callback 'Blind' is [UnmanagedCallersOnly], and 'Recycle(counter)' may throw ('throw new ArgumentNullException(…)' in 'Recycle') outside a catch-all: an exception escaping to native code terminates the process"),
            Escapes(1, "Unchecked", "ArgumentNullException.ThrowIfNull(counter)"));

        // A check helper that throws only when the value it is given is zero, called right after the allocation: on that
        // throw nothing was allocated. A helper that also throws for another reason still leaks the block; so does a new
        // encoding object's construction count as quiet only with constant flags.
        [Fact]
        public Task ACheckThatThrowsOnlyForAnEmptyAllocationIsNotALeakPath() => Leaks(@"
static class Checks
{
    public static void ThrowOnZero(IntPtr value, string what)
    {
        if (value == IntPtr.Zero)
        {
            throw new System.ComponentModel.Win32Exception(Marshal.GetLastWin32Error(), what + "" failed"");
        }
    }

    public static void ThrowOnZeroOrShort(IntPtr value, int length)
    {
        if (value == IntPtr.Zero)
        {
            throw new InvalidOperationException(""none"");
        }

        if (length < 16)
        {
            throw new ArgumentOutOfRangeException(nameof(length));
        }
    }
}

class Reader
{
    public int Read(byte[] data)
    {
        var copy = Marshal.AllocHGlobal(data.Length);
        Checks.ThrowOnZero(copy, ""AllocHGlobal"");
        try
        {
            Native.blob_set(copy, data.Length);
            return 1;
        }
        finally
        {
            Marshal.FreeHGlobal(copy);
        }
    }

    public int ReadShort(byte[] data)
    {
        var copy = {|#0:Marshal.AllocHGlobal(data.Length)|};
        Checks.ThrowOnZeroOrShort(copy, data.Length);
        try
        {
            Native.blob_set(copy, data.Length);
            return 1;
        }
        finally
        {
            Marshal.FreeHGlobal(copy);
        }
    }

    public int Encode(byte[] data, bool mark)
    {
        var copy = {|#2:Marshal.AllocHGlobal(data.Length)|};
        var text = new System.Text.UnicodeEncoding(false, true);
        var copied = {|#1:Marshal.AllocHGlobal(data.Length)|};
        var marked = new System.Text.UTF8Encoding(mark);
        try
        {
            Native.blob_set(copy, data.Length);
            Native.blob_set(copied, data.Length);
            return text.GetMaxByteCount(1) + marked.GetMaxByteCount(1);
        }
        finally
        {
            Marshal.FreeHGlobal(copy);
            Marshal.FreeHGlobal(copied);
        }
    }
}", Leak(0, "Checks.ThrowOnZeroOrShort(copy, data.Length)"), Verify.Diagnostic("IG3001").WithLocation(1).WithMessage("Native memory from 'Marshal.AllocHGlobal' in 'copied' is not released by 'Marshal.FreeHGlobal' if 'new System.Text.UTF8Encoding(mark)' throws"),
            Verify.Diagnostic("IG3001").WithLocation(2).WithMessage("Native memory from 'Marshal.AllocHGlobal' in 'copy' is not released by 'Marshal.FreeHGlobal' if 'new System.Text.UTF8Encoding(mark)' throws"));
}
}
