using System.Linq;
using System.Text;

namespace InteropGuard.Cli
{
    /// <summary>The summary as Markdown, for a pull-request comment or a CI job summary.</summary>
    internal static class MarkdownReport
    {
        private const int TopCauses = 25;

        private const int TopFiles = 25;

        public static string Render(AuditSummary summary)
        {
            var text = new StringBuilder();
            text.AppendLine("# InteropGuard audit of `" + summary.Target + "`");
            text.AppendLine();
            text.AppendLine(TextReport.Headline(summary));
            if (summary.All.Count == 0)
            {
                return text.ToString();
            }

            text.AppendLine();
            text.AppendLine("## By rule");
            text.AppendLine();
            text.AppendLine("| Rule | Findings | Baselined | Title | Largest root causes |");
            text.AppendLine("|---|---:|---:|---|---|");
            foreach (var rule in summary.ByRule)
            {
                var causes = string.Join(", ", rule.Causes.Take(3).Select(c => TextReport.N(c.Findings.Count) + " × " + Escape(c.Cause.ToString())));
                text.AppendLine($"| [{rule.RuleId}]({rule.HelpLink}) | {TextReport.N(rule.Reported)} | {TextReport.N(rule.Baselined)} | {Escape(rule.Title)} | {causes}{(rule.Causes.Count > 3 ? ", …" : string.Empty)} |");
            }

            if (summary.Reported.Count == 0)
            {
                return text.ToString();
            }

            text.AppendLine();
            text.AppendLine("## By root cause, largest first");
            text.AppendLine();
            text.AppendLine("| Findings | Rule | Root cause | Files | Example |");
            text.AppendLine("|---:|---|---|---:|---|");
            foreach (var group in summary.Causes.Take(TopCauses))
            {
                var first = group.Findings[0];
                text.AppendLine($"| {TextReport.N(group.Findings.Count)} | [{group.Cause.RuleId}]({AuditSummary.HelpLink(group.Cause.RuleId)}) | {Escape(group.Cause.ToString())} | {group.FileCount} | `{summary.Display(first.File)}{(first.Line > 0 ? ":" + first.Line : string.Empty)}` |");
            }

            text.AppendLine();
            text.AppendLine("## By file");
            text.AppendLine();
            text.AppendLine("| Findings | File |");
            text.AppendLine("|---:|---|");
            foreach (var (file, count) in summary.ByFile.Take(TopFiles))
            {
                text.AppendLine($"| {TextReport.N(count)} | `{summary.Display(file)}` |");
            }

            if (summary.Reported.Count <= TextReport.ListLimit)
            {
                text.AppendLine();
                text.AppendLine("## Findings");
                text.AppendLine();
                foreach (var finding in summary.Reported)
                {
                    text.AppendLine($"- `{finding.Where(summary.BaseDirectory)}` [{finding.RuleId}]({AuditSummary.HelpLink(finding.RuleId)}): {Escape(finding.Message)}");
                }
            }

            return text.ToString();
        }

        private static string Escape(string text) => text.Replace("|", "\\|").Replace("<", "&lt;").Replace(">", "&gt;");
    }
}
