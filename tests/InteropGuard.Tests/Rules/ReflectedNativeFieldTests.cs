using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis.CSharp;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// A binding that picks its native class at run time and fills private delegate fields by reflection over it —
    /// <c>methods.Single(m =&gt; m.Name == "rd_kafka_...").CreateDelegate(...)</c>, confluent-kafka-dotnet from 2020 —
    /// calls the P/Invoke of that name through the field. IG1002 sees a callback registered through such a field (the
    /// partitioner of 391a3c3c), and the throw model counts a call through it as a native call. A name that could also
    /// be a managed method, or two entry points, or a name that is not a constant, and the field is read as before.
    /// </summary>
    public class ReflectedNativeFieldTests
    {
        private const string Prelude = @"using System;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
public delegate int Pick(IntPtr topic, int partitions);
class NativeMethods
{
    [DllImport(""toyqueue"")] public static extern void toy_set_picker(IntPtr conf, Pick picker);
    [DllImport(""toyqueue"")] public static extern void toy_send(IntPtr conf, IntPtr payload);
}
class NativeMethods_Musl
{
    [DllImport(""toyqueue.so.1"")] public static extern void toy_set_picker(IntPtr conf, Pick picker);
    [DllImport(""toyqueue.so.1"")] public static extern void toy_send(IntPtr conf, IntPtr payload);
}
";

        private static Task Check<TAnalyzer>(string source, params DiagnosticResult[] expected)
            where TAnalyzer : Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer, new()
            => CollectedDelegateFindings.Check<TAnalyzer>(Prelude + source, expected);

        private static DiagnosticResult Registered(int location, string message)
            => CollectedDelegateFindings.Finding(location, message);

        // The loader, the wrapper and a producer registering a capturing lambda, with the reflective lookup written in.
        private static string Queue(string lookup) => @"
static class Queue
{
    private static Action<IntPtr, Pick> _set_picker = null!;

    public static void Load(Type nativeMethods)
    {
        var methods = nativeMethods.GetRuntimeMethods().ToArray();
        _set_picker = (Action<IntPtr, Pick>)" + lookup + @";
    }

    internal static void SetPicker(IntPtr conf, Pick picker) => _set_picker(conf, picker);
}
public sealed class Producer
{
    private IntPtr _conf;
    public void Configure(int fixedPartition) => Queue.SetPicker(_conf, {|#0:(topic, partitions) => fixedPartition % partitions|});
}";

        [Fact]
        public Task CapturingLambdaRegisteredThroughAFieldFilledBySingleOverTheRuntimeMethods() => Check<CallbackLifetimeAnalyzer>(
            Queue(@"methods.Single(m => m.Name == ""toy_set_picker"").CreateDelegate(typeof(Action<IntPtr, Pick>))"),
            Registered(0, "The lambda's delegate is registered with 'NativeMethods.toy_set_picker' through 'Queue.SetPicker'"));

        [Fact]
        public Task CapturingLambdaRegisteredThroughAFieldFilledByGetMethodAndDelegateCreateDelegate() => Check<CallbackLifetimeAnalyzer>(
            Queue(@"Delegate.CreateDelegate(typeof(Action<IntPtr, Pick>), nativeMethods.GetMethod(""toy_set_picker""))"),
            Registered(0, "The lambda's delegate is registered with 'NativeMethods.toy_set_picker' through 'Queue.SetPicker'"));

        [Fact]
        public Task ManagedMethodOfTheSameNameSaysNothing() => Check<CallbackLifetimeAnalyzer>(
            Queue(@"methods.Single(m => m.Name == ""toy_set_picker"").CreateDelegate(typeof(Action<IntPtr, Pick>))").Replace("{|#0:", "").Replace("|})", ")") + @"
class FakeNativeMethods
{
    public static void toy_set_picker(IntPtr conf, Pick picker) { }
}");

        [Fact]
        public Task NameThatIsNotAConstantSaysNothing() => Check<CallbackLifetimeAnalyzer>(
            Queue(@"methods.Single(m => m.Name == nativeMethods.Name + ""_set_picker"").CreateDelegate(typeof(Action<IntPtr, Pick>))").Replace("{|#0:", "").Replace("|})", ")"));

        [Fact]
        public Task SameNameBoundToTwoEntryPointsSaysNothing() => Check<CallbackLifetimeAnalyzer>(
            Queue(@"methods.Single(m => m.Name == ""toy_set_picker"").CreateDelegate(typeof(Action<IntPtr, Pick>))").Replace("{|#0:", "").Replace("|})", ")") + @"
class NativeMethods_Legacy
{
    [DllImport(""toyqueue"", EntryPoint = ""toy_set_partitioner"")] public static extern void toy_set_picker(IntPtr conf, Pick picker);
}");

        [Fact]
        public Task DelegateKeptInAFieldBeforeTheReflectedCallIsSilent() => Check<CallbackLifetimeAnalyzer>(
            Queue(@"methods.Single(m => m.Name == ""toy_set_picker"").CreateDelegate(typeof(Action<IntPtr, Pick>))").Replace(
                "public void Configure(int fixedPartition) => Queue.SetPicker(_conf, {|#0:(topic, partitions) => fixedPartition % partitions|});",
                "private Pick? _picker;\n    public void Configure(int fixedPartition) { _picker = (topic, partitions) => fixedPartition % partitions; Queue.SetPicker(_conf, _picker); }"));

        // ---- the throw model: a call through the field is a native call ----

        private const string Flusher = @"
static class Flushing
{
    private static Action<IntPtr, int> _flush = null!;

    public static void Load(Type nativeMethods)
    {
        var methods = nativeMethods.GetRuntimeMethods().ToArray();
        _flush = (Action<IntPtr, int>)methods.Single(m => m.Name == ""toy_flush"").CreateDelegate(typeof(Action<IntPtr, int>));
    }

    public static void Send(IntPtr conf, string text)
    {
        IntPtr copy = Marshal.StringToHGlobalAnsi(text);
        _flush(conf, 0);
        NativeMethods.toy_send(conf, copy);
        Marshal.FreeHGlobal(copy);
    }
}
class NativeFlush
{
    [DllImport(""toyqueue"")] public static extern void toy_flush(IntPtr conf, int timeout);
}";

        [Fact]
        public Task CallThroughAReflectedPInvokeIsNotAThrowPoint() => Check<OwnershipAnalyzer>(Flusher);

        [Fact]
        public Task CallThroughAFieldAManagedMethodOfTheSameNameCouldFillStillThrows() => Check<OwnershipAnalyzer>(
            Flusher.Replace("= Marshal.StringToHGlobalAnsi(text)", "= {|#0:Marshal.StringToHGlobalAnsi(text)|}") + @"
class InMemoryTransport
{
    public static void toy_flush(IntPtr conf, int timeout) => throw new InvalidOperationException();
}",
            Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
                "Native memory from 'Marshal.StringToHGlobalAnsi' in 'copy' is not released by 'Marshal.FreeHGlobal' if '_flush(conf, 0)' throws"));
    }
}
