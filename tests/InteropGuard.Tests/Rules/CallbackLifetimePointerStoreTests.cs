using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis.CSharp;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1002 on function pointers from <c>Marshal.GetFunctionPointerForDelegate</c> written into native memory or into a
    /// struct of callbacks that goes to native code.
    /// </summary>
    public class CallbackLifetimePointerStoreTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate void Callback(int code);
struct Vtable { public IntPtr Read; public IntPtr Write; public int Version; }
struct Outer { public Vtable Inner; }
static class Native
{
    [DllImport(""mylib"")] public static extern void mylib_set_vtable(IntPtr ctx, ref Vtable table);
    [DllImport(""mylib"")] public static extern void mylib_probe(IntPtr ctx, ref Vtable table);
    [DllImport(""mylib"")] public static extern void mylib_probe_outer(IntPtr ctx, Outer outer);
}
";

        private const string Beyond = " but is not kept reachable after the method returns; once the GC collects it, a call from native code through it crashes the process";

        private static Task Check(string source, string? editorConfig, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<CallbackLifetimeAnalyzer> { Source = Prelude + source, LanguageVersion = LanguageVersion.Latest, EditorConfig = editorConfig };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(int location, string message) => Verify.Diagnostic("IG1002").WithLocation(location).WithMessage(message);

        private const string VtableKept = "root = true\n[*.cs]\ninteropguard.retaining_functions = mylib_set_vtable(2)\n";

        [Fact]
        public Task WriteIntPtrIntoNativeMemory() => Check(@"
class C
{
    void OnRead(int code) { }
    void M(IntPtr table, List<int> seen)
    {
        Marshal.WriteIntPtr(table, Marshal.GetFunctionPointerForDelegate({|#0:new Callback(OnRead)|}));
        Callback write = code => seen.Add(code);
        Marshal.WriteIntPtr(table, IntPtr.Size, Marshal.GetFunctionPointerForDelegate({|#1:write|}));
    }
}", null,
            Finding(0, "Delegate 'new Callback(OnRead)' is turned into a function pointer that 'Marshal.WriteIntPtr' writes into native memory" + Beyond),
            Finding(1, "Delegate 'write' is turned into a function pointer that 'Marshal.WriteIntPtr' writes into native memory" + Beyond));

        [Fact]
        public Task StoresThroughAPointer() => Check(@"
unsafe class C
{
    void OnRead(int code) { }
    void M(IntPtr memory, Vtable* table, List<int> seen)
    {
        *(IntPtr*)memory = Marshal.GetFunctionPointerForDelegate({|#0:new Callback(OnRead)|});
        table->Read = Marshal.GetFunctionPointerForDelegate({|#1:(Callback)(code => seen.Add(code))|});
        ((IntPtr*)memory)[1] = Marshal.GetFunctionPointerForDelegate({|#2:(Callback)OnRead|});
    }
}", null,
            Finding(0, "Delegate 'new Callback(OnRead)' is turned into a function pointer that is written into native memory" + Beyond),
            Finding(1, "The lambda's delegate is turned into a function pointer that is written into native memory" + Beyond),
            Finding(2, "Delegate '(Callback)OnRead' is turned into a function pointer that is written into native memory" + Beyond));

        [Fact]
        public Task StructOfPointersCopiedOrRegistered() => Check(@"
class C
{
    void OnRead(int code) { }
    void OnWrite(int code) { }
    void Copied(IntPtr memory)
    {
        var table = new Vtable { Read = Marshal.GetFunctionPointerForDelegate({|#0:new Callback(OnRead)|}), Version = 2 };
        Marshal.StructureToPtr(table, memory, false);
    }
    void Registered(IntPtr ctx)
    {
        Vtable table = default;
        table.Version = 2;
        table.Write = Marshal.GetFunctionPointerForDelegate({|#1:new Callback(OnWrite)|});
        Native.mylib_set_vtable(ctx, ref table);
    }
}", VtableKept,
            Finding(0, "Delegate 'new Callback(OnRead)' is turned into a function pointer that 'Marshal.StructureToPtr' writes into native memory" + Beyond),
            Finding(1, "Delegate 'new Callback(OnWrite)' is turned into a function pointer given to 'Native.mylib_set_vtable', which keeps it," + Beyond));

        [Fact]
        public Task StructGivenToASynchronousCallNeedsKeepAliveAfterIt() => Check(@"
class C
{
    void OnRead(int code) { }
    void Unkept(IntPtr ctx)
    {
        var table = new Vtable { Read = Marshal.GetFunctionPointerForDelegate({|#0:new Callback(OnRead)|}) };
        Native.mylib_probe(ctx, ref table);
    }
    void Kept(IntPtr ctx)
    {
        Callback read = OnRead;
        var table = new Vtable { Read = Marshal.GetFunctionPointerForDelegate(read) };
        Native.mylib_probe(ctx, ref table);
        GC.KeepAlive(read);
    }
    void Nested(IntPtr ctx, List<int> seen)
    {
        Callback read = code => seen.Add(code);
        var outer = new Outer();
        outer.Inner.Read = Marshal.GetFunctionPointerForDelegate({|#1:read|});
        Native.mylib_probe_outer(ctx, outer);
    }
}", VtableKept,
            Finding(0, "Delegate 'new Callback(OnRead)' is turned into a function pointer for 'Native.mylib_probe' but is not kept reachable until that call returns; once the GC collects it, a call from native code through it crashes the process"),
            Finding(1, "Delegate 'read' is turned into a function pointer for 'Native.mylib_probe_outer' but is not kept reachable until that call returns; once the GC collects it, a call from native code through it crashes the process"));

        private const string DialogCallbacks = @"
readonly struct DialogCallbacks
{
    public DialogCallbacks(Callback error, Callback login)
    {
        if (error == null) throw new ArgumentNullException(nameof(error));
        Error = Marshal.GetFunctionPointerForDelegate(error);
        Login = Marshal.GetFunctionPointerForDelegate(login);
    }
    public readonly IntPtr Error;
    public readonly IntPtr Login;
}
readonly struct KeepingCallbacks
{
    public KeepingCallbacks(Callback error)
    {
        Keep = error;
        Error = Marshal.GetFunctionPointerForDelegate(error);
    }
    public readonly Callback Keep;
    public readonly IntPtr Error;
}
static class Dialogs
{
    [DllImport(""libvlc"", EntryPoint = ""libvlc_dialog_set_callbacks"")] public static extern void SetCallbacks(IntPtr instance, DialogCallbacks callbacks, IntPtr data);
    [DllImport(""libvlc"", EntryPoint = ""libvlc_dialog_set_callbacks"")] public static extern void SetKeeping(IntPtr instance, KeepingCallbacks callbacks, IntPtr data);
}
";

        [Fact]
        public Task StructWhoseConstructorTurnsDelegatesIntoPointers() => Check(DialogCallbacks + @"
class LibVLC
{
    private IntPtr _instance;
    private DialogCallbacks _callbacks;
    void OnError(int code) { }
    void OnLogin(int code) { }
    public void Stored()
    {
        _callbacks = new DialogCallbacks({|#0:OnError|}, {|#1:OnLogin|});
        Dialogs.SetCallbacks(_instance, _callbacks, IntPtr.Zero);
    }
    public void Passed(List<int> seen)
    {
        Dialogs.SetCallbacks(_instance, new DialogCallbacks({|#2:code => seen.Add(code)|}, OnStaticLogin), IntPtr.Zero);
    }
    static void OnStaticLogin(int code) { }
}", null,
            Finding(0, "Delegate 'OnError' is turned into a function pointer in 'DialogCallbacks' that is stored in '_callbacks'" + Beyond),
            Finding(1, "Delegate 'OnLogin' is turned into a function pointer in 'DialogCallbacks' that is stored in '_callbacks'" + Beyond),
            Finding(2, "The lambda's delegate is turned into a function pointer in 'DialogCallbacks' given to 'Dialogs.SetCallbacks', which keeps it," + Beyond));

        [Fact]
        public Task StaticMethodGroupsInAPointerStructBeforeCSharp11() => new AnalyzerTest<CallbackLifetimeAnalyzer>
        {
            Source = Prelude + DialogCallbacks + @"
class LibVLC
{
    private IntPtr _instance;
    static void OnError(int code) { }
    static void OnLogin(int code) { }
    public void Set()
    {
        Dialogs.SetCallbacks(_instance, new DialogCallbacks({|#0:OnError|}, {|#1:OnLogin|}), IntPtr.Zero);
    }
}",
            LanguageVersion = LanguageVersion.CSharp10,
            ExpectedDiagnostics =
            {
                Finding(0, "Delegate 'OnError' is turned into a function pointer in 'DialogCallbacks' given to 'Dialogs.SetCallbacks', which keeps it," + Beyond),
                Finding(1, "Delegate 'OnLogin' is turned into a function pointer in 'DialogCallbacks' given to 'Dialogs.SetCallbacks', which keeps it," + Beyond),
            },
        }.RunAsync();

        [Fact]
        public Task PointerStructLookAlikesAreNotFindings() => Check(DialogCallbacks + @"
class LibVLC
{
    private IntPtr _instance;
    private Callback? _error;
    static void OnStaticError(int code) { }
    void OnError(int code) { }
    static void Take(DialogCallbacks callbacks) { }
    public void Set(List<int> seen)
    {
        // Static method groups are cached from C# 11 on; a delegate kept in a field stays reachable.
        Dialogs.SetCallbacks(_instance, new DialogCallbacks(OnStaticError, OnStaticError), IntPtr.Zero);
        _error = OnError;
        Dialogs.SetCallbacks(_instance, new DialogCallbacks(_error, _error), IntPtr.Zero);
        // A constructor that keeps the delegate itself; a struct handed to managed code.
        Dialogs.SetKeeping(_instance, new KeepingCallbacks(code => seen.Add(code)), IntPtr.Zero);
        Take(new DialogCallbacks(code => seen.Add(code), OnStaticError));
    }
}", null);

        [Fact]
        public Task KeptCachedOrUnfollowedAreNotFindings() => Check(@"
unsafe class C
{
    private Callback? _read;
    private readonly List<Callback> _kept = new List<Callback>();
    static void OnStatic(int code) { }
    void OnRead(int code) { }
    static void Take(Vtable table) { }
    void M(IntPtr memory, IntPtr ctx, List<int> seen)
    {
        // Kept in a field or a collection, or cached by the compiler.
        _read = OnRead;
        Marshal.WriteIntPtr(memory, Marshal.GetFunctionPointerForDelegate(_read));
        Callback write = code => seen.Add(code);
        _kept.Add(write);
        *(IntPtr*)memory = Marshal.GetFunctionPointerForDelegate(write);
        Marshal.WriteIntPtr(memory, Marshal.GetFunctionPointerForDelegate((Callback)OnStatic));
        Marshal.WriteIntPtr(memory, Marshal.GetFunctionPointerForDelegate((Callback)(code => Console.WriteLine(code))));

        // Memory of this method: a local struct's address, stack memory.
        Vtable local = default;
        Vtable* onStack = &local;
        onStack->Read = Marshal.GetFunctionPointerForDelegate((Callback)(code => seen.Add(code)));
        IntPtr* slots = stackalloc IntPtr[2];
        slots[0] = Marshal.GetFunctionPointerForDelegate((Callback)(code => seen.Add(code)));

        // A struct whose further way is not followed: given to a managed method, read back.
        var table = new Vtable { Read = Marshal.GetFunctionPointerForDelegate((Callback)(code => seen.Add(code))) };
        Take(table);
        var again = new Vtable { Read = Marshal.GetFunctionPointerForDelegate((Callback)(code => seen.Add(code))) };
        var read = again.Read;

        // The destination of WriteIntPtr is not the value written.
        Marshal.WriteIntPtr(Marshal.GetFunctionPointerForDelegate((Callback)(code => seen.Add(code))), IntPtr.Zero);
    }
}", VtableKept);
    }
}
