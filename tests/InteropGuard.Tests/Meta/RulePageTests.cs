using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace InteropGuard.Tests.Meta
{
    public class RulePageTests
    {
        public static IEnumerable<object[]> Ids => DescriptorTests.Ids;

        [Theory]
        [MemberData(nameof(Ids))]
        public void EveryRuleHasAPageAtItsHelpLink(string id)
        {
            var helpLink = DescriptorTests.Descriptor(id).HelpLinkUri;
            const string prefix = "https://github.com/InteropGuard/InteropGuard/blob/main/";
            Assert.StartsWith(prefix, helpLink, StringComparison.Ordinal);
            var relative = helpLink.Substring(prefix.Length).Replace('/', Path.DirectorySeparatorChar);
            Assert.True(File.Exists(RepositoryRoot.Combine(relative)), $"{id}: the help link {helpLink} points to {relative}, which does not exist");
        }

        [Theory]
        [MemberData(nameof(Ids))]
        public void PageTitleIsTheDescriptorTitle(string id)
        {
            var page = RulePage.Read(RulePage.PathFor(id));
            Assert.Equal($"# {id}: {DescriptorTests.Descriptor(id).Title}", page.Lines.FirstOrDefault());
        }

        [Theory]
        [MemberData(nameof(Ids))]
        public void MetadataTableMatchesTheDescriptor(string id)
        {
            var descriptor = DescriptorTests.Descriptor(id);
            var page = RulePage.Read(RulePage.PathFor(id));
            Assert.Equal(id, page.Metadata("Id"));
            Assert.Equal(descriptor.Category, page.Metadata("Category"));
            var severity = page.Metadata("Default severity") ?? "";
            Assert.True(
                severity.StartsWith(descriptor.DefaultSeverity.ToString(), StringComparison.Ordinal),
                $"{id}.md states default severity '{severity}'; the descriptor says {descriptor.DefaultSeverity}");
        }

        [Theory]
        [MemberData(nameof(Ids))]
        public void CodeFixRowMatchesTheCodeFixProviders(string id)
        {
            var stated = RulePage.Read(RulePage.PathFor(id)).Metadata("Code fix") ?? "";
            var expected = CodeFixTests.HasCodeFix(id) ? "Yes" : "No";
            Assert.True(
                stated.StartsWith(expected, StringComparison.Ordinal),
                $"{id}.md says Code fix '{stated}', but a code fix provider for {id} {(expected == "Yes" ? "exists" : "does not exist")}");
        }

        [Theory]
        [MemberData(nameof(Ids))]
        public void PageFollowsTheTemplate(string id)
        {
            var expected = RulePage.Read(RepositoryRoot.Combine("docs", "rules", "_template.md")).Headings;
            var actual = RulePage.Read(RulePage.PathFor(id)).Headings;
            Assert.True(
                expected.SequenceEqual(actual),
                $"{id}.md must have the template's sections in order.{Environment.NewLine}Expected:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", expected)}{Environment.NewLine}Actual:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", actual)}");
        }

        [Fact]
        public void EveryRulePageBelongsToARule()
        {
            var ids = ProductCatalog.AllDescriptors.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
            var orphans = Directory.GetFiles(RepositoryRoot.Combine("docs", "rules"), "IG*.md")
                .Select(Path.GetFileNameWithoutExtension)
                .Where(name => !ids.Contains(name!))
                .ToList();
            Assert.True(orphans.Count == 0, "Pages without a descriptor: " + string.Join(", ", orphans));
        }

        [Fact]
        public void RelativeLinksInDocsResolve()
        {
            var files = Directory.GetFiles(RepositoryRoot.Combine("docs"), "*.md", SearchOption.AllDirectories)
                .Append(RepositoryRoot.Combine("README.md"));
            var link = new Regex(@"\]\(([^)\s]+)\)");
            var failures = new List<string>();
            foreach (var file in files)
            {
                foreach (Match match in link.Matches(File.ReadAllText(file)))
                {
                    var target = match.Groups[1].Value;
                    if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("#", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    var withoutAnchor = target.Split('#')[0];
                    var resolved = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, withoutAnchor));
                    if (!File.Exists(resolved) && !Directory.Exists(resolved))
                    {
                        failures.Add($"{Path.GetRelativePath(RepositoryRoot.Path, file)}: link '{target}' does not resolve");
                    }
                }
            }

            Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
        }
    }
}
