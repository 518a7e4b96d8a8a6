using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Cli
{
    /// <summary>One rule's line of the summary: its findings, how many of them are baselined, and their root causes.</summary>
    internal sealed record RuleSummary(string RuleId, string Title, string HelpLink, int Reported, int Baselined, IReadOnlyList<RootCauseGroup> Causes);

    /// <summary>What an audit found, in the orders the reports show: rules by id, root causes and files largest first.</summary>
    internal sealed class AuditSummary
    {
        private static readonly IReadOnlyDictionary<string, DiagnosticDescriptor> Rules = typeof(Descriptors)
            .GetFields(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .GroupBy(d => d.Id, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

        public AuditSummary(string target, string baseDirectory, IReadOnlyList<Finding> findings)
        {
            Target = target;
            BaseDirectory = baseDirectory;
            All = findings;
            Reported = findings.Where(f => !f.Baselined).ToList();
            BaselinedCount = findings.Count - Reported.Count;
            Causes = RootCauses.Group(Reported);
            ByRule = findings
                .GroupBy(f => f.RuleId, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new RuleSummary(
                    g.Key,
                    Title(g.Key),
                    HelpLink(g.Key),
                    g.Count(f => !f.Baselined),
                    g.Count(f => f.Baselined),
                    Causes.Where(c => c.Cause.RuleId == g.Key).ToList()))
                .ToList();
            ByFile = Reported
                .GroupBy(f => f.File, StringComparer.Ordinal)
                .Select(g => (File: g.Key, Count: g.Count()))
                .OrderByDescending(g => g.Count)
                .ThenBy(g => g.File, StringComparer.Ordinal)
                .ToList();
        }

        /// <summary>Every InteropGuard rule id this tool knows, for the build's warnings-not-as-errors list.</summary>
        public static IEnumerable<string> KnownRuleIds => Rules.Keys.OrderBy(id => id, StringComparer.Ordinal);

        public string Target { get; }

        public string BaseDirectory { get; }

        public IReadOnlyList<Finding> All { get; }

        /// <summary>The findings the build reports: not in the baseline.</summary>
        public IReadOnlyList<Finding> Reported { get; }

        public int BaselinedCount { get; }

        public IReadOnlyList<RuleSummary> ByRule { get; }

        public IReadOnlyList<RootCauseGroup> Causes { get; }

        public IReadOnlyList<(string File, int Count)> ByFile { get; }

        public int FileCount => ByFile.Count;

        public static string Title(string ruleId) => Rules.TryGetValue(ruleId, out var d) ? d.Title.ToString() : ruleId;

        /// <summary>The rule's page; a rule this tool does not know (a newer analyzer) still gets the page its id names.</summary>
        public static string HelpLink(string ruleId) => Rules.TryGetValue(ruleId, out var d) && !string.IsNullOrEmpty(d.HelpLinkUri) ? d.HelpLinkUri : Descriptors.HelpLink(ruleId);

        public string Display(string file) => file.Length == 0 ? "(project-wide)" : Paths.Display(BaseDirectory, file);
    }
}
