using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;

namespace InteropGuard.Tests.Corpus
{
    /// <summary>
    /// The corpus of correct interop code. A case is one file, compiled on its own; a file <c>Name.g.cs</c> stands in for
    /// source-generator output (for example the LibraryImport generator's) and is compiled together with <c>Name.cs</c>;
    /// a file <c>Name.editorconfig</c> is the case's .editorconfig (options state facts the code cannot show).
    /// </summary>
    internal sealed class CorpusCase
    {
        private const string Prefix = "Corpus/";

        private CorpusCase(string name, string source, string? generated, string? editorConfig)
        {
            Name = name;
            Source = source;
            Generated = generated;
            EditorConfig = editorConfig;
        }

        internal string Name { get; }

        internal string Source { get; }

        internal string? Generated { get; }

        internal string? EditorConfig { get; }

        internal IEnumerable<string> SourcesWith(string main) => Generated == null ? new[] { main } : new[] { main, Generated };

        internal static IReadOnlyList<string> Names => All.Value.Keys.OrderBy(n => n, StringComparer.Ordinal).ToList();

        internal static CorpusCase Get(string name) => All.Value[name];

        private static readonly Lazy<Dictionary<string, CorpusCase>> All = new Lazy<Dictionary<string, CorpusCase>>(Load);

        private static Dictionary<string, CorpusCase> Load()
        {
            var assembly = typeof(CorpusCase).Assembly;
            var files = assembly.GetManifestResourceNames()
                .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal))
                .ToDictionary(n => n.Substring(Prefix.Length), n => Read(assembly, n), StringComparer.Ordinal);
            return files.Keys
                .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) && !f.EndsWith(".g.cs", StringComparison.Ordinal))
                .Select(f => Path.GetFileNameWithoutExtension(f))
                .ToDictionary(
                    name => name,
                    name => new CorpusCase(name, files[name + ".cs"], files.GetValueOrDefault(name + ".g.cs"), files.GetValueOrDefault(name + ".editorconfig")),
                    StringComparer.Ordinal);
        }

        private static string Read(Assembly assembly, string resource)
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
            return reader.ReadToEnd();
        }
    }
}
