using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Corpus
{
    /// <summary>
    /// Stand-in for InteropGuard.Tests.Verification.AnalyzerRunner (same signature) until the shared verifier is merged.
    /// Delete this file and switch the using when it is.
    /// </summary>
    internal static class LocalAnalyzerRunner
    {
        private static readonly Lazy<ImmutableArray<MetadataReference>> References = new Lazy<ImmutableArray<MetadataReference>>(() =>
            ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
                .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
                .ToImmutableArray());

        internal static async Task<ImmutableArray<Diagnostic>> GetDiagnosticsAsync(
            IEnumerable<DiagnosticAnalyzer> analyzers,
            IEnumerable<string> sources,
            string? editorConfig = null,
            bool allowCompilerErrors = false,
            OutputKind outputKind = OutputKind.DynamicallyLinkedLibrary)
        {
            if (editorConfig != null)
            {
                throw new NotSupportedException("The local runner does not read .editorconfig.");
            }

            var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
            var trees = sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, parseOptions, path: $"/0/Test{i}.cs")).ToList();
            var compilation = CSharpCompilation.Create(
                "TestProject",
                trees,
                References.Value,
                new CSharpCompilationOptions(outputKind, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));

            var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            if (!allowCompilerErrors && errors.Count > 0)
            {
                throw new InvalidOperationException("The test source does not compile:" + Environment.NewLine + string.Join(Environment.NewLine, errors));
            }

            var analyzerArray = analyzers.ToImmutableArray();
            if (analyzerArray.IsEmpty)
            {
                return ImmutableArray<Diagnostic>.Empty;
            }

            var exceptions = new ConcurrentQueue<Diagnostic>();
            var options = new CompilationWithAnalyzersOptions(
                new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
                (exception, analyzer, diagnostic) => exceptions.Enqueue(diagnostic),
                concurrentAnalysis: true,
                logAnalyzerExecutionTime: false);
            var diagnostics = await compilation.WithAnalyzers(analyzerArray, options)
                .GetAnalyzerDiagnosticsAsync(CancellationToken.None)
                .ConfigureAwait(false);
            return diagnostics.AddRange(exceptions);
        }
    }
}
