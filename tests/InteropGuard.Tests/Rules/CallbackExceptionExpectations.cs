using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// What IG5001's tests of one callback expect: the analyzer run over a whole program (callers pass <c>Prelude + source</c>,
    /// the shape the robustness harvest resolves), and the message of an
    /// <c>[UnmanagedCallersOnly]</c> callback marked <c>{|#0:…|}</c>, with the operation named inside a helper when there is one.
    /// </summary>
    internal static class CallbackExceptionExpectations
    {
        public static Task Check(string program, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<NativeCallbackExceptionAnalyzer> { Source = program };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        public static DiagnosticResult Unmanaged(string callback, string operation, string? inside = null)
            => Verify.Diagnostic("IG5001").WithLocation(0).WithMessage(
                "Callback '" + callback + "' is [UnmanagedCallersOnly], and '" + operation + "' may throw "
                + (inside == null ? string.Empty : "(" + inside + ") ")
                + "outside a catch-all: an exception escaping to native code terminates the process");
    }
}
