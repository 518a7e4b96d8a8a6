using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using InteropGuard.Baseline;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.Cli
{
    /// <summary>
    /// Writes a baseline: the key of every current finding, baselined ones included (they are still there), so a fixed
    /// finding drops out and the file only ever shrinks as bugs are fixed. Keys come from <see cref="BaselineKey"/>, the
    /// same code the suppressor runs in the compiler, over each file parsed with the symbols its compilation used.
    /// </summary>
    internal static class BaselineFile
    {
        public static readonly string Header = string.Join("\n", new[]
        {
            "# InteropGuard baseline: findings recorded by 'interopguard baseline'. The build reports only findings not listed",
            "# here, so -warnaserror fails on new interop bugs. Rerun 'interopguard baseline' after fixing some: fixed ones drop out.",
            "# One finding per line, tab-separated: rule, file (relative to this folder), containing member, message. See docs/baseline.md.",
        });

        public static IReadOnlyList<string> Keys(IEnumerable<SarifResult> results, string baselineDirectory)
        {
            var trees = new Dictionary<(string File, string Defines), SyntaxNode?>();
            var keys = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var result in results)
            {
                var finding = result.Finding;
                SyntaxNode? root = null;
                var position = 0;
                if (finding.File.Length > 0)
                {
                    var defines = AuditBuild.DefinesOf(result.LogPath);
                    var cacheKey = (finding.File, string.Join(";", defines));
                    if (!trees.TryGetValue(cacheKey, out root))
                    {
                        root = File.Exists(finding.File)
                            ? CSharpSyntaxTree.ParseText(SourceText.From(File.ReadAllText(finding.File)), new CSharpParseOptions(LanguageVersion.Preview, preprocessorSymbols: defines), finding.File).GetRoot()
                            : null;
                        trees[cacheKey] = root;
                    }

                    position = root == null ? 0 : Position(root.SyntaxTree.GetText(), finding.Line, finding.Column);
                }

                keys.Add(BaselineKey.For(finding.RuleId, finding.File.Length == 0 ? null : finding.File, baselineDirectory, root, position, finding.Message));
            }

            return keys.ToList();
        }

        public static string Render(IEnumerable<string> keys) => Header + "\n" + string.Concat(keys.Select(k => k + "\n"));

        /// <summary>The keys of an existing baseline, empty when there is none.</summary>
        public static IReadOnlyList<string> Read(string path)
            => File.Exists(path) ? BaselineKey.ReadKeys(File.ReadAllLines(path)).ToList() : Array.Empty<string>();

        /// <summary>SARIF lines and columns are 1-based UTF-16 positions, as Roslyn's line map counts them.</summary>
        private static int Position(SourceText text, int line, int column)
        {
            if (line < 1 || line > text.Lines.Count)
            {
                return 0;
            }

            var start = text.Lines[line - 1];
            return Math.Min(start.Start + Math.Max(column - 1, 0), start.End);
        }
    }
}
