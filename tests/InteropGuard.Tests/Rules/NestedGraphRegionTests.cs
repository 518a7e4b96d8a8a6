using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// A lambda's control-flow graph links its root region to the region of the method around it that holds the lambda:
    /// an exception inside the lambda leaves the lambda, and the walks of the regions around a block stop at its own graph's
    /// root (LLamaSharp's LoadFromFileAsync: a load inside Task.Run's lambda, inside a using, threw IndexOutOfRange in
    /// IG3001's solve when the walk ran the method's finally with the lambda's block numbers).
    /// </summary>
    public class NestedGraphRegionTests
    {
        private const string Source = @"using System;
using System.Runtime.InteropServices;
using System.Threading.Tasks;

class Loader
{
    static void Check(int count) { if (count == 3) throw new InvalidOperationException(); }

    static async Task<int> Load(IDisposable pin, string path)
    {
        using (pin)
        {
            var a = path.Length;
            var b = a * 2;
            return await Task.Run(() =>
            {
                try
                {
                    var block = {|#0:Marshal.AllocHGlobal(16)|};
                    Check(b);
                    Marshal.FreeHGlobal(block);
                    return b;
                }
                catch (InvalidOperationException)
                {
                    throw;
                }
            });
        }
    }
}";

        // The lambda's own leak (Check throws with the block owed) is found, and nothing of the method's finally is read.
        [Fact]
        public Task AnExceptionInALambdaLeavesTheLambdaNotTheMethodsTry() => new AnalyzerTest<OwnershipAnalyzer>
        {
            Source = Source,
            ExpectedDiagnostics = { Verify.Diagnostic("IG3001").WithLocation(0) },
        }.RunAsync();

        // Without a lambda, the catch that only rethrows is the path named.
        [Fact]
        public Task ARethrowOnlyCatchInTheMethodItself() => new AnalyzerTest<OwnershipAnalyzer>
        {
            Source = @"using System;
using System.Runtime.InteropServices;

class Loader
{
    static void Check(int count) { if (count == 3) throw new InvalidOperationException(); }

    static int Load(int b)
    {
        try
        {
            var block = {|#0:Marshal.AllocHGlobal(16)|};
            Check(b);
            Marshal.FreeHGlobal(block);
            return b;
        }
        catch (InvalidOperationException)
        {
            throw;
        }
    }
}",
            ExpectedDiagnostics = { Verify.Diagnostic("IG3001").WithLocation(0) },
        }.RunAsync();

        // The same lambda as a local function: its graph links to the method's regions the same way.
        [Fact]
        public Task AnExceptionInALocalFunctionLeavesTheFunction() => new AnalyzerTest<OwnershipAnalyzer>
        {
            Source = Source
                .Replace("return await Task.Run(() =>", "int Run()")
                .Replace("            });\n        }\n    }\n}", "            }\n            return await Task.Run(Run);\n        }\n    }\n}"),
            ExpectedDiagnostics = { Verify.Diagnostic("IG3001").WithLocation(0) },
        }.RunAsync();
    }
}
