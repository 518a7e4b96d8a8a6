using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3001 when the pointer is carried to a native call in a field of a local struct passed by reference: the struct
    /// lends the pointer for the call, it does not take the block. Structs that leave the method, are kept by the
    /// callee, or whose field is read back (a release the analysis does not follow) keep the rule silent.
    /// </summary>
    public class StructCarriedPointerTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
[StructLayout(LayoutKind.Sequential)]
struct QueryArgs
{
    public int Size;
    public int Count;
    public IntPtr Items;
}
static class Native
{
    [DllImport(""mylib"")] public static extern int query_items(IntPtr device, ref QueryArgs args);
    [DllImport(""mylib"")] public static extern int register_listener(IntPtr device, ref QueryArgs args);
    public static int Query(IntPtr device, ref QueryArgs args) => query_items(device, ref args);
}
";

        private static Task Check(string source, string? editorConfig, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            if (editorConfig != null)
            {
                test.EditorConfig = editorConfig;
            }

            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task BufferLentThroughAStructFieldIsStillOwned() => Check(@"
class C
{
    int Count(IntPtr device, int count)
    {
        var args = new QueryArgs();
        var items = {|#0:Marshal.AllocHGlobal(16 * count)|};
        args.Size = Marshal.SizeOf(args);
        args.Count = count;
        args.Items = items;
        Native.query_items(device, ref args);
        return args.Count;
    }
}", null, Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'Marshal.AllocHGlobal' in 'items' is not released by 'Marshal.FreeHGlobal' on the 'return args.Count'"));

        [Fact]
        public Task AllocationStoredStraightIntoTheFieldAndPassedThroughAWrapper() => Check(@"
class C
{
    void Query(IntPtr device)
    {
        QueryArgs args = default;
        args.Items = {|#0:Marshal.AllocHGlobal(64)|};
        Native.Query(device, ref args);
    }

    void Initialized(IntPtr device, int count)
    {
        var args = new QueryArgs { Count = count, Items = {|#1:Marshal.AllocHGlobal(64)|} };
        Native.query_items(device, ref args);
    }
}", null,
            Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
                "Native memory from 'Marshal.AllocHGlobal' that is only stored in 'args.Items' is not released by 'Marshal.FreeHGlobal' on any path"),
            Verify.Diagnostic("IG3001").WithLocation(1).WithMessage(
                "Native memory from 'Marshal.AllocHGlobal' that is only stored in 'Items' is not released by 'Marshal.FreeHGlobal' on any path"));

        [Fact]
        public Task StructsThatTakeThePointerAwayOrReleaseItThroughTheField() => Check(@"
class C
{
    QueryArgs _kept;

    // Released through the field: correct, and a release the store cannot be followed to.
    void ReleasedThroughField(IntPtr device)
    {
        var args = new QueryArgs();
        args.Items = Marshal.AllocHGlobal(64);
        try { Native.query_items(device, ref args); }
        finally { Marshal.FreeHGlobal(args.Items); }
    }

    // The struct is returned: the caller gets the block.
    QueryArgs Returned(IntPtr device)
    {
        var args = new QueryArgs();
        args.Items = Marshal.AllocHGlobal(64);
        Native.query_items(device, ref args);
        return args;
    }

    // The struct is stored in a field: the object owns the block now.
    void Stored(IntPtr device)
    {
        var args = new QueryArgs();
        args.Items = Marshal.AllocHGlobal(64);
        Native.query_items(device, ref args);
        _kept = args;
    }

    // The native function keeps what it is given (configured as retaining).
    void Registered(IntPtr device)
    {
        var args = new QueryArgs();
        args.Items = Marshal.AllocHGlobal(64);
        Native.register_listener(device, ref args);
    }
}", "interopguard.retaining_functions = register_listener");
    }
}
