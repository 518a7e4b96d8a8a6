using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3006 (a) on blocks made for one request and kept by a disposer (Flow/DisposerHeldHandles): a bag that disposes
    /// what it holds, made by the method and disposed by its <c>using</c>, or handed in by the caller, is the only other
    /// holder of a block put into it by an adder that hands the block back. Nobody else can dispose the block while its
    /// raw address is in use. A bag others can reach, one disposed early, an adder that does not keep what it returns, or a
    /// request that outlives the bag, still count.
    /// </summary>
    public class SafeHandleRefCountDisposerTests
    {
        internal const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

static class Native
{
    [DllImport(""sample"")] public static extern int block_read(IntPtr handle);
    [DllImport(""sample"")] public static extern int query_run(ref Query query);
    [DllImport(""sample"")] public static extern int query_value(Query query);
    [DllImport(""sample"")] public static extern int query_in(in Query query);
    [DllImport(""sample"")] public static extern int order_run(Order order);
    [DllImport(""sample"")] public static extern IntPtr block_alloc(int size);
    [DllImport(""sample"")] public static extern void block_free(IntPtr block);
}

sealed class Block : SafeHandle
{
    public Block(int size) : base(IntPtr.Zero, true) { SetHandle(Native.block_alloc(size)); }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
        Native.block_free(handle);
        return true;
    }

    public static Block Of(byte[] bytes) => new Block(bytes.Length);
}

struct Query
{
    public IntPtr Input;
    public IntPtr Output;
    public int Size;
}

[StructLayout(LayoutKind.Sequential)]
sealed class Order
{
    public IntPtr Payload;
}

sealed class Bag : IDisposable
{
    private readonly List<IDisposable> _held = new List<IDisposable>();

    public T Keep<T>(T item) where T : IDisposable
    {
        _held.Add(item);
        return item;
    }

    public T Forget<T>(T item) where T : IDisposable => item;

    public void Dispose()
    {
        foreach (var item in _held)
        {
            item.Dispose();
        }
    }
}

static class BagExtensions
{
    public static Block KeepBytes(this Bag bag, byte[] bytes) => bag.Keep(Block.Of(bytes));

    public static Block KeepText(this Bag bag, string text) => bag.KeepBytes(System.Text.Encoding.UTF8.GetBytes(text));

    public static Block Copy(this Bag bag, byte[] bytes) => Block.Of(bytes);
}

static class Keeper
{
    public static Bag? Last;

    public static void Remember(Bag bag) => Last = bag;

    public static void Fill(Bag bag, ref Query query) => query.Size = 8;
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<SafeHandleRefCountAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Reported(int location) => Verify.Diagnostic("IG3006").WithLocation(location);

        [Fact]
        public Task ABlockKeptByTheMethodsOwnBagIsNotShared() => Check(@"
class C
{
    int Send(byte[] data)
    {
        using var bag = new Bag();
        return Native.block_read(bag.Keep(Block.Of(data)).DangerousGetHandle());
    }

    int SendAfterFilling(int size)
    {
        using var bag = new Bag();
        Fill(bag, size);
        return Native.block_read(bag.Keep(new Block(size)).DangerousGetHandle());
    }

    static void Fill(Bag bag, int count)
    {
        if (count > 0)
        {
            bag.Keep(new Block(count));
            Fill(bag, count - 1);
        }
    }

    int SendInStatement(int size)
    {
        using (var bag = new Bag())
        {
            return Native.block_read(bag.Keep(new Block(size)).DangerousGetHandle());
        }
    }
}");

        [Fact]
        public Task ABlockKeptByTheBagAndStoredIntoALocalRequestIsNotShared() => Check(@"
class C
{
    int Ask(byte[] data, string name)
    {
        using var bag = new Bag();
        var query = new Query { Input = bag.KeepBytes(data).DangerousGetHandle() };
        var output = bag.Keep(new Block(16));
        query.Output = output.DangerousGetHandle();
        Query named = default;
        named.Input = bag.KeepText(name).DangerousGetHandle();
        Native.query_run(ref named);
        Keeper.Fill(bag, ref query);
        return Native.query_run(ref query);
    }
}");

        [Fact]
        public Task ABlockKeptByTheBagAndStoredIntoARequestMadeForTheCallIsNotShared() => Check(@"
class C
{
    int Ask(int size)
    {
        using var bag = new Bag();
        var output = bag.Keep(new Block(size));
        return Native.query_value(new Query { Output = output.DangerousGetHandle(), Size = size });
    }

    int AskIn(int size)
    {
        using var bag = new Bag();
        return Native.query_in(new Query { Input = bag.Keep(new Block(size)).DangerousGetHandle() });
    }

    int Order(int size)
    {
        using var bag = new Bag();
        var order = new Order { Payload = bag.Keep(new Block(size)).DangerousGetHandle() };
        return Native.order_run(order);
    }
}");

        [Fact]
        public Task ARequestObjectKeptElsewhereStillCounts() => Check(@"
class C
{
    private Order? _last;

    int Order(int size)
    {
        using var bag = new Bag();
        var order = new Order { Payload = {|#0:bag.Keep(new Block(size)).DangerousGetHandle()|} };
        _last = order;
        return Native.order_run(order);
    }
}", Reported(0));

        [Fact]
        public Task ABlockKeptByTheCallersBagMayGoBackInARequest() => Check(@"
class C
{
    Query Build(Bag bag, byte[] data)
    {
        var query = new Query();
        query.Input = bag.Keep(Block.Of(data)).DangerousGetHandle();
        query.Size = data.Length;
        return query;
    }
}");

        [Fact]
        public Task ABagOthersCanReachStillCounts() => Check(@"
class C
{
    private readonly Bag _bag = new Bag();

    int FromField(int size) => Native.block_read({|#0:_bag.Keep(new Block(size)).DangerousGetHandle()|});

    int Remembered(int size)
    {
        using var bag = new Bag();
        Keeper.Remember(bag);
        return Native.block_read({|#1:bag.Keep(new Block(size)).DangerousGetHandle()|});
    }

    int NotDisposed(int size)
    {
        var bag = new Bag();
        return Native.block_read({|#2:bag.Keep(new Block(size)).DangerousGetHandle()|});
    }

    int DisposedEarly(int size)
    {
        using var bag = new Bag();
        var raw = {|#3:bag.Keep(new Block(size)).DangerousGetHandle()|};
        bag.Dispose();
        return Native.block_read(raw);
    }
}", Reported(0), Reported(1), Reported(2), Reported(3));

        [Fact]
        public Task AnAdderThatDoesNotKeepWhatItReturnsStillCounts() => Check(@"
class C
{
    int Forgotten(int size)
    {
        using var bag = new Bag();
        return Native.block_read({|#0:bag.Forget(new Block(size)).DangerousGetHandle()|});
    }

    int Copied(byte[] data)
    {
        using var bag = new Bag();
        return Native.block_read({|#1:bag.Copy(data).DangerousGetHandle()|});
    }

    int NotFresh(Block given)
    {
        using var bag = new Bag();
        return Native.block_read({|#2:bag.Keep(given).DangerousGetHandle()|});
    }
}", Reported(0), Reported(1), Reported(2));

        [Fact]
        public Task ARequestThatOutlivesTheBagOrACallersBagGivenToNativeCodeStillCount() => Check(@"
class C
{
    Query Escaping(int size)
    {
        using var bag = new Bag();
        var query = new Query();
        query.Input = {|#0:bag.Keep(new Block(size)).DangerousGetHandle()|};
        return query;
    }

    int CallersBag(Bag bag, int size) => Native.block_read({|#1:bag.Keep(new Block(size)).DangerousGetHandle()|});
}", Reported(0), Reported(1));
    }
}
