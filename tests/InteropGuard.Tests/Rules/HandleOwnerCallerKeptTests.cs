using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Xunit;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001 in a method only this compilation can call (private, internal without friends, in a non-public type; not
    /// virtual, an override, an interface implementation or a method group), whose owner — <c>this</c> or a parameter — every
    /// caller keeps across the call: reads it after the call on some path, holds it as an operand still pending, or is
    /// itself such a method whose callers keep it. Silent there; reported where one caller ends with the call, where the
    /// method is public, reached through a delegate or an interface, or nothing in sight calls it. An override every
    /// declaration up whose chain only the assembly can reach is read the same way (its calls are those of each declaration),
    /// and a call in a lambda is kept when the lambda is handed to a method of the same object that only runs it and reads
    /// that object after (a host that does not read it after, keeps the lambda, or belongs to another object: reported).
    /// </summary>
    public class HandleOwnerCallerKeptTests
    {
        // A finalizable stack machine whose helpers hand its state to native code.
        private const string Machine = @"
sealed class Slot
{
    public Slot(Machine owner, int index) { }
}
sealed partial class Machine
{
    private IntPtr _state = (IntPtr)1;
    ~Machine() { }
    private int Top => 0;
}
";

        private static Task Check(string source, params DiagnosticResult[] expected) => Run(HandleOwnerLifetimeTests.Prelude + Machine + source, expected);

        private static Task Run(string program, DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<HandleOwnerLifetimeAnalyzer> { Source = program };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult OnState(int location) => HandleOwnerLifetimeTests.Finding(location, "this", "_state", "Native.draw");

        [Fact]
        public Task EveryCallerReadsThisAfterTheCall() => Check(@"
sealed partial class Machine
{
    public void Load(int value)
    {
        Push(value);
        GC.KeepAlive(this);
    }
    public int Peek(int value)
    {
        Push(value);
        return Top;
    }
    public void Retry(bool again)
    {
        Push(1);
        if (again) GC.KeepAlive(this);
    }
    private void Push(int value) => Native.draw(_state, value);
}");

        [Fact]
        public Task EveryCallerHoldsThisAsAPendingOperand() => Check(@"
sealed partial class Machine
{
    public Slot Reserve() => new Slot(this, Take());
    public Slot ReserveAgain() => new Slot(this, Take() + 1);
    private int Take() => Native.draw(_state, 3);
}");

        [Fact]
        public Task CallersOfTheCallerKeepIt() => Check(@"
sealed partial class Machine
{
    public void Load()
    {
        Refresh(true);
        GC.KeepAlive(this);
    }
    private void Refresh(bool full)
    {
        if (full) Trim();
    }
    private void Trim() => Native.draw(_state, 5);
}");

        [Fact]
        public Task EveryCallerReadsTheArgumentAfterTheCall() => Check(@"
static class Painter
{
    public static void Paint(Bitmap bitmap)
    {
        Fill(bitmap, 1);
        Console.WriteLine(bitmap.Width);
    }
    public static void PaintTwice(Bitmap bitmap)
    {
        Fill(bitmap, 1);
        Fill(bitmap, 2);
        GC.KeepAlive(bitmap);
    }
    private static void Fill(Bitmap target, int color) => Native.draw(target.Handle, color);
}");

        [Fact]
        public Task ACallerThatEndsWithTheCallIsReported() => Check(@"
sealed partial class Machine
{
    public void Load(int value)
    {
        Push(value);
        GC.KeepAlive(this);
    }
    public void Reset() => Push(0);
    private void Push(int value) => Native.draw({|#0:_state|}, value);
}", OnState(0));

        [Fact]
        public Task OneCallerOfThreeThatDropsTheArgumentIsReported() => Check(@"
static class Painter
{
    public static void Paint(Bitmap bitmap)
    {
        Fill(bitmap, 1);
        Console.WriteLine(bitmap.Width);
    }
    public static void PaintLast(Bitmap bitmap)
    {
        Console.WriteLine(bitmap.Width);
        Fill(bitmap, 2);
    }
    public static void PaintKept(Bitmap bitmap)
    {
        Fill(bitmap, 3);
        GC.KeepAlive(bitmap);
    }
    private static void Fill(Bitmap target, int color) => Native.draw({|#0:target.Handle|}, color);
}", HandleOwnerLifetimeTests.Finding(0, "target", "target.Handle", "Native.draw"));

        [Fact]
        public Task ACallerOfTheCallerThatEndsWithItIsReported() => Check(@"
sealed partial class Machine
{
    public void Load()
    {
        Refresh(true);
        GC.KeepAlive(this);
    }
    public void Tidy() => Refresh(false);
    private void Refresh(bool full)
    {
        if (full) Trim();
    }
    private void Trim() => Native.draw({|#0:_state|}, 5);
}", OnState(0));

        [Fact]
        public Task APublicMethodIsReported() => Run(HandleOwnerLifetimeTests.Prelude + @"
public sealed class Engine
{
    private IntPtr _state = (IntPtr)1;
    ~Engine() { }
    public void Load()
    {
        Push(1);
        GC.KeepAlive(this);
    }
    public void Push(int value) => Native.draw({|#0:_state|}, value);
}", new[] { OnState(0) });

        [Fact]
        public Task AMethodHandedOutAsADelegateIsReported() => Check(@"
sealed partial class Machine
{
    public void Load()
    {
        Push(1);
        GC.KeepAlive(this);
    }
    public Action<int> Pusher => Push;
    private void Push(int value) => Native.draw({|#0:_state|}, value);
}", OnState(0));

        [Fact]
        public Task AnInterfaceImplementationIsReported() => Check(@"
interface IPusher { void Push(int value); }
sealed partial class Machine : IPusher
{
    public void Load()
    {
        Push(1);
        GC.KeepAlive(this);
    }
    public void Push(int value) => Native.draw({|#0:_state|}, value);
}", OnState(0));

        [Fact]
        public Task ACallInALambdaThatDropsThisIsReported() => Check(@"
sealed partial class Machine
{
    public void Load()
    {
        Push(1);
        GC.KeepAlive(this);
    }
    public Action Later() => () => Push(2);
    private void Push(int value) => Native.draw({|#0:_state|}, value);
}", OnState(0));

        [Fact]
        public Task AMethodNothingCallsIsReported() => Check(@"
sealed partial class Machine
{
    private void Push(int value) => Native.draw({|#0:_state|}, value);
}", OnState(0));

        [Fact]
        public Task AnAsyncMethodIsReported() => Check(@"
sealed partial class Machine
{
    public async Task Load()
    {
        await Push(1);
        GC.KeepAlive(this);
    }
    private async Task Push(int value)
    {
        await Task.Yield();
        Native.draw({|#0:_state|}, value);
    }
}", OnState(0));

        // A caller that keeps the machine across the call and hands the sequence on.
        private const string FramesCaller = @"
sealed partial class Machine
{
    public IEnumerable<int> Frames()
    {
        var frames = Draw(2);
        GC.KeepAlive(this);
        return frames;
    }
}";

        // An iterator's body runs while the enumerator is consumed, after its caller's KeepAlive.
        [Fact]
        public Task AnIteratorIsReported() => Check(FramesCaller + @"
sealed partial class Machine
{
    private IEnumerable<int> Draw(int count)
    {
        yield return Native.draw({|#0:_state|}, count);
    }
}", OnState(0));

        // The yield is the local function's: the method itself draws at the call, which its caller brackets.
        [Fact]
        public Task AMethodWithAnIteratorInsideItIsNoIterator() => Check(FramesCaller + @"
sealed partial class Machine
{
    private IEnumerable<int> Draw(int count)
    {
        var drawn = Native.draw(_state, count);
        return Repeat();
        IEnumerable<int> Repeat() { yield return drawn; }
    }
}");

        // Friends may call an internal method, and drop the object after it: only private methods are closed there.
        [Fact]
        public Task AnInternalMethodOfAnAssemblyWithFriendsIsReported() => Run(HandleOwnerLifetimeTests.Prelude.Replace("using System.Threading.Tasks;", "using System.Threading.Tasks;\n[assembly: System.Runtime.CompilerServices.InternalsVisibleTo(\"Friend\")]") + Machine + @"
sealed partial class Machine
{
    public void Load()
    {
        Push(1);
        Pop();
        GC.KeepAlive(this);
    }
    internal void Push(int value) => Native.draw({|#0:_state|}, value);
    private void Pop() => Native.draw(_state, -1);
}", new[] { OnState(0) });

        [Fact]
        public Task AnOverrideOnlyTheAssemblyCanReachIsKeptByItsCallers() => Run(HandleOwnerLifetimeTests.Prelude + @"
public abstract class Meter
{
    private IntPtr _raw = (IntPtr)1;
    ~Meter() { }
    internal IntPtr Raw => _raw;
    public void Measure() { Sample(); GC.KeepAlive(this); }
    internal abstract void Sample();
}
public sealed class HeatMeter : Meter
{
    internal override void Sample() => Native.draw(Raw, 1);
}
public abstract class Probe
{
    private IntPtr _raw = (IntPtr)1;
    ~Probe() { }
    protected IntPtr Raw => _raw;
    public void Measure() { Sample(); GC.KeepAlive(this); }
    protected abstract void Sample();
}
public sealed class HeatProbe : Probe
{
    protected override void Sample() => Native.draw({|#0:Raw|}, 1);
}", new[] { HandleOwnerLifetimeTests.Finding(0, "this", "Raw", "Native.draw") });

        [Fact]
        public Task ACallInALambdaItsObjectRunsAndReadsAfterIsKept() => Check(@"
sealed class Runner
{
    public int Run(Func<int> body) { var result = body(); GC.KeepAlive(this); return result; }
}
sealed partial class Machine
{
    private readonly Runner _runner = new Runner();
    private Func<int> _last;
    public int Guarded(int value) => Run(() => { Push(value); return 1; });
    public int Plain(int value) => RunPlain(() => { Shove(value); return 1; });
    public int Kept(int value) => RunKept(() => { Press(value); return 1; });
    public int Elsewhere(int value) => _runner.Run(() => { Poke(value); return 1; });
    private int Run(Func<int> body)
    {
        try { return body(); }
        finally { Settle(); }
    }
    private int RunPlain(Func<int> body) => body();
    private int RunKept(Func<int> body)
    {
        _last = body;
        try { return body(); }
        finally { Settle(); }
    }
    private void Settle() => GC.KeepAlive(this);
    private void Push(int value) => Native.draw(_state, value);
    private void Shove(int value) => Native.draw({|#0:_state|}, value);
    private void Press(int value) => Native.draw({|#1:_state|}, value);
    private void Poke(int value) => Native.draw({|#2:_state|}, value);
}", OnState(0), OnState(1), OnState(2));

        [Fact]
        public Task AParameterGivenAnotherValueIsReported() => Check(@"
static class Painter
{
    public static void Paint(Bitmap bitmap)
    {
        Fill(bitmap, 1);
        Console.WriteLine(bitmap.Width);
    }
    private static void Fill(Bitmap target, int color)
    {
        if (color == 0) target = Bitmap.Create();
        Native.draw({|#0:target.Handle|}, color);
    }
}", HandleOwnerLifetimeTests.Finding(0, "target", "target.Handle", "Native.draw"));
    }
}
