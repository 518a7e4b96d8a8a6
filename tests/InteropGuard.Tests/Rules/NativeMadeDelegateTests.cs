using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3001 around the invocation of a delegate native code handed over — the previous handler a native setter returns,
    /// kept by a small private wrapper and called later. Invoking it calls native code, which the throw model does not
    /// count; a delegate the library's own managed code can also put in the same place still counts.
    /// </summary>
    public class NativeMadeDelegateTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
public delegate void Sink(IntPtr text);

static class Lib
{
    [DllImport(""printer"")] public static extern Sink set_sink(Sink sink);
    [DllImport(""printer"")] public static extern IntPtr sink_slot();
}

static class Text
{
    public static IntPtr Copy(string s) => Marshal.StringToHGlobalAnsi(s);
    public static void Free(IntPtr p) => Marshal.FreeHGlobal(p);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult LeakIf(int location, string variable, string thrower)
            => Verify.Diagnostic("IG3001").WithLocation(location).WithMessage(
                "Native memory from 'Text.Copy' in '" + variable + "' is not released by 'Marshal.FreeHGlobal' if '" + thrower + "' throws");

        // ---- silent: the invoked delegate can only be what native code returned ----

        [Fact]
        public Task PreviousSinkKeptByAPrivateWrapperIsANativeCall() => Check(@"
public static class Printing
{
    class Forwarder
    {
        Sink previous;
        public Forwarder(Sink previous) { this.previous = previous; }
        public void Write(string message)
        {
            IntPtr copy = Text.Copy(message);
            previous(copy);
            Text.Free(copy);
        }
    }

    static Sink ours = Ignore;
    static void Ignore(IntPtr text) { }

    public static Action<string> Install()
    {
        Sink old = Lib.set_sink(ours);
        if (old == null)
            return null;
        return new Forwarder(old).Write;
    }
}");

        [Fact]
        public Task SinkStoredStraightFromTheSetterOrFromTheFunctionPointerIsANativeCall() => Check(@"
public class Chain
{
    private Sink _next;
    private Sink _slot;
    public Chain(Sink mine)
    {
        _next = Lib.set_sink(mine);
        _slot = Marshal.GetDelegateForFunctionPointer<Sink>(Lib.sink_slot());
    }
    public void Write(string message)
    {
        IntPtr copy = Text.Copy(message);
        _next(copy);
        _slot(copy);
        var local = Lib.set_sink(null);
        local(copy);
        Text.Free(copy);
    }
}");

        [Fact]
        public Task SinkAdoptedThroughAPrivateMethodOnlyFedNativeValuesIsANativeCall() => Check(@"
public class Relay
{
    private Sink _next;
    private void Adopt(Sink next) { _next = next; }
    public void Hook(Sink mine) { Adopt(Lib.set_sink(mine)); }
    public void Write(string message)
    {
        IntPtr copy = Text.Copy(message);
        _next(copy);
        Text.Free(copy);
    }
}");

        // ---- findings: managed code can be behind the same delegate ----

        // A method group hands the writer to callers this reading cannot see; a call through '?.' is still a call.
        [Fact]
        public Task PrivateWriterHandedOutAsAMethodGroupOrCalledConditionallyStillCounts() => Check(@"
public class Relay
{
    private Sink _next;
    private Sink _other;
    private void Adopt(Sink next) { _next = next; }
    private void AdoptOther(Sink other) { _other = other; }
    public Action<Sink> Adopter => Adopt;
    public void Hook(Sink mine, Relay peer)
    {
        Adopt(Lib.set_sink(mine));
        AdoptOther(Lib.set_sink(mine));
        peer?.AdoptOther(mine);
    }
    public void Write(string message)
    {
        IntPtr copy = {|#0:Text.Copy(message)|};
        _next(copy);
        Text.Free(copy);
        IntPtr other = {|#1:Text.Copy(message)|};
        _other(other);
        Text.Free(other);
    }
}", LeakIf(0, "copy", "_next(copy)"), LeakIf(1, "other", "_other(other)"));


        [Fact]
        public Task FieldInitializedThroughTwoLoadersOfFunctionPointersIsANativeCall() => Check(@"
static class Loader
{
    public static T Load<T>(int slot) where T : Delegate => FromPointer<T>(Lib.sink_slot());
    static T FromPointer<T>(IntPtr p) where T : Delegate
    {
        if (p == IntPtr.Zero)
            return null;
        return Marshal.GetDelegateForFunctionPointer<T>(p);
    }
}
public static class Printing
{
    static Sink print = Loader.Load<Sink>(3);
    public static readonly Sink direct = Marshal.GetDelegateForFunctionPointer<Sink>(Lib.sink_slot());
    public static void Write(string message)
    {
        IntPtr copy = Text.Copy(message);
        print(copy);
        direct(copy);
        Text.Free(copy);
    }
}");

        [Fact]
        public Task FieldFromAnUnconstrainedLoaderReturningTheDefaultForAMissingSymbolIsANativeCall() => Check(@"
static class Symbols
{
    public static T Resolve<T>(IntPtr address)
    {
        if (address == IntPtr.Zero)
            return default(T);
        return Marshal.GetDelegateForFunctionPointer<T>(address);
    }
    public static T ResolveOrNothing<T>(IntPtr address) => address == IntPtr.Zero ? default : Marshal.GetDelegateForFunctionPointer<T>(address);
}
public class Console2
{
    static Sink emit = Symbols.Resolve<Sink>(Lib.sink_slot());
    static Sink emitMaybe = Symbols.ResolveOrNothing<Sink>(Lib.sink_slot());
    public Console2(string banner)
    {
        IntPtr text = Text.Copy(banner);
        emit(text);
        emitMaybe(text);
        Text.Free(text);
    }
}");

        [Fact]
        public Task FieldFromALoaderReturningTheDefaultOrAManagedDelegateStillCounts() => Check(@"
static class Symbols
{
    static void Quiet(IntPtr text) { throw new NotSupportedException(); }
    public static Sink Resolve(IntPtr address, bool strict)
    {
        if (address == IntPtr.Zero)
            return strict ? default(Sink) : Quiet;
        return Marshal.GetDelegateForFunctionPointer<Sink>(address);
    }
}
public class Console2
{
    static Sink emit = Symbols.Resolve(Lib.sink_slot(), false);
    public Console2(string banner)
    {
        IntPtr text = {|#0:Text.Copy(banner)|};
        emit(text);
        Text.Free(text);
    }
}", LeakIf(0, "text", "emit(text)"));

        [Fact]
        public Task FieldHoldingAPInvokeMethodGroupIsANativeCall() => Check(@"
public static class Wire
{
    [DllImport(""wire"")] static extern void wire_put(IntPtr text);
    [DllImport(""__Internal"", EntryPoint = ""wire_put"")] static extern void wire_put_static(IntPtr text);
    public static readonly Sink put = wire_put;
    static Sink putAny;
    static Wire()
    {
        if (Environment.Is64BitProcess)
            putAny = new Sink(wire_put);
        else
            putAny = wire_put_static;
    }
    public static void Say(string message)
    {
        IntPtr copy = Text.Copy(message);
        put(copy);
        putAny(copy);
        Text.Free(copy);
    }
}");

        [Fact]
        public Task FieldHoldingAPInvokeMethodGroupUntilAnOlderLibraryGetsAThrowingLambdaStillCounts() => Check(@"
public static class Wire
{
    [DllImport(""wire"")] static extern void wire_put(IntPtr text);
    public static Sink put = wire_put;
    static Sink putChecked = wire_put;
    static Wire()
    {
        if (Environment.Version.Major < 4)
            putChecked = text => throw new PlatformNotSupportedException();
    }
    public static void Say(string message)
    {
        IntPtr copy = {|#0:Text.Copy(message)|};
        putChecked(copy);
        Text.Free(copy);
        IntPtr other = {|#1:Text.Copy(message)|};
        put(other);
        Text.Free(other);
    }
}", LeakIf(0, "copy", "putChecked(copy)"), LeakIf(1, "other", "put(other)"));

        [Fact]
        public Task FieldFromALoaderThatMayReturnAManagedDelegateTooDeepOrWritableByAnyoneStillCounts() => Check(@"
static class Loader
{
    public static Sink Load(IntPtr p)
    {
        if (p == IntPtr.Zero)
            return Fallback;
        return Marshal.GetDelegateForFunctionPointer<Sink>(p);
    }
    static void Fallback(IntPtr text) { throw new NotSupportedException(); }
    public static T Deep<T>(IntPtr p) where T : Delegate => Deeper<T>(p);
    static T Deeper<T>(IntPtr p) where T : Delegate => Deepest<T>(p);
    static T Deepest<T>(IntPtr p) where T : Delegate => Marshal.GetDelegateForFunctionPointer<T>(p);
}
public static class Printing
{
    static Sink print = Loader.Load(Lib.sink_slot());
    static Sink far = Loader.Deep<Sink>(Lib.sink_slot());
    public static Sink shared = Marshal.GetDelegateForFunctionPointer<Sink>(Lib.sink_slot());
    public static void Write(string message)
    {
        IntPtr copy = {|#0:Text.Copy(message)|};
        print(copy);
        Text.Free(copy);
        IntPtr other = {|#1:Text.Copy(message)|};
        far(other);
        Text.Free(other);
        IntPtr third = {|#2:Text.Copy(message)|};
        shared(third);
        Text.Free(third);
    }
}", LeakIf(0, "copy", "print(copy)"), LeakIf(1, "other", "far(other)"), LeakIf(2, "third", "shared(third)"));

        [Fact]
        public Task WrapperAlsoBuiltAroundAManagedMethodStillCounts() => Check(@"
public static class Printing
{
    class Forwarder
    {
        Sink previous;
        public Forwarder(Sink previous) { this.previous = previous; }
        public void Write(string message)
        {
            IntPtr copy = {|#0:Text.Copy(message)|};
            previous(copy);
            Text.Free(copy);
        }
    }

    static void Loud(IntPtr text) { throw new InvalidOperationException(); }

    public static Action<string> Install(bool quiet)
    {
        Sink old = Lib.set_sink(null);
        return quiet ? new Forwarder(old).Write : new Forwarder(Loud).Write;
    }
}", LeakIf(0, "copy", "previous(copy)"));

        [Fact]
        public Task WrapperAnyoneCanBuildStillCounts() => Check(@"
public class Forwarder
{
    private Sink previous;
    public Forwarder(Sink previous) { this.previous = previous; }
    public void Write(string message)
    {
        IntPtr copy = {|#0:Text.Copy(message)|};
        previous(copy);
        Text.Free(copy);
    }
}", LeakIf(0, "copy", "previous(copy)"));

        [Fact]
        public Task FieldAlsoGivenAManagedHandlerOrCombinedStillCounts() => Check(@"
public class Chain
{
    private Sink _next;
    private Sink _more;
    public Chain(Sink mine)
    {
        _next = Lib.set_sink(mine);
        _more = Lib.set_sink(mine);
        _more += mine;
    }
    public void Reset() { _next = text => Console.WriteLine(text); }
    public void Write(string message)
    {
        IntPtr copy = {|#0:Text.Copy(message)|};
        _next(copy);
        Text.Free(copy);
        IntPtr other = {|#1:Text.Copy(message)|};
        _more(other);
        Text.Free(other);
    }
}", LeakIf(0, "copy", "_next(copy)"), LeakIf(1, "other", "_more(other)"));
    }
}
