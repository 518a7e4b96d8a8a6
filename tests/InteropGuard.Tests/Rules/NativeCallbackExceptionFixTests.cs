using System.Threading.Tasks;
using InteropGuard.CodeFixes;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG5001 fix: catch in the callback, keep the exception for the managed caller, return a failure value.</summary>
    public class NativeCallbackExceptionFixTests
    {
        private const string Key = "IG5001.CatchAndDefer";

        private const string ForwardingKey = "IG5002.CatchAndDefer";

        private static Task VerifyFix(string source, string fixedSource, string? batchFixedSource = null, string id = "IG5001")
        {
            var test = new CodeFixTest<NativeCallbackExceptionAnalyzer, CatchForNativeCallerCodeFix>
            {
                Source = source,
                FixedSource = fixedSource,
                BatchFixedSource = batchFixedSource,
                CodeActionEquivalenceKey = id == "IG5002" ? ForwardingKey : Key,
                DefaultDiagnosticId = id,
            };
            return test.RunAsync();
        }

        // IG5002 gets the same rewrite as IG5001, under its own equivalence key.
        [Fact]
        public Task ForwardingBridgeGetsTheSameRewrite() => VerifyFix(@"using System;
using System.Runtime.InteropServices;

public delegate int ProgressHandler(object state);

public sealed class ProgressInfo
{
    public ProgressHandler Handler = _ => 0;
    public object State = new object();
}

static class Exports
{
    [UnmanagedCallersOnly]
    static int [|OnProgress|](IntPtr user)
    {
        var info = (ProgressInfo)GCHandle.FromIntPtr(user).Target!;
        return info.Handler(info.State);
    }
}", @"using System;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

public delegate int ProgressHandler(object state);

public sealed class ProgressInfo
{
    public ProgressHandler Handler = _ => 0;
    public object State = new object();
}

static class Exports
{
    [UnmanagedCallersOnly]
    static int OnProgress(IntPtr user)
    {
        try
        {
            var info = (ProgressInfo)GCHandle.FromIntPtr(user).Target!;
            return info.Handler(info.State);
        }
        catch (Exception ex)
        {
            pendingCallbackException = ex;
            return default;
        }
    }

    [ThreadStatic]
    private static Exception? pendingCallbackException;

    // Call after the native call returns: rethrows, with its stack trace, what a callback caught on this thread.
    internal static void ThrowPendingCallbackException()
    {
        var pending = pendingCallbackException;
        if (pending != null)
        {
            pendingCallbackException = null;
            ExceptionDispatchInfo.Capture(pending).Throw();
        }
    }
}", id: "IG5002");

        // Fix All of one rule leaves the other rule's findings as they are; the second rule's fix reuses the members.
        [Fact]
        public Task FixAllOfIG5002LeavesIG5001Alone()
        {
            var test = new CodeFixTest<NativeCallbackExceptionAnalyzer, CatchForNativeCallerCodeFix>
            {
                Source = Prelude + @"
class Client
{
    private readonly Notify onEvent;

    public Client(Notify onEvent) => this.onEvent = onEvent;

    public void Forward() => Native.sample_run(code {|#0:=>|} onEvent(code));

    public void Own() => Native.sample_run(code {|#1:=>|} { if (code < 0) throw new InvalidOperationException(); });
}",
                FixedSource = FixedPrelude + @"
class Client
{
    private readonly Notify onEvent;

    public Client(Notify onEvent) => this.onEvent = onEvent;

    public void Forward() => Native.sample_run(code =>
    {
        try
        {
            onEvent(code);
        }
        catch (Exception ex)
        {
            pendingCallbackException = ex;
        }
    });

    public void Own() => Native.sample_run(code {|IG5001:=>|} { if (code < 0) throw new InvalidOperationException(); });
" + Members + "}",
                CodeActionEquivalenceKey = ForwardingKey,
            };
            test.ExpectedDiagnostics.Add(Verify.Diagnostic("IG5002").WithLocation(0).WithArguments("code => …", "is called by native function 'sample_run'", "onEvent(code)", "invokes the user's delegate 'onEvent'"));
            test.ExpectedDiagnostics.Add(Verify.Diagnostic("IG5001").WithLocation(1).WithArguments("code => …", "is called by native function 'sample_run'", "throw new InvalidOperationException()", "outside a catch-all: an exception escaping to native code terminates the process"));
            return test.RunAsync();
        }

        [Fact]
        public Task UnmanagedCallersOnlyBlockBody() => VerifyFix(@"using System;
using System.Runtime.InteropServices;

static class Exports
{
    [UnmanagedCallersOnly]
    static int [|OnData|](IntPtr data, int length)
    {
        if (length < 0)
            throw new ArgumentOutOfRangeException(nameof(length));
        return length;
    }
}", @"using System;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

static class Exports
{
    [UnmanagedCallersOnly]
    static int OnData(IntPtr data, int length)
    {
        try
        {
            if (length < 0)
                throw new ArgumentOutOfRangeException(nameof(length));
            return length;
        }
        catch (Exception ex)
        {
            pendingCallbackException = ex;
            return default;
        }
    }

    [ThreadStatic]
    private static Exception? pendingCallbackException;

    // Call after the native call returns: rethrows, with its stack trace, what a callback caught on this thread.
    internal static void ThrowPendingCallbackException()
    {
        var pending = pendingCallbackException;
        if (pending != null)
        {
            pendingCallbackException = null;
            ExceptionDispatchInfo.Capture(pending).Throw();
        }
    }
}");

        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate int DataCallback(IntPtr data, int length);

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate void Notify(int code);

static class Native
{
    [DllImport(""sample"")] public static extern int sample_register_callback(DataCallback callback);
    [DllImport(""sample"")] public static extern void sample_run(Notify notify);
}
";

        private const string FixedPrelude = @"using System;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate int DataCallback(IntPtr data, int length);

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate void Notify(int code);

static class Native
{
    [DllImport(""sample"")] public static extern int sample_register_callback(DataCallback callback);
    [DllImport(""sample"")] public static extern void sample_run(Notify notify);
}
";

        private const string Members = @"
    [ThreadStatic]
    private static Exception? pendingCallbackException;

    // Call after the native call returns: rethrows, with its stack trace, what a callback caught on this thread.
    internal static void ThrowPendingCallbackException()
    {
        var pending = pendingCallbackException;
        if (pending != null)
        {
            pendingCallbackException = null;
            ExceptionDispatchInfo.Capture(pending).Throw();
        }
    }
";

        [Fact]
        public Task ExpressionBodiedLambdasBecomeBlocksAndFixAllAddsTheMembersOnce() => VerifyFix(Prelude + @"
class Client
{
    public void Run()
    {
        Native.sample_run(code [|=>|] Console.Out.WriteLine(code));
        Native.sample_register_callback((data, length) [|=>|] int.Parse(Marshal.PtrToStringUTF8(data, length)));
        ThrowPendingCallbackExceptionIfAny();
    }

    static void ThrowPendingCallbackExceptionIfAny() { }
}", FixedPrelude + @"
class Client
{
    public void Run()
    {
        Native.sample_run(code =>
        {
            try
            {
                Console.Out.WriteLine(code);
            }
            catch (Exception ex)
            {
                pendingCallbackException = ex;
            }
        });
        Native.sample_register_callback((data, length) =>
        {
            try
            {
                return int.Parse(Marshal.PtrToStringUTF8(data, length));
            }
            catch (Exception ex)
            {
                pendingCallbackException = ex;
                return default;
            }
        });
        ThrowPendingCallbackExceptionIfAny();
    }

    static void ThrowPendingCallbackExceptionIfAny() { }
" + Members + "}");

        [Fact]
        public Task LocalFunctionAndLambdaInFieldAvoidTakenNames() => VerifyFix(Prelude + @"
class Client
{
    private static readonly DataCallback Callback = (data, length) [|=>|] throw new NotSupportedException();

    public void Run(Exception ex)
    {
        Native.sample_register_callback(Callback);
        Native.sample_run(Report);

        static void [|Report|](int code) => Console.Out.WriteLine(code);
    }
}", FixedPrelude + @"
class Client
{
    private static readonly DataCallback Callback = (data, length) =>
    {
        try
        {
            throw new NotSupportedException();
        }
        catch (Exception ex)
        {
            pendingCallbackException = ex;
            return default;
        }
    };

    public void Run(Exception ex)
    {
        Native.sample_register_callback(Callback);
        Native.sample_run(Report);

        static void Report(int code)
        {
            try
            {
                Console.Out.WriteLine(code);
            }
            catch (Exception exception)
            {
                pendingCallbackException = exception;
            }
        }
    }
" + Members + "}");

        [Fact]
        public Task NullableDisabledContextGetsAnUnannotatedField() => VerifyFix(@"#nullable disable
using System;
using System.Runtime.InteropServices;

static class Exports
{
    [UnmanagedCallersOnly]
    static void [|Tick|]() => Console.Out.WriteLine(1);
}", @"#nullable disable
using System;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

static class Exports
{
    [UnmanagedCallersOnly]
    static void Tick()
    {
        try
        {
            Console.Out.WriteLine(1);
        }
        catch (Exception ex)
        {
            pendingCallbackException = ex;
        }
    }

    [ThreadStatic]
    private static Exception pendingCallbackException;

    // Call after the native call returns: rethrows, with its stack trace, what a callback caught on this thread.
    internal static void ThrowPendingCallbackException()
    {
        var pending = pendingCallbackException;
        if (pending != null)
        {
            pendingCallbackException = null;
            ExceptionDispatchInfo.Capture(pending).Throw();
        }
    }
}");

        [Fact]
        public Task AsyncCallbackHasNoFix()
        {
            const string source = Prelude + @"
class Client
{
    public void Run() => Native.sample_run(async code [|=>|] await System.Threading.Tasks.Task.Delay(code));
}";
            return VerifyFix(source, source);
        }

        [Fact]
        public Task NestedCallbacksAndTwoTypesAreFixedTogether() => VerifyFix(Prelude + @"
static class Exports
{
    [UnmanagedCallersOnly]
    static void [|Start|]()
    {
        Console.Out.WriteLine(""start"");
        Native.sample_run(code [|=>|] Console.Out.WriteLine(code));
    }
}

struct Handler
{
    public static int [|OnData|](IntPtr data, int length) => checked(length * 2);

    public void Register() => Native.sample_register_callback(OnData);
}", FixedPrelude + @"
static class Exports
{
    [UnmanagedCallersOnly]
    static void Start()
    {
        try
        {
            Console.Out.WriteLine(""start"");
            Native.sample_run(code =>
            {
                try
                {
                    Console.Out.WriteLine(code);
                }
                catch (Exception ex)
                {
                    pendingCallbackException = ex;
                }
            });
        }
        catch (Exception ex)
        {
            pendingCallbackException = ex;
        }
    }
" + Members + @"}

struct Handler
{
    public static int OnData(IntPtr data, int length)
    {
        try
        {
            return checked(length * 2);
        }
        catch (Exception ex)
        {
            pendingCallbackException = ex;
            return default;
        }
    }

    public void Register() => Native.sample_register_callback(OnData);
" + Members + "}");

        [Fact]
        public Task PartialTypeReusesTheMembersOfAnotherPart() => VerifyFix(Prelude + @"
partial class Client
{
    [ThreadStatic]
    private static Exception? pendingCallbackException;

    internal static void ThrowPendingCallbackException() => System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(pendingCallbackException!).Throw();
}

partial class Client
{
    public void Run() => Native.sample_run(code [|=>|] Console.Out.WriteLine(code));
}", @"using System;
using System.Runtime.InteropServices;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate int DataCallback(IntPtr data, int length);

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate void Notify(int code);

static class Native
{
    [DllImport(""sample"")] public static extern int sample_register_callback(DataCallback callback);
    [DllImport(""sample"")] public static extern void sample_run(Notify notify);
}

partial class Client
{
    [ThreadStatic]
    private static Exception? pendingCallbackException;

    internal static void ThrowPendingCallbackException() => System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(pendingCallbackException!).Throw();
}

partial class Client
{
    public void Run() => Native.sample_run(code =>
    {
        try
        {
            Console.Out.WriteLine(code);
        }
        catch (Exception ex)
        {
            pendingCallbackException = ex;
        }
    });
}");

        [Fact]
        public Task UnrelatedMemberWithTheGeneratedNameBlocksTheFix()
        {
            const string source = Prelude + @"
class Client
{
    private int pendingCallbackException;

    public void Run() => Native.sample_run(code [|=>|] Console.Out.WriteLine(code + pendingCallbackException));
}";
            return VerifyFix(source, source);
        }
    }
}
