using System;
using System.IO;
using System.Linq;
using System.Text;

namespace InteropGuard.Tests.Meta
{
    public class ReadmeTests
    {
        private const string Begin = "<!-- rules:begin -->";
        private const string End = "<!-- rules:end -->";

        [Fact]
        public void RuleTableIsGeneratedFromTheDescriptors()
        {
            var readme = File.ReadAllText(RepositoryRoot.Combine("README.md")).Replace("\r\n", "\n");
            var begin = readme.IndexOf(Begin, StringComparison.Ordinal);
            var end = readme.IndexOf(End, StringComparison.Ordinal);
            Assert.True(begin >= 0 && end > begin, $"README.md must contain the rule table between '{Begin}' and '{End}'");

            var actual = readme.Substring(begin + Begin.Length, end - begin - Begin.Length).Trim('\n');
            var expected = GenerateTable();
            Assert.True(
                expected == actual,
                $"The README rule table is out of date. Paste this between the markers:{Environment.NewLine}{expected}");
        }

        private static string GenerateTable()
        {
            var table = new StringBuilder();
            table.Append("| Id | Title | Category | Default severity | Code fix | Docs |\n");
            table.Append("|---|---|---|---|---|---|\n");
            foreach (var d in ProductCatalog.AllDescriptors.OrderBy(d => d.Id, StringComparer.Ordinal))
            {
                table.Append($"| {d.Id} | {d.Title} | {d.Category} | {d.DefaultSeverity} | {(CodeFixTests.HasCodeFix(d.Id) ? "yes" : "no")} | [{d.Id}](docs/rules/{d.Id}.md) |\n");
            }

            return table.ToString().TrimEnd('\n');
        }
    }
}
