using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace InteropGuard.Tests.Meta
{
    /// <summary>
    /// The RS2000-series rules check release tracking only for ids the build sees; this also catches a descriptor whose
    /// category or severity changed without a tracking entry saying so.
    /// </summary>
    public class ReleaseTrackingTests
    {
        private sealed class Entry
        {
            internal Entry(string id, string category, string severity, string file)
            {
                Id = id;
                Category = category;
                Severity = severity;
                File = file;
            }

            internal string Id { get; }
            internal string Category { get; }
            internal string Severity { get; }
            internal string File { get; }
        }

        public static IEnumerable<object[]> Ids => DescriptorTests.Ids;

        [Theory]
        [MemberData(nameof(Ids))]
        public void EveryIdIsTrackedWithItsCategoryAndSeverity(string id)
        {
            var descriptor = DescriptorTests.Descriptor(id);
            var entry = CurrentEntries().GetValueOrDefault(id);
            Assert.True(entry != null, $"{id} is in neither AnalyzerReleases.Unshipped.md nor AnalyzerReleases.Shipped.md");
            Assert.True(
                entry!.Category == descriptor.Category && entry.Severity == descriptor.DefaultSeverity.ToString(),
                $"{entry.File} tracks {id} as {entry.Category}/{entry.Severity}; the descriptor says {descriptor.Category}/{descriptor.DefaultSeverity}");
        }

        [Fact]
        public void EveryTrackedIdHasADescriptor()
        {
            var ids = ProductCatalog.AllDescriptors.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
            var orphans = CurrentEntries().Keys.Where(id => !ids.Contains(id)).ToList();
            Assert.True(orphans.Count == 0, "Tracked but no descriptor (move them to a 'Removed Rules' table): " + string.Join(", ", orphans));
        }

        /// <summary>The latest state of each id: Unshipped overrides Shipped, later tables override earlier ones.</summary>
        private static Dictionary<string, Entry> CurrentEntries()
        {
            var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
            foreach (var file in new[] { "AnalyzerReleases.Shipped.md", "AnalyzerReleases.Unshipped.md" })
            {
                var section = "";
                foreach (var raw in File.ReadAllLines(RepositoryRoot.Combine("src", "InteropGuard", file)))
                {
                    var line = raw.Trim();
                    if (line.StartsWith("###", StringComparison.Ordinal))
                    {
                        section = line.TrimStart('#').Trim();
                        continue;
                    }

                    var cells = line.Split('|').Select(c => c.Trim()).ToArray();
                    if (cells.Length < 3 || !cells[0].StartsWith("IG", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    if (section.StartsWith("Removed", StringComparison.OrdinalIgnoreCase))
                    {
                        entries.Remove(cells[0]);
                    }
                    else
                    {
                        entries[cells[0]] = new Entry(cells[0], cells[1], cells[2], file);
                    }
                }
            }

            return entries;
        }
    }
}
