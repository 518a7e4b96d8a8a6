using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis.CSharp;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1002 on a callback block a method fills on the stack and hands to native code by its address,
    /// <c>register(request, &amp;block)</c>: the function reads the block through the address as it would one given by
    /// <c>ref</c>, so the pointer from <c>Marshal.GetFunctionPointerForDelegate</c> stored in it goes where the call takes
    /// it. A delegate kept in a field stays silent, and so does an address that is kept in a pointer local first (not
    /// followed).
    /// </summary>
    public class CallbackLifetimeStructAddressTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
unsafe delegate void Completed(void* state);
unsafe struct CompletionBlock { public IntPtr OnDone; public void* State; }
unsafe static class Engine
{
    [DllImport(""engine"")] public static extern int engine_request_on_done(IntPtr request, CompletionBlock* block);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<CallbackLifetimeAnalyzer>
            {
                Source = Prelude + source,
                LanguageVersion = LanguageVersion.Latest,
                EditorConfig = "root = true\n[*.cs]\ninteropguard.retaining_functions = engine_request_on_done(2)\n",
            };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task BlockOnTheStackGivenByAddress() => Check(@"
unsafe class Request
{
    IntPtr _request;

    public void OnDone(Action<IntPtr> done)
    {
        var block = new CompletionBlock
        {
            OnDone = Marshal.GetFunctionPointerForDelegate({|#0:(Completed)(state => done((IntPtr)state))|}),
        };
        Engine.engine_request_on_done(_request, &block);
    }

    public void OnDoneLocal(Action<IntPtr> done)
    {
        Completed callback = state => done((IntPtr)state);
        CompletionBlock block;
        block.State = null;
        block.OnDone = Marshal.GetFunctionPointerForDelegate({|#1:callback|});
        Engine.engine_request_on_done(_request, &block);
    }
}", Verify.Diagnostic("IG1002").WithLocation(0), Verify.Diagnostic("IG1002").WithLocation(1));

        [Fact]
        public Task DelegateKeptOrAddressNotFollowed() => Check(@"
unsafe class Request
{
    IntPtr _request;
    Completed? _kept;

    public void OnDone(Action<IntPtr> done)
    {
        _kept = state => done((IntPtr)state);
        var block = new CompletionBlock { OnDone = Marshal.GetFunctionPointerForDelegate(_kept) };
        Engine.engine_request_on_done(_request, &block);
    }

    public void ThroughAPointerLocal(Action<IntPtr> done)
    {
        var block = new CompletionBlock { OnDone = Marshal.GetFunctionPointerForDelegate((Completed)(state => done((IntPtr)state))) };
        CompletionBlock* at = &block;
        Engine.engine_request_on_done(_request, at);
    }
}");
    }
}
