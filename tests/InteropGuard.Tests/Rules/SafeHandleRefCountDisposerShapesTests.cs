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
    }
}
