using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace InteropGuard.Cli
{
    /// <summary>What a group of findings has in common: "handle 'CvPtr'", "allocator 'Marshal.AllocHGlobal'".</summary>
    internal sealed record RootCause(string RuleId, string Kind, string Name)
    {
        public override string ToString() => Kind + " '" + Name + "'";
    }

    /// <summary>
    /// Derives a finding's root cause from its message alone: the messages name the owner's handle, the native function,
    /// the allocator or the release in quotes (Descriptors.cs), and SARIF carries nothing more. Each rule lists the
    /// phrases around the name that is the shared cause of its findings, most specific first; a message none of them
    /// matches (a rule added later, a reworded message) falls back to its first quoted name, so a finding is never lost
    /// from the summary.
    /// </summary>
    internal static class RootCauses
    {
        private const string Quoted = "'(?<name>[^']+)'";

        private static readonly IReadOnlyDictionary<string, (string Kind, Regex Pattern)[]> Patterns = new Dictionary<string, (string, Regex)[]>(StringComparer.Ordinal)
        {
            ["IG0001"] = new[] { Rule("option", "option " + Quoted) },

            // A class that releases its raw handle in its finalizer (named at the end of the message, IG3008) is the one
            // remedy for all its findings; otherwise the handle accessor ('mat.CvPtr', 'CvPtr', '_handle') is what the
            // owner types of a binding share.
            ["IG1001"] = new[]
            {
                Rule("class releasing its handle in a finalizer", "; " + Quoted + " releases its raw handle in its finalizer"),
                Rule("handle", "receives its handle '(?:[^']*\\.)?(?<name>[^'.]+)'"),
            },
            ["IG1002"] = new[] { Rule("native function", "(?:registered with|passed to|given to|handed to) " + Quoted), Rule("native function", "through " + Quoted) },
            ["IG2001"] = new[] { Rule("pinned", "into " + Quoted) },
            ["IG2002"] = new[] { Rule("address taken by", "^" + Quoted + " takes the address") },
            ["IG2003"] = new[] { Rule("native function", "is given to " + Quoted) },
            ["IG2004"] = new[] { Rule("type", "of " + Quoted + " holds"), Rule("native function", "through " + Quoted) },
            ["IG3001"] = new[] { Rule("allocator", "^Native memory from " + Quoted) },
            ["IG3002"] = new[] { Rule("allocator", "^Native memory from " + Quoted) },
            ["IG3003"] = new[] { Rule("release", "after '(?<name>[^'(]+)(?:\\([^']*)?' released it") },
            ["IG3004"] = new[] { Rule("allocator", "from " + Quoted + " is not released") },
            ["IG3005"] = new[] { Rule("source", "from " + Quoted + " is not disposed"), Rule("ownsHandle: false in", "ownsHandle: false to " + Quoted) },
            ["IG3006"] = new[] { Rule("native function", "is passed to " + Quoted), Rule("DangerousAddRef of", "^'(?<name>[^']+)\\.DangerousAddRef'"), Rule("stored in", "is stored in (?:field |property |the \\w+ parameter )?" + Quoted) },
            ["IG3007"] = new[] { Rule("release function", "ReleaseHandle calls " + Quoted) },
            ["IG4001"] = new[] { Rule("P/Invoke without SetLastError", "reads the last error of " + Quoted) },
            ["IG4002"] = new[] { Rule("overwritten by", "after " + Quoted + "(?: through " + Quoted.Replace("name", "through") + ")?, which") },
            ["IG4003"] = new[] { Rule("function", "of " + Quoted + " is a bool") },
            ["IG3008"] = new[] { Rule("class", "^" + Quoted + " releases its raw handle") },
            ["IG5001"] = new[] { Rule("callback", "^Callback " + Quoted) },
            ["IG5002"] = new[] { Rule("callback", "^Callback " + Quoted) },
        };

        private static readonly Regex FirstQuoted = new Regex(Quoted, RegexOptions.CultureInvariant);

        /// <summary>The root cause of one finding; <c>null</c> only for a message that names nothing in quotes.</summary>
        public static RootCause? Of(string ruleId, string message)
        {
            if (Patterns.TryGetValue(ruleId, out var patterns))
            {
                foreach (var (kind, pattern) in patterns)
                {
                    var match = pattern.Match(message);
                    if (match.Success)
                    {
                        // IG4002: the overwriting call is reached through a helper; the helper is what the findings share.
                        var through = match.Groups["through"];
                        return new RootCause(ruleId, kind, through.Success ? through.Value : match.Groups["name"].Value);
                    }
                }
            }

            var first = FirstQuoted.Match(message);
            return first.Success ? new RootCause(ruleId, "named", first.Groups["name"].Value) : null;
        }

        /// <summary>Groups findings by root cause, largest first; ties in rule, then name order, so the output is stable.</summary>
        public static IReadOnlyList<RootCauseGroup> Group(IEnumerable<Finding> findings)
            => findings
                .GroupBy(f => Of(f.RuleId, f.Message) ?? new RootCause(f.RuleId, "message", f.Message))
                .Select(g => new RootCauseGroup(g.Key, g.ToList()))
                .OrderByDescending(g => g.Findings.Count)
                .ThenBy(g => g.Cause.RuleId, StringComparer.Ordinal)
                .ThenBy(g => g.Cause.Name, StringComparer.Ordinal)
                .ToList();

        private static (string, Regex) Rule(string kind, string pattern) => (kind, new Regex(pattern, RegexOptions.CultureInvariant));
    }

    internal sealed record RootCauseGroup(RootCause Cause, IReadOnlyList<Finding> Findings)
    {
        /// <summary>How many files the group spans: one cause across many files is worth fixing at its source.</summary>
        public int FileCount => Findings.Select(f => f.File).Distinct(StringComparer.Ordinal).Count();
    }
}
