using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace InteropGuard.Tests.Meta
{
    /// <summary>A docs/rules page read the way the meta tests need it: headings, metadata table, example code blocks.</summary>
    internal sealed class RulePage
    {
        private RulePage(string path, string[] lines)
        {
            Path = path;
            Lines = lines;
        }

        internal string Path { get; }

        internal string[] Lines { get; }

        internal static string PathFor(string id) => RepositoryRoot.Combine("docs", "rules", id + ".md");

        internal static RulePage Read(string path) => new RulePage(path, File.ReadAllLines(path));

        /// <summary>"##" and "###" headings outside fenced code blocks, in order.</summary>
        internal IReadOnlyList<string> Headings =>
            OutsideFences().Where(l => l.StartsWith("## ", StringComparison.Ordinal) || l.StartsWith("### ", StringComparison.Ordinal))
                .Select(l => l.TrimEnd())
                .ToList();

        /// <summary>The value cell of the metadata table row whose first cell is <paramref name="property"/>.</summary>
        internal string? Metadata(string property)
        {
            foreach (var line in OutsideFences())
            {
                var cells = line.Split('|');
                if (cells.Length >= 4 && line.TrimStart().StartsWith("|", StringComparison.Ordinal) && cells[1].Trim() == property)
                {
                    return cells[2].Trim();
                }
            }

            return null;
        }

        /// <summary>The <c>csharp</c> code blocks under the given "###" heading.</summary>
        internal IReadOnlyList<string> CSharpBlocksUnder(string heading)
        {
            var blocks = new List<string>();
            string? current = null;
            StringBuilder? block = null;
            foreach (var line in Lines)
            {
                if (block != null)
                {
                    if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
                    {
                        blocks.Add(block.ToString());
                        block = null;
                    }
                    else
                    {
                        block.AppendLine(line);
                    }

                    continue;
                }

                if (line.StartsWith("#", StringComparison.Ordinal))
                {
                    current = line.TrimEnd();
                }
                else if (line.TrimStart().StartsWith("```csharp", StringComparison.Ordinal) && current == heading)
                {
                    block = new StringBuilder();
                }
            }

            return blocks;
        }

        private IEnumerable<string> OutsideFences()
        {
            var inFence = false;
            foreach (var line in Lines)
            {
                if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
                {
                    inFence = !inFence;
                    continue;
                }

                if (!inFence)
                {
                    yield return line;
                }
            }
        }
    }
}
