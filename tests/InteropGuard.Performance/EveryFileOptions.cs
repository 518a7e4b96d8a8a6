using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Performance
{
    /// <summary>The same <c>.editorconfig</c> options for every file (<c>--option KEY=VALUE</c>), as a root section <c>[*.cs]</c> would give.</summary>
    internal sealed class EveryFileOptions : AnalyzerConfigOptionsProvider
    {
        private readonly Options _options;

        public EveryFileOptions(IReadOnlyDictionary<string, string> values)
        {
            _options = new Options(values);
        }

        public override AnalyzerConfigOptions GlobalOptions => _options;

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => _options;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => _options;

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
