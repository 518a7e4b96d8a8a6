using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace InteropGuard.EndToEnd.Tests
{
    /// <summary>What a consumer of the InteropGuard package gets, read straight from the packed nupkg.</summary>
    public sealed class PackageLayoutTests
    {
        private static readonly string PackageFile = Metadata("InteropGuard.PackageFile");
        private static readonly string RepositoryRoot = Metadata("InteropGuard.RepositoryRoot");
        private static readonly string Configuration = Metadata("InteropGuard.Configuration");

        [Fact]
        public void Package_holds_both_assemblies_as_analyzers_and_nothing_for_the_consumers_runtime()
        {
            using ZipArchive package = ZipFile.OpenRead(PackageFile);
            string[] entries = package.Entries.Select(e => e.FullName).ToArray();
            string listing = string.Join("\n", entries);

            Assert.Contains("analyzers/dotnet/cs/InteropGuard.dll", entries);
            Assert.Contains("analyzers/dotnet/cs/InteropGuard.CodeFixes.dll", entries);
            Assert.Contains("buildTransitive/InteropGuard.props", entries);
            Assert.Contains("README.md", entries);
            Assert.Contains("LICENSE", entries);
            Assert.False(entries.Any(e => e.StartsWith("lib/", StringComparison.Ordinal) || e.StartsWith("ref/", StringComparison.Ordinal)), listing);
            Assert.False(entries.Any(e => e.EndsWith("InteropGuard.Package.dll", StringComparison.Ordinal)), listing);

            ZipArchiveEntry nuspecEntry = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
            using Stream nuspecStream = nuspecEntry.Open();
            XElement metadata = XDocument.Load(nuspecStream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            Assert.Equal("InteropGuard", Value(metadata, "id"));
            Assert.Equal("true", Value(metadata, "developmentDependency"));
            Assert.Equal("README.md", Value(metadata, "readme"));
            Assert.DoesNotContain(metadata.Elements(), e => e.Name.LocalName == "dependencies");
        }

        [Theory]
        [InlineData("InteropGuard")]
        [InlineData("InteropGuard.CodeFixes")]
        public void Packed_analyzer_assemblies_are_the_ones_just_built(string assembly)
        {
            // A stale package would make every end-to-end test exercise old analyzers.
            string built = Path.Combine(RepositoryRoot, "src", assembly, "bin", Configuration, "netstandard2.0", assembly + ".dll");
            using ZipArchive package = ZipFile.OpenRead(PackageFile);
            ZipArchiveEntry entry = package.GetEntry($"analyzers/dotnet/cs/{assembly}.dll")!;
            using var packed = new MemoryStream();
            using (Stream stream = entry.Open())
            {
                stream.CopyTo(packed);
            }

            Assert.True(packed.ToArray().AsSpan().SequenceEqual(File.ReadAllBytes(built)), $"{PackageFile} holds another {assembly}.dll than {built}.");
        }

        [Theory]
        [InlineData("default")]
        [InlineData("strict")]
        [InlineData("none")]
        public void Every_preset_is_a_global_config_and_the_strict_and_none_presets_cover_every_rule(string preset)
        {
            using ZipArchive package = ZipFile.OpenRead(PackageFile);
            ZipArchiveEntry? entry = package.GetEntry($"buildTransitive/presets/{preset}.globalconfig");
            Assert.NotNull(entry);
            using var reader = new StreamReader(entry!.Open());
            string config = reader.ReadToEnd();
            Assert.Contains("is_global = true", config);

            string expectedSeverity = preset switch { "strict" => "error", "none" => "none", _ => "" };
            if (expectedSeverity.Length == 0)
            {
                Assert.DoesNotContain("dotnet_diagnostic.", config);
                return;
            }

            foreach (string id in DescriptorIds())
            {
                Assert.Contains($"dotnet_diagnostic.{id}.severity = {expectedSeverity}", config);
            }
        }

        /// <summary>The ids the analyzers declare, read from the descriptor source so a new rule cannot miss the presets.</summary>
        private static string[] DescriptorIds()
        {
            string source = File.ReadAllText(Path.Combine(RepositoryRoot, "src", "InteropGuard", "Descriptors.cs"));
            string[] ids = Regex.Matches(source, @"id:\s*""(IG\d{4})""").Select(m => m.Groups[1].Value).Distinct().ToArray();
            Assert.NotEmpty(ids);
            return ids;
        }

        private static string? Value(XElement metadata, string name) =>
            metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;

        private static string Metadata(string key) =>
            typeof(PackageLayoutTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
    }
}
