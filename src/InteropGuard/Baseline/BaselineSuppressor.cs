using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Baseline
{
    /// <summary>
    /// Suppresses the InteropGuard findings listed in the project's baseline file (an additional file that
    /// buildTransitive/InteropGuard.targets adds when one exists), so a build with -warnaserror fails only on new interop
    /// bugs while the recorded ones are worked down. A suppressed finding stays in the SARIF log, marked suppressed.
    /// Without a baseline file the suppressor returns at once: it registers no analysis actions of its own.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class BaselineSuppressor : DiagnosticSuppressor
    {
        /// <summary>One suppression per rule, from every descriptor InteropGuard declares, so a rule added later is covered.</summary>
        private static readonly ImmutableDictionary<string, SuppressionDescriptor> ByRule = typeof(Descriptors)
            .GetFields(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => ((DiagnosticDescriptor)f.GetValue(null)).Id)
            .Distinct(StringComparer.Ordinal)
            .ToImmutableDictionary(
                id => id,
                id => new SuppressionDescriptor("IGB" + id.Substring(2), id, "The finding is recorded in the InteropGuard baseline file; only findings not in it are reported"),
                StringComparer.Ordinal);

        public override ImmutableArray<SuppressionDescriptor> SupportedSuppressions { get; } = ByRule.Values.OrderBy(d => d.Id, StringComparer.Ordinal).ToImmutableArray();

        public override void ReportSuppressions(SuppressionAnalysisContext context)
        {
            var baseline = FindBaseline(context.Options);
            if (baseline == null)
            {
                return;
            }

            // Read on each call rather than cached: analyzers hold no mutable static state, and a build calls this once.
            var keys = Parse(baseline, context.CancellationToken);
            if (keys.Count == 0)
            {
                return;
            }

            var directory = Path.GetDirectoryName(baseline.Path) ?? string.Empty;
            foreach (var diagnostic in context.ReportedDiagnostics)
            {
                if (!ByRule.TryGetValue(diagnostic.Id, out var suppression))
                {
                    continue;
                }

                var tree = diagnostic.Location.SourceTree;
                var key = BaselineKey.For(
                    diagnostic.Id,
                    tree?.FilePath,
                    directory,
                    tree?.GetRoot(context.CancellationToken),
                    diagnostic.Location.SourceSpan.Start,
                    diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
                if (keys.Contains(key))
                {
                    context.ReportSuppression(Suppression.Create(suppression, diagnostic));
                }
            }
        }

        /// <summary>The additional file the build named as the baseline; without the build property (an IDE or a test), one with the default name.</summary>
        private static AdditionalText? FindBaseline(AnalyzerOptions options)
        {
            if (options.AdditionalFiles.IsDefaultOrEmpty)
            {
                return null;
            }

            if (options.AnalyzerConfigOptionsProvider.GlobalOptions.TryGetValue("build_property." + BaselineKey.FileProperty, out var configured)
                && !string.IsNullOrWhiteSpace(configured))
            {
                var named = options.AdditionalFiles.FirstOrDefault(f => SamePath(f.Path, configured));
                if (named != null)
                {
                    return named;
                }
            }

            return options.AdditionalFiles.FirstOrDefault(f => string.Equals(Path.GetFileName(f.Path), BaselineKey.DefaultFileName, StringComparison.OrdinalIgnoreCase));
        }

        private static bool SamePath(string left, string right)
            => string.Equals(left.Replace('\\', '/'), right.Trim().Replace('\\', '/'), StringComparison.OrdinalIgnoreCase);

        private static HashSet<string> Parse(AdditionalText file, System.Threading.CancellationToken cancellationToken)
        {
            var text = file.GetText(cancellationToken);
            var keys = new HashSet<string>(StringComparer.Ordinal);
            if (text != null)
            {
                keys.UnionWith(BaselineKey.ReadKeys(text.Lines.Select(l => l.ToString())));
            }

            return keys;
        }
    }
}
