using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001 names the callback's own likeliest throw; when the callback also runs the user's code outside a catch-all,
    /// the message names that too (a guard the model cannot show to be dead — a target that is never null, a fresh
    /// object's "already set" check — leaves the reader with the user's code as the escape that surely can happen). The
    /// look-alikes: a callback whose user's code runs inside a catch-all, and one that forwards to nothing.
    /// </summary>
    public class NativeCallbackForwardingBesideTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
public delegate void Tick(IntPtr timer, int elapsed);

static class Native
{
    [DllImport(""clock"")] public static extern void clock_start(IntPtr timer, Tick tick);
}

public abstract class Metronome
{
    public abstract void Beat(int elapsed);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Own(int location, string callback, string operation)
            => Verify.Diagnostic("IG5001").WithLocation(location).WithMessage(
                "Callback '" + callback + "' is called by native function 'clock_start', and '" + operation
                + " outside a catch-all: an exception escaping to native code terminates the process");

        // A timer table's tick: a defensive check of the elapsed time, then the user's handler; a second tick whose
        // helper checks the elapsed time and then raises the user's event; a third that hands the user's metronome a beat
        // after an argument check of its own.
        [Fact]
        public Task UsersCodeBesideTheOwnThrowIsNamed() => Check(@"
public sealed class Timer
{
    private static readonly System.Collections.Generic.Dictionary<IntPtr, Timer> s_live = new System.Collections.Generic.Dictionary<IntPtr, Timer>();
    private static readonly Tick s_tick = OnTick;
    private static readonly Tick s_measured = OnMeasured;
    private static readonly Tick s_beat = OnBeat;

    public Action<int>? Elapsed { get; set; }
    public event Action<int>? Measured;
    public Metronome? Metronome { get; set; }

    public void Start(IntPtr timer)
    {
        s_live[timer] = this;
        Native.clock_start(timer, s_tick);
        Native.clock_start(timer, s_measured);
        Native.clock_start(timer, s_beat);
    }

    private static void {|#0:OnTick|}(IntPtr timer, int elapsed)
    {
        if (!s_live.TryGetValue(timer, out var owner))
        {
            return;
        }

        if (elapsed < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(elapsed), ""the clock never runs backwards"");
        }

        owner.Elapsed?.Invoke(elapsed);
    }

    private static void {|#1:OnMeasured|}(IntPtr timer, int elapsed)
    {
        if (s_live.TryGetValue(timer, out var owner))
        {
            owner.Report(elapsed);
        }
    }

    private void Report(int elapsed)
    {
        if (elapsed < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(elapsed));
        }

        Measured?.Invoke(elapsed);
    }

    private static void {|#2:OnBeat|}(IntPtr timer, int elapsed)
    {
        if (s_live.TryGetValue(timer, out var owner) && owner.Metronome is { } metronome)
        {
            metronome.Beat(checked(elapsed * 2));
        }
    }
}",
            Own(0, "OnTick", "throw new ArgumentOutOfRangeException(…)' may throw as may 'owner.Elapsed?.Invoke(elapsed)', which invokes the user's delegate 'owner.Elapsed',"),
            Own(1, "OnMeasured", "owner.Report(elapsed)' may throw ('throw new ArgumentOutOfRangeException(…)' in 'Report'), as may 'Measured?.Invoke(elapsed)' in 'Report', which invokes the user's delegate 'Measured',"),
            Own(2, "OnBeat", "elapsed * 2' may throw as may 'metronome.Beat(checked(elapsed * 2))', which calls the user's override of 'Metronome.Beat',"));

        // The same ticks, with the user's code inside a catch-all (only the own throw escapes), or with no user's code at
        // all — a delegate of a native signature, the clock library's entry point loaded by name, is native code, not the
        // user's: the message names the own throw alone.
        [Fact]
        public Task OwnThrowAloneWhenNoUsersCodeEscapes() => Check(@"
public sealed class Timer
{
    private static readonly System.Collections.Generic.Dictionary<IntPtr, Timer> s_live = new System.Collections.Generic.Dictionary<IntPtr, Timer>();
    private static readonly Tick s_tick = OnTick;
    private static readonly Tick s_count = OnCount;
    private static readonly Tick s_ack = OnAck;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void Acknowledge(IntPtr timer);

    public Acknowledge? Ack { get; set; } = Marshal.GetDelegateForFunctionPointer<Acknowledge>(NativeLibrary.GetExport(NativeLibrary.Load(""clock""), ""clock_ack""));

    private int _ticks;

    public Action<int>? Elapsed { get; set; }

    public void Start(IntPtr timer)
    {
        s_live[timer] = this;
        Native.clock_start(timer, s_tick);
        Native.clock_start(timer, s_count);
        Native.clock_start(timer, s_ack);
    }

    private static void {|#2:OnAck|}(IntPtr timer, int elapsed)
    {
        if (!s_live.TryGetValue(timer, out var owner))
        {
            return;
        }

        if (elapsed < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(elapsed), ""the clock never runs backwards"");
        }

        owner.Ack?.Invoke(timer);
    }

    private static void {|#0:OnTick|}(IntPtr timer, int elapsed)
    {
        if (!s_live.TryGetValue(timer, out var owner))
        {
            return;
        }

        if (elapsed < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(elapsed), ""the clock never runs backwards"");
        }

        try
        {
            owner.Elapsed?.Invoke(elapsed);
        }
        catch (Exception)
        {
            owner._ticks = -1;
        }
    }

    private static void {|#1:OnCount|}(IntPtr timer, int elapsed)
    {
        if (!s_live.TryGetValue(timer, out var owner))
        {
            return;
        }

        if (elapsed < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(elapsed), ""the clock never runs backwards"");
        }

        owner._ticks += elapsed;
    }
}",
            Own(0, "OnTick", "throw new ArgumentOutOfRangeException(…)' may throw"),
            Own(1, "OnCount", "throw new ArgumentOutOfRangeException(…)' may throw"),
            Own(2, "OnAck", "throw new ArgumentOutOfRangeException(…)' may throw"));
    }
}
