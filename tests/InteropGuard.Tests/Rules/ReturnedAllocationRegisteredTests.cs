using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// A helper that registers the block it allocated with an owner (a method of this compilation that stores the
    /// parameter in a field or a collection) before returning it does not hand its caller an allocation to free: ClrMD's
    /// <c>VTableBuilder.Complete</c>, whose COM wrapper frees every registered interface when it is released. A helper that
    /// only shows the block to a method that reads it still returns an allocation its caller must free.
    /// </summary>
    public class ReturnedAllocationRegisteredTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

sealed class Owner
{
    private readonly Dictionary<Guid, IntPtr> _interfaces = new Dictionary<Guid, IntPtr>();
    private IntPtr _last;

    internal void Register(Guid guid, IntPtr block) => _interfaces.Add(guid, block);

    internal void Remember(IntPtr block) { _last = block; }

    internal int Describe(Guid guid, IntPtr block) => 0;
}

sealed class Builder
{
    private readonly Owner _owner = new Owner();
    private readonly Guid _guid = Guid.NewGuid();

    public IntPtr Complete()
    {
        IntPtr obj = Marshal.AllocHGlobal(IntPtr.Size);
        _owner.Register(_guid, obj);
        return obj;
    }

    public IntPtr Keep()
    {
        IntPtr obj = Marshal.AllocHGlobal(IntPtr.Size);
        _owner.Remember(obj);
        return obj;
    }

    public IntPtr Sketch()
    {
        IntPtr obj = Marshal.AllocHGlobal(IntPtr.Size);
        _owner.Describe(_guid, obj);
        return obj;
    }
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task ABlockRegisteredWithItsOwnerBeforeItIsReturnedIsNotTheCallers() => Check(@"
static class Use
{
    public static void Build(Builder builder)
    {
        builder.Complete();
        builder.Keep();
    }
}");

        [Fact]
        public Task ABlockOnlyShownToAReaderIsStillTheCallers() => Check(@"
static class Use
{
    public static void Build(Builder builder)
    {
        {|#0:builder.Sketch()|};
    }
}", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'Builder.Sketch' that is never stored is not released by 'Marshal.FreeHGlobal' on any path"));
    }
}
