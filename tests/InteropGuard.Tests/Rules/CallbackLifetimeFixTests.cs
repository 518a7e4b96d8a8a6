using System.Threading.Tasks;
using InteropGuard.CodeFixes;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis.CSharp;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG1002 fix: keep the delegate in a field of the containing type and pass the field.</summary>
    public class CallbackLifetimeFixTests
    {
        private const string Native = @"
delegate void Callback(int code);

static class Native
{
    [DllImport(""mylib"")] public static extern void set_callback(Callback cb);
    [DllImport(""mylib"")] public static extern void sort_fn(IntPtr items, int count, IntPtr compare);
}";

        private static Task VerifyFix(string source, string fixedSource, LanguageVersion version = LanguageVersion.Latest, string? batch = null)
            => new CodeFixTest<CallbackLifetimeAnalyzer, StoreDelegateInFieldCodeFix>
            {
                Source = source + Native,
                FixedSource = fixedSource + Native,
                BatchFixedSource = batch == null ? null : batch + Native,
                LanguageVersion = version,
            }.RunAsync();

        [Fact]
        public Task CapturingLambdaInStaticMethodGoesToStaticField() => VerifyFix(@"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

static class Events
{
    public static void Start(List<int> seen)
    {
        Native.set_callback([|code => seen.Add(code)|]);
    }
}", @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

static class Events
{
    private static Callback? s_cb;

    public static void Start(List<int> seen)
    {
        s_cb = code => seen.Add(code);
        Native.set_callback(s_cb);
    }
}");

        [Fact]
        public Task InstanceMethodGroupGoesToInstanceFieldAfterExistingFields() => VerifyFix(@"using System;
using System.Runtime.InteropServices;

class Listener
{
    private int _last;

    public void Start()
    {
        Native.set_callback([|OnEvent|]);
    }

    private void OnEvent(int code) => _last = code;
}", @"using System;
using System.Runtime.InteropServices;

class Listener
{
    private int _last;
    private Callback? _onEvent;

    public void Start()
    {
        _onEvent = OnEvent;
        Native.set_callback(_onEvent);
    }

    private void OnEvent(int code) => _last = code;
}");

        [Fact]
        public Task StaticMethodGroupInCSharp10AndLocalHoldingNew() => VerifyFix(@"using System;
using System.Runtime.InteropServices;

class Listener
{
    public void Start()
    {
        Native.set_callback([|OnEvent|]);
        var cb = new Callback(OnEvent);
        Native.set_callback([|cb|]);
    }

    private static void OnEvent(int code) { }
}", @"using System;
using System.Runtime.InteropServices;

class Listener
{
    private static Callback? s_onEvent;
    private static Callback? s_cb;

    public void Start()
    {
        s_onEvent = OnEvent;
        Native.set_callback(s_onEvent);
        var cb = new Callback(OnEvent);
        s_cb = cb;
        Native.set_callback(s_cb);
    }

    private static void OnEvent(int code) { }
}", LanguageVersion.CSharp10);

        [Fact]
        public Task UniqueNamesWhenTheSameNameIsUsedTwice() => VerifyFix(@"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

static class Events
{
    static int s_cb;

    public static void Start(List<int> seen)
    {
        Native.set_callback([|code => seen.Add(code)|]);
        Native.set_callback([|code => seen.Add(-code)|]);
    }
}", @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

static class Events
{
    static int s_cb;
    private static Callback? s_cb2;
    private static Callback? s_cb3;

    public static void Start(List<int> seen)
    {
        s_cb2 = code => seen.Add(code);
        Native.set_callback(s_cb2);
        s_cb3 = code => seen.Add(-code);
        Native.set_callback(s_cb3);
    }
}");

        [Fact]
        public Task FunctionPointerOfLocalDelegate() => VerifyFix(@"using System;
using System.Runtime.InteropServices;

delegate int Comparer(IntPtr a, IntPtr b);

static class Sorting
{
    public static void Sort(IntPtr items, int count, bool descending)
    {
        Comparer compare = (a, b) => descending ? -1 : 1;
        var fn = Marshal.GetFunctionPointerForDelegate([|compare|]);
        Native.sort_fn(items, count, fn);
    }
}", @"using System;
using System.Runtime.InteropServices;

delegate int Comparer(IntPtr a, IntPtr b);

static class Sorting
{
    private static Comparer? s_compare;

    public static void Sort(IntPtr items, int count, bool descending)
    {
        Comparer compare = (a, b) => descending ? -1 : 1;
        s_compare = compare;
        var fn = Marshal.GetFunctionPointerForDelegate(s_compare);
        Native.sort_fn(items, count, fn);
    }
}");

        [Fact]
        public Task ConditionalAndExpressionBodiedUsesStoreInPlace() => VerifyFix(@"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

class Listener
{
    public void Start(List<int> seen, bool on)
    {
        if (on)
            Native.set_callback([|code => seen.Add(code)|]);
    }

    public void Restart(List<int> seen) => Native.set_callback([|code => seen.Add(code + 1)|]);
}", @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

class Listener
{
    private static Callback? s_cb;
    private static Callback? s_cb2;

    public void Start(List<int> seen, bool on)
    {
        if (on)
            Native.set_callback(s_cb = code => seen.Add(code));
    }

    public void Restart(List<int> seen) => Native.set_callback(s_cb2 = code => seen.Add(code + 1));
}");

        [Fact]
        public Task LambdaCapturingThisInLocalFunction() => VerifyFix(@"using System;
using System.Runtime.InteropServices;

class Listener
{
    private int _last;

    public void Start()
    {
        Register();

        void Register()
        {
            Native.set_callback([|code => _last = code|]);
        }
    }
}", @"using System;
using System.Runtime.InteropServices;

class Listener
{
    private int _last;
    private Callback? _cb;

    public void Start()
    {
        Register();

        void Register()
        {
            _cb = code => _last = code;
            Native.set_callback(_cb);
        }
    }
}");

        [Fact]
        public Task NoFixInTopLevelStatements() => new CodeFixTest<CallbackLifetimeAnalyzer, StoreDelegateInFieldCodeFix>
        {
            Source = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

var seen = new List<int>();
Native.set_callback([|code => seen.Add(code)|]);
" + Native,
            FixedSource = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

var seen = new List<int>();
Native.set_callback([|code => seen.Add(code)|]);
" + Native,
            OutputKind = Microsoft.CodeAnalysis.OutputKind.ConsoleApplication,
        }.RunAsync();
            private const string Registry = @"
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate void EventCallback(int code);

static class Registry
{
    [DllImport(""mylib"")] public static extern void register_fn(IntPtr fn);
}";

        private static Task VerifyUnmanagedCallersOnly(string source, string fixedSource)
            => new CodeFixTest<CallbackLifetimeAnalyzer, StoreDelegateInFieldCodeFix>
            {
                Source = source + Registry,
                FixedSource = fixedSource + Registry,
                LanguageVersion = LanguageVersion.CSharp10,
                CodeActionEquivalenceKey = StoreDelegateInFieldCodeFix.UnmanagedCallersOnlyKey,
            }.RunAsync();

        [Fact]
        public Task StaticMethodPointerBecomesUnmanagedCallersOnly() => VerifyUnmanagedCallersOnly(@"using System;
using System.Runtime.InteropServices;

static class Events
{
    public static int Last;

    public static void Start()
    {
        Registry.register_fn(Marshal.GetFunctionPointerForDelegate([|new EventCallback(OnEvent)|]));
    }

    private static void OnEvent(int code) => Last = code;
}", @"using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

static class Events
{
    public static int Last;

    public static unsafe void Start()
    {
        Registry.register_fn((IntPtr)(delegate* unmanaged[Cdecl]<int, void>)&OnEvent);
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void OnEvent(int code) => Last = code;
}");

        [Fact]
        public Task StoreInFieldComesFirstForStaticMethodPointers() => VerifyFix(@"using System;
using System.Runtime.InteropServices;

static class Events
{
    static IntPtr s_fn;

    public static void Start()
    {
        s_fn = Marshal.GetFunctionPointerForDelegate([|(Callback)OnEvent|]);
    }

    private static void OnEvent(int code) { }
}", @"using System;
using System.Runtime.InteropServices;

static class Events
{
    static IntPtr s_fn;
    private static Callback? s_onEvent;

    public static void Start()
    {
        s_onEvent = (Callback)OnEvent;
        s_fn = Marshal.GetFunctionPointerForDelegate(s_onEvent);
    }

    private static void OnEvent(int code) { }
}", LanguageVersion.CSharp10);

        [Fact]
        public Task NoUnmanagedCallersOnlyWhenManagedCodeCallsTheMethod() => VerifyUnmanagedCallersOnly(@"using System;
using System.Runtime.InteropServices;

static class Events
{
    public static void Start()
    {
        OnEvent(0);
        Registry.register_fn(Marshal.GetFunctionPointerForDelegate([|new EventCallback(OnEvent)|]));
    }

    private static void OnEvent(int code) { }
}", @"using System;
using System.Runtime.InteropServices;

static class Events
{
    public static void Start()
    {
        OnEvent(0);
        Registry.register_fn(Marshal.GetFunctionPointerForDelegate([|new EventCallback(OnEvent)|]));
    }

    private static void OnEvent(int code) { }
}");
            [Fact]
        public Task FieldInitializerStoresInPlace() => VerifyFix(@"using System;
using System.Runtime.InteropServices;

static class Events
{
    private static readonly IntPtr s_fn = Marshal.GetFunctionPointerForDelegate([|new Callback(OnEvent)|]);

    private static void OnEvent(int code) { }
}", @"using System;
using System.Runtime.InteropServices;

static class Events
{
    private static readonly IntPtr s_fn = Marshal.GetFunctionPointerForDelegate(s_onEvent = new Callback(OnEvent));
    private static Callback? s_onEvent;

    private static void OnEvent(int code) { }
}");
    }
}
