using System.Globalization;
using System.Linq;
using System.Text;

namespace InteropGuard.Cli
{
    /// <summary>The summary for a terminal: what matters first (root causes, largest first), then where.</summary>
    internal static class TextReport
    {
        /// <summary>Up to this many findings the report lists each one; beyond, SARIF is the place for the full list.</summary>
        public const int ListLimit = 50;

        private const int TopCauses = 15;

        private const int TopFiles = 15;

        public static string Render(AuditSummary summary)
        {
            var text = new StringBuilder();
            text.AppendLine("InteropGuard audit of " + summary.Target);
            text.AppendLine(Headline(summary));
            if (summary.All.Count == 0)
            {
                return text.ToString();
            }

            text.AppendLine();
            text.AppendLine("By rule");
            foreach (var rule in summary.ByRule)
            {
                var baselined = rule.Baselined > 0 ? " (+" + N(rule.Baselined) + " baselined)" : string.Empty;
                text.AppendLine($"  {rule.RuleId}  {N(rule.Reported),6}{baselined}  {rule.Title}");
                if (rule.Causes.Count > 0)
                {
                    var causes = string.Join(", ", rule.Causes.Take(3).Select(c => N(c.Findings.Count) + " × " + c.Cause));
                    text.AppendLine("          " + causes + (rule.Causes.Count > 3 ? ", …" : string.Empty));
                }

                text.AppendLine("          " + rule.HelpLink);
            }

            if (summary.Reported.Count == 0)
            {
                return text.ToString();
            }

            text.AppendLine();
            text.AppendLine("By root cause, largest first");
            foreach (var group in summary.Causes.Take(TopCauses))
            {
                var first = group.Findings[0];
                text.AppendLine($"  {N(group.Findings.Count),6}  {group.Cause.RuleId}  {group.Cause}  in {Files(group.FileCount)}, e.g. {summary.Display(first.File)}{(first.Line > 0 ? ":" + first.Line : string.Empty)}");
            }

            More(text, summary.Causes.Count - TopCauses, "root causes");

            text.AppendLine();
            text.AppendLine("By file");
            foreach (var (file, count) in summary.ByFile.Take(TopFiles))
            {
                text.AppendLine($"  {N(count),6}  {summary.Display(file)}");
            }

            More(text, summary.ByFile.Count - TopFiles, "files");

            text.AppendLine();
            if (summary.Reported.Count <= ListLimit)
            {
                text.AppendLine("Findings");
                foreach (var finding in summary.Reported)
                {
                    text.AppendLine($"  {finding.Where(summary.BaseDirectory)}: {finding.RuleId}: {finding.Message}");
                }
            }
            else
            {
                text.AppendLine($"Every finding with its location: --format sarif --output interopguard.sarif");
            }

            return text.ToString();
        }

        public static string Headline(AuditSummary summary)
        {
            var baselined = summary.BaselinedCount > 0 ? $" ({N(summary.BaselinedCount)} more baselined)" : string.Empty;
            return summary.Reported.Count == 0
                ? "No findings" + baselined + "."
                : $"{N(summary.Reported.Count)} finding{(summary.Reported.Count == 1 ? string.Empty : "s")} in {Files(summary.FileCount)} from {N(summary.Causes.Count)} root cause{(summary.Causes.Count == 1 ? string.Empty : "s")}{baselined}.";
        }

        public static string N(int value) => value.ToString("N0", CultureInfo.InvariantCulture);

        private static string Files(int count) => N(count) + (count == 1 ? " file" : " files");

        private static void More(StringBuilder text, int more, string what)
        {
            if (more > 0)
            {
                text.AppendLine($"  … and {N(more)} more {what}");
            }
        }
    }
}
