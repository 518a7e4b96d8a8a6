using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5002: a callback native code calls whose only escaping exceptions come from code the library's user supplied
    /// (a delegate, an interface or overridable member), and the look-alikes that stay IG5001 or are not findings.
    /// </summary>
    public class NativeCallbackForwardingTests
    {
        private const string Prelude = @"using System;
using System.IO;
using System.Runtime.InteropServices;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
public delegate int ProgressHandler(object state);

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
public delegate void Notify(int code);

public interface ISampler
{
    float Sample(int index);
}

public abstract class Mixer
{
    public abstract float Mix(float a, float b);
}

static class Native
{
    [DllImport(""sample"")] public static extern void sample_run(Notify notify);
    [DllImport(""sample"")] public static extern void ack(int code);
}

public sealed class ProgressInfo
{
    private readonly ProgressHandler _func;
    private readonly object _state;

    public ProgressInfo(ProgressHandler func, object state)
    {
        _func = func;
        _state = state;
    }

    public int Call() => _func(_state);

    public static ProgressInfo FromPointer(IntPtr p)
    {
        GCHandle h = (GCHandle)p;
        return (ProgressInfo)h.Target!;
    }
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Forwarding(int location, string callback, string how, string operation, string target)
            => Verify.Diagnostic("IG5002").WithLocation(location).WithMessage(
                "Callback '" + callback + "' " + how + ", and '" + operation + "' " + target + " outside a catch-all: an exception the user's code throws there terminates the process");

        private static DiagnosticResult Own(int location, string callback, string how, string operation, string? inside = null, string? besides = null)
            => Verify.Diagnostic("IG5001").WithLocation(location).WithMessage(
                "Callback '" + callback + "' " + how + ", and '" + operation + "' may throw " + Inside(inside, besides) + "outside a catch-all: an exception escaping to native code terminates the process");

        // Where the exception starts inside the library's own helper the callback calls, as the message names it, and the
        // user's code the callback also runs (not named for the prelude's ProgressHandler and Notify: their types are marked
        // [UnmanagedFunctionPointer], a native signature, which the clause leaves out).
        private static string Inside(string? inside, string? besides)
            => (inside == null ? string.Empty : "(" + inside + ")" + (besides == null ? " " : ", "))
               + (besides == null ? string.Empty : "as may " + besides + ", ");

        private const string Exported = "is [UnmanagedCallersOnly]";

        // ---- positives ----

        // The SQLite shape: the bridge recovers its info object from the GCHandle and calls a method of it that invokes the
        // user's delegate; the handle lookup and the cast of the handle's target cannot fail on the library's own handle.
        [Fact]
        public Task DelegateStoredInAnObjectBehindAGCHandle() => Check(@"
static class Bridges
{
    [UnmanagedCallersOnly]
    static int {|#0:OnProgress|}(IntPtr p)
    {
        ProgressInfo info = ProgressInfo.FromPointer(p);
        return info.Call();
    }
}", Forwarding(0, "OnProgress", Exported, "info.Call()", "invokes the user's delegate '_func'"));

        [Fact]
        public Task DelegateReadFromAStaticField() => Check(@"
static class Bridges
{
    public static Notify? s_onEvent;

    [UnmanagedCallersOnly]
    static void {|#0:OnEvent|}(int code)
    {
        Native.ack(code);
        s_onEvent?.Invoke(code);
    }
}", Forwarding(0, "OnEvent", Exported, "s_onEvent?.Invoke(code)", "invokes the user's delegate 's_onEvent'"));

        [Fact]
        public Task DelegateCastFromTheHandleTarget() => Check(@"
static class Bridges
{
    [UnmanagedCallersOnly]
    static void {|#0:OnEvent|}(IntPtr user, int code)
    {
        var handler = (Notify)GCHandle.FromIntPtr(user).Target!;
        handler(code);
    }
}", Forwarding(0, "OnEvent", Exported, "handler(code)", "invokes the user's delegate 'handler'"));

        [Fact]
        public Task InterfaceCallback() => Check(@"
static class Bridges
{
    [UnmanagedCallersOnly]
    static float {|#0:OnSample|}(IntPtr user, int index)
    {
        var sampler = (ISampler)GCHandle.FromIntPtr(user).Target!;
        return sampler.Sample(index);
    }
}", Forwarding(0, "OnSample", Exported, "sampler.Sample(index)", "calls the user's implementation of 'ISampler.Sample'"));

        // ClrMD's shape: the library's own namespace starts with Microsoft, which does not make its public interface (with
        // default bodies the user overrides) the framework's.
        [Fact]
        public Task InterfaceOfALibraryInAMicrosoftNamespace() => Check(@"
namespace Microsoft.Diagnostics.Example
{
    public interface IEvents
    {
        int OnEvent(int code) => 0;
    }

    static class Bridges
    {
        [UnmanagedCallersOnly]
        static int {|#0:OnEvent|}(IntPtr user, int code)
        {
            var events = (IEvents)GCHandle.FromIntPtr(user).Target!;
            return events.OnEvent(code);
        }
    }
}", Forwarding(0, "OnEvent", Exported, "events.OnEvent(code)", "calls the user's implementation of 'IEvents.OnEvent'"));

        [Fact]
        public Task AbstractMethod() => Check(@"
public static class Bridges
{
    public static Mixer? Current;

    [UnmanagedCallersOnly]
    static float {|#0:OnMix|}(float a, float b) => Current!.Mix(a, b);
}", Forwarding(0, "OnMix", Exported, "Current!.Mix(a, b)", "calls the user's override of 'Mixer.Mix'"));

        [Fact]
        public Task LambdaBridgeForwardingToAField() => Check(@"
public class Player
{
    private readonly Notify onEnd;

    public Player(Notify onEnd) => this.onEnd = onEnd;

    public void Play() => Native.sample_run(code {|#0:=>|} onEnd(code));
}", Forwarding(0, "code => …", "is called by native function 'sample_run'", "onEnd(code)", "invokes the user's delegate 'onEnd'"));

        [Fact]
        public Task LocalFunctionBridgeForwardingToAParameter() => Check(@"
public class Player
{
    public void Play(Notify user)
    {
        Native.sample_run(Forward);

        void {|#0:Forward|}(int code) => user(code);
    }
}", Forwarding(0, "Forward", "is called by native function 'sample_run'", "user(code)", "invokes the user's delegate 'user'"));

        // The media-player / MIDI shape: the bridge builds the event arguments with a constructor of the library that
        // cannot throw, then raises the user's event.
        [Fact]
        public Task EventRaisedWithArgumentsOfTheLibrary() => Check(@"
public sealed class MessageEventArgs : EventArgs
{
    public MessageEventArgs(int message, TimeSpan timestamp)
    {
        Message = message;
        Timestamp = timestamp;
    }

    public int Message { get; }
    public TimeSpan Timestamp { get; }
}

public sealed class Empty
{
    public int Code;
}

public class MidiIn
{
    public event EventHandler<MessageEventArgs>? MessageReceived;
    public event EventHandler<Empty>? Closed;

    public void Open() => Native.sample_run(OnMessage);

    private void {|#0:OnMessage|}(int code)
    {
        if (code == 0)
            Closed?.Invoke(this, new Empty());
        else
            MessageReceived?.Invoke(this, new MessageEventArgs(code, default));
    }
}", Forwarding(0, "OnMessage", "is called by native function 'sample_run'", "Closed?.Invoke(this, new Empty())", "invokes the user's delegate 'Closed'"));

        // A custom sampler's clone bridge: it builds a new native sampler for the user's clone (a normal GCHandle, native
        // memory, a function pointer for a method group) and hands it back. Building it cannot fail; only the user's Clone can.
        [Fact]
        public Task AFactoryAroundTheUsersCloneForwards() => Check(@"
public interface IFilter
{
    IFilter Clone();
}
public sealed class FilterHandle
{
    private GCHandle _self;
    private readonly IFilter _filter;
    private IntPtr _table;

    private FilterHandle(IFilter filter) { _filter = filter; }

    public static FilterHandle Create(IFilter filter)
    {
        var handle = new FilterHandle(filter);
        handle._self = GCHandle.Alloc(handle);
        handle._table = Marshal.AllocHGlobal(IntPtr.Size);
        Marshal.WriteIntPtr(handle._table, Marshal.GetFunctionPointerForDelegate<Notify>(OnNotify));
        return handle;
    }

    static void OnNotify(int code) => Native.ack(code);

    [UnmanagedCallersOnly]
    static IntPtr {|#0:OnClone|}(IntPtr user)
    {
        var handle = (FilterHandle)GCHandle.FromIntPtr(user).Target!;
        return GCHandle.ToIntPtr(Create(handle._filter.Clone())._self);
    }
}", Forwarding(0, "OnClone", Exported, "handle._filter.Clone()", "calls the user's implementation of 'IFilter.Clone'"));

        // A module's forward bridge: it casts itself to the type that declares the user's forward and detaches the result's
        // handle, refusing a handle already detached. The cast and the guard are the library's own invariants; the user's
        // override is what can throw.
        [Fact]
        public Task ACastOfThisAndAReleasedHandleGuardLeaveTheUsersOverride() => Check(@"
public class Layer
{
    private IntPtr _handle;

    public Layer() { Native.sample_run(OnNative); }

    IntPtr Detach()
    {
        if (_handle == IntPtr.Zero)
            throw new InvalidOperationException(""Layer output was already detached."");
        var handle = _handle;
        _handle = IntPtr.Zero;
        return handle;
    }

    void {|#0:OnNative|}(int code)
    {
        ((Dense)this).Run(code);
        Native.ack((int)Detach());
    }
}
public class Dense : Layer
{
    public virtual void Run(int code) { }
}", Forwarding(0, "OnNative", "is called by native function 'sample_run'", "((Dense)this).Run(code)", "calls the user's override of 'Dense.Run'"));

        // ---- look-alikes ----
        // libgit2sharp's foreach helpers: the bridge invokes 'c', a parameter of a lambda the library hands to its own
        // private helper, which wraps a selector the library chose. That is not the user's delegate, and whose code it is
        // lies at the helper's callers: no finding. The same lambda handed to a public helper can carry the user's delegate.
        [Fact]
        public Task ADelegateTheLibraryHandsToItselfIsNotTheUsers() => Check(@"
public delegate int Visitor(int index, IntPtr payload);
static class WalkNative
{
    [DllImport(""sample"")] public static extern int walk(Visitor visitor, IntPtr payload);
}
static class Walk
{
    private static int ForEach(Func<Func<int, IntPtr, int>, int> iterator, Func<int, int> selector)
        => iterator((x, p) => selector(x));

    internal static int Entries(Func<int, int> selector)
        => ForEach(c => WalkNative.walk((x, p) => c(x, p), IntPtr.Zero), selector);

    private static int Count(Visitor visitor) => WalkNative.walk((x, p) => visitor(x, p), IntPtr.Zero);
}
public static class PublicWalk
{
    public static int ForEach(Func<Func<int, IntPtr, int>, int> iterator) => iterator((x, p) => x);

    public static int Entries() => ForEach(c => WalkNative.walk((x, p) {|#0:=>|} c(x, p), IntPtr.Zero));
}", Forwarding(0, "(x, p) => …", "is called by native function 'walk'", "c(x, p)", "invokes the user's delegate 'c'"));



        [Fact]
        public Task ConstructorOfTheLibraryThatThrowsIsIG5001() => Check(@"
public sealed class Checked
{
    public Checked(int code)
    {
        if (code < 0) throw new ArgumentOutOfRangeException(nameof(code));
        Code = code;
    }

    public int Code { get; }
}

public class Source
{
    public event EventHandler<Checked>? Received;

    public void Open() => Native.sample_run(OnMessage);

    private void {|#0:OnMessage|}(int code) => Received?.Invoke(this, new Checked(code));
}", Own(0, "OnMessage", "is called by native function 'sample_run'", "new Checked(code)", inside: "'throw new ArgumentOutOfRangeException(…)' in 'new Checked'",
                besides: "'Received?.Invoke(this, new Checked(code))', which invokes the user's delegate 'Received'"));

        // The NAudio virtual-I/O shape: the handle lookup is outside the try, everything that can throw is inside a catch-all.
        [Fact]
        public Task HandleTargetCastOutsideACatchAllIsNotAFinding() => Check(@"
public sealed class VirtualIo
{
    private readonly Stream stream = Stream.Null;
    private Exception? pending;

    private static VirtualIo FromUserData(IntPtr user) => (VirtualIo)GCHandle.FromIntPtr(user).Target!;

    [UnmanagedCallersOnly]
    private static long Tell(IntPtr user)
    {
        var self = FromUserData(user);
        try
        {
            return self.stream.Position;
        }
        catch (Exception ex)
        {
            self.pending = ex;
            return -1;
        }
    }
}");

        // A helper longer than the few statements the shared model reads is read here: it cannot throw, so neither can the callback.
        [Fact]
        public Task LongerHelperThatCannotThrowIsNotAFinding() => Check(@"
public sealed class PinnedBuffer
{
    private GCHandle handle;
    private byte[]? array;

    private void Release()
    {
        if (handle.IsAllocated) handle.Free();
    }

    public IntPtr Create(int length)
    {
        Release();
        array = new byte[length];
        handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        return handle.AddrOfPinnedObject();
    }

    [UnmanagedCallersOnly]
    private static IntPtr Allocate(IntPtr self, IntPtr length)
        => ((PinnedBuffer)GCHandle.FromIntPtr(self).Target!).Create((int)length);
}");

        // One diagnostic, not both: the callback's own throw makes it IG5001, and the message names the throw.
        [Fact]
        public Task ExplicitThrowBesidesTheUserDelegateIsIG5001Only() => Check(@"
static class Bridges
{
    public static Notify? s_onEvent;

    [UnmanagedCallersOnly]
    static void {|#0:OnEvent|}(int code)
    {
        s_onEvent?.Invoke(code);
        if (code < 0) throw new InvalidOperationException(""negative"");
    }
}", Own(0, "OnEvent", Exported, "throw new InvalidOperationException(\"negative\")"));

        [Fact]
        public Task ForwardedCallInsideACatchAllIsNotAFinding() => Check(@"
static class Bridges
{
    [UnmanagedCallersOnly]
    static int OnProgress(IntPtr p)
    {
        try
        {
            return ProgressInfo.FromPointer(p).Call();
        }
        catch (Exception)
        {
            return 1;
        }
    }
}");

        // A method of the library that throws on its own, besides forwarding: the library's code can throw.
        [Fact]
        public Task OwnMethodThatThrowsIsIG5001() => Check(@"
sealed class Checked
{
    private readonly ProgressHandler _func;

    public Checked(ProgressHandler func) => _func = func;

    public int Call(object state)
    {
        var rc = _func(state);
        return rc >= 0 ? rc : throw new InvalidOperationException(""failed"");
    }
}

static class Bridges
{
    static Checked? s_checked;

    [UnmanagedCallersOnly]
    static int {|#0:OnProgress|}() => s_checked!.Call(new object());
}", Own(0, "OnProgress", Exported, "s_checked!.Call(new object())", inside: "'throw new InvalidOperationException(…)' in 'Call'"));

        // The implementation is fixed by the receiver's sealed type, or the interface is internal: the library's own code.
        [Fact]
        public Task VirtualCallsTheUserCannotImplementAreIG5001() => Check(@"
internal interface IInternalSink
{
    void Put(int code);
}

public sealed class FixedSampler : ISampler
{
    public float Sample(int index) => index < 0 ? throw new ArgumentOutOfRangeException(nameof(index)) : index;
}

static class Bridges
{
    static IInternalSink? s_sink;
    static FixedSampler s_fixed = new FixedSampler();

    [UnmanagedCallersOnly]
    static void {|#0:OnEvent|}(int code) => s_sink!.Put(code);

    [UnmanagedCallersOnly]
    static float {|#1:OnSample|}(int index) => s_fixed.Sample(index);
}", Own(0, "OnEvent", Exported, "s_sink!.Put(code)"), Own(1, "OnSample", Exported, "s_fixed.Sample(index)", inside: "'throw new ArgumentOutOfRangeException(…)' in 'Sample'"));

        // A virtual member the user may override, whose own implementation in the library throws: the library's code can throw.
        [Fact]
        public Task VirtualMemberWhoseOwnImplementationThrowsIsIG5001() => Check(@"
public class Device
{
    public void Open() => Native.sample_run(OnEvent);

    protected virtual void OnError(int code) => throw new IOException(""device error "" + code);

    protected virtual void OnData(int code) => Data?.Invoke(code);

    public event Notify? Data;

    private void {|#0:OnEvent|}(int code)
    {
        if (code < 0) OnError(code); else OnData(code);
    }
}", Own(0, "OnEvent", "is called by native function 'sample_run'", "OnError(code)", besides: "'OnData(code)', which calls the user's override of 'Device.OnData'"));

        // A virtual member the user may override, whose own implementation only raises the user's event: forwarding.
        [Fact]
        public Task VirtualMemberThatRaisesAnEventIsIG5002() => Check(@"
public class Device
{
    public void Open() => Native.sample_run(OnEvent);

    protected virtual void OnData(int code) => Data?.Invoke(code);

    public event Notify? Data;

    private void {|#0:OnEvent|}(int code) => OnData(code);
}", Forwarding(0, "OnEvent", "is called by native function 'sample_run'", "OnData(code)", "calls the user's override of 'Device.OnData'"));

        // A delegate the callback makes itself runs the library's own code.
        [Fact]
        public Task DelegateCreatedInTheCallbackIsIG5001() => Check(@"
static class Bridges
{
    [UnmanagedCallersOnly]
    static int {|#0:OnValue|}(int value)
    {
        Func<int, int> twice = x => checked(x * 2);
        return twice(value);
    }
}", Own(0, "OnValue", Exported, "twice(value)"));

        // The same local given the user's delegate with '+=' no longer holds only what the callback made: the chain runs
        // the user's hook, which the made-here reading (every store a lambda) would have taken for the library's own code.
        [Fact]
        public Task DelegateLocalExtendedWithTheUsersHookIsNotTheLibrarysOwn() => Check(@"
public static class Bridges
{
    public static Func<int, int>? UserHook;

    [UnmanagedCallersOnly]
    static int {|#0:OnValue|}(int value)
    {
        Func<int, int> chain = x => x;
        chain += UserHook!;
        return chain(value);
    }
}", Forwarding(0, "OnValue", Exported, "chain(value)", "invokes the user's delegate 'chain'"));

        // Framework virtual members (a Stream the library holds) are not told apart from the library's own: IG5001.
        [Fact]
        public Task FrameworkVirtualCallIsIG5001() => Check(@"
static class Bridges
{
    static Stream s_log = Stream.Null;

    [UnmanagedCallersOnly]
    static void {|#0:OnFlush|}() => s_log.Flush();
}", Own(0, "OnFlush", Exported, "s_log.Flush()"));

        // A key-value store's custom ordering: the user hands the comparer to a public setter, and the comparison the
        // native engine calls only forwards to it, though IComparer<T> is the framework's interface.
        [Fact]
        public Task FrameworkInterfaceTheUserHandsInThroughAPublicSetterIsTheUsers() => Check(@"
public sealed class Ordering
{
    private System.Collections.Generic.IComparer<int>? _comparer;

    public Ordering CompareWith(System.Collections.Generic.IComparer<int> comparer)
    {
        _comparer = comparer;
        return this;
    }

    public void Reset() => _comparer = null;

    [UnmanagedCallersOnly]
    static int {|#0:OnCompare|}(int left, int right) => s_current!._comparer!.Compare(left, right);

    static Ordering? s_current;
}", Forwarding(0, "OnCompare", Exported, "s_current!._comparer!.Compare(left, right)", "calls the user's implementation of 'IComparer.Compare'"));

        // The look-alike: the library picks the comparer itself (a default it creates), so a throw from it is its own.
        [Fact]
        public Task FrameworkInterfaceTheLibraryFillsIsIG5001() => Check(@"
public sealed class Ordering
{
    private System.Collections.Generic.IComparer<int> _comparer = System.Collections.Generic.Comparer<int>.Default;

    public Ordering CompareWith(System.Collections.Generic.IComparer<int> comparer)
    {
        _comparer = comparer;
        return this;
    }

    [UnmanagedCallersOnly]
    static int {|#0:OnCompare|}(int left, int right) => s_current!._comparer.Compare(left, right);

    static Ordering? s_current;
}", Own(0, "OnCompare", Exported, "s_current!._comparer.Compare(left, right)"));

        // An image-processing progress signal: the bridge wraps the native image in the library's handle type (its
        // constructor only chains to SafeHandle's) and hands it to the user's callback.
        [Fact]
        public Task WrappingTheNativeObjectInAHandleTypeIsNotAThrowOfTheBridge() => Check(@"
public class ImageHandle : SafeHandle
{
    internal ImageHandle(IntPtr pointer) : base(IntPtr.Zero, true) { SetHandle(pointer); }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => true;
}

public sealed class Progress
{
    private readonly Action<ImageHandle> _callback;

    public Progress(Action<ImageHandle> callback) => _callback = callback;

    [UnmanagedCallersOnly]
    static void {|#0:OnEval|}(IntPtr image, IntPtr self)
    {
        if (image == IntPtr.Zero)
        {
            return;
        }

        var wrapped = new ImageHandle(image);
        ((Progress)GCHandle.FromIntPtr(self).Target!)._callback(wrapped);
    }
}", Forwarding(0, "OnEval", Exported, "((Progress)GCHandle.FromIntPtr(self).Target!)._callback(…)", "invokes the user's delegate '_callback'"));

        // 'as' and the GCHandle conversion cannot throw; a helper that only does them is not a throw point.
        [Fact]
        public Task HandleLookupWithAsIsNotAFinding() => Check(@"
static class Bridges
{
    static ProgressInfo? Find(IntPtr p)
    {
        GCHandle h = (GCHandle)p;
        return h.Target as ProgressInfo;
    }

    [UnmanagedCallersOnly]
    static int OnProgress(IntPtr p) => Find(p) is null ? 1 : 0;
}");
        // LLamaSharp's custom sampler: the library's public interface extends IDisposable, so the user's class supplies
        // Dispose; through a receiver typed with the framework interface itself the implementation is unknown: IG5001.
        [Fact]
        public Task FrameworkInterfaceMemberThroughALibraryInterfaceIsIG5002() => Check(@"
public interface IStage : IDisposable
{
    void Apply(int token);
}
static class Bridges
{
    [UnmanagedCallersOnly]
    static void {|#0:OnFree|}(IntPtr user)
    {
        var stage = (IStage)GCHandle.FromIntPtr(user).Target!;
        stage.Dispose();
    }

    [UnmanagedCallersOnly]
    static void {|#1:OnFreeAny|}(IntPtr user)
    {
        var owned = (IDisposable)GCHandle.FromIntPtr(user).Target!;
        owned.Dispose();
    }
}", Forwarding(0, "OnFree", Exported, "stage.Dispose()", "calls the user's implementation of 'IStage.Dispose'"),
            Own(1, "OnFreeAny", Exported, "owned.Dispose()"));
    }
}
