using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis.CSharp;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1002 through two indirections a binding that picks its native library at run time puts in front of a
    /// registration (Lightning.NET's comparers, fixed in 88698eb): an internal interface implemented by one facade class
    /// per library, each forwarding to its own P/Invoke, and a private method that makes the registration through a
    /// delegate parameter its callers fill with lambdas calling the facade.
    /// </summary>
    public class CallbackLifetimeFacadeTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
public delegate int Order(IntPtr left, IntPtr right);
interface IToyLibrary
{
    int toy_set_order_callback(IntPtr table, Order order);
    int toy_sort_now(IntPtr table, Order order);
}
sealed class ToyLibrary32 : IToyLibrary
{
    [DllImport(""toytable32"")] private static extern int toy_set_order_callback(IntPtr table, Order order);
    [DllImport(""toytable32"")] private static extern int toy_sort_now(IntPtr table, Order order);
    int IToyLibrary.toy_set_order_callback(IntPtr table, Order order) => ToyLibrary32.toy_set_order_callback(table, order);
    int IToyLibrary.toy_sort_now(IntPtr table, Order order) => ToyLibrary32.toy_sort_now(table, order);
}
sealed class ToyLibrary64 : IToyLibrary
{
    [DllImport(""toytable64"")] private static extern int toy_set_order_callback(IntPtr table, Order order);
    [DllImport(""toytable64"")] private static extern int toy_sort_now(IntPtr table, Order order);
    int IToyLibrary.toy_set_order_callback(IntPtr table, Order order) => ToyLibrary64.toy_set_order_callback(table, order);
    int IToyLibrary.toy_sort_now(IntPtr table, Order order) => ToyLibrary64.toy_sort_now(table, order);
}
static class Orders
{
    public static Order Make(Func<byte[], byte[], int> compare) => (l, r) => compare(new byte[0], new byte[0]);
}
static class Toy
{
    public static readonly IToyLibrary Library = IntPtr.Size == 8 ? new ToyLibrary64() : (IToyLibrary)new ToyLibrary32();

    public static int Execute(Func<IToyLibrary, int> action)
    {
        var result = action(Library);
        if (result != 0) throw new InvalidOperationException();
        return result;
    }
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
            => CollectedDelegateFindings.Check<CallbackLifetimeAnalyzer>(Prelude + source, expected);

        private static DiagnosticResult Finding(int location, string message)
            => CollectedDelegateFindings.Finding(location, message);

        [Fact]
        public Task RegistrationThroughTheLibrarysOwnFacadesIsReported() => Check(@"
public sealed class Table
{
    private IntPtr _table;
    private int _calls;

    public void UseDefaultOrder()
    {
        Order order = (l, r) => { _calls++; return 0; };
        Toy.Library.toy_set_order_callback(_table, {|#0:order|});
    }
}",
            Finding(0, "Delegate 'order' is registered with 'ToyLibrary32.toy_set_order_callback' through 'IToyLibrary.toy_set_order_callback'"));

        [Fact]
        public Task RegistrationThroughADelegateParameterEveryCallerFillsIsReported() => Check(@"
public sealed class Table
{
    internal IntPtr _table;

    private static void SetOrder(Func<byte[], byte[], int> compare, Func<IToyLibrary, Order, int> setter)
    {
        var order = Orders.Make(compare);
        Toy.Execute(lib => setter(lib, {|#0:order|}));
    }

    public void UseOrder(Func<byte[], byte[], int> compare)
        => SetOrder(compare, (lib, o) => lib.toy_set_order_callback(_table, o));

    public void UseOtherOrder(Func<byte[], byte[], int> compare)
        => SetOrder(compare, (lib, o) => lib.toy_set_order_callback(IntPtr.Zero, o));
}",
            Finding(0, "Delegate 'order' is registered with 'ToyLibrary32.toy_set_order_callback' through 'setter'"));

        [Fact]
        public Task DelegateKeptAfterTheRegistrationThroughAParameterIsSilent() => Check(@"
public sealed class Table
{
    internal IntPtr _table;
    private static readonly System.Collections.Generic.List<Order> Kept = new System.Collections.Generic.List<Order>();

    private static void SetOrder(Func<byte[], byte[], int> compare, Func<IToyLibrary, Order, int> setter)
    {
        var order = Orders.Make(compare);
        Toy.Execute(lib => setter(lib, order));
        Kept.Add(order);
    }

    public void UseOrder(Func<byte[], byte[], int> compare)
        => SetOrder(compare, (lib, o) => lib.toy_set_order_callback(_table, o));
}");

        [Fact]
        public Task FacadeCallThatOnlyUsesTheDelegateDuringTheCallIsSilent() => Check(@"
public sealed class Table
{
    private IntPtr _table;
    private int _calls;

    public void SortOnce()
    {
        Order order = (l, r) => { _calls++; return 0; };
        Toy.Library.toy_sort_now(_table, order);
    }
}");

        [Fact]
        public Task ParameterOneCallerFillsWithANonRetainingCallIsSilent() => Check(@"
public sealed class Table
{
    internal IntPtr _table;

    private static void SetOrder(Func<byte[], byte[], int> compare, Func<IToyLibrary, Order, int> setter)
    {
        var order = Orders.Make(compare);
        Toy.Execute(lib => setter(lib, order));
    }

    public void UseOrder(Func<byte[], byte[], int> compare)
        => SetOrder(compare, (lib, o) => lib.toy_set_order_callback(_table, o));

    public void SortOnce(Func<byte[], byte[], int> compare)
        => SetOrder(compare, (lib, o) => lib.toy_sort_now(_table, o));
}");

        [Fact]
        public Task ParameterTheBodyMayReplaceIsSilent() => Check(@"
public sealed class Table
{
    internal IntPtr _table;
    internal Func<IToyLibrary, Order, int> Fallback;

    private static void SetOrder(Func<byte[], byte[], int> compare, Func<IToyLibrary, Order, int> setter, bool sortOnly)
    {
        var order = Orders.Make(compare);
        if (sortOnly)
        {
            setter = (lib, o) => lib.toy_sort_now(IntPtr.Zero, o);
        }

        Toy.Execute(lib => setter(lib, order));
    }

    private void SetOrderOr(Func<byte[], byte[], int> compare, Func<IToyLibrary, Order, int> setter)
    {
        var order = Orders.Make(compare);
        setter ??= Fallback;
        Toy.Execute(lib => setter(lib, order));
    }

    public void UseOrder(Func<byte[], byte[], int> compare)
    {
        SetOrder(compare, (lib, o) => lib.toy_set_order_callback(_table, o), false);
        SetOrderOr(compare, (lib, o) => lib.toy_set_order_callback(_table, o));
    }
}");

        [Fact]
        public Task ParameterOfAMethodOthersCanCallIsSilent() => Check(@"
public sealed class Table
{
    internal IntPtr _table;

    internal static void SetOrder(Func<byte[], byte[], int> compare, Func<IToyLibrary, Order, int> setter)
    {
        var order = Orders.Make(compare);
        Toy.Execute(lib => setter(lib, order));
    }

    public void UseOrder(Func<byte[], byte[], int> compare)
        => SetOrder(compare, (lib, o) => lib.toy_set_order_callback(_table, o));
}");

        [Fact]
        public Task ParameterFilledFromAFieldAtOneCallSiteIsSilent() => Check(@"
public sealed class Table
{
    internal IntPtr _table;
    private Func<IToyLibrary, Order, int> _setter = (lib, o) => lib.toy_set_order_callback(IntPtr.Zero, o);

    private static void SetOrder(Func<byte[], byte[], int> compare, Func<IToyLibrary, Order, int> setter)
    {
        var order = Orders.Make(compare);
        Toy.Execute(lib => setter(lib, order));
    }

    public void UseOrder(Func<byte[], byte[], int> compare)
        => SetOrder(compare, (lib, o) => lib.toy_set_order_callback(_table, o));

    public void UseStored(Func<byte[], byte[], int> compare)
        => SetOrder(compare, _setter);
}");

        [Fact]
        public Task PublicInterfaceOthersMayImplementIsSilent() => Check(@"
public interface IPublicLibrary
{
    int toy_set_order_callback(IntPtr table, Order order);
}
sealed class PublicLibrary : IPublicLibrary
{
    [DllImport(""toytable"")] private static extern int toy_set_order_callback(IntPtr table, Order order);
    int IPublicLibrary.toy_set_order_callback(IntPtr table, Order order) => PublicLibrary.toy_set_order_callback(table, {|#0:order|});
}
public sealed class Table
{
    private IntPtr _table;
    private int _calls;

    public void UseDefaultOrder(IPublicLibrary library)
    {
        Order order = (l, r) => { _calls++; return 0; };
        library.toy_set_order_callback(_table, order);
    }
}",
            // The implementation itself is reported as before: outside callers reach it through the public interface.
            Verify.Diagnostic("IG1002").WithLocation(0).WithMessage("The caller's delegate 'order' is registered with 'PublicLibrary.toy_set_order_callback' but is not kept reachable by 'PublicLibrary' after the method returns; once the GC collects it, a call from native code through it crashes the process"));

        [Fact]
        public Task FacadeOneOfWhoseImplementationsKeepsTheDelegateIsSilent() => Check(@"
interface IKeepingLibrary
{
    int toy_set_order_callback(IntPtr table, Order order);
}
sealed class ForwardingLibrary : IKeepingLibrary
{
    [DllImport(""toytable"")] private static extern int toy_set_order_callback(IntPtr table, Order order);
    int IKeepingLibrary.toy_set_order_callback(IntPtr table, Order order) => ForwardingLibrary.toy_set_order_callback(table, order);
}
sealed class KeepingLibrary : IKeepingLibrary
{
    private Order? _kept;
    [DllImport(""toytable"")] private static extern int toy_set_order_callback(IntPtr table, Order order);
    int IKeepingLibrary.toy_set_order_callback(IntPtr table, Order order) { _kept = order; return KeepingLibrary.toy_set_order_callback(table, order); }
}
public sealed class Table
{
    private IntPtr _table;
    private int _calls;

    internal void UseDefaultOrder(IKeepingLibrary library)
    {
        Order order = (l, r) => { _calls++; return 0; };
        library.toy_set_order_callback(_table, order);
    }
}");
    }
}
