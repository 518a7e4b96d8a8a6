using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Interop
{
    /// <summary>A problem found while reading an <c>interopguard.*</c> option: the key, the offending entry, the expected form.</summary>
    internal sealed class OptionProblem : IEquatable<OptionProblem>
    {
        public OptionProblem(string key, string entry, string expected)
        {
            Key = key;
            Entry = entry;
            Expected = expected;
        }

        public string Key { get; }
        public string Entry { get; }
        public string Expected { get; }

        public bool Equals(OptionProblem? other) => other != null && other.Key == Key && other.Entry == Entry;
        public override bool Equals(object? obj) => Equals(obj as OptionProblem);
        public override int GetHashCode() => Key.GetHashCode() ^ Entry.GetHashCode();
    }

    /// <summary>A configured <c>alloc:free</c> pair.</summary>
    internal sealed class ConfiguredAllocatorPair
    {
        public ConfiguredAllocatorPair(string allocator, string release)
        {
            Allocator = allocator;
            Release = release;
        }

        public string Allocator { get; }
        public string Release { get; }
    }

    /// <summary>
    /// The four <c>.editorconfig</c> keys. A key whose value is malformed is ignored as a whole (the rule falls
    /// back to its defaults) and the problem is kept so that IG0001 can name it.
    /// </summary>
    internal sealed class InteropOptions
    {
        public const string RetainingFunctionsKey = "interopguard.retaining_functions";
        public const string NonRetainingFunctionsKey = "interopguard.non_retaining_functions";
        public const string OwnershipTransferFunctionsKey = "interopguard.ownership_transfer_functions";
        public const string AllocatorPairsKey = "interopguard.allocator_pairs";

        internal const string NameListForm = "a comma-separated list of function names (entry point, method name or Type.Method)";
        internal const string PairListForm = "a comma-separated list of 'alloc:free' pairs of function names, e.g. mylib_buf_new:mylib_buf_free";

        public static readonly ImmutableArray<string> Keys = ImmutableArray.Create(
            RetainingFunctionsKey, NonRetainingFunctionsKey, OwnershipTransferFunctionsKey, AllocatorPairsKey);

        public static readonly InteropOptions Default = new InteropOptions(
            FunctionNameSet.Empty, FunctionNameSet.Empty, FunctionNameSet.Empty,
            ImmutableArray<ConfiguredAllocatorPair>.Empty, ImmutableArray<OptionProblem>.Empty);

        // Dotted identifiers; '@' allows verbatim C# names, '`' generic arity in metadata names.
        private static readonly Regex NamePattern = new Regex(@"^@?[\p{L}_][\p{L}\p{Nd}_`]*(\.@?[\p{L}_][\p{L}\p{Nd}_`]*)*$", RegexOptions.CultureInvariant);

        private InteropOptions(
            FunctionNameSet retaining,
            FunctionNameSet nonRetaining,
            FunctionNameSet ownershipTransfer,
            ImmutableArray<ConfiguredAllocatorPair> allocatorPairs,
            ImmutableArray<OptionProblem> problems)
        {
            RetainingFunctions = retaining;
            NonRetainingFunctions = nonRetaining;
            OwnershipTransferFunctions = ownershipTransfer;
            AllocatorPairs = allocatorPairs;
            Problems = problems;
        }

        public FunctionNameSet RetainingFunctions { get; }
        public FunctionNameSet NonRetainingFunctions { get; }
        public FunctionNameSet OwnershipTransferFunctions { get; }
        public ImmutableArray<ConfiguredAllocatorPair> AllocatorPairs { get; }
        public ImmutableArray<OptionProblem> Problems { get; }

        public static InteropOptions Read(AnalyzerConfigOptions options)
        {
            var problems = ImmutableArray.CreateBuilder<OptionProblem>();
            var retaining = ReadNames(options, RetainingFunctionsKey, problems);
            var nonRetaining = ReadNames(options, NonRetainingFunctionsKey, problems);
            var transfer = ReadNames(options, OwnershipTransferFunctionsKey, problems);
            var pairs = ReadPairs(options, problems);
            if (retaining.IsEmpty && nonRetaining.IsEmpty && transfer.IsEmpty && pairs.IsEmpty && problems.Count == 0)
            {
                return Default;
            }

            return new InteropOptions(retaining, nonRetaining, transfer, pairs, problems.ToImmutable());
        }

        private static FunctionNameSet ReadNames(AnalyzerConfigOptions options, string key, ImmutableArray<OptionProblem>.Builder problems)
        {
            if (!options.TryGetValue(key, out var raw) || string.IsNullOrWhiteSpace(raw))
            {
                return FunctionNameSet.Empty;
            }

            var names = new List<string>();
            foreach (var entry in SplitEntries(raw))
            {
                if (!NamePattern.IsMatch(entry))
                {
                    problems.Add(new OptionProblem(key, entry, NameListForm));
                    return FunctionNameSet.Empty;
                }

                names.Add(entry);
            }

            return new FunctionNameSet(names);
        }

        private static ImmutableArray<ConfiguredAllocatorPair> ReadPairs(AnalyzerConfigOptions options, ImmutableArray<OptionProblem>.Builder problems)
        {
            if (!options.TryGetValue(AllocatorPairsKey, out var raw) || string.IsNullOrWhiteSpace(raw))
            {
                return ImmutableArray<ConfiguredAllocatorPair>.Empty;
            }

            var pairs = ImmutableArray.CreateBuilder<ConfiguredAllocatorPair>();
            foreach (var entry in SplitEntries(raw))
            {
                var parts = entry.Split(':');
                if (parts.Length != 2 || !NamePattern.IsMatch(parts[0].Trim()) || !NamePattern.IsMatch(parts[1].Trim()))
                {
                    problems.Add(new OptionProblem(AllocatorPairsKey, entry, PairListForm));
                    return ImmutableArray<ConfiguredAllocatorPair>.Empty;
                }

                pairs.Add(new ConfiguredAllocatorPair(parts[0].Trim(), parts[1].Trim()));
            }

            return pairs.ToImmutable();
        }

        // A trailing comma or doubled comma is a harmless slip; an entry with inner spaces is not.
        private static IEnumerable<string> SplitEntries(string raw)
        {
            foreach (var piece in raw.Split(','))
            {
                var entry = piece.Trim();
                if (entry.Length > 0)
                {
                    yield return entry;
                }
            }
        }
    }
}
