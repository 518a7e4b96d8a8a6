using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3001/IG3004 on allocations a managed helper of the compilation makes and returns: a call to such a helper (or a
    /// read of such a property) is an allocation site like a catalogue call. Helpers that return borrowed or shared
    /// blocks are not.
    /// </summary>
    public class ReturnedAllocationTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
static class Native
{
    [DllImport(""mylib"")] public static extern int set_name(IntPtr name);
    [DllImport(""mylib"")] public static extern int fill(IntPtr buffer, int size);
    [DllImport(""mylib"")] public static extern IntPtr current_name();
}
static unsafe class Utf8
{
    // A marshaller in the style of real bindings: a fresh zero-terminated copy, null for null.
    public static IntPtr ToNative(Encoding encoding, string value)
    {
        if (value == null)
        {
            return IntPtr.Zero;
        }

        int length = encoding.GetByteCount(value);
        var buffer = (byte*)Marshal.AllocHGlobal(length + 1).ToPointer();
        Native.fill(new IntPtr(buffer), length);
        buffer[length] = 0;
        return new IntPtr(buffer);
    }

    public static IntPtr ToNative(string value) => ToNative(Encoding.UTF8, value);

    public static void Release(IntPtr p)
    {
        if (p == IntPtr.Zero)
        {
            return;
        }

        Marshal.FreeHGlobal(p);
    }
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task CopyFromAMarshallingHelperNeverReleased() => Check(@"
class C
{
    void Rename(string name)
    {
        var native = {|#0:Utf8.ToNative(name)|};
        Native.set_name(native);
    }
}", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'Utf8.ToNative' in 'native' is not released by 'Marshal.FreeHGlobal' when the method returns"));

        [Fact]
        public Task CopyFromAMarshallingHelperReleasedInFinallyOrByTheHelpersRelease() => Check(@"
class C
{
    void A(string name)
    {
        var native = Utf8.ToNative(name);
        try { Native.set_name(native); }
        finally { Utf8.Release(native); }
    }

    void B(string name)
    {
        var native = Utf8.ToNative(Encoding.ASCII, name);
        try { Native.set_name(native); }
        finally { Marshal.FreeHGlobal(native); }
    }

    IntPtr Kept(string name) => Utf8.ToNative(name);
}");

        [Fact]
        public Task PinnedHandleFromAPropertyGetterNeverFreed() => Check(@"
[StructLayout(LayoutKind.Sequential)]
class Request
{
    public int Code;
    public GCHandle Pin { get { return GCHandle.Alloc(this, GCHandleType.Pinned); } }
}
class C
{
    int Send()
    {
        var request = new Request();
        GCHandle pinned = {|#0:request.Pin|};
        return Native.fill(pinned.AddrOfPinnedObject(), 4);
    }

    int SendAndFree()
    {
        var request = new Request();
        GCHandle pinned = request.Pin;
        try { return Native.fill(pinned.AddrOfPinnedObject(), 4); }
        finally { pinned.Free(); }
    }
}", Verify.Diagnostic("IG3004").WithLocation(0).WithMessage(
            "The GCHandle in 'pinned' from 'Request.Pin' is not released by 'GCHandle.Free' on the 'return Native.fill(pinned.AddrOfPinnedObject(), 4)', so the object stays pinned and can never be collected"));

        // The consequence follows the one GCHandle.Alloc in the member that hands the handle out (a weak one leaks a slot,
        // not its object); with two allocations of different types in it, the message says what is certain.
        [Fact]
        public Task HandleTypeOfAHandleFromAMethodIsTheTypeItsMemberAllocates() => Check(@"
class Tracker
{
    public static GCHandle Watch(object target) => GCHandle.Alloc(target, GCHandleType.Weak);
    public static GCHandle Hold(object target, bool pin)
    {
        if (pin) return GCHandle.Alloc(target, GCHandleType.Pinned);
        return GCHandle.Alloc(target, GCHandleType.Normal);
    }
}
class C
{
    void Run(object o)
    {
        var weak = {|#0:Tracker.Watch(o)|};
        Console.WriteLine(weak.Target);
        var held = {|#1:Tracker.Hold(o, false)|};
        Console.WriteLine(held.Target);
    }
}", Verify.Diagnostic("IG3004").WithLocation(0).WithMessage(
                "The GCHandle in 'weak' from 'Tracker.Watch' is not released by 'GCHandle.Free' when the method returns, so its slot in the GC handle table is never freed (a weak handle does not keep the object alive)"),
            Verify.Diagnostic("IG3004").WithLocation(1).WithMessage(
                "The GCHandle in 'held' from 'Tracker.Hold' is not released by 'GCHandle.Free' when the method returns, so its slot in the GC handle table is never freed, and the object stays alive unless the handle type is weak"));

        [Fact]
        public Task HelperThatFreesItsBlockOnlyBeforeThrowingStillHandsItOut() => Check(@"
class Reader
{
    // The result is freed on the error path, which then throws: a caller only ever receives a fresh block.
    public static IntPtr Checked(int size)
    {
        IntPtr block = Marshal.AllocHGlobal(size);
        if (Native.fill(block, size) != 0)
        {
            if (block != IntPtr.Zero)
                Marshal.FreeHGlobal(block);
            throw new InvalidOperationException();
        }
        return block;
    }

    // Freed on a path that goes on and returns: the caller may get a block already released.
    public static IntPtr Unchecked(int size)
    {
        IntPtr block = Marshal.AllocHGlobal(size);
        if (Native.fill(block, size) != 0)
        {
            Marshal.FreeHGlobal(block);
        }
        return block;
    }
}
class C
{
    void A()
    {
        var block = {|#0:Reader.Checked(16)|};
        Native.set_name(block);
    }

    void B()
    {
        var block = Reader.Unchecked(16);
        Native.set_name(block);
    }
}", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'Reader.Checked' in 'block' is not released by 'Marshal.FreeHGlobal' when the method returns"));

        [Fact]
        public Task HelpersThatDoNotHandOutAFreshBlockAreNotAllocators() => Check(@"
class Pool
{
    private readonly List<IntPtr> _blocks = new List<IntPtr>();
    private IntPtr _cached;

    // Keeps every block it hands out and frees them itself.
    public IntPtr Rent(int size)
    {
        var p = Marshal.AllocHGlobal(size);
        _blocks.Add(p);
        return p;
    }

    // Returns a block the pool owns (allocated once, cached in a field).
    public IntPtr Shared()
    {
        if (_cached == IntPtr.Zero)
        {
            _cached = Marshal.AllocHGlobal(64);
        }

        return _cached;
    }

    // Returns a pointer native code owns.
    public IntPtr Borrowed() => Native.current_name();

    // Frees the block before returning something else.
    public IntPtr Size(int n)
    {
        var p = Marshal.AllocHGlobal(n);
        Marshal.FreeHGlobal(p);
        return new IntPtr(n);
    }

    // Returns either a fresh block or a parameter: the caller cannot tell which.
    public IntPtr OrExisting(IntPtr existing, int n)
    {
        if (existing != IntPtr.Zero)
        {
            return existing;
        }

        return Marshal.AllocHGlobal(n);
    }
}
class C
{
    void Use(Pool pool, IntPtr existing)
    {
        Native.fill(pool.Rent(4), 4);
        Native.fill(pool.Shared(), 4);
        Native.fill(pool.Borrowed(), 4);
        Native.fill(pool.Size(4), 4);
        Native.fill(pool.OrExisting(existing, 4), 4);
    }
}");

        // Bindings box a managed object as native user data in a helper (GtkSharp's list marshalling returns
        // '(IntPtr) GCHandle.Alloc (element)'); each call makes a handle that its caller owns in number form.
        private const string Boxes = @"
static class Boxes
{
    [DllImport(""mylib"")] public static extern int register(IntPtr userData);
    public static IntPtr Cast(object target) => (IntPtr)GCHandle.Alloc(target);
    public static IntPtr Number(object target) => GCHandle.ToIntPtr(GCHandle.Alloc(target));
    public static IntPtr Pinned(byte[] target)
    {
        var handle = GCHandle.Alloc(target, GCHandleType.Pinned);
        return GCHandle.ToIntPtr(handle);
    }
    public static IntPtr Converted(object target)
    {
        GCHandle handle = GCHandle.Alloc(target);
        return (IntPtr)handle;
    }
}
";

        [Fact]
        public Task HandleNumberFromABoxingHelperNeverFreed() => Check(Boxes + @"
class C
{
    int Use(object state, byte[] data, bool ready)
    {
        IntPtr cast = {|#0:Boxes.Cast(state)|};
        IntPtr number = {|#1:Boxes.Number(state)|};
        IntPtr pinned = {|#2:Boxes.Pinned(data)|};
        IntPtr converted = {|#3:Boxes.Converted(state)|};
        if (!ready)
        {
            return 0;
        }

        Boxes.register(converted);
        return Native.fill(IntPtr.Zero, 0);
    }
}", Verify.Diagnostic("IG3004").WithLocation(0).WithMessage("The GCHandle in 'cast' from 'Boxes.Cast' is not released by 'GCHandle.Free' on the 'return 0' in 'if (!ready)', so the object it refers to can never be collected"),
            Verify.Diagnostic("IG3004").WithLocation(1).WithMessage("The GCHandle in 'number' from 'Boxes.Number' is not released by 'GCHandle.Free' on the 'return 0' in 'if (!ready)', so the object it refers to can never be collected"),
            Verify.Diagnostic("IG3004").WithLocation(2).WithMessage("The GCHandle in 'pinned' from 'Boxes.Pinned' is not released by 'GCHandle.Free' on the 'return 0' in 'if (!ready)', so the object stays pinned and can never be collected"),
            Verify.Diagnostic("IG3004").WithLocation(3).WithMessage("The GCHandle in 'converted' from 'Boxes.Converted' is not released by 'GCHandle.Free' on the 'return 0' in 'if (!ready)', so the object it refers to can never be collected"));

        [Fact]
        public Task HandleNumberFromABoxingHelperFreedOrHandedOnIsNotAFinding() => Check(Boxes + @"
class Keeper
{
    private GCHandle _kept;
    private static GCHandle s_shared;

    // Keeps the handle it boxes: the number is a view of a handle the class frees.
    public IntPtr Keep(object target)
    {
        _kept = GCHandle.Alloc(target);
        return GCHandle.ToIntPtr(_kept);
    }

    // Registers the number and returns it too: native code holds it.
    public IntPtr Registered(object target)
    {
        var handle = GCHandle.Alloc(target);
        Boxes.register(GCHandle.ToIntPtr(handle));
        return GCHandle.ToIntPtr(handle);
    }

    public static IntPtr Shared() => GCHandle.ToIntPtr(s_shared);
}
class C
{
    void Use(object state, Keeper keeper)
    {
        IntPtr freed = Boxes.Number(state);
        try
        {
            Native.fill(IntPtr.Zero, 0);
        }
        finally
        {
            GCHandle.FromIntPtr(freed).Free();
        }

        IntPtr cast = Boxes.Cast(state);
        ((GCHandle)cast).Free();
        Boxes.register(Boxes.Number(state));
        IntPtr handedOn = Boxes.Pinned(new byte[4]);
        Boxes.register(handedOn);
        IntPtr kept = keeper.Keep(state);
        IntPtr registered = keeper.Registered(state);
        IntPtr shared = Keeper.Shared();
    }
}");
    }
}
