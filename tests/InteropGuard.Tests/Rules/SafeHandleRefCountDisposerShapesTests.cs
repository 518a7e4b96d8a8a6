using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3006 (a) on blocks kept by a disposer, in the shapes beyond a straight adder call (Flow/DisposerHeldHandles): a
    /// request built in a lambda from the caller's bag, a bag that is the object itself, a helper of another object that
    /// keeps the block in the bag it is lent. The bag is still the only other holder. A helper
    /// that does not keep the block, one that keeps it in a bag of its own, a lambda over the method's own bag, or a request
    /// object that is kept, still count.
    /// </summary>
    public class SafeHandleRefCountDisposerShapesTests
    {
        private const string Shapes = @"
sealed class Chunk : SafeHandle
{
    public Chunk(int size) : base(IntPtr.Zero, true) { SetHandle(Native.block_alloc(size)); }
    private Chunk() : base(IntPtr.Zero, false) { }
    public static Chunk None => new Chunk();
    public static readonly Chunk Shared = new Chunk(64);
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
        Native.block_free(handle);
        return true;
    }

    public static Chunk OrNone(byte[]? data) => data == null ? None : new Chunk(data.Length);

    public static Chunk OrShared(byte[]? data) => data == null ? Shared : new Chunk(data.Length);
}

sealed class Window : SafeHandle
{
    public Window(IntPtr at, bool owns) : base(IntPtr.Zero, owns) { SetHandle(at); }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
        Native.block_free(handle);
        return true;
    }
}

sealed class Packet : SafeHandle
{
    private readonly Window _shared = new Window(IntPtr.Zero, true);
    public Packet(int size) : base(IntPtr.Zero, true) { SetHandle(Native.block_alloc(size)); }
    public Window Body => new Window(handle + 8, false);
    public Window Shared => _shared;
    public static Packet Open(int size) => new Packet(size);
    public Window? Maybe(bool any) => any ? new Window(Native.block_alloc(4), true) : null;
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
        Native.block_free(handle);
        return true;
    }
}

sealed class Boxed
{
    public Query Value;
    public Boxed(Query value) { Value = value; }
    public static implicit operator Boxed(Query value) => new Boxed(value);
}

static class Runner
{
    public static int Run(Func<int> read) => read();
}

sealed class Mask
{
    private readonly Bag _own = new Bag();

    public Block ToBlock(Bag bag) => bag.Keep(new Block(8));

    public Block ToBlockOrShared(Bag bag, bool wide) => wide ? bag.Keep(new Block(16)) : bag.Keep(new Block(8));

    public Block BySize(Bag bag, int size) => size switch
    {
        4 => bag.Keep(new Block(4)),
        16 => bag.Keep(new Block(16)),
        _ => throw new ArgumentOutOfRangeException(nameof(size)),
    };

    public Block Unkept(Bag bag) => new Block(8);

    public Block InOwnBag(Bag bag) => _own.Keep(new Block(8));
}

";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<SafeHandleRefCountAnalyzer> { Source = "using System.Linq;\n" + SafeHandleRefCountDisposerTests.Prelude + Shapes + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Reported(int location) => Verify.Diagnostic("IG3006").WithLocation(location);

        [Fact]
        public Task RequestsBuiltInALambdaFromTheCallersBagAreNotShared() => Check(@"
class C
{
    Query[] Build(Bag bag, IEnumerable<byte[]> items)
        => items.Select(b => new Query { Input = bag.Keep(Block.Of(b)).DangerousGetHandle(), Size = b.Length }).ToArray();
}");

        [Fact]
        public Task RequestsBuiltInALambdaFromABagThatIsTheObjectItselfAreNotShared() => Check(@"
sealed class Pack : IDisposable
{
    private readonly List<IDisposable> _held = new List<IDisposable>();

    public T Keep<T>(T item) where T : IDisposable
    {
        _held.Add(item);
        return item;
    }

    public Query[] Requests(IEnumerable<byte[]> items)
        => items.Select(b => new Query { Input = Keep(Block.Of(b)).DangerousGetHandle(), Size = b.Length }).ToArray();

    public void Dispose()
    {
        foreach (var item in _held)
        {
            item.Dispose();
        }
    }
}
");

        [Fact]
        public Task ALambdaOverTheMethodsOwnBagOrARequestObjectStillCounts() => Check(@"
class C
{
    int Own(IEnumerable<byte[]> items)
    {
        using var bag = new Bag();
        var queries = items.Select(b => new Query { Input = {|#0:bag.Keep(Block.Of(b)).DangerousGetHandle()|} }).ToArray();
        return queries.Length;
    }

    Order[] Objects(Bag bag, IEnumerable<byte[]> items)
        => items.Select(b => new Order { Payload = {|#1:bag.Keep(Block.Of(b)).DangerousGetHandle()|} }).ToArray();

    int[] Native(Bag bag, IEnumerable<byte[]> items)
        => items.Select(b => global::Native.block_read({|#2:bag.Keep(Block.Of(b)).DangerousGetHandle()|})).ToArray();
}", Reported(0), Reported(1), Reported(2));

        [Fact]
        public Task ABlockKeptByAHelperInTheBagItIsLentIsNotShared() => Check(@"
class C
{
    int Local(Mask mask)
    {
        using var bag = new Bag();
        return Native.block_read(mask.ToBlock(bag).DangerousGetHandle());
    }

    Query Callers(Bag bag, Mask mask, bool wide)
    {
        var query = new Query();
        query.Input = mask.ToBlock(bag).DangerousGetHandle();
        query.Output = mask.ToBlockOrShared(bag, wide).DangerousGetHandle();
        query.Input = mask.BySize(bag, 4).DangerousGetHandle();
        return query;
    }
}");

        [Fact]
        public Task AHelperThatDoesNotKeepTheBlockInTheBagItIsLentStillCounts() => Check(@"
class C
{
    int Unkept(Mask mask)
    {
        using var bag = new Bag();
        return Native.block_read({|#0:mask.Unkept(bag).DangerousGetHandle()|});
    }

    int OwnBag(Mask mask)
    {
        using var bag = new Bag();
        return Native.block_read({|#1:mask.InOwnBag(bag).DangerousGetHandle()|});
    }
}", Reported(0), Reported(1));

        [Fact]
        public Task ARequestObjectThatStaysInTheMethodWithTheCallersBagIsNotShared() => Check(@"
class C
{
    int Send(Bag bag, int size)
    {
        var order = new Order { Payload = bag.Keep(new Block(size)).DangerousGetHandle() };
        order.Payload = order.Payload;
        return Native.order_run(order);
    }
}");

        [Fact]
        public Task ARequestObjectReturnedWithTheCallersBagStillCounts() => Check(@"
class C
{
    Order Send(Bag bag, int size)
    {
        var order = new Order { Payload = {|#0:bag.Keep(new Block(size)).DangerousGetHandle()|} };
        return order;
    }
}", Reported(0));

        [Fact]
        public Task AStructWrappedInAClassOfTheCompilationStaysLocal() => Check(@"
class C
{
    int Ask(int size, bool boxed)
    {
        using var bag = new Bag();
        Boxed? wrapped = null;
        if (boxed)
        {
            wrapped = new Query { Input = bag.Keep(new Block(size)).DangerousGetHandle() };
        }

        return Native.order_run(new Order()) + Measure(wrapped);
    }

    static int Measure(Boxed? boxed) => boxed?.Value.Size ?? 0;
}");

        [Fact]
        public Task AWrappedStructKeptInAFieldStillCounts() => Check(@"
class C
{
    private Boxed? _kept;

    int Ask(int size)
    {
        using var bag = new Bag();
        Boxed wrapped = new Query { Input = {|#0:bag.Keep(new Block(size)).DangerousGetHandle()|} };
        _kept = wrapped;
        return Native.order_run(new Order());
    }
}", Reported(0));

        [Fact]
        public Task AFactoryThatMayHandOutAHandleOwningNothingStillMakesAFreshOne() => Check(@"
class C
{
    int Send(byte[]? data)
    {
        using var bag = new Bag();
        return Native.block_read(bag.Keep(Chunk.OrNone(data)).DangerousGetHandle());
    }
}");

        [Fact]
        public Task AFactoryThatMayHandOutASharedHandleStillCounts() => Check(@"
class C
{
    int Send(byte[]? data)
    {
        using var bag = new Bag();
        return Native.block_read({|#0:bag.Keep(Chunk.OrShared(data)).DangerousGetHandle()|});
    }
}", Reported(0));

        [Fact]
        public Task ARequestCapturedOnlyToReadAnotherFieldStaysLocal() => Check(@"
class C
{
    int Ask(int size)
    {
        using var bag = new Bag();
        var query = new Query { Input = bag.Keep(new Block(size)).DangerousGetHandle() };
        Native.query_run(ref query);
        return Runner.Run(() => query.Size);
    }
}");

        [Fact]
        public Task ARequestCapturedToReadTheRawValueStillCounts() => Check(@"
class C
{
    int Ask(int size)
    {
        using var bag = new Bag();
        var query = new Query { Input = {|#0:bag.Keep(new Block(size)).DangerousGetHandle()|} };
        Native.query_run(ref query);
        return Runner.Run(() => Native.block_read(query.Input));
    }
}", Reported(0));

        [Fact]
        public Task AViewOfTheMethodsOwnPacketIsNotShared() => Check(@"
class C
{
    int Made(int size)
    {
        using var packet = new Packet(size);
        var query = new Query { Input = packet.Body.DangerousGetHandle(), Size = size };
        return Native.query_run(ref query) + packet.Body.GetHashCode();
    }

    int Opened(int size)
    {
        using var packet = Packet.Open(size);
        if (packet.IsInvalid)
        {
            return 0;
        }

        return Native.block_read(packet.Body.DangerousGetHandle());
    }
}");

        [Fact]
        public Task AViewOfAGivenPacketOrAPropertyThatSharesAHandleStillCounts() => Check(@"
class C
{
    int Given(Packet packet) => Native.block_read({|#0:packet.Body.DangerousGetHandle()|});

    int Shared(int size)
    {
        using var packet = new Packet(size);
        return Native.block_read({|#1:packet.Shared.DangerousGetHandle()|});
    }
}", Reported(0), Reported(1));

        [Fact]
        public Task AViewKeptInALocalOfTheMethodsOwnPacketIsNotShared() => Check(@"
class C
{
    int Kept(int size)
    {
        using var packet = new Packet(size);
        var body = packet.Body;
        var query = new Query { Input = body.DangerousGetHandle(), Size = size };
        return Native.query_run(ref query) + packet.Body.GetHashCode();
    }

    int TwoHops(int size)
    {
        using var packet = Packet.Open(size);
        var body = packet.Body;
        var again = body;
        return Native.block_read(again.DangerousGetHandle());
    }
}");

        [Fact]
        public Task AViewLocalOfAGivenPacketOrOneWrittenAgainStillCounts() => Check(@"
class C
{
    int Given(Packet packet)
    {
        var body = packet.Body;
        return Native.block_read({|#0:body.DangerousGetHandle()|});
    }

    int Replaced(Packet other, int size)
    {
        using var packet = new Packet(size);
        var body = packet.Body;
        if (size > 4)
        {
            body = other.Body;
        }

        return Native.block_read({|#1:body.DangerousGetHandle()|});
    }

    int SharedMember(int size)
    {
        using var packet = new Packet(size);
        var shared = packet.Shared;
        return Native.block_read({|#2:shared.DangerousGetHandle()|});
    }
}", Reported(0), Reported(1), Reported(2));

        [Fact]
        public Task AUsingLocalAskedWhetherThereIsOneIsNotShared() => Check(@"
class C
{
    int Read(Packet? source)
    {
        using var window = source?.Maybe(true);
        if (window != null)
        {
            return Native.block_read(window.DangerousGetHandle());
        }

        return window is null ? 0 : 1;
    }
}");

        [Fact]
        public Task AUsingLocalHandedOnAfterTheTestStillCounts() => Check(@"
class C
{
    private Window? _kept;

    int Read(Packet? source)
    {
        using var window = source?.Maybe(true);
        if (window != null)
        {
            _kept = window;
            return Native.block_read({|#0:window.DangerousGetHandle()|});
        }

        return 0;
    }
}", Reported(0));

        [Fact]
        public Task ABlockLocalDeclaredWithoutAValueAndWrittenByAddersIsHeld() => Check(@"
class C
{
    Query Build(Bag bag, byte[]? data)
    {
        Block block;
        if (data != null)
        {
            block = bag.Keep(Block.Of(data));
        }
        else
        {
            block = bag.Keep(new Block(1));
        }

        return new Query { Input = block.DangerousGetHandle() };
    }
}");

        [Fact]
        public Task ABlockLocalDeclaredWithoutAValueAndGivenOnOneBranchStillCounts() => Check(@"
class C
{
    Query Build(Bag bag, Block given, bool fresh)
    {
        Block block;
        if (fresh)
        {
            block = bag.Keep(new Block(1));
        }
        else
        {
            block = given;
        }

        return new Query { Input = {|#0:block.DangerousGetHandle()|} };
    }
}", Reported(0));
    }
}
