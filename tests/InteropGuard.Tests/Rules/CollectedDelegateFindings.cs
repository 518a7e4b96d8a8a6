using System.Threading.Tasks;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// The run and the IG1002 finding the delegate-lifetime test classes share: each has its own prelude of native
    /// declarations, and the finding's message ends alike in all of them.
    /// </summary>
    internal static class CollectedDelegateFindings
    {
        /// <summary>The end of every IG1002 message, after what keeps or does not keep the delegate.</summary>
        public const string AfterReturn = " after the method returns; once the GC collects it, a call from native code through it crashes the process";

        /// <summary>The end of the message for a delegate nothing keeps.</summary>
        public const string NotKept = " but is not kept reachable" + AfterReturn;

        /// <summary>Runs <typeparamref name="TAnalyzer"/> on <paramref name="source"/> (prelude included) at the latest language version.</summary>
        public static Task Check<TAnalyzer>(string source, params DiagnosticResult[] expected)
            where TAnalyzer : DiagnosticAnalyzer, new()
        {
            var test = new AnalyzerTest<TAnalyzer> { Source = source, LanguageVersion = LanguageVersion.Latest };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        /// <summary>An IG1002 finding at markup <paramref name="location"/> whose message is <paramref name="message"/> followed by <paramref name="end"/>.</summary>
        public static DiagnosticResult Finding(int location, string message, string end = NotKept)
            => Verify.Diagnostic("IG1002").WithLocation(location).WithMessage(message + end);
    }
}
