using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Performance
{
    /// <summary>
    /// The options of an <c>.editorconfig</c> file given with <c>--editorconfig FILE</c>, read as if it lay at the root of
    /// the file system: its sections match the source files as a root <c>.editorconfig</c> would (<c>[*.cs]</c> every file,
    /// <c>[NativeSolver.cs]</c> every file of that name), so a code base's options can be stated per file without writing
    /// into its folder. <c>--option KEY=VALUE</c> pairs go on top, for every file.
    /// </summary>
    internal sealed class ConfigFileOptions : AnalyzerConfigOptionsProvider
    {
        private readonly AnalyzerConfigSet _set;
        private readonly IReadOnlyDictionary<string, string> _everyFile;
        private readonly ConditionalWeakTable<SyntaxTree, AnalyzerConfigOptions> _byTree = new ConditionalWeakTable<SyntaxTree, AnalyzerConfigOptions>();
        private readonly Dictionary<string, AnalyzerConfigOptions> _byValues = new Dictionary<string, AnalyzerConfigOptions>();
        private readonly Options _global;

        public ConfigFileOptions(string file, IReadOnlyDictionary<string, string> everyFile)
        {
            _set = AnalyzerConfigSet.Create(new[] { AnalyzerConfig.Parse(File.ReadAllText(file), "/.editorconfig") });
            _everyFile = everyFile;
            _global = new Options(Merge(ImmutableDictionary<string, string>.Empty));
        }

        public override AnalyzerConfigOptions GlobalOptions => _global;

        // Trees under the same sections get one options object, as the compiler hands them (the analyzers key caches by it).
        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => _byTree.GetValue(tree, t =>
        {
            var values = Merge(_set.GetOptionsForSourcePath(Path.GetFullPath(t.FilePath)).AnalyzerOptions);
            var key = string.Join("\u0001", values);
            lock (_byValues)
            {
                if (!_byValues.TryGetValue(key, out var options))
                {
                    _byValues[key] = options = new Options(values);
                }

                return options;
            }
        });

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => _global;

        private ImmutableSortedDictionary<string, string> Merge(ImmutableDictionary<string, string> fromFile)
        {
            var merged = ImmutableSortedDictionary.CreateBuilder<string, string>(System.StringComparer.Ordinal);
            foreach (var pair in fromFile)
            {
                merged[pair.Key] = pair.Value;
            }

            foreach (var pair in _everyFile)
            {
                merged[pair.Key] = pair.Value;
            }

            return merged.ToImmutable();
        }

        private sealed class Options : AnalyzerConfigOptions
        {
            private readonly IReadOnlyDictionary<string, string> _values;

            public Options(IReadOnlyDictionary<string, string> values)
            {
                _values = values;
            }

            public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value) => _values.TryGetValue(key, out value);
        }
    }
}
