using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis.CSharp;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG1002: callback delegates that native code can call after the GC collected them.</summary>
    public class CallbackLifetimeTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate void Callback(int code);
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate int Comparer(IntPtr a, IntPtr b);
static class Native
{
    [DllImport(""mylib"")] public static extern void set_callback(Callback cb);
    [DllImport(""mylib"")] public static extern void unset_callback();
    [DllImport(""mylib"")] public static extern void register_fn(IntPtr fn);
    [DllImport(""mylib"")] public static extern void sort(IntPtr items, int count, Comparer compare);
    [DllImport(""mylib"")] public static extern void sort_fn(IntPtr items, int count, IntPtr compare);
    [DllImport(""mylib"")] public static extern void run(Callback cb);
}
";

        private const string Registered = "' but is not kept reachable after the method returns; once the GC collects it, a call from native code through it crashes the process";

        private static Task Check(string source, params DiagnosticResult[] expected) => Check(source, LanguageVersion.Latest, null, expected);

        private static Task Check(string source, LanguageVersion version, string? editorConfig, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<CallbackLifetimeAnalyzer> { Source = Prelude + source, LanguageVersion = version, EditorConfig = editorConfig };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(int location, string message) => Verify.Diagnostic("IG1002").WithLocation(location).WithMessage(message);

        [Fact]
        public Task CapturingLambdaRegistered() => Check(@"
class C
{
    void M(List<int> seen)
    {
        Native.set_callback({|#0:code => seen.Add(code)|});
    }
}", Finding(0, "The lambda's delegate is registered with 'Native.set_callback" + Registered));

        [Fact]
        public Task LambdaCapturingThisRegistered() => Check(@"
class C
{
    int _last;
    void M()
    {
        Native.set_callback({|#0:code => _last = code|});
    }
}", Finding(0, "The lambda's delegate is registered with 'Native.set_callback" + Registered));

        [Fact]
        public Task InstanceMethodGroupRegistered() => Check(@"
class C
{
    void OnEvent(int code) { }
    void M()
    {
        Native.set_callback({|#0:OnEvent|});
    }
}", Finding(0, "Delegate 'OnEvent' is registered with 'Native.set_callback" + Registered));

        [Fact]
        public Task ExplicitNewOfStaticMethodRegistered() => Check(@"
class C
{
    static void OnEvent(int code) { }
    static void M()
    {
        Native.set_callback({|#0:new Callback(OnEvent)|});
    }
}", Finding(0, "Delegate 'new Callback(OnEvent)' is registered with 'Native.set_callback" + Registered));

        [Fact]
        public Task LocalHoldingNewDelegateRegistered() => Check(@"
class C
{
    static void OnEvent(int code) { }
    static void M()
    {
        var cb = new Callback(OnEvent);
        Native.set_callback({|#0:cb|});
    }
}", Finding(0, "Delegate 'cb' is registered with 'Native.set_callback" + Registered));

        [Fact]
        public Task StaticMethodGroupIsAFindingBeforeCSharp11() => Check(@"
class C
{
    static void OnEvent(int code) { }
    static void M()
    {
        Native.set_callback({|#0:OnEvent|});
    }
}", LanguageVersion.CSharp10, null, Finding(0, "Delegate 'OnEvent' is registered with 'Native.set_callback" + Registered));

        [Fact]
        public Task StaticMethodGroupIsCachedFromCSharp11() => Check(@"
class C
{
    static void OnEvent(int code) { }
    static void M()
    {
        Native.set_callback(OnEvent);
        Callback local = OnEvent;
        Native.set_callback(local);
    }
}", LanguageVersion.CSharp11, null);

        [Fact]
        public Task NonCapturingLambdaIsCachedInEveryVersion() => Check(@"
class C
{
    static int s_count;
    void M()
    {
        Native.set_callback(code => s_count += code);
        Native.set_callback(static code => Console.WriteLine(code));
        Native.set_callback(delegate (int code) { Console.WriteLine(code); });
    }
}", LanguageVersion.CSharp10, null);

        [Fact]
        public Task RegisteredThroughWrapper() => Check(@"
static class Proxy
{
    public static void set_callback(Callback cb) => Native.set_callback(cb);
}
class C
{
    void M(List<int> seen)
    {
        Proxy.set_callback({|#0:code => seen.Add(code)|});
    }
}", Finding(0, "The lambda's delegate is registered with 'Native.set_callback' through 'Proxy.set_callback" + Registered));

        [Fact]
        public Task WrapperThatStoresTheDelegateKeepsIt() => Check(@"
static class Proxy
{
    static Callback? s_keep;
    public static void set_callback(Callback cb)
    {
        s_keep = cb;
        Native.set_callback(cb);
    }
}
class C
{
    void M(List<int> seen)
    {
        Proxy.set_callback(code => seen.Add(code));
    }
}");

        [Fact]
        public Task RetainingFromOptions() => Check(@"
class C
{
    void M(List<int> seen)
    {
        Native.run({|#0:code => seen.Add(code)|});
    }
}", LanguageVersion.Latest, "interopguard.retaining_functions = run", Finding(0, "The lambda's delegate is registered with 'Native.run" + Registered));

        [Fact]
        public Task SynchronousCallbackParametersAreNotFindings() => Check(@"
class C
{
    void M(IntPtr items, int count, List<int> seen, bool descending)
    {
        Native.sort(items, count, (a, b) => descending ? -1 : 1);
        Native.run(code => seen.Add(code));
        Native.run(new Callback(code => seen.Add(code)));
    }
}");

        [Fact]
        public Task NonRetainingOptionOverridesTheName() => Check(@"
class C
{
    void M(List<int> seen)
    {
        Native.set_callback(code => seen.Add(code));
    }
}", LanguageVersion.Latest, "interopguard.non_retaining_functions = set_callback");

        [Fact]
        public Task KeptReachableLocalsAreNotFindings() => Check(@"
class C
{
    static readonly List<Callback> s_all = new List<Callback>();
    Callback? _cb;
    GCHandle _pin;
    void InField(List<int> seen)
    {
        var cb = new Callback(code => seen.Add(code));
        _cb = cb;
        Native.set_callback(cb);
    }
    void InCollection(List<int> seen)
    {
        Callback cb = code => seen.Add(code);
        s_all.Add(cb);
        Native.set_callback(cb);
    }
    void InGCHandle(List<int> seen)
    {
        Callback cb = code => seen.Add(code);
        _pin = GCHandle.Alloc(cb);
        Native.set_callback(cb);
    }
    void KeptUntilUnregistered(List<int> seen)
    {
        Callback cb = code => seen.Add(code);
        Native.set_callback(cb);
        Work();
        Native.unset_callback();
        GC.KeepAlive(cb);
    }
    void FieldAndParameter(Callback fromCaller)
    {
        Native.set_callback(_cb!);
        Native.set_callback(fromCaller);
        Native.set_callback(_cb = code => Work());
    }
    static void Work() { }
}");

        [Fact]
        public Task KeepAliveBeforeTheCallDoesNotKeepIt() => Check(@"
class C
{
    void M(List<int> seen)
    {
        Callback cb = code => seen.Add(code);
        GC.KeepAlive(cb);
        Native.set_callback({|#0:cb|});
    }
}", Finding(0, "Delegate 'cb' is registered with 'Native.set_callback" + Registered));

        // The KeepAlive must run on every path after the call, as IG1001 asks of a handle's owner (both ask
        // Flow/UsedAfter on the body's control-flow graph). Until now IG1002 only asked whether a KeepAlive came later in
        // the source, which accepted the three shapes below.

        [Fact]
        public Task KeepAliveOnlyOnSomePathsAfterTheCall() => Check(@"
class C
{
    // When 'wait' is false nothing references cb once set_callback has it: the GC may collect it while native code
    // still holds its thunk.
    void InsideIf(List<int> seen, bool wait)
    {
        Callback cb = code => seen.Add(code);
        Native.set_callback({|#0:cb|});
        if (wait)
        {
            Work();
            Native.unset_callback();
            GC.KeepAlive(cb);
        }
    }
    // The early return leaves the method without reaching the KeepAlive.
    void AfterAnEarlyReturn(List<int> seen, bool quick)
    {
        Callback cb = code => seen.Add(code);
        Native.set_callback({|#1:cb|});
        if (quick)
            return;
        Native.unset_callback();
        GC.KeepAlive(cb);
    }
    static void Work() { }
}",
            Finding(0, "Delegate 'cb' is registered with 'Native.set_callback" + Registered),
            Finding(1, "Delegate 'cb' is registered with 'Native.set_callback" + Registered));

        [Fact]
        public Task KeepAliveAfterAnUnconditionalReturnOrThrowIsNeverReached() => Check(@"
class C
{
    // Unreachable code (CS0162) keeps nothing alive: no path from the call reaches the KeepAlive, so cb is dead as soon as
    // set_callback has it.
    void AfterReturn(List<int> seen)
    {
        Callback cb = code => seen.Add(code);
        Native.set_callback({|#0:cb|});
        return;
        GC.KeepAlive(cb);
    }
    void AfterThrow(List<int> seen)
    {
        Callback cb = code => seen.Add(code);
        Native.set_callback({|#1:cb|});
        throw new InvalidOperationException();
        GC.KeepAlive(cb);
    }
}",
            Finding(0, "Delegate 'cb' is registered with 'Native.set_callback" + Registered),
            Finding(1, "Delegate 'cb' is registered with 'Native.set_callback" + Registered));

        [Fact]
        public Task KeepAliveOnEveryPathAfterTheCall() => Check(@"
class C
{
    // A finally runs on every path out of the try, exceptional ones included.
    void InFinally(List<int> seen)
    {
        Callback cb = code => seen.Add(code);
        try
        {
            Native.set_callback(cb);
            Work();
        }
        finally
        {
            Native.unset_callback();
            GC.KeepAlive(cb);
        }
    }
    // Every iteration's call is followed by the next iteration or by the loop's exit, and the KeepAlive comes after the loop.
    void AfterALoop(List<int> seen, int n)
    {
        Callback cb = code => seen.Add(code);
        for (var i = 0; i < n; i++)
            Native.set_callback(cb);
        Native.unset_callback();
        GC.KeepAlive(cb);
    }
    void OnBothBranches(List<int> seen, bool wait)
    {
        Callback cb = code => seen.Add(code);
        Native.set_callback(cb);
        if (wait)
        {
            Work();
            Native.unset_callback();
            GC.KeepAlive(cb);
        }
        else
        {
            Native.unset_callback();
            GC.KeepAlive(cb);
        }
    }
    // An await is an ordinary step on the path: the KeepAlive after it runs once the method resumes.
    async System.Threading.Tasks.Task AcrossAwait(List<int> seen)
    {
        Callback cb = code => seen.Add(code);
        Native.set_callback(cb);
        await System.Threading.Tasks.Task.Delay(10);
        Native.unset_callback();
        GC.KeepAlive(cb);
    }
    // A path that leaves by an exception needs no KeepAlive, as long as the path that returns has one (IG1001 reads
    // 'if (status != 0) throw ...; GC.KeepAlive(owner);' the same way).
    void ThrowOnFailure(List<int> seen, bool failed)
    {
        Callback cb = code => seen.Add(code);
        Native.set_callback(cb);
        if (failed)
            throw new InvalidOperationException();
        Native.unset_callback();
        GC.KeepAlive(cb);
    }
    static void Work() { }
}");

        [Fact]
        public Task KeepAliveInLocalFunctionAndLambdaBodies() => Check(@"
class C
{
    // Each body is asked on its own graph: the local function's and the lambda's.
    void M(List<int> seen, bool wait)
    {
        void Register()
        {
            Callback cb = code => seen.Add(code);
            Native.set_callback({|#0:cb|});
            if (wait) GC.KeepAlive(cb);
        }
        Action registerKept = () =>
        {
            Callback cb = code => seen.Add(code + 1);
            Native.set_callback(cb);
            Native.unset_callback();
            GC.KeepAlive(cb);
        };
        Register();
        registerKept();
    }
}", Finding(0, "Delegate 'cb' is registered with 'Native.set_callback" + Registered));

        [Fact]
        public Task KeepAliveOutsideTheFunctionMakingTheCallIsNotJudged() => Check(@"
class C
{
    // The lambda or local function makes the call; the local it passes lives in their closure, which the method's own
    // KeepAlive holds too. Whether that KeepAlive runs after the call depends on when the lambda runs, which is not a
    // question about the paths of one body: the rule stays silent.
    void Lambda(List<int> seen)
    {
        Callback cb = code => seen.Add(code);
        Action register = () => Native.set_callback(cb);
        register();
        Native.unset_callback();
        GC.KeepAlive(cb);
    }
    void LocalFunction(IntPtr items, int count, bool descending)
    {
        Comparer compare = (a, b) => descending ? -1 : 1;
        void Sort() => Native.sort_fn(items, count, Marshal.GetFunctionPointerForDelegate(compare));
        Sort();
        GC.KeepAlive(compare);
    }
    // With no KeepAlive anywhere, nothing keeps it.
    void Unkept(List<int> seen)
    {
        Callback cb = code => seen.Add(code);
        Action register = () => Native.set_callback({|#0:cb|});
        register();
    }
}", Finding(0, "Delegate 'cb' is registered with 'Native.set_callback" + Registered));

        [Fact]
        public Task KeepAliveAfterYieldReturnMayNeverRun() => Check(@"
class C
{
    // The consumer may stop enumerating at the yield return: the KeepAlive after it may never run.
    IEnumerable<int> M(List<int> seen)
    {
        Callback cb = code => seen.Add(code);
        Native.set_callback({|#0:cb|});
        yield return 1;
        Native.unset_callback();
        GC.KeepAlive(cb);
    }
}", Finding(0, "Delegate 'cb' is registered with 'Native.set_callback" + Registered));

        [Fact]
        public Task PointerKeepAliveMustFollowTheLastCallOnEveryPath() => Check(@"
class C
{
    // The sort on the 'then' branch has no KeepAlive after it; the old source-order check saw only the 'else' call
    // (the last in the source) and its KeepAlive.
    void BranchWithoutKeepAlive(IntPtr items, int count, bool descending)
    {
        Comparer compare = (a, b) => descending ? -1 : 1;
        var fn = Marshal.GetFunctionPointerForDelegate({|#0:compare|});
        if (count > 100)
        {
            Native.sort_fn(items, count, fn);
        }
        else
        {
            Native.sort_fn(items, count, fn);
            GC.KeepAlive(compare);
        }
    }
    // Was a finding under the 'KeepAlive on every path after the call' reading. The pointer is only used during the
    // call, and optimized code reports 'compare' live there because a path reads it afterwards, taken or not (the
    // liveness IG1001 asks of a handle's owner, Flow/UsedAfter.OnSomePath).
    void KeepAliveInsideIf(IntPtr items, int count, bool descending, bool log)
    {
        Comparer compare = (a, b) => descending ? -1 : 1;
        var fn = Marshal.GetFunctionPointerForDelegate(compare);
        Native.sort_fn(items, count, fn);
        if (log) GC.KeepAlive(compare);
    }
    // A KeepAlive of the variable after it holds another delegate keeps only that one.
    void KeepAliveOfTheNextDelegate(IntPtr items, int count, bool descending)
    {
        Comparer compare = (a, b) => descending ? -1 : 1;
        var fn = Marshal.GetFunctionPointerForDelegate({|#1:compare|});
        Native.sort_fn(items, count, fn);
        compare = (a, b) => 0;
        GC.KeepAlive(compare);
    }
}",
            Finding(0, "Delegate 'compare' is turned into a function pointer for 'Native.sort_fn' but is not kept reachable until that call returns; once the GC collects it, a call from native code through it crashes the process"),
            Finding(1, "Delegate 'compare' is turned into a function pointer for 'Native.sort_fn' but is not kept reachable until that call returns; once the GC collects it, a call from native code through it crashes the process"));

        [Fact]
        public Task PointerKeptAliveAfterEveryCall() => Check(@"
class C
{
    void InALoop(IntPtr[] batches, int count, bool descending)
    {
        Comparer compare = (a, b) => descending ? -1 : 1;
        var fn = Marshal.GetFunctionPointerForDelegate(compare);
        foreach (var batch in batches)
            Native.sort_fn(batch, count, fn);
        GC.KeepAlive(compare);
    }
    void OnBothBranches(IntPtr items, int count, bool descending)
    {
        Comparer compare = (a, b) => descending ? -1 : 1;
        var fn = Marshal.GetFunctionPointerForDelegate(compare);
        if (count > 100)
        {
            Native.sort_fn(items, count, fn);
            GC.KeepAlive(compare);
        }
        else
        {
            Native.sort_fn(items, count, fn);
            GC.KeepAlive(compare);
        }
    }
    void InFinally(IntPtr items, int count, bool descending)
    {
        Comparer compare = (a, b) => descending ? -1 : 1;
        try
        {
            Native.sort_fn(items, count, Marshal.GetFunctionPointerForDelegate(compare));
        }
        finally
        {
            GC.KeepAlive(compare);
        }
    }
}");

        [Fact]
        public Task PointerGivenToSynchronousCallNeedsKeepAlive() => Check(@"
class C
{
    void M(IntPtr items, int count, bool descending)
    {
        Comparer compare = (a, b) => descending ? -1 : 1;
        var fn = Marshal.GetFunctionPointerForDelegate({|#0:compare|});
        Native.sort_fn(items, count, fn);
    }
}", Finding(0, "Delegate 'compare' is turned into a function pointer for 'Native.sort_fn' but is not kept reachable until that call returns; once the GC collects it, a call from native code through it crashes the process"));

        [Fact]
        public Task PointerWithKeepAliveAfterTheLastCall() => Check(@"
class C
{
    void M(IntPtr items, int count, bool descending)
    {
        Comparer compare = (a, b) => descending ? -1 : 1;
        var fn = Marshal.GetFunctionPointerForDelegate(compare);
        Native.sort_fn(items, count, fn);
        Native.sort_fn(items, count, fn);
        GC.KeepAlive(compare);
    }
}");

        [Fact]
        public Task KeepAliveBetweenTwoCallsIsTooEarly() => Check(@"
class C
{
    void M(IntPtr items, int count, bool descending)
    {
        Comparer compare = (a, b) => descending ? -1 : 1;
        var fn = Marshal.GetFunctionPointerForDelegate<Comparer>({|#0:compare|});
        Native.sort_fn(items, count, fn);
        GC.KeepAlive(compare);
        Native.sort_fn(items, count, fn);
    }
}", Finding(0, "Delegate 'compare' is turned into a function pointer for 'Native.sort_fn' but is not kept reachable until that call returns; once the GC collects it, a call from native code through it crashes the process"));

        [Fact]
        public Task PointerRegisteredNeedsMoreThanKeepAlive() => Check(@"
class C
{
    void M(List<int> seen)
    {
        Callback cb = code => seen.Add(code);
        Native.register_fn(Marshal.GetFunctionPointerForDelegate({|#0:cb|}));
        GC.KeepAlive(cb);
    }
}", Finding(0, "Delegate 'cb' is turned into a function pointer given to 'Native.register_fn', which keeps it, but is not kept reachable after the method returns; once the GC collects it, a call from native code through it crashes the process"));

        [Fact]
        public Task PointerStoredInField() => Check(@"
class C
{
    IntPtr _fn;
    void OnEvent(int code) { }
    void M()
    {
        _fn = Marshal.GetFunctionPointerForDelegate({|#0:new Callback(OnEvent)|});
    }
}", Finding(0, "Delegate 'new Callback(OnEvent)' is turned into a function pointer that is stored in '_fn' but is not kept reachable after the method returns; once the GC collects it, a call from native code through it crashes the process"));

        [Fact]
        public Task PointerOfKeptOrCachedDelegates() => Check(@"
class C
{
    static Callback? s_cb;
    IntPtr _fn;
    static void OnEvent(int code) { }
    void M(List<int> seen)
    {
        s_cb = code => seen.Add(code);
        Native.register_fn(Marshal.GetFunctionPointerForDelegate(s_cb));
        _fn = Marshal.GetFunctionPointerForDelegate((Callback)OnEvent);
        Native.register_fn(Marshal.GetFunctionPointerForDelegate((Callback)(code => Console.WriteLine(code))));
    }
}");

        [Fact]
        public Task InsideLocalFunctionAndLambda() => Check(@"
class C
{
    void M(List<int> seen)
    {
        void Register() => Native.set_callback({|#0:code => seen.Add(code)|});
        Action later = () => Native.set_callback({|#1:code => seen.Add(code + 1)|});
        Register();
        later();
    }
}",
            Finding(0, "The lambda's delegate is registered with 'Native.set_callback" + Registered),
            Finding(1, "The lambda's delegate is registered with 'Native.set_callback" + Registered));

        [Fact]
        public Task InAsyncMethodAndConstructor() => Check(@"
class C
{
    public C(List<int> seen)
    {
        Native.set_callback({|#0:code => seen.Add(code)|});
    }
    async System.Threading.Tasks.Task M(List<int> seen)
    {
        await System.Threading.Tasks.Task.Yield();
        Native.set_callback({|#1:code => seen.Add(code)|});
    }
}",
            Finding(0, "The lambda's delegate is registered with 'Native.set_callback" + Registered),
            Finding(1, "The lambda's delegate is registered with 'Native.set_callback" + Registered));
            [Fact]
        public Task InIterator() => Check(@"
class C
{
    IEnumerable<int> M(List<int> seen)
    {
        yield return 1;
        Native.set_callback({|#0:code => seen.Add(code)|});
        yield return 2;
    }
}", Finding(0, "The lambda's delegate is registered with 'Native.set_callback" + Registered));

        [Fact]
        public Task ExplicitNewAroundNonCapturingLambdaIsCached() => Check(@"
class C
{
    void M()
    {
        Native.set_callback(new Callback(code => Console.WriteLine(code)));
    }
}");

        [Fact]
        public Task ExplicitNewAroundCapturingLambda() => Check(@"
class C
{
    void M(int offset)
    {
        Native.set_callback({|#0:new Callback(code => Console.WriteLine(code + offset))|});
    }
}", Finding(0, "Delegate 'new Callback(...)' is registered with 'Native.set_callback" + Registered));

        [Fact]
        public Task StaticMethodGroupPointerBeforeCSharp11() => Check(@"
class C
{
    static IntPtr s_fn;
    static void OnEvent(int code) { }
    static void M()
    {
        s_fn = Marshal.GetFunctionPointerForDelegate({|#0:(Callback)OnEvent|});
    }
}", LanguageVersion.CSharp10, null, Finding(0, "Delegate '(Callback)OnEvent' is turned into a function pointer that is stored in 's_fn' but is not kept reachable after the method returns; once the GC collects it, a call from native code through it crashes the process"));

        [Fact]
        public Task StaticMethodGroupPointerFromCSharp11() => Check(@"
class C
{
    static IntPtr s_fn;
    static void OnEvent(int code) { }
    static void M()
    {
        s_fn = Marshal.GetFunctionPointerForDelegate((Callback)OnEvent);
    }
}", LanguageVersion.CSharp11, null);

        [Fact]
        public Task TwoWrapperLevels() => Check(@"
static class Proxy
{
    public static void set_callback(Callback cb) => Native.set_callback(cb);
}
class Repository
{
    public void OnChange(Callback cb) { Proxy.set_callback(cb); }
}
class C
{
    void M(Repository repo, List<int> seen)
    {
        repo.OnChange({|#0:code => seen.Add(code)|});
    }
}", Finding(0, "The lambda's delegate is registered with 'Native.set_callback' through 'Repository.OnChange" + Registered));

        [Fact]
        public Task PointerInStructOrUnfollowedUsesIsSilent() => Check(@"
struct Hooks { public IntPtr OnEvent; }
class C
{
    static void Take(IntPtr p) { }
    void M(List<int> seen)
    {
        Callback cb = code => seen.Add(code);
        var hooks = new Hooks { OnEvent = Marshal.GetFunctionPointerForDelegate(cb) };
        Take(Marshal.GetFunctionPointerForDelegate(cb));
    }
}");
            [Fact]
        public Task ConstantsAndNameOfAreNotCaptures() => Check(@"
class C
{
    void M(int offset)
    {
        const int Base = 100;
        Native.set_callback(code => Console.WriteLine(code + Base));
        Native.set_callback(code => Console.WriteLine(nameof(offset)));
    }
}", LanguageVersion.CSharp10, null);
            [Fact]
        public Task LocalFunctionMethodGroups() => Check(@"
class C
{
    void M(List<int> seen)
    {
        void Record(int code) => seen.Add(code);
        static void Print(int code) => Console.WriteLine(code);
        Native.set_callback({|#1:Record|});
        Native.set_callback({|#0:Print|});
    }
}", LanguageVersion.CSharp10, null,
            Finding(1, "Delegate 'Record' is registered with 'Native.set_callback" + Registered),
            Finding(0, "Delegate 'Print' is registered with 'Native.set_callback" + Registered));
            [Fact]
        public Task PointerInFieldInitializer() => Check(@"
class C
{
    static readonly IntPtr s_fn = Marshal.GetFunctionPointerForDelegate({|#0:new Callback(OnEvent)|});
    static void OnEvent(int code) { }
}", Finding(0, "Delegate 'new Callback(OnEvent)' is turned into a function pointer that is stored in 's_fn' but is not kept reachable after the method returns; once the GC collects it, a call from native code through it crashes the process"));
    }
}
