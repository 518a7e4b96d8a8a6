using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis.CSharp;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG1002 over the retaining reading: catalogue entries, synchronous look-alikes, name and signature shapes, per-parameter options.</summary>
    public class CallbackLifetimeCatalogueTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate int Callback(IntPtr data);
static class User32
{
    [DllImport(""user32.dll"", EntryPoint = ""SetWindowsHookExW"")] public static extern IntPtr SetWindowsHookEx(int id, Callback proc, IntPtr module, int thread);
    [DllImport(""user32.dll"")] public static extern bool EnumWindows(Callback proc, IntPtr lParam);
    [DllImport(""user32.dll"")] public static extern IntPtr SetWindowLongPtrW(IntPtr window, int index, IntPtr value);
}
static class Sqlite
{
    [DllImport(""e_sqlite3"")] public static extern int sqlite3_create_function_v2(IntPtr db, byte[] name, int nArg, int rep, IntPtr app, Callback func, Callback step, Callback final, Callback destroy);
    [DllImport(""e_sqlite3"")] public static extern int sqlite3_exec(IntPtr db, byte[] sql, Callback callback, IntPtr arg, out IntPtr error);
}
static class Lib
{
    [DllImport(""mylib"")] public static extern int mylib_log_set(IntPtr instance, Callback cb, IntPtr data);
    [DllImport(""mylib"")] public static extern int mylib_for_each_row(IntPtr db, Callback cb, IntPtr data);
    [DllImport(""mylib"")] public static extern int mylib_run(Callback progress, Callback completion);
    [DllImport(""mylib"")] public static extern IntPtr new_mylib_reader(Callback read, Callback close);
    [DllImport(""mylib"")] public static extern IntPtr mylib_image_create_from_stream(Callback read, IntPtr closure);
    [DllImport(""mylib"")] public static extern int mylib_create_report(Callback progress);
}
";

        private const string Registered = "' but is not kept reachable after the method returns; once the GC collects it, a call from native code through it crashes the process";

        private static Task Check(string source, params DiagnosticResult[] expected) => Check(source, null, expected);

        private static Task Check(string source, string? editorConfig, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<CallbackLifetimeAnalyzer> { Source = Prelude + source, LanguageVersion = LanguageVersion.Latest, EditorConfig = editorConfig };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(int location, string message) => Verify.Diagnostic("IG1002").WithLocation(location).WithMessage(message);

        [Fact]
        public Task HookProcedureOfACatalogueFunction() => Check(@"
class C
{
    int _seen;
    void M()
    {
        User32.SetWindowsHookEx(13, {|#0:data => _seen++|}, IntPtr.Zero, 0);
    }
}", Finding(0, "The lambda's delegate is registered with 'User32.SetWindowsHookEx" + Registered));

        /// <summary>
        /// A function that makes a native object from callbacks hands them to the object it returns, which calls them for its
        /// life; nothing here keeps the lambdas once the constructor returns.
        /// </summary>
        [Fact]
        public Task CallbacksGivenToAFunctionThatMakesAnObject() => Check(@"
class Reader
{
    readonly IntPtr _native;
    int _reads;
    public Reader()
    {
        _native = Lib.new_mylib_reader({|#0:data => _reads++|}, {|#1:data => _reads = 0|});
    }
}", Finding(0, "The lambda's delegate is registered with 'Lib.new_mylib_reader" + Registered),
    Finding(1, "The lambda's delegate is registered with 'Lib.new_mylib_reader" + Registered));

        /// <summary>
        /// Look-alikes of the object-making reading: making something from a stream reads the stream during the call, and a
        /// function that returns a status, not the object, has nothing to hand the callback to.
        /// </summary>
        [Fact]
        public Task CallbacksOfAFunctionThatMakesFromASourceOrReturnsAStatusAreNotFindings() => Check(@"
class Images
{
    int _reads;
    IntPtr Load() => Lib.mylib_image_create_from_stream(data => _reads++, IntPtr.Zero);
    int Report() => Lib.mylib_create_report(data => _reads++);
}");

        [Fact]
        public Task EnumerationCallbackOfASynchronousFunctionIsNotAFinding() => Check(@"
class C
{
    int _seen;
    void M()
    {
        User32.EnumWindows(data => _seen++, IntPtr.Zero);
        Sqlite.sqlite3_exec(IntPtr.Zero, new byte[1], data => _seen++, IntPtr.Zero, out _);
        Lib.mylib_for_each_row(IntPtr.Zero, data => _seen++, IntPtr.Zero);
    }
}");

        [Fact]
        public Task SqliteFunctionCallbacksAreKeptButItsNameIsNot() => Check(@"
class C
{
    int _calls;
    void M(IntPtr db)
    {
        Sqlite.sqlite3_create_function_v2(db, new byte[] { 97, 0 }, 1, 1, IntPtr.Zero, {|#0:ctx => _calls++|}, null, null, null);
    }
}", Finding(0, "The lambda's delegate is registered with 'Sqlite.sqlite3_create_function_v2" + Registered));

        [Fact]
        public Task CallbackNextToUserDataInASetFunction() => Check(@"
class C
{
    int _lines;
    void M(IntPtr instance)
    {
        Lib.mylib_log_set(instance, {|#0:data => _lines++|}, IntPtr.Zero);
    }
}", Finding(0, "The lambda's delegate is registered with 'Lib.mylib_log_set" + Registered));

        [Fact]
        public Task PointerGivenToACatalogueFunction() => Check(@"
class C
{
    int _messages;
    void M(IntPtr window)
    {
        Callback proc = data => _messages++;
        User32.SetWindowLongPtrW(window, -4, Marshal.GetFunctionPointerForDelegate({|#0:proc|}));
    }
}", Finding(0, "Delegate 'proc' is turned into a function pointer given to 'User32.SetWindowLongPtrW', which keeps it, but is not kept reachable after the method returns; once the GC collects it, a call from native code through it crashes the process"));

        [Fact]
        public Task OptionNamesTheKeptCallbackByPosition() => Check(@"
class C
{
    int _progress;
    void M()
    {
        Lib.mylib_run(data => _progress++, {|#0:data => _progress = -1|});
    }
}", "interopguard.retaining_functions = mylib_run(2)", Finding(0, "The lambda's delegate is registered with 'Lib.mylib_run" + Registered));

        [Fact]
        public Task OptionNamesTheKeptCallbackByName() => Check(@"
class C
{
    int _progress;
    void M()
    {
        Lib.mylib_run({|#0:data => _progress++|}, data => _progress = -1);
    }
}", "interopguard.retaining_functions = Lib.mylib_run:progress", Finding(0, "The lambda's delegate is registered with 'Lib.mylib_run" + Registered));

        [Fact]
        public Task NonRetainingOptionTakesOutOneCatalogueParameter() => Check(@"
class C
{
    int _calls;
    void M(IntPtr db)
    {
        Sqlite.sqlite3_create_function_v2(db, new byte[1], 1, 1, IntPtr.Zero, ctx => _calls++, null, null, {|#0:app => _calls = 0|});
    }
}", "interopguard.non_retaining_functions = sqlite3_create_function_v2:func", Finding(0, "The lambda's delegate is registered with 'Sqlite.sqlite3_create_function_v2" + Registered));

        [Fact]
        public Task DelegateReturnedByAHelper() => Check(@"
class C
{
    int _lines;
    Callback MakeLogger() => data => _lines++;
    static Callback MakeCounter(List<int> seen)
    {
        var cb = new Callback(data => { seen.Add(1); return 0; });
        return cb;
    }
    void M(IntPtr instance, List<int> seen)
    {
        Lib.mylib_log_set(instance, {|#0:MakeLogger()|}, IntPtr.Zero);
        var counter = MakeCounter(seen);
        Lib.mylib_log_set(instance, {|#1:counter|}, IntPtr.Zero);
    }
}", Finding(0, "The delegate returned by 'C.MakeLogger' is registered with 'Lib.mylib_log_set" + Registered),
            Finding(1, "Delegate 'counter' is registered with 'Lib.mylib_log_set" + Registered));

        [Fact]
        public Task HelperThatKeepsOrCachesItsDelegateIsNotAFinding() => Check(@"
class C
{
    static Callback s_kept;
    Callback _field;
    static Callback Kept(List<int> seen) => s_kept = data => seen.Count;
    static Callback Stored(List<int> seen)
    {
        var cb = new Callback(data => seen.Count);
        s_kept = cb;
        return cb;
    }
    static Callback Cached() => data => 0;
    Callback Field() => _field;
    static Callback Either(List<int> seen, bool b) => b ? s_kept : new Callback(data => seen.Count);
    void M(IntPtr instance, List<int> seen)
    {
        Lib.mylib_log_set(instance, Kept(seen), IntPtr.Zero);
        Lib.mylib_log_set(instance, Stored(seen), IntPtr.Zero);
        Lib.mylib_log_set(instance, Cached(), IntPtr.Zero);
        Lib.mylib_log_set(instance, Field(), IntPtr.Zero);
        Lib.mylib_log_set(instance, Either(seen, true), IntPtr.Zero);
        var kept = Stored(seen);
        _field = kept;
        Lib.mylib_log_set(instance, kept, IntPtr.Zero);
    }
}");

        [Fact]
        public Task ConditionalHandlerOrNull() => Check(@"
class C
{
    int _lines;
    int OnLine(IntPtr data) => _lines++;
    void M(IntPtr instance, bool enabled)
    {
        Lib.mylib_log_set(instance, {|#0:enabled ? OnLine : null|}, IntPtr.Zero);
        Callback cb = enabled ? new Callback(OnLine) : null;
        Lib.mylib_log_set(instance, {|#1:cb|}, IntPtr.Zero);
    }
}", Finding(0, "Delegate 'OnLine' is registered with 'Lib.mylib_log_set" + Registered),
            Finding(1, "Delegate 'cb' is registered with 'Lib.mylib_log_set" + Registered));

        [Fact]
        public Task ConditionalOfKeptOrCachedDelegatesIsNotAFinding() => Check(@"
class C
{
    Callback _handler;
    static int OnLine(IntPtr data) => 0;
    void M(IntPtr instance, bool enabled)
    {
        Lib.mylib_log_set(instance, enabled ? _handler : null, IntPtr.Zero);
        Lib.mylib_log_set(instance, enabled ? data => 0 : null, IntPtr.Zero);
        Lib.mylib_log_set(instance, enabled ? OnLine : null, IntPtr.Zero);
        _handler = enabled ? new Callback(OnLine) : null;
        Lib.mylib_log_set(instance, _handler, IntPtr.Zero);
    }
}");

        private const string Tables = @"
[StructLayout(LayoutKind.Sequential)]
struct WindowClass
{
    public int Style;
    public Callback WindowProcedure;
    public IntPtr Instance;
}
[StructLayout(LayoutKind.Sequential)]
struct Callbacks
{
    public Callback OnRead;
    public Callback OnClose;
}
static class Reg
{
    [DllImport(""user32.dll"", EntryPoint = ""RegisterClassExW"")] public static extern ushort RegisterClassEx(ref WindowClass windowClass);
    [DllImport(""mylib"")] public static extern int mylib_set_callbacks(IntPtr ctx, ref Callbacks callbacks);
    [DllImport(""mylib"")] public static extern int mylib_read_all(IntPtr ctx, ref Callbacks callbacks);
}
";

        [Fact]
        public Task CallbackTableCopiedToNativeMemoryOrRegistered() => Check(Tables + @"
class C
{
    int _reads;
    int WndProc(IntPtr data) => 0;
    void M(IntPtr ctx, IntPtr memory)
    {
        var table = new Callbacks { OnRead = {|#0:data => _reads++|}, OnClose = null };
        Marshal.StructureToPtr(table, memory, false);
        var wc = new WindowClass();
        wc.WindowProcedure = {|#1:WndProc|};
        Reg.RegisterClassEx(ref wc);
        var callbacks = new Callbacks();
        callbacks.OnRead = {|#2:data => _reads++|};
        Reg.mylib_set_callbacks(ctx, ref callbacks);
    }
}", Finding(0, "The lambda's delegate is stored in 'table', which 'Marshal.StructureToPtr' copies into native memory," + Registered.Substring(1)),
            Finding(1, "Delegate 'WndProc' is stored in 'wc' and registered with 'Reg.RegisterClassEx" + Registered),
            Finding(2, "The lambda's delegate is stored in 'callbacks' and registered with 'Reg.mylib_set_callbacks" + Registered));

        [Fact]
        public Task CallbackTableFilledFieldByFieldAroundItsDelegate() => Check(Tables + @"
class C
{
    int _created;
    int WndProc(IntPtr data) => _created++;
    void M(IntPtr instance)
    {
        WindowClass wc = new WindowClass();
        wc.Style = 3;
        wc.WindowProcedure = {|#0:WndProc|};
        wc.Instance = instance;
        Reg.RegisterClassEx(ref wc);
    }
}", Finding(0, "Delegate 'WndProc' is stored in 'wc' and registered with 'Reg.RegisterClassEx" + Registered));

        [Fact]
        public Task CallbackTableFilledFieldByFieldButReadOrNestedIsNotAFinding() => Check(Tables + @"
struct Outer
{
    public int Size;
    public Callbacks Inner;
}
static class Nested
{
    [DllImport(""mylib"")] public static extern int mylib_set_outer(IntPtr ctx, ref Outer outer);
}
class C
{
    int _created;
    int WndProc(IntPtr data) => _created++;
    void M(IntPtr instance, Callbacks given)
    {
        var read = new WindowClass();
        read.Style = 3;
        read.WindowProcedure = WndProc;
        Reg.RegisterClassEx(ref read);
        Console.WriteLine(read.Style);
        var outer = new Outer();
        outer.Size = 8;
        outer.Inner = given;
        Nested.mylib_set_outer(instance, ref outer);
    }
}");

        [Fact]
        public Task CallbackTableKeptUsedLaterOrSynchronousIsNotAFinding() => Check(Tables + @"
class C
{
    int _reads;
    Callbacks _kept;
    Callback _onRead;
    void M(IntPtr ctx, IntPtr memory)
    {
        var kept = new Callbacks { OnRead = data => _reads++ };
        _kept = kept;
        Marshal.StructureToPtr(kept, memory, false);
        var alive = new Callbacks { OnRead = data => _reads++ };
        Marshal.StructureToPtr(alive, memory, false);
        Reg.mylib_read_all(ctx, ref alive);
        GC.KeepAlive(alive.OnRead);
        var sync = new Callbacks { OnRead = data => _reads++ };
        Reg.mylib_read_all(ctx, ref sync);
        _onRead = data => _reads++;
        var fromField = new Callbacks { OnRead = _onRead };
        Reg.mylib_set_callbacks(ctx, ref fromField);
        var cached = new Callbacks { OnRead = data => 0 };
        Reg.mylib_set_callbacks(ctx, ref cached);
    }
}");
    }
}
