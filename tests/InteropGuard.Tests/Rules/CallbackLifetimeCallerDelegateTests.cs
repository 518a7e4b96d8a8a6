using System.Threading.Tasks;
using InteropGuard.CodeFixes;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis.CSharp;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1002 on a delegate the method receives from its caller and registers with a native function that keeps it: the
    /// binding's public wrapper is the last place that can keep it.
    /// </summary>
    public class CallbackLifetimeCallerDelegateTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
public delegate void PlayCb(IntPtr data, IntPtr samples, uint count, long pts);
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
public delegate void PauseCb(IntPtr data, long pts);
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
public delegate int Visitor(IntPtr item, IntPtr data);
static class Vlc
{
    [DllImport(""libvlc"", EntryPoint = ""libvlc_audio_set_callbacks"")]
    public static extern void SetAudioCallbacks(IntPtr player, PlayCb play, PauseCb pause, IntPtr opaque);
}
static class Lib
{
    [DllImport(""mylib"")] public static extern void mylib_set_log_callback(IntPtr ctx, Visitor cb, IntPtr data);
    [DllImport(""user32.dll"")] public static extern bool EnumWindows(Visitor proc, IntPtr lParam);
    [DllImport(""libc"")] public static extern void qsort(IntPtr items, UIntPtr count, UIntPtr size, Visitor compare);
    [DllImport(""e_sqlite3"")] public static extern int sqlite3_exec(IntPtr db, byte[] sql, Visitor callback, IntPtr arg, out IntPtr error);
}
";

        private const string Collected = " after the method returns; once the GC collects it, a call from native code through it crashes the process";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<CallbackLifetimeAnalyzer> { Source = Prelude + source, LanguageVersion = LanguageVersion.Latest };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(int location, string message) => Verify.Diagnostic("IG1002").WithLocation(location).WithMessage(message);

        [Fact]
        public Task PublicWrapperRegistersTheCallersDelegates() => Check(@"
public sealed class MediaPlayer
{
    private readonly IntPtr _player;
    public MediaPlayer(IntPtr player) => _player = player;

    public void SetAudioCallbacks(PlayCb play, PauseCb pause)
    {
        Vlc.SetAudioCallbacks(_player, {|#0:play|}, {|#1:pause|}, IntPtr.Zero);
    }
}",
            Finding(0, "The caller's delegate 'play' is registered with 'Vlc.SetAudioCallbacks' but is not kept reachable by 'MediaPlayer'" + Collected),
            Finding(1, "The caller's delegate 'pause' is registered with 'Vlc.SetAudioCallbacks' but is not kept reachable by 'MediaPlayer'" + Collected));

        [Fact]
        public Task StaticPropertySetterAndProtectedMethodAreReachableFromOutside() => Check(@"
public static class Logging
{
    public static Visitor Handler
    {
        set => Lib.mylib_set_log_callback(IntPtr.Zero, {|#0:value|}, IntPtr.Zero);
    }
}
public class Context
{
    protected void Listen(Visitor onLine) => Lib.mylib_set_log_callback(IntPtr.Zero, {|#1:onLine|}, IntPtr.Zero);
}",
            Finding(0, "The caller's delegate 'value' is registered with 'Lib.mylib_set_log_callback' but is not kept reachable by 'Logging'" + Collected),
            Finding(1, "The caller's delegate 'onLine' is registered with 'Lib.mylib_set_log_callback' but is not kept reachable by 'Context'" + Collected));

        [Fact]
        public Task ThroughAnInternalWrapperAndAnExplicitInterfaceImplementation() => Check(@"
public interface IProvider
{
    void set_log(IntPtr ctx, Visitor cb);
}
static class Proxy
{
    internal static void mylib_set_log_callback(IntPtr ctx, Visitor cb) => Lib.mylib_set_log_callback(ctx, cb, IntPtr.Zero);
}
public sealed class Provider : IProvider
{
    void IProvider.set_log(IntPtr ctx, Visitor cb) => Proxy.mylib_set_log_callback(ctx, {|#0:cb|});
}",
            Finding(0, "The caller's delegate 'cb' is registered with 'Lib.mylib_set_log_callback' through 'Proxy.mylib_set_log_callback' but is not kept reachable by 'Provider'" + Collected));

        [Fact]
        public Task DelegateKeptByTheWrapperIsNotAFinding() => Check(@"
public sealed class MediaPlayer
{
    private readonly IntPtr _player;
    private PlayCb? _play;
    private readonly List<Delegate> _kept = new List<Delegate>();
    private GCHandle _pauseHandle;

    public void StoredAfter(PlayCb play, PauseCb pause)
    {
        Vlc.SetAudioCallbacks(_player, play, pause, IntPtr.Zero);
        _play = play;
        _kept.Add(pause);
    }

    public void StoredBefore(PlayCb play, PauseCb pause)
    {
        _play = play;
        _pauseHandle = GCHandle.Alloc(pause);
        Vlc.SetAudioCallbacks(_player, play, pause, IntPtr.Zero);
    }

    public void KeptAliveAfter(PlayCb play, PauseCb pause)
    {
        Vlc.SetAudioCallbacks(_player, play, pause, IntPtr.Zero);
        Vlc.SetAudioCallbacks(_player, null!, null!, IntPtr.Zero);
        GC.KeepAlive(play);
        GC.KeepAlive(pause);
    }

    public void Captured(PlayCb play, PauseCb pause)
    {
        Vlc.SetAudioCallbacks(_player, play, pause, IntPtr.Zero);
        Action later = () => { play(IntPtr.Zero, IntPtr.Zero, 0, 0); pause(IntPtr.Zero, 0); };
        _later = later;
    }

    private Action? _later;
}");

        [Fact]
        public Task WrapperOnlyThisCompilationCallsLeavesItToItsCallers() => Check(@"
public sealed class Player
{
    private readonly IntPtr _player;
    private int _played;

    internal void SetAudio(PlayCb play, PauseCb pause) => Vlc.SetAudioCallbacks(_player, play, pause, IntPtr.Zero);

    private void SetLog(Visitor cb) => Lib.mylib_set_log_callback(_player, cb, IntPtr.Zero);

    public void Start()
    {
        SetAudio({|#0:(d, s, n, p) => _played++|}, (d, p) => { });
        SetLog((item, data) => 0);
    }
}
internal sealed class Hidden
{
    public void SetLog(Visitor cb) => Lib.mylib_set_log_callback(IntPtr.Zero, cb, IntPtr.Zero);
}",
            Finding(0, "The lambda's delegate is registered with 'Vlc.SetAudioCallbacks' through 'Player.SetAudio' but is not kept reachable after the method returns; once the GC collects it, a call from native code through it crashes the process"));

        [Fact]
        public Task SynchronousFunctionsOfTheCatalogueAreNotFindings() => Check(@"
public static class Walk
{
    public static void Windows(Visitor visit) => Lib.EnumWindows(visit, IntPtr.Zero);

    public static void Sort(IntPtr items, int count, int size, Visitor compare) => Lib.qsort(items, (UIntPtr)count, (UIntPtr)size, compare);

    public static int Exec(IntPtr db, byte[] sql, Visitor row) => Lib.sqlite3_exec(db, sql, row, IntPtr.Zero, out _);
}");

        [Fact]
        public Task WrapperThatStoresWhatItForwardsKeepsIt() => Check(@"
static class Proxy
{
    private static readonly List<Visitor> s_kept = new List<Visitor>();
    internal static void set_log(IntPtr ctx, Visitor cb)
    {
        s_kept.Add(cb);
        Lib.mylib_set_log_callback(ctx, cb, IntPtr.Zero);
    }
}
public sealed class Context
{
    public void SetLog(Visitor cb) => Proxy.set_log(IntPtr.Zero, cb);
}");

        [Fact]
        public Task FixStoresTheCallersDelegateInAnInstanceField() => new CodeFixTest<CallbackLifetimeAnalyzer, StoreDelegateInFieldCodeFix>
        {
            Source = @"using System;
using System.Runtime.InteropServices;

public delegate void PlayCb(IntPtr data, IntPtr samples, uint count, long pts);

static class Vlc
{
    [DllImport(""libvlc"", EntryPoint = ""libvlc_audio_set_callbacks"")]
    public static extern void SetAudioCallbacks(IntPtr player, PlayCb play, PlayCb pause, IntPtr opaque);
}

public sealed class MediaPlayer
{
    private IntPtr _player;

    public void SetAudioCallbacks(PlayCb playCb)
    {
        Vlc.SetAudioCallbacks(_player, [|playCb|], null!, IntPtr.Zero);
    }
}",
            FixedSource = @"using System;
using System.Runtime.InteropServices;

public delegate void PlayCb(IntPtr data, IntPtr samples, uint count, long pts);

static class Vlc
{
    [DllImport(""libvlc"", EntryPoint = ""libvlc_audio_set_callbacks"")]
    public static extern void SetAudioCallbacks(IntPtr player, PlayCb play, PlayCb pause, IntPtr opaque);
}

public sealed class MediaPlayer
{
    private IntPtr _player;
    private PlayCb? _playCb;

    public void SetAudioCallbacks(PlayCb playCb)
    {
        _playCb = playCb;
        Vlc.SetAudioCallbacks(_player, _playCb, null!, IntPtr.Zero);
    }
}",
            LanguageVersion = LanguageVersion.Latest,
        }.RunAsync();
    }
}
