using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG5001/IG5002 on a callback that finds the library's own object by the context pointer native code hands back,
    /// through a registry the library filled before the hand-over (Flow/ContextRegistryLookups): the lookup and a throw
    /// taken only when it misses are the registry form of <c>GCHandle.FromIntPtr(user).Target</c> and not throw points.
    /// A lookup keyed by anything else, and every other throw of the same callback, still count; the ownership rules
    /// (IG3001) still count the same lookups between an allocation and its release.
    /// </summary>
    public class NativeCallbackContextRegistryTests
    {
        private const string Prelude = @"using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate int MachineFunction(IntPtr machine);

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
delegate int PullFunction(IntPtr context, IntPtr buffer, int size);

static class Native
{
    [DllImport(""script"")] public static extern void push_function(IntPtr machine, MachineFunction function);
    [DllImport(""image"")] public static extern int decode(PullFunction pull, IntPtr context);
}

// The managed face of a native interpreter state, as a binding wraps it: found again from the pointer alone.
sealed class Machine
{
    private readonly IntPtr _pointer;
    private readonly Machine _owner;

    private Machine(IntPtr pointer, Machine owner)
    {
        _pointer = pointer;
        _owner = owner;
    }

    public Machine Owner => _owner ?? this;

    public static Machine FromPointer(IntPtr pointer) => new Machine(pointer, null);

    public int Depth() => 0;
}

sealed class Interpreter
{
    public int Step(Machine machine) => machine.Depth();
}

// Filled when a machine is created, emptied when it is closed: every machine native code can call back with is here.
sealed class InterpreterRegistry
{
    public static InterpreterRegistry Shared { get; } = new InterpreterRegistry();

    private readonly ConcurrentDictionary<Machine, Interpreter> _byMachine = new ConcurrentDictionary<Machine, Interpreter>();
    private readonly Dictionary<string, Interpreter> _byName = new Dictionary<string, Interpreter>();

    public Interpreter Of(Machine machine)
    {
        Interpreter found;
        if (!_byMachine.TryGetValue(machine, out found))
        {
            var owner = machine.Owner;
            if (!_byMachine.TryGetValue(owner, out found))
                throw new InvalidOperationException(""The machine was never registered."");
        }

        return found;
    }

    public Interpreter Named(string name)
    {
        if (_byName.TryGetValue(name, out var found))
            return found;
        throw new KeyNotFoundException(name);
    }
}
";

        private static Task Check<TAnalyzer>(string source, params DiagnosticResult[] expected)
            where TAnalyzer : Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer, new()
        {
            var test = new AnalyzerTest<TAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static Task Check(string source, params DiagnosticResult[] expected) => Check<NativeCallbackExceptionAnalyzer>(source, expected);

        private static DiagnosticResult Finding(int location, string callback, string native, string operation, string? inside = null)
            => Verify.Diagnostic("IG5001").WithLocation(location).WithMessage(
                "Callback '" + callback + "' is called by native function '" + native + "', and '" + operation
                + "' may throw " + Inside(inside) + "outside a catch-all: an exception escaping to native code terminates the process");

        // Where the exception starts inside the library's own helper the callback calls, as the message names it.
        private static string Inside(string? inside) => inside == null ? string.Empty : "(" + inside + ") ";

        [Fact]
        public Task InterpreterFoundByItsMachineThroughTheSharedRegistryIsSilent() => Check(@"
static class Bridge
{
    static int Call(IntPtr machine)
    {
        var state = Machine.FromPointer(machine);
        var interpreter = InterpreterRegistry.Shared.Of(state);
        return interpreter.Step(state);
    }

    static int CallByOwner(IntPtr machine)
    {
        var interpreter = InterpreterRegistry.Shared.Of(Machine.FromPointer(machine).Owner);
        return interpreter.Step(Machine.FromPointer(machine));
    }

    public static void Install(IntPtr machine)
    {
        Native.push_function(machine, Call);
        Native.push_function(machine, CallByOwner);
    }
}");

        // The checked form of the cast of the library's own handle: a throw taken only when native code hands back no
        // context, or one whose GCHandle does not hold what the library stored, stands for the invalid handle itself.
        [Fact]
        public Task CheckedRecoveryOfTheContextsOwnHandleIsSilent() => Check(@"
sealed class Job
{
    public int Done;
}

static class Jobs
{
    private static Job Recover(IntPtr user)
    {
        if (user == IntPtr.Zero)
            throw new InvalidOperationException(""no job"");

        var handle = GCHandle.FromIntPtr(user);
        return handle.Target as Job ?? throw new InvalidOperationException(""not a job"");
    }

    static int Pulled(IntPtr context, IntPtr buffer, int size)
    {
        var job = Recover(context);
        job.Done += size;
        return 0;
    }

    static int PulledInline(IntPtr context, IntPtr buffer, int size)
    {
        if (context != IntPtr.Zero)
        {
            var job = GCHandle.FromIntPtr(context).Target as Job ?? throw new InvalidOperationException(""not a job"");
            job.Done += size;
        }
        else
        {
            throw new InvalidOperationException(""no job"");
        }

        return 0;
    }

    public static void Run(Job job)
    {
        var handle = GCHandle.Alloc(job);
        Native.decode(Pulled, GCHandle.ToIntPtr(handle));
        Native.decode(PulledInline, GCHandle.ToIntPtr(handle));
        handle.Free();
    }
}");

        // The same checks on a value that is not the context native code hands back still count: a size out of range, or a
        // handle read from a field.
        [Fact]
        public Task ChecksOfOtherValuesThanTheContextStillThrow() => Check(@"
sealed class Job
{
    public int Done;
}

static class Jobs
{
    private static IntPtr s_last;

    static int {|#0:BySize|}(IntPtr context, IntPtr buffer, int size)
    {
        if (size == 0)
            throw new InvalidOperationException(""empty read"");
        return 0;
    }

    static int {|#1:ByField|}(IntPtr context, IntPtr buffer, int size)
    {
        var job = GCHandle.FromIntPtr(s_last).Target as Job ?? throw new InvalidOperationException(""not a job"");
        return job.Done;
    }

    public static void Run(IntPtr context)
    {
        Native.decode(BySize, context);
        Native.decode(ByField, context);
    }
}", Finding(0, "BySize", "decode", "throw new InvalidOperationException(\"empty read\")"), Finding(1, "ByField", "decode", "throw new InvalidOperationException(\"not a job\")"));

        [Fact]
        public Task StreamFoundByTheContextInADictionaryIsSilent() => Check(@"
static class Images
{
    private static readonly Dictionary<IntPtr, Stream> Pending = new Dictionary<IntPtr, Stream>();

    static int AtEnd(IntPtr context, IntPtr buffer, int size)
    {
        Stream stream;
        lock (Pending)
        {
            stream = Pending[context];
        }

        return stream.CanSeek ? 1 : 0;
    }

    static int AtEndOrFail(IntPtr context, IntPtr buffer, int size)
    {
        if (!Pending.TryGetValue(context, out var stream))
            throw new InvalidOperationException(""unknown context"");
        return stream.CanRead ? 1 : 0;
    }

    public static int Load(Stream stream, IntPtr context)
    {
        lock (Pending)
        {
            Pending.Add(context, stream);
        }

        return Native.decode(AtEnd, context) + Native.decode(AtEndOrFail, context);
    }
}");

        [Fact]
        public Task WhatTheCallbackDoesWithTheStreamItFoundStillCounts() => Check(@"
static class Images
{
    private static readonly Dictionary<IntPtr, Stream> Pending = new Dictionary<IntPtr, Stream>();

    static int {|#0:AtEnd|}(IntPtr context, IntPtr buffer, int size)
    {
        Stream stream;
        lock (Pending)
        {
            stream = Pending[context];
        }

        return stream.Position == stream.Length ? 1 : 0;
    }

    public static int Load(Stream stream, IntPtr context)
    {
        lock (Pending)
        {
            Pending.Add(context, stream);
        }

        return Native.decode(AtEnd, context);
    }
}", Finding(0, "AtEnd", "decode", "stream.Position"));

        [Fact]
        public Task TheSameCallbackStillReportsItsOwnThrow() => Check(@"
static class Bridge
{
    static int {|#0:Call|}(IntPtr machine)
    {
        var state = Machine.FromPointer(machine);
        var interpreter = InterpreterRegistry.Shared.Of(state);
        if (interpreter.Step(state) < 0)
            throw new InvalidOperationException(""step failed"");
        return 0;
    }

    public static void Install(IntPtr machine) => Native.push_function(machine, Call);
}", Finding(0, "Call", "push_function", "throw new InvalidOperationException(\"step failed\")"));

        [Fact]
        public Task TheSameCallbackStillReportsTheUsersDelegate() => Check(@"
static class Bridge
{
    public static Func<int> Hook;

    static int {|#0:Call|}(IntPtr machine)
    {
        var interpreter = InterpreterRegistry.Shared.Of(Machine.FromPointer(machine));
        return Hook();
    }

    public static void Install(IntPtr machine) => Native.push_function(machine, Call);
}", Verify.Diagnostic("IG5002").WithLocation(0).WithMessage(
            "Callback 'Call' is called by native function 'push_function', and 'Hook()' invokes the user's delegate 'Hook' outside a catch-all: "
            + "an exception the user's code throws there terminates the process"));

        private const string TransferRecord = @"
[StructLayout(LayoutKind.Sequential)]
unsafe struct Transfer
{
    public IntPtr Device;
    public int Status;
    public int Length;
    public IntPtr Callback;
    public IntPtr UserData;
}

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
unsafe delegate void TransferDone(Transfer* transfer);

static unsafe class UsbNative
{
    [DllImport(""usb"")] public static extern Transfer* alloc_transfer(int packets);
    [DllImport(""usb"")] public static extern int submit_transfer(Transfer* transfer);
    [DllImport(""usb"")] public static extern void free_transfer(Transfer* transfer);
}
";

        [Fact]
        public Task TransferFoundByTheIdInItsUserDataSlotIsSilent() => Check(TransferRecord + @"
static unsafe class Transfers
{
    private static readonly ConcurrentDictionary<int, System.Threading.Tasks.TaskCompletionSource<int>> Pending =
        new ConcurrentDictionary<int, System.Threading.Tasks.TaskCompletionSource<int>>();
    private static readonly TransferDone Done = OnDone;
    private static readonly IntPtr DonePointer = Marshal.GetFunctionPointerForDelegate(Done);

    // The id was stored in the transfer's user data before submitting it: a miss breaks the library's own contract.
    private static void OnDone(Transfer* transfer)
    {
        int id = transfer->UserData.ToInt32();
        if (Pending.TryRemove(id, out var completion))
        {
            completion.TrySetResult(transfer->Length);
        }
        else
        {
            throw new InvalidOperationException(""Unknown transfer "" + id);
        }

        UsbNative.free_transfer(transfer);
    }

    public static System.Threading.Tasks.Task<int> Submit(int id)
    {
        var completion = new System.Threading.Tasks.TaskCompletionSource<int>();
        Pending.TryAdd(id, completion);
        var transfer = UsbNative.alloc_transfer(0);
        transfer->UserData = new IntPtr(id);
        transfer->Callback = DonePointer;
        UsbNative.submit_transfer(transfer);
        return completion.Task;
    }
}");

        [Fact]
        public Task TransferLookupsKeyedByItsDataOrAnotherRecordStillThrow() => Check(TransferRecord + @"
static unsafe class Transfers
{
    private static readonly ConcurrentDictionary<int, System.Threading.Tasks.TaskCompletionSource<int>> Pending =
        new ConcurrentDictionary<int, System.Threading.Tasks.TaskCompletionSource<int>>();
    private static Transfer* s_last;
    private static readonly TransferDone ByStatus = OnStatus;
    private static readonly TransferDone ByLast = OnLast;

    private static void {|#0:OnStatus|}(Transfer* transfer)
    {
        if (!Pending.TryRemove(transfer->Status, out var completion))
        {
            throw new InvalidOperationException(""Unknown status"");
        }
    }

    private static void {|#1:OnLast|}(Transfer* transfer)
    {
        if (!Pending.TryRemove(s_last->UserData.ToInt32(), out var completion))
        {
            throw new InvalidOperationException(""Unknown transfer"");
        }
    }

    public static void Submit(Transfer* transfer)
    {
        transfer->Callback = Marshal.GetFunctionPointerForDelegate(ByStatus);
        UsbNative.submit_transfer(transfer);
        transfer->Callback = Marshal.GetFunctionPointerForDelegate(ByLast);
        UsbNative.submit_transfer(transfer);
    }
}", PointerFinding(0, "OnStatus", "throw new InvalidOperationException(\"Unknown status\")"),
            PointerFinding(1, "OnLast", "throw new InvalidOperationException(\"Unknown transfer\")"));

        private static DiagnosticResult PointerFinding(int location, string callback, string operation)
            => Verify.Diagnostic("IG5001").WithLocation(location).WithMessage(
                "Callback '" + callback + "' is turned into a native function pointer by 'Marshal.GetFunctionPointerForDelegate', and '" + operation
                + "' may throw outside a catch-all: an exception escaping to native code terminates the process");

        [Fact]
        public Task LookupsKeyedByAFieldANameFromNativeMemoryOrAConstantStillThrow() => Check(@"
static class Bridge
{
    private static Machine _last;
    private static IntPtr _current;
    private static readonly Dictionary<IntPtr, Stream> Pending = new Dictionary<IntPtr, Stream>();

    static int {|#0:ByField|}(IntPtr machine)
    {
        var interpreter = InterpreterRegistry.Shared.Of(_last);
        return interpreter.Step(_last);
    }

    static int {|#1:ByName|}(IntPtr machine)
    {
        var interpreter = InterpreterRegistry.Shared.Named(Marshal.PtrToStringUTF8(machine));
        return 0;
    }

    static int {|#2:ByConstant|}(IntPtr context, IntPtr buffer, int size)
    {
        var stream = Pending[IntPtr.Zero];
        return stream.CanRead ? 1 : 0;
    }

    static int {|#3:ByFieldInDictionary|}(IntPtr context, IntPtr buffer, int size)
    {
        var stream = Pending[_current];
        return stream.CanRead ? 1 : 0;
    }

    public static void Install(IntPtr machine)
    {
        Native.push_function(machine, ByField);
        Native.push_function(machine, ByName);
        Native.decode(ByConstant, machine);
        Native.decode(ByFieldInDictionary, machine);
    }
}",
            Finding(0, "ByField", "push_function", "InterpreterRegistry.Shared.Of(_last)", inside: "'throw new InvalidOperationException(…)' in 'Of'"),
            Finding(1, "ByName", "push_function", "InterpreterRegistry.Shared.Named(…)", inside: "'throw new KeyNotFoundException(name)' in 'Named'"),
            Finding(2, "ByConstant", "decode", "Pending[IntPtr.Zero]"),
            Finding(3, "ByFieldInDictionary", "decode", "Pending[_current]"));

        [Fact]
        public Task TheOwnershipRulesStillCountTheSameLookupsBeforeARelease() => Check<OwnershipAnalyzer>(@"
static class Buffers
{
    private static readonly Dictionary<IntPtr, Stream> Pending = new Dictionary<IntPtr, Stream>();

    static void ByDictionary(IntPtr context)
    {
        var p = {|#0:Marshal.AllocHGlobal(16)|};
        if (!Pending.TryGetValue(context, out var stream))
            throw new InvalidOperationException(""unknown context"");
        Marshal.FreeHGlobal(p);
    }

    static void ByRegistry(IntPtr machine)
    {
        var p = {|#1:Marshal.AllocHGlobal(16)|};
        var interpreter = InterpreterRegistry.Shared.Of(Machine.FromPointer(machine));
        Marshal.FreeHGlobal(p);
    }
}",
            Leak(0, "on the 'throw new InvalidOperationException(\"unknown context\")' in 'if (!Pending.TryGetValue(context, out var stream))'"),
            Leak(1, "if 'InterpreterRegistry.Shared.Of(Machine.FromPointer(machine))' throws"));

        private static DiagnosticResult Leak(int location, string path)
            => Verify.Diagnostic("IG3001").WithLocation(location).WithMessage(
                "Native memory from 'Marshal.AllocHGlobal' in 'p' is not released by 'Marshal.FreeHGlobal' " + path);
    }
}
