using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3004 on a GCHandle's number a helper of the compilation returns (fresh31, a physics binding's user-data
    /// registration): native code can do nothing with the number but keep it and give it back, so a native function given
    /// it (directly, or through a method of the compilation that forwards it) takes the handle over, as it does when given
    /// <c>GCHandle.ToIntPtr(h)</c> made in the body. The number kept from native code on another path, given to managed code
    /// only, and native memory given to a function that only reads it are still reported.
    /// </summary>
    public class HandleNumberHandedToNativeTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
static class Engine
{
    [DllImport(""engine"")] public static extern void body_set_data(IntPtr body, IntPtr data);
    [DllImport(""engine"")] public static extern IntPtr body_get_data(IntPtr body);
    [DllImport(""engine"")] public static extern int body_tag(IntPtr body, IntPtr tag);
    [DllImport(""engine"")] public static extern void body_copy_name(IntPtr body, IntPtr name);

    // Forwards to native code: a method of the compilation the number passes through.
    public static void AttachData(IntPtr body, IntPtr data) => body_set_data(body, data);
}
static class Anchors
{
    // The number of a new normal handle: the caller owns the handle it names.
    public static IntPtr Anchor(object target)
    {
        var handle = GCHandle.Alloc(target);
        return GCHandle.ToIntPtr(handle);
    }

    public static void Drop(IntPtr number) => GCHandle.FromIntPtr(number).Free();
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task AHelpersHandleNumberGivenToANativeSetterIsHandedOver() => Check(@"
class Body
{
    private readonly IntPtr _body;

    public Body(IntPtr body)
    {
        _body = body;
        IntPtr self = Anchors.Anchor(this);
        Engine.body_set_data(_body, self);
    }

    public void Retag(object tag)
    {
        IntPtr number = Anchors.Anchor(tag);
        Engine.body_tag(_body, number);
    }

    public void AttachThroughAWrapper(object data)
    {
        IntPtr number = Anchors.Anchor(data);
        Engine.AttachData(_body, number);
    }

    public void Detach() => Anchors.Drop(Engine.body_get_data(_body));
}");

        [Fact]
        public Task AHelpersHandleNumberNotYetGivenOnAnEarlyReturnIsStillReported() => Check(@"
class Body
{
    private readonly IntPtr _body;

    public Body(IntPtr body) { _body = body; }

    public bool Attach(object data, bool enabled)
    {
        IntPtr number = {|#0:Anchors.Anchor(data)|};
        if (!enabled)
        {
            return false;
        }

        Engine.body_set_data(_body, number);
        return true;
    }
}", Verify.Diagnostic("IG3004").WithLocation(0).WithMessage(
            "The GCHandle in 'number' from 'Anchors.Anchor' is not released by 'GCHandle.Free' on the 'return false' in 'if (!enabled)', so the object it refers to can never be collected"));

        [Fact]
        public Task AHelpersHandleNumberOnlyPrintedIsStillReported() => Check(@"
class Body
{
    public void Trace(object data)
    {
        IntPtr number = {|#0:Anchors.Anchor(data)|};
        Console.WriteLine(number.ToInt64());
    }
}", Verify.Diagnostic("IG3004").WithLocation(0).WithMessage(
            "The GCHandle in 'number' from 'Anchors.Anchor' is not released by 'GCHandle.Free' when the method returns, so the object it refers to can never be collected"));

        [Fact]
        public Task NativeMemoryGivenToAFunctionThatOnlyReadsItIsStillReported() => Check(@"
class Body
{
    private readonly IntPtr _body;

    public Body(IntPtr body) { _body = body; }

    public void CopyName(string name)
    {
        IntPtr text = {|#0:Marshal.StringToHGlobalAnsi(name)|};
        Engine.body_copy_name(_body, text);
    }
}", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'Marshal.StringToHGlobalAnsi' in 'text' is not released by 'Marshal.FreeHGlobal' when the method returns"));
    }
}
