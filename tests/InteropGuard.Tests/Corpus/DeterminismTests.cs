using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using InteropGuard.Tests.Meta;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis.CSharp;

namespace InteropGuard.Tests.Corpus
{
    /// <summary>
    /// Output is deterministic (DESIGN.md, Architecture): one compilation with findings from every rule gives
    /// byte-identical diagnostics — ids, spans, messages, properties — however concurrent analysis orders its actions,
    /// and no message carries a line number. The source is every rule page's "Before" example plus shapes whose
    /// result depends on the order of actions when an analyzer gets it wrong.
    /// </summary>
    public class DeterminismTests
    {
        private const int Rounds = 30;

        /// <summary>Every rule with findings in source code; a rule missing here would make the check pass vacuously for it.</summary>
        public static readonly IReadOnlyList<string> RuleIds = new[]
        {
            "IG1001", "IG1002", "IG2001", "IG2002", "IG2003", "IG2004",
            "IG3001", "IG3002", "IG3003", "IG3004", "IG3005", "IG3006", "IG3007", "IG5001", "IG5002",
        };

        // One callback handed to native code by several types (IG5001 names one hand-over), and a field filled by two
        // acquire functions of the same name (IG3007 records one pair in its properties).
        private const string OrderSensitiveShapes = @"using System;
using System.Runtime.InteropServices;

namespace Determinism.OrderSensitive;

[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
public delegate void EventCallback(int code);

internal static class Events
{
    [DllImport(""events"")] internal static extern void events_on_open(EventCallback callback);
    [DllImport(""events"")] internal static extern void events_on_read(EventCallback callback);
    [DllImport(""events"")] internal static extern void events_on_write(EventCallback callback);
    [DllImport(""events"")] internal static extern void events_on_seek(EventCallback callback);
    [DllImport(""events"")] internal static extern void events_on_flush(EventCallback callback);
    [DllImport(""events"")] internal static extern void events_on_close(EventCallback callback);
}

public sealed class FlushWatcher { public void Start() => Events.events_on_flush(Handlers.OnEvent); }

public static class Handlers
{
    public static void OnEvent(int code)
    {
        if (code < 0)
        {
            throw new InvalidOperationException(""negative event code"");
        }
    }
}

public sealed class OpenWatcher { public void Start() => Events.events_on_open(Handlers.OnEvent); }
public sealed class ReadWatcher { public void Start() => Events.events_on_read(Handlers.OnEvent); }
public sealed class WriteWatcher { public void Start() => Events.events_on_write(Handlers.OnEvent); }
public sealed class SeekWatcher { public void Start() => Events.events_on_seek(Handlers.OnEvent); }
public sealed class CloseWatcher { public void Start() => Events.events_on_close(Handlers.OnEvent); }

internal static class Microphone
{
    [DllImport(""microphone"")] internal static extern IntPtr device_open();
    [DllImport(""microphone"")] internal static extern void device_close(IntPtr device);
}

internal static class Camera
{
    [DllImport(""camera"")] internal static extern IntPtr device_open();
    [DllImport(""camera"")] internal static extern void device_close(IntPtr device);
}

public sealed class Recorder
{
    private IntPtr _device;

    public void UseMicrophone() { _device = Microphone.device_open(); }

    public void UseCamera() { _device = Camera.device_open(); }
}
";

        private static readonly Regex LineNumber = new Regex(@"\bline\s+\d", RegexOptions.IgnoreCase);

        [Fact]
        public async Task EveryRuleGivesByteIdenticalDiagnosticsOverConcurrentRuns()
        {
            var sources = RuleIds.SelectMany(id => RulePage.Read(RulePage.PathFor(id)).CSharpBlocksUnder("### Before").Select(block => InNamespace(block, "Docs." + id)))
                .Append(OrderSensitiveShapes)
                .ToList();
            var project = TestProject.Create(sources, TestProjectOptions.Default);
            var analyzers = ProductAssemblies.Analyzers.ToImmutableArray();
            var sequential = await AnalyzerRunner.AnalyzeAsync(project, analyzers, allowCompilerErrors: false, "rule pages' examples as one project");

            var missing = RuleIds.Where(id => !sequential.AnalyzerDiagnostics.Any(d => d.Id == id)).ToList();
            Assert.True(missing.Count == 0, $"No finding of {string.Join(", ", missing)}, so the check says nothing about them. Reported:{Environment.NewLine}{ConcurrentAnalysisTests.Describe(sequential.AnalyzerDiagnostics)}");
            var withLines = sequential.AnalyzerDiagnostics.Where(d => LineNumber.IsMatch(d.GetMessage())).ToList();
            Assert.True(withLines.Count == 0, $"Messages name operations, never line numbers:{Environment.NewLine}{ConcurrentAnalysisTests.Describe(withLines)}");

            await ConcurrentAnalysisTests.AssertConcurrentRunsAgreeAsync(sequential, analyzers, Rounds);
        }

        /// <summary>The page's example in a namespace of its own (after its usings), so that all examples compile together.</summary>
        private static string InNamespace(string block, string name)
        {
            var root = SyntaxFactory.ParseCompilationUnit(block);
            Assert.Empty(root.Members.OfType<Microsoft.CodeAnalysis.CSharp.Syntax.BaseNamespaceDeclarationSyntax>());
            var at = root.Usings.Count == 0 ? 0 : root.Usings.Last().FullSpan.End;
            return block.Substring(0, at) + "namespace " + name + ";\n" + block.Substring(at);
        }
    }
}
