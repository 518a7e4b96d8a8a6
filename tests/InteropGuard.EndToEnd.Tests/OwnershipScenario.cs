using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using Xunit.Sdk;

namespace InteropGuard.EndToEnd.Tests
{
    /// <summary>
    /// One rule's runtime scenario (the Ownership rules after IG3001, and the Lifetime, Callbacks and Pinning rules): a sample
    /// under samples/ in its unsafe form, what running it prints and exits with, and what the form produced by the
    /// rule's code fix prints (null when the rule has no fix). <see cref="UnsafeStandardError"/> is what the runtime
    /// writes to stderr when the unsafe form fails the process instead of reporting a status of its own.
    /// <see cref="FormatSeverity"/> is the least severity dotnet format is asked to fix: a suggestion-level rule's fix
    /// is only applied when asked for "info". <see cref="RunArguments"/> select the part of a sample that several rules
    /// share (each part ends with its own status line); dotnet format then fixes all of the sample's rules at once.
    /// </summary>
    public sealed record OwnershipScenario(
        string RuleId,
        string Sample,
        int UnsafeExitCode,
        string UnsafeStatus,
        string? FixedStatus,
        string[]? CorrectFormArguments = null,
        string? CorrectStatus = null,
        string FormatSeverity = "warn",
        string? UnsafeStandardError = null,
        string[]? RunArguments = null)
    {
        public const string SourceFile = "Program.cs";

        public static readonly IReadOnlyDictionary<string, OwnershipScenario> All = new[]
        {
            new OwnershipScenario("IG3002", "Ownership.WrongDeallocator", 4,
                "MISMATCH mismatched_frees=4 live_blocks=0", "OK mismatched_frees=0 live_blocks=0"),
            // No fix exists for a use after release; the sample carries the hand-written correct form instead.
            new OwnershipScenario("IG3003", "Ownership.UseAfterRelease", 5,
                "MISUSE uses_after_free=1 double_frees=1 handle_uses_after_close=1 live_blocks=0 handles_open=0", null,
                new[] { "correct" }, "OK uses_after_free=0 double_frees=0 handle_uses_after_close=0 live_blocks=0 handles_open=0"),
            new OwnershipScenario("IG3004", "Ownership.GCHandleLeak", 6,
                "LEAK pinned_buffers_alive=2", "OK pinned_buffers_alive=0"),
            new OwnershipScenario("IG3005", "Ownership.SafeHandleLeak", 7,
                "LEAK handles_open=1 handles_open_after_finalizers=0", "OK handles_open=0"),
            new OwnershipScenario("IG3006", "Ownership.SafeHandleRefCount", 8,
                "USE_AFTER_CLOSE read_state=closed handle_uses_after_close=1 handles_open=0", "OK read_state=open handle_uses_after_close=0 handles_open=0"),
            // IG3007 is a suggestion: the sample's .editorconfig raises it to warning for the CI build and the SARIF log,
            // and dotnet format is asked for "info", as the rule's page tells users to (warn would also do with that file).
            new OwnershipScenario("IG3007", "Ownership.RawHandleField", 9,
                "DOUBLE_CLOSE double_closes_by_dispose=1 double_closes_by_finalizer=1 handles_open=0",
                "OK double_closes_by_dispose=0 double_closes_by_finalizer=0 handles_open=0",
                FormatSeverity: "info"),
            // The unsafe forms of the Lifetime and Callbacks samples are only wrong in optimized code, which
            // SampleCopy.Run gives them (Release build, DOTNET_TieredCompilation=0). The collected delegate and the
            // exception thrown into igsample's frame fail the process fast (SIGABRT: 134), after the last status line.
            // Its "branch" part is the correct form IG1001 leaves alone: the owner is read after the call only on a branch
            // that is not taken, which keeps it live during the call in optimized code (the JIT's liveness is existential).
            new OwnershipScenario("IG1001", "Lifetime.MissingKeepAlive", 10,
                "USE_AFTER_CLOSE read_state=closed handle_uses_after_close=1", "OK read_state=open handle_uses_after_close=0",
                new[] { "branch" }, "OK reads=500 reads_closed=0 handle_uses_after_close=0"),
            new OwnershipScenario("IG1002", "Lifetime.CollectedCallback", 134,
                "FIRE", "OK result=42",
                UnsafeStandardError: "A callback was made on a garbage collected delegate of type 'Lifetime.CollectedCallback!Lifetime.CollectedCallback.Callback::Invoke'"),
            new OwnershipScenario("IG5001", "Callbacks.ExceptionToNative", 134,
                "VISIT records=4", "REPORTED record 2 is corrupt",
                UnsafeStandardError: "Unhandled exception. System.IO.InvalidDataException: record 2 is corrupt"),
            // IG5002 is a suggestion: the sample's .editorconfig raises it to warning, and dotnet format is asked for "info".
            // The library's bridge only forwards to its user's delegate; the user's exception fails the process the same way.
            new OwnershipScenario("IG5002", "Callbacks.UserCallbackThrows", 134,
                "VISIT records=4", "REPORTED record 2 is corrupt",
                FormatSeverity: "info",
                UnsafeStandardError: "Unhandled exception. System.IO.InvalidDataException: record 2 is corrupt"),
            // The Pinning samples: a full compacting GC moves the buffer while native code holds its old address, and
            // allocation starts over where it was, in canary arrays; igsample's write through the stale address lands
            // there. IG2003 and IG2004 have no fix: their samples carry the pattern the rule's page recommends.
            new OwnershipScenario("IG2001", "Pinning.EscapedPointer", 11,
                "MISPLACED written=64 buffer_bytes_filled=0 canary_bytes_overwritten=64", "OK written=64 buffer_bytes_filled=64 canary_bytes_overwritten=0"),
            new OwnershipScenario("IG2002", "Pinning.UnpinnedAddress", 12,
                "MISPLACED written=64 buffer_bytes_filled=0 canary_bytes_overwritten=64", "OK written=64 buffer_bytes_filled=64 canary_bytes_overwritten=0"),
            new OwnershipScenario("IG2003", "Pinning.RetainedBuffer", 13,
                "MISPLACED written=64 buffer_bytes_filled=0 canary_bytes_overwritten=64", null,
                new[] { "correct" }, "OK written=64 buffer_bytes_filled=64 canary_bytes_overwritten=0"),
            new OwnershipScenario("IG2004", "Pinning.ManagedReferences", 14,
                "STALE copied_reference=stale", null,
                new[] { "correct" }, "OK copied_reference=current"),
            // The Marshalling samples. Marshalling.LastError shows IG4001 (its "config" part: the error of a P/Invoke
            // declared without SetLastError is the EACCES an earlier call left) and IG4002 (its "data" part: a logging
            // call between the failed call and the read saves 0 over ENOENT). IG4003 is a suggestion, raised to warning
            // by the sample's .editorconfig: a C bool false with upper-byte garbage reads as true.
            new OwnershipScenario("IG4001", "Marshalling.LastError", 16,
                "WRONG_ERROR part=config expected=2", "OK part=config errno=2", RunArguments: new[] { "config" }),
            new OwnershipScenario("IG4002", "Marshalling.LastError", 16,
                "WRONG_ERROR part=data expected=2", "OK part=data errno=2", RunArguments: new[] { "data" }),
            new OwnershipScenario("IG4003", "Marshalling.BoolReturn", 15,
                "WRONG igs_flag_false=true", "OK igs_flag_false=false", FormatSeverity: "info"),
        }.ToDictionary(s => s.RuleId);

        /// <summary>The scenarios shown by the same sample as this one (itself included), in rule order.</summary>
        public IReadOnlyList<OwnershipScenario> SampleScenarios => All.Values.Where(s => s.Sample == Sample).OrderBy(s => s.RuleId, StringComparer.Ordinal).ToList();

        public static string RepositoryRoot { get; } =
            typeof(OwnershipScenario).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "InteropGuard.RepositoryRoot").Value!;

        private static readonly Lazy<HashSet<string>> DeclaredIds = new Lazy<HashSet<string>>(() =>
        {
            string source = File.ReadAllText(Path.Combine(RepositoryRoot, "src", "InteropGuard", "Descriptors.cs"));
            return new HashSet<string>(Regex.Matches(source, @"id:\s*""(IG\d{4})""").Select(m => m.Groups[1].Value));
        });

        /// <summary>
        /// Whether the analyzers this test run packed declare the rule. The rules of the family land one by one; a
        /// scenario whose rule is not declared yet can still show its misbehaviour, but not a finding or a fix.
        /// </summary>
        public static bool IsDeclared(string ruleId) => DeclaredIds.Value.Contains(ruleId);

        public string RepositorySourceFile => Path.Combine(RepositoryRoot, "samples", Sample, SourceFile);

        /// <summary>A marked line of the sample: where the rule must report, and the variable the finding is about.</summary>
        public sealed record Marker(int Line, string Variable);

        /// <summary>
        /// Lines carrying a "// IGxxxx" comment for this rule. The variable is the one the comment quotes ('name'), or
        /// else the one the line declares, or else the first argument or receiver on it, so a change to the sample
        /// moves the expectation with it.
        /// </summary>
        public IReadOnlyList<Marker> Markers()
        {
            var markers = new List<Marker>();
            string[] lines = File.ReadAllText(RepositorySourceFile).Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                int comment = lines[i].IndexOf("// " + RuleId, StringComparison.Ordinal);
                if (comment < 0)
                {
                    continue;
                }

                string code = lines[i].Substring(0, comment);
                Match named = Regex.Match(lines[i].Substring(comment), @"'(\w+)'");
                Match declared = Regex.Match(code, @"(\w+)\s*=[^=]");
                Match used = Regex.Match(code, @"\((\w+)[.,)]");
                string variable = named.Success ? named.Groups[1].Value : declared.Success ? declared.Groups[1].Value : used.Success ? used.Groups[1].Value : "";
                if (variable.Length == 0)
                {
                    throw new InvalidOperationException($"{Sample}/{SourceFile}:{i + 1} is marked // {RuleId} but names no variable: {lines[i]}");
                }

                markers.Add(new Marker(i + 1, variable));
            }

            return markers;
        }

        public override string ToString() => RuleId + " " + Sample;
    }

    /// <summary>
    /// Supplies one <see cref="OwnershipScenario"/> (by rule id) to a theory. With <see cref="NeedsRule"/>, the row is
    /// skipped, with the reason shown, while the rule is not declared in src/InteropGuard/Descriptors.cs.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
    public sealed class ScenarioAttribute : DataAttribute
    {
        public ScenarioAttribute(string ruleId)
        {
            if (!OwnershipScenario.All.ContainsKey(ruleId))
            {
                throw new ArgumentException($"No Ownership scenario for {ruleId}.", nameof(ruleId));
            }

            RuleId = ruleId;
        }

        public string RuleId { get; }

        public bool NeedsRule { get; set; }

        // Read by xunit at discovery, so the reason is computed from the source the run packed.
        public override string? Skip
        {
            get => NeedsRule && !OwnershipScenario.IsDeclared(RuleId)
                ? $"{RuleId} is not declared in src/InteropGuard/Descriptors.cs on this branch yet (merge main once the rule has landed)"
                : null;
            set => throw new NotSupportedException("The skip reason is computed from the rule's presence.");
        }

        public override IEnumerable<object[]> GetData(MethodInfo testMethod) => new[] { new object[] { RuleId } };
    }
}
