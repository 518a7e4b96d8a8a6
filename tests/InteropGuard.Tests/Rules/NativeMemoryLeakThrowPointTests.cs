using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// What counts as a place an exception can start (Flow/ThrowPoints, docs/rules/IG3001.md "What can throw"): the calls
    /// that throw in practice still make a leak path; native calls, measured encodings, repeated calls, calls that cannot
    /// fail on their arguments and wrappers that cannot throw do not.
    /// </summary>
    public class NativeMemoryLeakThrowPointTests
    {
        private const string Prelude = @"using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;

static partial class Native
{
    [DllImport(""mylib"")] public static extern int fill(IntPtr p, int n);
    [DllImport(""mylib"", PreserveSig = false)] public static extern int fill_com(IntPtr p, int n);
    [LibraryImport(""mylib"")] public static partial int put(IntPtr p);
    public static partial int put(IntPtr p) => 0;
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Leak(int location, string variable, string thrower)
            => Verify.Diagnostic("IG3001").WithLocation(location).WithMessage(
                "Native memory from 'Marshal.AllocHGlobal' in '" + variable + "' is not released by 'Marshal.FreeHGlobal' if '" + thrower + "' throws");

        // ---- look-alikes: not throw points ----

        [Fact]
        public Task PInvokesAndUnmanagedFunctionPointersAreNotThrowPoints() => Check(@"
unsafe class C
{
    void DllImport()
    {
        var p = Marshal.AllocHGlobal(16);
        Native.fill(p, 16);
        Marshal.FreeHGlobal(p);
    }

    void LibraryImport()
    {
        var p = Marshal.AllocHGlobal(16);
        Native.put(p);
        Marshal.FreeHGlobal(p);
    }

    void FunctionPointer(delegate* unmanaged<IntPtr, int, int> fill)
    {
        var p = Marshal.AllocHGlobal(16);
        fill(p, 16);
        Marshal.FreeHGlobal(p);
    }
}");

        [Fact]
        public Task EncodingIntoABufferMeasuredFromTheSameInputIsNotAThrowPoint() => Check(@"
unsafe class C
{
    void Span(string s)
    {
        int n = Encoding.UTF8.GetByteCount(s);
        IntPtr p = Marshal.AllocHGlobal(n + 1);
        Encoding.UTF8.GetBytes(s, new Span<byte>((void*)p, n + 1));
        Native.put(p);
        Marshal.FreeHGlobal(p);
    }

    void Array(string s, Encoding encoding)
    {
        var bytes = new byte[encoding.GetMaxByteCount(s.Length)];
        IntPtr p = Marshal.AllocHGlobal(64);
        int written = encoding.GetBytes(s, 0, s.Length, bytes, 0);
        Marshal.Copy(bytes, 0, p, written < 64 ? written : 64);
        Marshal.FreeHGlobal(p);
    }

    void StackAlloc(byte[] utf8)
    {
        Span<char> chars = stackalloc char[Encoding.UTF8.GetCharCount(utf8)];
        IntPtr p = Marshal.AllocHGlobal(8);
        Encoding.UTF8.GetChars(utf8, chars);
        Marshal.FreeHGlobal(p);
    }
}");

        [Fact]
        public Task ACallThatAlreadySucceededOnTheSameReceiverIsNotAThrowPoint() => Check(@"
sealed class Pool
{
    private bool _closed;
    public IntPtr Borrow() => _closed ? throw new ObjectDisposedException(nameof(Pool)) : IntPtr.Zero;
}
class C
{
    void M(Pool pool)
    {
        var first = pool.Borrow();
        var p = Marshal.AllocHGlobal(8);
        var second = pool.Borrow();
        Native.fill(p, (int)pool.Borrow());
        Marshal.FreeHGlobal(p);
    }
}");

        [Fact]
        public Task CallsThatCannotFailOnTheirArgumentsAreNotThrowPoints() => Check(@"
sealed class Registry
{
    private readonly ConcurrentDictionary<int, object> _items = new ConcurrentDictionary<int, object>();

    void M(IntPtr user, int key, Memory<byte> memory)
    {
        var pin = memory.Pin();
        var p = Marshal.AllocHGlobal(8);
        var target = GCHandle.FromIntPtr(user).Target;
        _items.TryAdd(key, ""entry"");
        _items.TryGetValue(key, out var found);
        _items.TryRemove(key, out _);
        pin.Dispose();
        Marshal.FreeHGlobal(p);
    }
}");

        [Fact]
        public Task WrappersThatOnlyFreeOrCallNativeCodeAreNotThrowPoints() => Check(@"
class C
{
    static void FreeBoth(IntPtr a, IntPtr b)
    {
        Marshal.FreeHGlobal(a);
        Marshal.FreeHGlobal(b);
    }

    static int Fill(IntPtr p) => Native.fill(p, 16);

    static int FillChecked(IntPtr p)
    {
        int rc = Fill(p);
        return rc;
    }

    void M(IntPtr scratch, IntPtr other)
    {
        var p = Marshal.AllocHGlobal(16);
        FillChecked(p);
        FreeBoth(scratch, other);
        Marshal.FreeHGlobal(p);
    }
}");

        // ---- still throw points ----

        [Fact]
        public Task AMethodThatCallsSomethingThatThrowsIsAThrowPoint() => Check(@"
class C
{
    static void Fail(int rc)
    {
        if (rc != 0)
            throw new InvalidOperationException(""native call failed"");
    }

    static void Check(int rc) => Fail(rc);

    void M()
    {
        var p = {|#0:Marshal.AllocHGlobal(16)|};
        Check(Native.fill(p, 16));
        Marshal.FreeHGlobal(p);
    }
}", Leak(0, "p", "Check(Native.fill(p, 16))"));

        [Fact]
        public Task PreserveSigFalseIsAThrowPoint() => Check(@"
class C
{
    void M()
    {
        var p = {|#0:Marshal.AllocHGlobal(16)|};
        Native.fill_com(p, 16);
        Marshal.FreeHGlobal(p);
    }
}", Leak(0, "p", "Native.fill_com(p, 16)"));

        [Fact]
        public Task ManagedFunctionPointerIsAThrowPoint() => Check(@"
unsafe class C
{
    void M(delegate*<int, void> prepare)
    {
        var p = {|#0:Marshal.AllocHGlobal(16)|};
        prepare(16);
        Marshal.FreeHGlobal(p);
    }
}", Leak(0, "p", "prepare(16)"));

        [Fact]
        public Task UserDelegatesAndInterfaceCallsAreThrowPoints() => Check(@"
interface ISink { void Write(IntPtr p); }
class C
{
    void Delegate(Action<int> progress)
    {
        var p = {|#0:Marshal.AllocHGlobal(16)|};
        progress(16);
        Marshal.FreeHGlobal(p);
    }

    void Interface(ISink sink)
    {
        var q = {|#1:Marshal.AllocHGlobal(16)|};
        sink.Write(q);
        Marshal.FreeHGlobal(q);
    }
}", Leak(0, "p", "progress(16)"), Leak(1, "q", "sink.Write(q)"));

        [Fact]
        public Task EncodingIntoABufferMeasuredFromSomethingElseIsAThrowPoint() => Check(@"
unsafe class C
{
    void OtherInput(string s, string t)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(t)];
        IntPtr p = {|#0:Marshal.AllocHGlobal(8)|};
        Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
        Marshal.FreeHGlobal(p);
    }

    void OtherEncoding(string s)
    {
        var bytes = new byte[Encoding.ASCII.GetMaxByteCount(s.Length)];
        IntPtr p = {|#1:Marshal.AllocHGlobal(8)|};
        Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
        Marshal.FreeHGlobal(p);
    }

    void FixedSize(string s)
    {
        IntPtr p = {|#2:Marshal.AllocHGlobal(8)|};
        Encoding.UTF8.GetBytes(s, new Span<byte>((void*)p, 8));
        Marshal.FreeHGlobal(p);
    }
}", Leak(0, "p", "Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0)"),
            Leak(1, "p", "Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0)"),
            Leak(2, "p", "Encoding.UTF8.GetBytes(s, new Span<byte>((void*)p, 8))"));

        [Fact]
        public Task ARepeatedCallThatMayNotHaveRunIsAThrowPoint() => Check(@"
sealed class Pool
{
    private bool _closed;
    public IntPtr Borrow() => _closed ? throw new ObjectDisposedException(nameof(Pool)) : IntPtr.Zero;
    public IntPtr Borrow(int size) => size < 0 ? throw new ArgumentOutOfRangeException(nameof(size)) : IntPtr.Zero;
}
class C
{
    void Conditional(Pool pool, bool warm)
    {
        if (warm)
            pool.Borrow();
        var p = {|#0:Marshal.AllocHGlobal(8)|};
        pool.Borrow();
        Marshal.FreeHGlobal(p);
    }

    void OtherReceiver(Pool pool, Pool other)
    {
        pool.Borrow();
        var p = {|#1:Marshal.AllocHGlobal(8)|};
        other.Borrow();
        Marshal.FreeHGlobal(p);
    }

    void OtherArgument(Pool pool, int size)
    {
        pool.Borrow(0);
        var p = {|#2:Marshal.AllocHGlobal(8)|};
        pool.Borrow(size);
        Marshal.FreeHGlobal(p);
    }

    void ReceiverReassigned(Pool pool, Pool other)
    {
        pool.Borrow();
        pool = other;
        var p = {|#3:Marshal.AllocHGlobal(8)|};
        pool.Borrow();
        Marshal.FreeHGlobal(p);
    }
}", Leak(0, "p", "pool.Borrow()"), Leak(1, "p", "other.Borrow()"), Leak(2, "p", "pool.Borrow(size)"), Leak(3, "p", "pool.Borrow()"));
        // ---- out-of-memory-only calls, quiet constructors, measured pointer encodings, repeated extension calls ----

        [Fact]
        public Task CallsThatCanOnlyRunOutOfMemoryAreNotThrowPoints() => Check(@"
[Flags] enum Mode { None = 0, Read = 1, Write = 2 }
sealed class Tracker
{
    [ThreadStatic] static HashSet<IntPtr> t_live;
    static HashSet<IntPtr> Live() { if (t_live == null) { t_live = new HashSet<IntPtr>(); } return t_live; }

    readonly List<IntPtr> _list = new List<IntPtr>();
    readonly Queue<int> _queue = new Queue<int>();
    readonly Dictionary<int, string> _names = new Dictionary<int, string>();

    unsafe void M(Mode mode, byte* text, int length, int code)
    {
        var p = Marshal.AllocHGlobal(8);
        Live().Add(p);
        _list.Add(p);
        _list.Remove(p);
        var most = Math.Max(code, length);
        _queue.Enqueue(code);
        if (_queue.Count > 0) _queue.Dequeue();
        var log = new StringBuilder();
        log.Append(mode.HasFlag(Mode.Read));
        log.Append(Encoding.UTF8.GetString(text, length));
        _names.TryGetValue(code, out var name);
        var done = new System.Threading.Tasks.TaskCompletionSource<int>(System.Threading.Tasks.TaskCreationOptions.RunContinuationsAsynchronously);
        var wait = TimeSpan.FromMilliseconds(code);
        Native.fill(p, log.Length);
        Marshal.FreeHGlobal(p);
    }
}");

        // Next to each call above, the one that really can fail.
        [Fact]
        public Task CallsThatValidateWhatTheyAreGivenStillThrow() => Check(@"
[Flags] enum Mode { None = 0, Read = 1 }
enum Other { A = 1 }
sealed class Tracker
{
    readonly Queue<int> _queue = new Queue<int>();
    readonly Dictionary<string, int> _ids = new Dictionary<string, int>();

    unsafe void M(Mode mode, Encoding encoding, byte* text, int length, string key, int hours, System.Threading.Tasks.TaskCreationOptions options)
    {
        var p = {|#0:Marshal.AllocHGlobal(8)|};
        _queue.Dequeue();
        Marshal.FreeHGlobal(p);

        var q = {|#1:Marshal.AllocHGlobal(8)|};
        _ids.TryGetValue(key, out var id);
        Marshal.FreeHGlobal(q);

        var r = {|#2:Marshal.AllocHGlobal(8)|};
        mode.HasFlag(Other.A);
        Marshal.FreeHGlobal(r);

        var s = {|#3:Marshal.AllocHGlobal(8)|};
        encoding.GetString(text, length);
        Marshal.FreeHGlobal(s);

        var t = {|#4:Marshal.AllocHGlobal(8)|};
        TimeSpan.FromHours(hours);
        Marshal.FreeHGlobal(t);

        var u = {|#5:Marshal.AllocHGlobal(8)|};
        new System.Threading.Tasks.TaskCompletionSource<int>(options);
        Marshal.FreeHGlobal(u);

        var v = {|#6:Marshal.AllocHGlobal(8)|};
        if (_queue.Count > 0) { _queue.Dequeue(); _queue.Dequeue(); }
        Marshal.FreeHGlobal(v);
    }
}", Leak(0, "p", "_queue.Dequeue()"), Leak(1, "q", "_ids.TryGetValue(key, out var id)"), Leak(2, "r", "mode.HasFlag(Other.A)"),
            Leak(3, "s", "encoding.GetString(text, length)"), Leak(4, "t", "TimeSpan.FromHours(hours)"),
            Leak(5, "u", "new System.Threading.Tasks.TaskCompletionSource<int>(opti..."), Leak(6, "v", "_queue.Dequeue()"));

        [Fact]
        public Task ConstructorsThatOnlyStoreTheirArgumentsAreNotThrowPoints() => Check(@"
struct Details { public int Tag; }
sealed class Entry
{
    private readonly Details _details;
    internal Entry(Details details) { _details = details; }
}
sealed class Plain
{
    public int Size { get; set; }
}
class C
{
    readonly List<Entry> _entries = new List<Entry>();

    void M(Details details)
    {
        var p = Marshal.AllocHGlobal(8);
        _entries.Add(new Entry(details));
        var plain = new Plain();
        Marshal.FreeHGlobal(p);
    }
}");

        [Fact]
        public Task ConstructorsThatValidateOrInitializeStillThrow() => Check(@"
sealed class Checked
{
    internal Checked(int size) { if (size < 0) throw new ArgumentOutOfRangeException(nameof(size)); }
}
sealed class Initialized
{
    private readonly int[] _table = Tables.Make();
}
static class Tables
{
    public static int[] Make() => throw new InvalidOperationException();
}
class C
{
    void M(int size)
    {
        var p = {|#0:Marshal.AllocHGlobal(8)|};
        new Checked(size);
        Marshal.FreeHGlobal(p);

        var q = {|#1:Marshal.AllocHGlobal(8)|};
        new Initialized();
        Marshal.FreeHGlobal(q);
    }
}", Leak(0, "p", "new Checked(size)"), Leak(1, "q", "new Initialized()"));

        [Fact]
        public Task PointerEncodingIntoABufferMeasuredOrBoundedIsNotAThrowPoint() => Check(@"
unsafe class C
{
    static int Utf8Size(string s)
    {
        if (s == null)
        {
            return 0;
        }
        return (s.Length * 4) + 1;
    }

    static IntPtr Bounded(string s)
    {
        int size = Utf8Size(s);
        IntPtr p = Marshal.AllocHGlobal(size);
        fixed (char* chars = s)
        {
            Encoding.UTF8.GetBytes(chars, s.Length + 1, (byte*)p, size);
        }
        Native.put(p);
        Marshal.FreeHGlobal(p);
        return IntPtr.Zero;
    }

    static void Counted(Encoding encoding, string value)
    {
        int length = encoding.GetByteCount(value);
        var buffer = (byte*)Marshal.AllocHGlobal(length + 1);
        fixed (char* chars = value)
        {
            encoding.GetBytes(chars, value.Length, buffer, length);
        }
        Native.put((IntPtr)buffer);
        Marshal.FreeHGlobal((IntPtr)buffer);
    }
}");

        [Fact]
        public Task PointerEncodingIntoABufferTooSmallOrUnrelatedStillThrows() => Check(@"
unsafe class C
{
    static int Utf16Size(string s) => s.Length * 2 + 2;

    static void Undersized(string s)
    {
        int size = Utf16Size(s);
        IntPtr p = {|#0:Marshal.AllocHGlobal(size)|};
        fixed (char* chars = s)
        {
            Encoding.UTF8.GetBytes(chars, s.Length + 1, (byte*)p, size);
        }
        Marshal.FreeHGlobal(p);
    }

    static void NoRoomForTheTerminator(Encoding encoding, string value)
    {
        int length = encoding.GetByteCount(value);
        IntPtr p = {|#1:Marshal.AllocHGlobal(length + 1)|};
        fixed (char* chars = value)
        {
            encoding.GetBytes(chars, value.Length + 1, (byte*)p, length);
        }
        Marshal.FreeHGlobal(p);
    }

    static void OtherString(string s, string t)
    {
        int size = t.Length * 4 + 1;
        IntPtr p = {|#2:Marshal.AllocHGlobal(size)|};
        fixed (char* chars = s)
        {
            Encoding.UTF8.GetBytes(chars, s.Length, (byte*)p, size);
        }
        Marshal.FreeHGlobal(p);
    }
}", Leak(0, "p", "Encoding.UTF8.GetBytes(chars, s.Length + 1, (byte*)p, size)"),
            Leak(1, "p", "encoding.GetBytes(chars, value.Length + 1, (byte*)p, length)"),
            Leak(2, "p", "Encoding.UTF8.GetBytes(chars, s.Length, (byte*)p, size)"));

        [Fact]
        public Task Utf16EncodingIntoTwoBytesPerCharacterIsNotAThrowPoint() => Check(@"
unsafe class Strings
{
    // A copy of Marshal.StringToHGlobalUni for a runtime without it: UTF-16 writes exactly two bytes per unit.
    static IntPtr ToNativeUnicode(string text)
    {
        int units = text.Length + 1;
        int bytes = units * sizeof(char);
        IntPtr block = Marshal.AllocHGlobal(bytes);
        fixed (char* source = text)
        {
            var utf16 = new UnicodeEncoding();
            utf16.GetBytes(source, units, (byte*)block, bytes);
        }
        Native.put(block);
        Marshal.FreeHGlobal(block);
        return IntPtr.Zero;
    }

    static void Shared(string text)
    {
        IntPtr block = Marshal.AllocHGlobal(text.Length * 2);
        fixed (char* source = text)
        {
            Encoding.Unicode.GetBytes(source, text.Length, (byte*)block, 2 * text.Length);
        }
        Marshal.FreeHGlobal(block);
    }
}");

        [Fact]
        public Task TwoBytesPerCharacterIsTooFewForUtf8OrWithAThrowingFallback() => Check(@"
unsafe class Strings
{
    static void Utf8(string text)
    {
        int units = text.Length + 1;
        IntPtr block = {|#0:Marshal.AllocHGlobal(units * 2)|};
        fixed (char* source = text)
        {
            Encoding.UTF8.GetBytes(source, units, (byte*)block, units * 2);
        }
        Marshal.FreeHGlobal(block);
    }

    static void Strict(string text)
    {
        int units = text.Length;
        IntPtr block = {|#1:Marshal.AllocHGlobal(units * 2)|};
        fixed (char* source = text)
        {
            var utf16 = new UnicodeEncoding(false, false, true);
            utf16.GetBytes(source, units, (byte*)block, units * 2);
        }
        Marshal.FreeHGlobal(block);
    }

    static void OtherCount(string text, int other)
    {
        int units = text.Length;
        IntPtr block = {|#2:Marshal.AllocHGlobal(other * 2)|};
        fixed (char* source = text)
        {
            Encoding.Unicode.GetBytes(source, units, (byte*)block, other * 2);
        }
        Marshal.FreeHGlobal(block);
    }
}", Leak(0, "block", "Encoding.UTF8.GetBytes(...)"),
            Leak(1, "block", "utf16.GetBytes(source, units, (byte*)block, units * 2)"),
            Leak(2, "block", "Encoding.Unicode.GetBytes(...)"));

        [Fact]
        public Task PointerEncodingMeasuredThroughThePointerOverloadIsNotAThrowPoint() => Check(@"
unsafe class Store
{
    // A key and a value encoded back to back into one block, each measured by the pointer overload of the encoding the
    // caller chose (or UTF-8 when it chose none).
    static void Put(string key, string value, Encoding encoding = null)
    {
        if (encoding is null)
        {
            encoding = Encoding.UTF8;
        }

        fixed (char* k = key, v = value)
        {
            int keyChars = key.Length;
            int valueChars = value.Length;
            int keyBytes = encoding.GetByteCount(k, keyChars);
            int valueBytes = encoding.GetByteCount(v, valueChars);
            IntPtr block = Marshal.AllocHGlobal(keyBytes + valueBytes);
            byte* first = (byte*)block.ToPointer();
            encoding.GetBytes(k, keyChars, first, keyBytes);
            encoding.GetBytes(v, valueChars, first + keyBytes, valueBytes);
            Native.put(block);
            Marshal.FreeHGlobal(block);
        }
    }
}");

        [Fact]
        public Task PointerEncodingMeasuredFromAnotherCountOrEncodingStillThrows() => Check(@"
unsafe class Store
{
    // Counts the first half only, encodes all of it.
    static void Half(string key)
    {
        fixed (char* k = key)
        {
            int bytes = Encoding.UTF8.GetByteCount(k, key.Length / 2);
            IntPtr block = {|#0:Marshal.AllocHGlobal(bytes)|};
            Encoding.UTF8.GetBytes(k, key.Length, (byte*)block, bytes);
            Marshal.FreeHGlobal(block);
        }
    }

    // The encoding changes between the measurement and the encoding.
    static void Switched(string key, Encoding encoding)
    {
        fixed (char* k = key)
        {
            int bytes = encoding.GetByteCount(k, key.Length);
            IntPtr block = {|#1:Marshal.AllocHGlobal(bytes)|};
            encoding = Encoding.Unicode;
            encoding.GetBytes(k, key.Length, (byte*)block, bytes);
            Marshal.FreeHGlobal(block);
        }
    }

    // A ref alias replaces the encoding under another name.
    static void Aliased(string key, Encoding encoding)
    {
        ref Encoding other = ref encoding;
        fixed (char* k = key)
        {
            int bytes = encoding.GetByteCount(k, key.Length);
            IntPtr block = {|#2:Marshal.AllocHGlobal(bytes)|};
            other = Encoding.Unicode;
            encoding.GetBytes(k, key.Length, (byte*)block, bytes);
            Marshal.FreeHGlobal(block);
        }
    }
}", Leak(0, "block", "Encoding.UTF8.GetBytes(k, key.Length, (byte*)block, bytes)"),
            Leak(1, "block", "encoding.GetBytes(k, key.Length, (byte*)block, bytes)"),
            Leak(2, "block", "encoding.GetBytes(k, key.Length, (byte*)block, bytes)"));

        [Fact]
        public Task ARepeatedExtensionCallOnTheSameReceiverIsNotAThrowPoint() => Check(@"
readonly struct Reference
{
    public readonly IntPtr Address;
    public Reference(IntPtr address) { Address = address; }
}
static class References
{
    public static IntPtr Use(this in Reference reference)
        => reference.Address == IntPtr.Zero ? throw new InvalidOperationException() : reference.Address;
}
class C
{
    void Repeated(Reference owner)
    {
        Native.fill(owner.Use(), 0);
        var p = Marshal.AllocHGlobal(8);
        Native.fill(owner.Use(), 1);
        Marshal.FreeHGlobal(p);
    }

    void OtherReceiver(Reference owner, Reference other)
    {
        Native.fill(owner.Use(), 0);
        var p = {|#0:Marshal.AllocHGlobal(8)|};
        Native.fill(other.Use(), 1);
        Marshal.FreeHGlobal(p);
    }
}", Leak(0, "p", "other.Use()"));

        [Fact]
        public Task AnExplicitNullReferenceIsNotAThrowPointButAnArgumentCheckIs() => Check(@"
static class Guards
{
    public static IntPtr NotNull(IntPtr value) => value == IntPtr.Zero ? throw new NullReferenceException() : value;
    public static IntPtr Valid(IntPtr value) => value == IntPtr.Zero ? throw new ArgumentNullException(nameof(value)) : value;
}
class C
{
    void M(IntPtr value)
    {
        var p = Marshal.AllocHGlobal(8);
        Native.fill(Guards.NotNull(value), 0);
        Marshal.FreeHGlobal(p);

        var q = {|#0:Marshal.AllocHGlobal(8)|};
        Native.fill(Guards.Valid(value), 0);
        Marshal.FreeHGlobal(q);
    }
}", Leak(0, "q", "Guards.Valid(value)"));
        // Array.GetLength(d) fails where an element access out of range does, which this model does not count either.
        [Fact]
        public Task DimensionQueriesAreNotThrowPointsButElementReadsThroughCallsAre() => Check(@"
class C
{
    static IntPtr[] Shape(Array array)
    {
        var result = new IntPtr[array.Rank];
        for (int i = 0; i < result.Length; i++)
            result[i] = (IntPtr)array.GetLongLength(i);
        return result;
    }

    void M(Array array, int index)
    {
        var p = Marshal.AllocHGlobal(8);
        var shape = Shape(array);
        Marshal.FreeHGlobal(p);

        var q = {|#0:Marshal.AllocHGlobal(8)|};
        var first = array.GetValue(index);
        Marshal.FreeHGlobal(q);
    }
}", Leak(0, "q", "array.GetValue(index)"));

        // The library's own Dispose must not throw (CA1065); a guard against a released handle is the explicit form of the
        // null dereference the model leaves out; an internal abstract member throws only if one of the compilation's
        // overrides can. A Dispose reached through IDisposable can be anyone's and still counts.
        [Fact]
        public Task OwnDisposeReleasedHandleGuardsAndClosedVirtualsAreNotThrowPoints() => Check(@"
sealed class Node : IDisposable
{
    private IntPtr _handle;

    public Node(IntPtr handle) { _handle = handle; }

    public void Dispose()
    {
        if (_handle != IntPtr.Zero) { CheckForErrors(); _handle = IntPtr.Zero; }
    }

    public IntPtr Handle()
    {
        if (_handle == IntPtr.Zero) throw new InvalidOperationException(""released"");
        return _handle;
    }

    static void CheckForErrors()
    {
        if (Environment.TickCount < 0) throw new InvalidOperationException(""native error"");
    }
}
abstract class Port
{
    internal abstract void Free();
}
sealed class UsbPort : Port
{
    internal override void Free() => Native.put(IntPtr.Zero);
}
class C
{
    void Quiet(Node node, Port port)
    {
        var p = Marshal.AllocHGlobal(8);
        Native.fill(node.Handle(), 0);
        port.Free();
        node.Dispose();
        Marshal.FreeHGlobal(p);
    }

    void Loud(IDisposable any)
    {
        var q = {|#0:Marshal.AllocHGlobal(8)|};
        any.Dispose();
        Marshal.FreeHGlobal(q);
    }
}", Leak(0, "q", "any.Dispose()"));

        [Fact]
        public Task ADecoderLongerThanFourStatementsThatCannotThrowIsNotAThrowPoint() => Check(@"
unsafe class Text
{
    // Five statements and a loop: null test, measure, allocate, copy, decode with a replacing encoding.
    static string FromUtf8(IntPtr p)
    {
        if (p == IntPtr.Zero)
            return null;
        int n = 0;
        for (byte* b = (byte*)p; *b != 0; b++)
            n++;
        byte[] bytes = new byte[n];
        Marshal.Copy(p, bytes, 0, n);
        return Encoding.UTF8.GetString(bytes);
    }

    // Takes the decoder's answer and frees the native copy: still nothing that throws.
    static string TakeUtf8(IntPtr p)
    {
        string text = FromUtf8(p);
        Marshal.FreeHGlobal(p);
        return text;
    }

    string Describe(IntPtr source)
    {
        var p = Marshal.AllocHGlobal(64);
        Native.fill(p, 64);
        string a = FromUtf8(p);
        string b = TakeUtf8(source);
        Marshal.FreeHGlobal(p);
        return a + b;
    }
}");

        [Fact]
        public Task ALongerBodyWithAThrowOrAValidatingCallOrManyCallsIsStillAThrowPoint() => Check(@"
unsafe class Text
{
    // The same shape, but it decodes with an encoding its caller chose (whose fallback may throw).
    static string Decode(IntPtr p, Encoding encoding)
    {
        if (p == IntPtr.Zero)
            return null;
        int n = 0;
        for (byte* b = (byte*)p; *b != 0; b++)
            n++;
        byte[] bytes = new byte[n];
        Marshal.Copy(p, bytes, 0, n);
        return encoding.GetString(bytes);
    }

    // An explicit throw: known to throw without reading further.
    static int Length(IntPtr p)
    {
        if (p == IntPtr.Zero || Marshal.ReadByte(p) == 0xFF)
            throw new ArgumentException(nameof(p));
        int n = 0;
        for (byte* b = (byte*)p; *b != 0; b++)
            n++;
        return n;
    }

    // More calls than a summary reads: assumed to throw, as every call was before.
    static void Touch(IntPtr p)
    {
        Native.fill(p, 1);
        Native.fill(p, 2);
        Native.fill(p, 3);
        Native.fill(p, 4);
        Native.fill(p, 5);
        Native.fill(p, 6);
        Native.fill(p, 7);
        Native.fill(p, 8);
        Native.fill(p, 9);
    }

    void M(Encoding encoding)
    {
        var a = {|#0:Marshal.AllocHGlobal(64)|};
        Decode(a, encoding);
        Marshal.FreeHGlobal(a);
        var b = {|#1:Marshal.AllocHGlobal(64)|};
        Length(b);
        Marshal.FreeHGlobal(b);
        var c = {|#2:Marshal.AllocHGlobal(64)|};
        Touch(c);
        Marshal.FreeHGlobal(c);
    }
}", Leak(0, "a", "Decode(a, encoding)"), Leak(1, "b", "Length(b)"), Leak(2, "c", "Touch(c)"));

        [Fact]
        public Task CreatingAnObjectWhoseInitializersAreConstantsIsNotAThrowPoint() => Check(@"
static class Limits { public const int Timeout = 1000; }
class Request
{
    // Reading the layout once per type is not a path a leak report is about; the instance initializers are constants
    // and an empty list.
    public static int Size = Marshal.SizeOf(typeof(int));
    public int Timeout = Limits.Timeout;
    public int Retries = 3;
    public List<int> Codes = new List<int>();
}
class C
{
    void M()
    {
        var p = Marshal.AllocHGlobal(16);
        var request = new Request();
        Native.fill(p, request.Timeout);
        Marshal.FreeHGlobal(p);
    }
}");

        [Fact]
        public Task CreatingAnObjectWhoseInitializersReadStaticFieldsIsNotAThrowPoint() => Check(@"
static class Defaults
{
    public static readonly object Gate = new object();
    public static int Mode = 2;
}
class Session
{
    // Copies of shared defaults: reading a field cannot fail on this path.
    public object Lock = Defaults.Gate;
    public int Mode = Defaults.Mode;
}
class Guarded
{
    // A property read is a call, and this one can throw: creating the object still counts.
    public int Mode = Settings.Current;
}
static class Settings
{
    static int s_mode = -1;
    public static int Current => s_mode >= 0 ? s_mode : throw new InvalidOperationException(""not configured"");
}
class C
{
    void M()
    {
        var p = Marshal.AllocHGlobal(16);
        var session = new Session();
        Native.fill(p, session.Mode);
        Marshal.FreeHGlobal(p);
        var q = {|#0:Marshal.AllocHGlobal(16)|};
        var guarded = new Guarded();
        Native.fill(q, guarded.Mode);
        Marshal.FreeHGlobal(q);
    }
}", Leak(0, "q", "new Guarded()"));

        [Fact]
        public Task CreatingAnObjectWhoseInitializerCallsOrASetterThatRejectsAValueIsAThrowPoint() => Check(@"
class Table
{
    public int[] Entries = Build(4);
    static int[] Build(int n) { if (n < 0) throw new ArgumentOutOfRangeException(nameof(n)); return new int[n]; }
}
class Slot
{
    int _kind;
    public object Value
    {
        get { return _kind; }
        set
        {
            if (value is int i)
                _kind = i;
            else if (value is string s)
                _kind = s.Length;
            else
                throw new ArgumentException(""unsupported value"");
        }
    }
}
class C
{
    void M(object any)
    {
        var p = {|#0:Marshal.AllocHGlobal(16)|};
        var table = new Table();
        Marshal.FreeHGlobal(p);
        var q = {|#1:Marshal.AllocHGlobal(16)|};
        var slot = new Slot();
        slot.Value = any;
        Native.fill(q, 16);
        Marshal.FreeHGlobal(q);
    }
}", Leak(0, "p", "new Table()"), Leak(1, "q", "slot.Value"));

        [Fact]
        public Task ForeachOverAnArrayIsNotAThrowPointButOverASequenceItIs() => Check(@"
struct Point { public int X, Y; }
class C
{
    // Walking an array cannot fail: the loop reads elements by index.
    static IntPtr Pack(Point[] points)
    {
        IntPtr dest = Marshal.AllocHGlobal(8 * points.Length);
        long pos = dest.ToInt64();
        foreach (Point p in points)
        {
            Marshal.StructureToPtr(p, (IntPtr)pos, false);
            pos += 8;
        }
        return dest;
    }

    // A sequence's enumerator is the caller's code.
    static IntPtr Pack(IEnumerable<Point> points, int count)
    {
        IntPtr dest = {|#0:Marshal.AllocHGlobal(8 * count)|};
        long pos = dest.ToInt64();
        foreach (Point p in points)
        {
            Marshal.StructureToPtr(p, (IntPtr)pos, false);
            pos += 8;
        }
        return dest;
    }
}", Leak(0, "dest", "points"));

        [Fact]
        public Task ConstructorChainsThatOnlyForwardAreReadWhateverTheirLength() => Check(@"
abstract class NodeChain
{
    IntPtr _head;
    Type _kind;
    bool _owned;
    internal NodeChain(IntPtr head, Type kind, bool owned, bool ownsItems) { _head = head; _kind = kind; _owned = owned; }
}
// Four links of overloads that only forward, then a constructor that stores: creating one cannot fail.
sealed class Nodes : NodeChain
{
    public Nodes(IntPtr head) : this(head, null) { }
    public Nodes(IntPtr head, Type kind) : this(head, kind, false) { }
    public Nodes(IntPtr head, Type kind, bool owned) : this(head, kind, owned, false) { }
    public Nodes(IntPtr head, Type kind, bool owned, bool ownsItems) : base(head, kind, owned, ownsItems) { }
}
abstract class CheckedChain
{
    IntPtr _head;
    internal CheckedChain(IntPtr head, int capacity)
    {
        if (capacity < 0) throw new ArgumentOutOfRangeException(nameof(capacity));
        _head = head;
    }
}
// The same four links, but the constructor at the end validates what the first was given.
sealed class CheckedNodes : CheckedChain
{
    public CheckedNodes(int capacity) : this(IntPtr.Zero, capacity) { }
    public CheckedNodes(IntPtr head, int capacity) : this(head, capacity, false) { }
    public CheckedNodes(IntPtr head, int capacity, bool owned) : this(head, capacity, owned, false) { }
    public CheckedNodes(IntPtr head, int capacity, bool owned, bool ownsItems) : base(head, capacity) { }
}
abstract class TabledChain
{
    // Runs in the base constructor the chain ends at: a creation through the chain runs it too.
    int[] _table = Settings.Table();
    internal TabledChain(IntPtr head) { }
}
static class Settings
{
    static int s_size = -1;
    public static int[] Table() => s_size >= 0 ? new int[s_size] : throw new InvalidOperationException(""not configured"");
}
sealed class TabledNodes : TabledChain
{
    public TabledNodes(IntPtr head) : this(head, null) { }
    public TabledNodes(IntPtr head, Type kind) : base(head) { }
}
class C
{
    void Quiet()
    {
        var p = Marshal.AllocHGlobal(16);
        var nodes = new Nodes(IntPtr.Zero);
        Native.fill(p, 16);
        Marshal.FreeHGlobal(p);
    }

    void Validating(int capacity)
    {
        var p = {|#0:Marshal.AllocHGlobal(16)|};
        var nodes = new CheckedNodes(capacity);
        Native.fill(p, 16);
        Marshal.FreeHGlobal(p);
    }

    void Initializing()
    {
        var p = {|#1:Marshal.AllocHGlobal(16)|};
        var nodes = new TabledNodes(IntPtr.Zero);
        Native.fill(p, 16);
        Marshal.FreeHGlobal(p);
    }
}", Leak(0, "p", "new CheckedNodes(capacity)"), Leak(1, "p", "new TabledNodes(IntPtr.Zero)"));
    }
}
