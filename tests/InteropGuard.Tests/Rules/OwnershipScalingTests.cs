using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using InteropGuard.Flow;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit.Abstractions;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// The Ownership family's path solves stay linear in the number of allocation sites of one method. Asserted on
    /// the engine's transfer count (machine-independent); the analyzer's time is written to the test output only.
    /// </summary>
    [Trait("Category", "Performance")]
    public class OwnershipScalingTests
    {
        private static readonly int[] Sizes = { 20, 40, 80, 160 };

        private readonly ITestOutputHelper _output;

        public OwnershipScalingTests(ITestOutputHelper output)
        {
            _output = output;
        }

        public enum Shape
        {
            /// <summary><c>var p = Alloc(); use(p); Free(p);</c> (a leak if <c>use</c> throws)</summary>
            Sequential,

            /// <summary><c>var p = IntPtr.Zero; try { p = Alloc(); use(p); } finally { Free(p); }</c></summary>
            TryFinally,

            /// <summary>The try/finally pairs inside one loop: every allocation can run again.</summary>
            InLoop,
        }

        [Theory]
        [InlineData(Shape.Sequential)]
        [InlineData(Shape.TryFinally)]
        [InlineData(Shape.InLoop)]
        public async Task TransfersGrowLinearlyWithAllocationSites(Shape shape)
        {
            var transfers = new Dictionary<int, long>();
            foreach (var n in Sizes)
            {
                var (count, time, findings) = await Measure(Source(shape, n));
                // Straight-line pairs leak if 'use' throws (one IG3001 each); try/finally pairs are correct.
                Assert.Equal(shape == Shape.Sequential ? n : 0, findings.Count(d => d.Id == "IG3001"));
                Assert.Equal(findings.Length, findings.Count(d => d.Id == "IG3001"));
                transfers[n] = count;
                _output.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0} N={1}: {2} transfers, {3:F0} ms", shape, n, count, time.TotalMilliseconds));
            }

            var ratio = (double)transfers[160] / transfers[40];
            _output.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0} transfers(160)/transfers(40) = {1:F2}", shape, ratio));
            Assert.True(ratio <= 4.5, $"transfers(160)/transfers(40) = {ratio:F2}: the solves grow faster than the method");
        }

        // 'use' is declared PreserveSig = false: a failure HRESULT becomes an exception, so the call is a throw point
        // (a P/Invoke that returns its status is not one).
        internal static string Source(Shape shape, int sites)
        {
            var text = new StringBuilder(@"using System;
using System.Runtime.InteropServices;
static class Native
{
    [DllImport(""mylib"", PreserveSig = false)] public static extern int use(IntPtr p, int n);
}
class C
{
    void M(int rounds)
    {
");
            var indent = "        ";
            if (shape == Shape.InLoop)
            {
                text.Append("        for (var round = 0; round < rounds; round++)\n        {\n");
                indent = "            ";
            }

            for (var i = 0; i < sites; i++)
            {
                var p = "p" + i.ToString(CultureInfo.InvariantCulture);
                if (shape == Shape.Sequential)
                {
                    text.Append($"        var {p} = Marshal.AllocHGlobal({i + 8});\n");
                    text.Append($"        Native.use({p}, {i});\n");
                    text.Append($"        Marshal.FreeHGlobal({p});\n");
                }
                else
                {
                    text.Append($"{indent}var {p} = IntPtr.Zero;\n");
                    text.Append($"{indent}try\n{indent}{{\n");
                    text.Append($"{indent}    {p} = Marshal.AllocHGlobal({i + 8});\n");
                    text.Append($"{indent}    Native.use({p}, {i});\n");
                    text.Append($"{indent}}}\n{indent}finally\n{indent}{{\n");
                    text.Append($"{indent}    Marshal.FreeHGlobal({p});\n");
                    text.Append($"{indent}}}\n");
                }
            }

            if (shape == Shape.InLoop)
            {
                text.Append("        }\n");
            }

            text.Append("    }\n}\n");
            return text.ToString();
        }

        internal static async Task<(long Transfers, TimeSpan Time, ImmutableArray<Diagnostic> Findings)> Measure(string source, int visitsPerBlock = 64)
        {
            // The solves themselves are measured: the operation-tree shortcut would skip every try/finally pair.
            var budget = new FlowBudget(visitsPerBlock, count: true, readTreeReleases: false);
            var (time, findings) = await Run(source, budget);
            return (budget.Transfers, time, findings);
        }

        /// <summary>The Ownership analyzer's findings on <paramref name="source"/> under <paramref name="budget"/>.</summary>
        internal static async Task<ImmutableArray<Diagnostic>> MeasureWith(string source, FlowBudget budget) => (await Run(source, budget)).Findings;

        private static async Task<(TimeSpan Time, ImmutableArray<Diagnostic> Findings)> Run(string source, FlowBudget budget)
        {
            var project = TestProject.Create(new[] { source }, TestProjectOptions.Default);
            var compilation = (await project.GetCompilationAsync())!;
            Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

            var analyzer = new OwnershipAnalyzer(budget);
            var exceptions = new List<Exception>();
            var options = new CompilationWithAnalyzersOptions(
                project.AnalyzerOptions,
                onAnalyzerException: (exception, _, _) => exceptions.Add(exception),
                concurrentAnalysis: false,
                logAnalyzerExecutionTime: true,
                reportSuppressedDiagnostics: false);
            var withAnalyzers = compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(analyzer), options);
            var findings = await withAnalyzers.GetAnalyzerDiagnosticsAsync();
            Assert.Empty(exceptions);
            var telemetry = await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, default);
            return (telemetry.ExecutionTime, findings);
        }
    }
}
