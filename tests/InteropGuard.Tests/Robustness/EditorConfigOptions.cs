using System;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Robustness
{
    /// <summary>
    /// An <c>.editorconfig</c> applied the way the compiler applies it (Roslyn's own parser and section matching),
    /// without a workspace: variants are plain compilations, and the suite compiles too many of them for a workspace each.
    /// </summary>
    public sealed class EditorConfigOptions : AnalyzerConfigOptionsProvider
    {
        private readonly AnalyzerConfigSet? set;

        private EditorConfigOptions(AnalyzerConfigSet? set)
        {
            this.set = set;
        }

        public static EditorConfigOptions Empty { get; } = new EditorConfigOptions(null);

        public override AnalyzerConfigOptions GlobalOptions => set == null ? DictionaryOptions.Empty : new DictionaryOptions(set.GlobalConfigOptions.AnalyzerOptions);

        /// <summary>Bare option lines go under <c>[*.cs]</c>, as <see cref="TestProject"/> does.</summary>
        public static EditorConfigOptions Parse(string text)
        {
            var normalized = text.Contains('[', StringComparison.Ordinal) || text.Contains("is_global", StringComparison.Ordinal)
                ? text
                : "root = true\n\n[*.cs]\n" + text + "\n";
            var config = AnalyzerConfig.Parse(normalized, TestProject.ProjectDirectory + ".editorconfig");
            return new EditorConfigOptions(AnalyzerConfigSet.Create(new[] { config }));
        }

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => ForPath(tree.FilePath);

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => ForPath(textFile.Path);

        private AnalyzerConfigOptions ForPath(string path) =>
            set == null ? DictionaryOptions.Empty : new DictionaryOptions(set.GetOptionsForSourcePath(path).AnalyzerOptions);

        private sealed class DictionaryOptions : AnalyzerConfigOptions
        {
            internal static readonly DictionaryOptions Empty = new DictionaryOptions(ImmutableDictionary<string, string>.Empty);

            private readonly ImmutableDictionary<string, string> values;

            internal DictionaryOptions(ImmutableDictionary<string, string> values)
            {
                this.values = values;
            }

            public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
        }
    }
}
