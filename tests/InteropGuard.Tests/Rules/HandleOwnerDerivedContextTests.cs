using System.Threading.Tasks;
using static InteropGuard.Tests.Rules.HandleOwnerLifetimeTests;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001: a handle an object hands out inside a struct it builds around a pointer a native function derives from the
    /// object's own handle (a store's context: <c>store.Context.handle</c>, the getter returning
    /// <c>new Context(Native.store_context(_safe))</c>), reached through the object's class or an interface.
    /// </summary>
    public class HandleOwnerDerivedContextTests
    {
        private const string Store = @"
static class StoreNative
{
    [DllImport(""engine"")] public static extern IntPtr store_context(FileHandle store);
    [DllImport(""engine"")] public static extern IntPtr caller_context(IntPtr caller);
    [DllImport(""engine"")] public static extern int memory_size(IntPtr context, int index);
}
readonly struct Context
{
    internal Context(IntPtr handle) { this.handle = handle; }
    internal readonly IntPtr handle;
}
interface IEngineStore
{
    Context Context { get; }
}
class EngineStore : IEngineStore
{
    private readonly FileHandle _handle = new FileHandle();
    internal FileHandle NativeHandle
    {
        get
        {
            if (_handle.IsInvalid) throw new ObjectDisposedException(""store"");
            return _handle;
        }
    }
    Context IEngineStore.Context => new Context(StoreNative.store_context(NativeHandle));
    public Context OwnContext => new Context(StoreNative.store_context(_handle));
}
class Caller : IEngineStore
{
    private IntPtr _caller;
    internal Caller(IntPtr caller) { _caller = caller; }
    Context IEngineStore.Context => new Context(StoreNative.caller_context(_caller));
}
";

        [Fact]
        public Task ContextOfAStoreReachedThroughTheInterface() => Check(Store + @"
class Memory
{
    private readonly IEngineStore _store;
    private readonly int _index;
    public Memory(IEngineStore store, int index) { _store = store; _index = index; }
    public int Size() => StoreNative.memory_size({|#0:_store.Context.handle|}, _index);
    public int SizeThroughALocal()
    {
        var context = _store.Context;
        return StoreNative.memory_size({|#1:context.handle|}, _index);
    }
    public int Kept()
    {
        var size = StoreNative.memory_size(_store.Context.handle, _index);
        GC.KeepAlive(_store);
        return size;
    }
}", Finding(0, "_store", "_store.Context.handle", "StoreNative.memory_size"), Finding(1, "_store", "context.handle", "StoreNative.memory_size"));

        [Fact]
        public Task ContextOfAStoreReadThroughItsClass() => Check(Store + @"
class User
{
    int M(EngineStore store) => StoreNative.memory_size({|#0:store.OwnContext.handle|}, 0);
    int Kept(EngineStore store)
    {
        var size = StoreNative.memory_size(store.OwnContext.handle, 0);
        GC.KeepAlive(store);
        return size;
    }
}", Finding(0, "store", "store.OwnContext.handle", "StoreNative.memory_size"));

        /// <summary>
        /// Silent: a struct built around a value that is not derived from the object's handle (a parameter, a managed
        /// call), a constructor that stores something else in the field, a context of an object that releases nothing,
        /// and an interface one of whose implementations may release something it does not hand out.
        /// </summary>
        [Fact]
        public Task ContextsNotDerivedFromAnOwnedHandleAreSilent() => Check(Store + @"
static class Managed
{
    public static IntPtr Compute(FileHandle h) => IntPtr.Zero;
}
readonly struct Shifted
{
    internal Shifted(IntPtr handle) { this.handle = handle + 8; }
    internal readonly IntPtr handle;
}
class Other
{
    private readonly FileHandle _handle = new FileHandle();
    private IntPtr _raw;
    public Context FromManaged => new Context(Managed.Compute(_handle));
    public Shifted Moved => new Shifted(StoreNative.store_context(_handle));
    public Context FromRaw => new Context(StoreNative.caller_context(_raw));
    public Context Given(IntPtr p) => new Context(p);
}
interface IMixed
{
    Context Context { get; }
}
class OwningMixed : IMixed
{
    private readonly FileHandle _handle = new FileHandle();
    public Context Context => new Context(StoreNative.store_context(_handle));
}
class FinalizedMixed : IMixed
{
    private IntPtr _raw;
    public Context Context => new Context(Managed.Compute(null));
    ~FinalizedMixed() { }
}
class User
{
    int A(Other o) => StoreNative.memory_size(o.FromManaged.handle, 0);
    int B(Other o) => StoreNative.memory_size(o.Moved.handle, 0);
    int C(Other o) => StoreNative.memory_size(o.FromRaw.handle, 0);
    int D(Caller c) => StoreNative.memory_size(((IEngineStore)c).Context.handle, 0);
    int E(IMixed m) => StoreNative.memory_size(m.Context.handle, 0);
}");
    }
}
