using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using InteropGuard.Tests.Corpus;
using InteropGuard.Tests.Meta;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.Tests.Robustness
{
    /// <summary>
    /// Every piece of C# the repository already holds: the sources embedded in the tests (string literals that look
    /// like compilation units, markup stripped), the false-positive corpus, the samples and the docs examples.
    /// Deduplicated by text, in a stable order, so a seed always yields the same variants.
    /// </summary>
    public static class SourceHarvest
    {
        private static readonly Lazy<IReadOnlyList<RobustnessSource>> AllSources = new Lazy<IReadOnlyList<RobustnessSource>>(Harvest);

        public static IReadOnlyList<RobustnessSource> All => AllSources.Value;

        public static RobustnessSource Get(string name) =>
            All.FirstOrDefault(s => s.Name == name) ?? throw new InvalidOperationException($"No robustness source is named '{name}'.");

        private static IReadOnlyList<RobustnessSource> Harvest()
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var names = new Dictionary<string, int>(StringComparer.Ordinal);
            var result = new List<RobustnessSource>();
            foreach (var source in CorpusSources().Concat(SampleSources()).Concat(DocsSources()).Concat(TestLiteralSources()))
            {
                if (seen.Add(TextDiff.NormalizeLineEndings(source.Text).Trim()))
                {
                    // Two sources can start on one line of a test (a source and its fixed form): names replay, so they must differ.
                    int count = names[source.Name] = names.GetValueOrDefault(source.Name) + 1;
                    result.Add(count == 1 ? source : source with { Name = source.Name + "#" + count });
                }
            }

            return result;
        }

        private static IEnumerable<RobustnessSource> CorpusSources() =>
            CorpusCase.Names.Select(CorpusCase.Get).Select(c => Create(
                "corpus/" + c.Name,
                c.Source,
                c.Generated == null ? Array.Empty<string>() : new[] { c.Generated },
                c.EditorConfig));

        private static IEnumerable<RobustnessSource> SampleSources()
        {
            var samples = RepositoryRoot.Combine("samples");
            return Directory.EnumerateFiles(samples, "*.cs", SearchOption.AllDirectories)
                .Where(p => !IsBuildOutput(p))
                .OrderBy(p => p, StringComparer.Ordinal)
                .Where(p => !p.StartsWith(Path.Combine(samples, "native") + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                .Select(p => Create("samples/" + Relative(samples, p), File.ReadAllText(p), SampleCompanions(samples), null));
        }

        /// <summary>The C# half of the sample native library: the Pinning samples link it, and it is harmless beside the others.</summary>
        private static IReadOnlyList<string> SampleCompanions(string samples) =>
            Directory.EnumerateFiles(Path.Combine(samples, "native"), "*.cs").OrderBy(p => p, StringComparer.Ordinal).Select(File.ReadAllText).ToList();

        private static IEnumerable<RobustnessSource> DocsSources()
        {
            var rules = RepositoryRoot.Combine("docs", "rules");
            foreach (var path in Directory.EnumerateFiles(rules, "IG*.md").OrderBy(p => p, StringComparer.Ordinal))
            {
                var page = RulePage.Read(path);
                var id = Path.GetFileNameWithoutExtension(path);
                foreach (var heading in new[] { "### Before", "### After" })
                {
                    var blocks = page.CSharpBlocksUnder(heading);
                    for (int i = 0; i < blocks.Count; i++)
                    {
                        yield return Create($"docs/{id}{heading.Substring(4)}{i}", blocks[i], Array.Empty<string>(), null);
                    }
                }
            }
        }

        private static IEnumerable<RobustnessSource> TestLiteralSources()
        {
            var tests = RepositoryRoot.Combine("tests", "InteropGuard.Tests");
            var excluded = new[] { Path.Combine(tests, "Corpus", "Files"), Path.Combine(tests, "Robustness") };
            return EmbeddedTestSources.Read(tests, p => !IsBuildOutput(p) && !excluded.Any(e => p.StartsWith(e + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
                .Select(s => Create(s.Name, StripMarkup(s.Text), Array.Empty<string>(), null));
        }

        /// <summary>A literal that is not valid markup is used as written: its braces and bars are C#.</summary>
        private static string StripMarkup(string text)
        {
            try
            {
                return Markup.Parse(text).Text;
            }
            catch (VerificationException)
            {
                return text;
            }
        }

        private static RobustnessSource Create(string name, string text, IReadOnlyList<string> companions, string? editorConfig)
        {
            var root = CSharpSyntaxTree.ParseText(text).GetRoot();
            var kind = root.ChildNodes().OfType<GlobalStatementSyntax>().Any() ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary;
            return new RobustnessSource(name, text, companions, editorConfig, kind);
        }

        private static bool IsBuildOutput(string path) =>
            path.Contains(Path.DirectorySeparatorChar + "bin" + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            || path.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal);

        private static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');
    }
}
