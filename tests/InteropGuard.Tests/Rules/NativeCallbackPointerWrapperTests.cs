using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001/IG5002 on callbacks a binding's wrapper turns into a function pointer before the native call (a scripting
    /// binding's <c>PushFunction(ScriptFunction f)</c> that calls <c>f.ToPointer()</c> and gives the pointer to native
    /// code), reached through a static delegate field initialized with a method group; and the look-alikes whose pointer
    /// never reaches native code.
    /// </summary>
    public class NativeCallbackPointerWrapperTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
public delegate int ScriptFunction(IntPtr state);

static class ScriptNative
{
    [DllImport(""script"")] public static extern void script_push_closure(IntPtr state, IntPtr function, int upvalues);
    [DllImport(""script"")] public static extern int script_error(IntPtr state);
}

static class FunctionPointers
{
    public static IntPtr ToPointer(this ScriptFunction f)
    {
        if (f == null)
            return IntPtr.Zero;
        return Marshal.GetFunctionPointerForDelegate<ScriptFunction>(f);
    }

    public static IntPtr Describe(this ScriptFunction f) => (IntPtr)f.Method.Name.Length;
}

public sealed class ScriptState
{
    private readonly IntPtr _state;
    public ScriptState(IntPtr state) => _state = state;

    public void PushClosure(ScriptFunction function, int upvalues)
        => ScriptNative.script_push_closure(_state, function.ToPointer(), upvalues);

    public void PushFunction(ScriptFunction function) => PushClosure(function, 0);

    public int Measure(ScriptFunction function) => (int)function.Describe();
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private const string CalledBy = "is called by native function 'script_push_closure'";

        [Fact]
        public Task UserDelegateInvokedByABridgeInAStaticField() => Check(@"
public static class Bridges
{
    public static readonly ScriptFunction CallUserFunction = RunUserFunction;
    public static ScriptFunction? UserFunction;

    private static int {|#0:RunUserFunction|}(IntPtr state)
    {
        var user = UserFunction;
        if (user == null)
            return ScriptNative.script_error(state);
        return user(state);
    }
}

public sealed class Translator
{
    public void Register(ScriptState state) => state.PushFunction(Bridges.CallUserFunction);
}",
            Verify.Diagnostic("IG5002").WithLocation(0).WithMessage(
                "Callback 'RunUserFunction' " + CalledBy + ", and 'user(state)' invokes the user's delegate 'user' outside a catch-all: an exception the user's code throws there terminates the process"));

        [Fact]
        public Task OwnThrowInALambdaPushedThroughTheWrapper() => Check(@"
public sealed class Translator
{
    public void Register(ScriptState state, string name)
    {
        state.PushClosure(s {|#0:=>|} throw new InvalidOperationException(name), 1);
    }
}",
            Verify.Diagnostic("IG5001").WithLocation(0).WithMessage(
                "Callback 's => …' " + CalledBy + ", and 'throw new InvalidOperationException(name)' may throw outside a catch-all: an exception escaping to native code terminates the process"));

        [Fact]
        public Task PointerThatNeverReachesNativeCodeIsNotACallback() => Check(@"
public sealed class Translator
{
    public static readonly ScriptFunction Measured = Throwing;

    private static int Throwing(IntPtr state) => throw new InvalidOperationException();

    public int Size(ScriptState state) => state.Measure(Measured);

    public IntPtr Keep(ScriptFunction function) => function.ToPointer();
}");

        [Fact]
        public Task BridgeThatCatchesIsNotAFinding() => Check(@"
public static class Bridges
{
    public static readonly ScriptFunction CallUserFunction = RunUserFunction;
    public static ScriptFunction? UserFunction;

    private static int RunUserFunction(IntPtr state)
    {
        try
        {
            return UserFunction!(state);
        }
        catch (Exception)
        {
            return ScriptNative.script_error(state);
        }
    }

    public static void Register(ScriptState state) => state.PushFunction(CallUserFunction);
}");
    }
}
