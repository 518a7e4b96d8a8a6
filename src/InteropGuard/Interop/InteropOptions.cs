using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
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
    /// <summary>A type named by <c>interopguard.native_declaring_types</c>, and the native library its methods bind to.</summary>
    internal sealed class NativeDeclaringType
    {
        public NativeDeclaringType(string type, string library)
        {
            Type = type;
            Library = library;
        }

        /// <summary>The type's name, simple or qualified by its namespace.</summary>
        public string Type { get; }

        /// <summary>The library the loader binds the methods to; empty when not given.</summary>
        public string Library { get; }

        public bool Names(INamedTypeSymbol type)
            => Type.IndexOf('.') < 0 ? type.Name == Type : type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat) == Type;
    }

    internal sealed class InteropOptions
    {
        public const string RetainingFunctionsKey = "interopguard.retaining_functions";
        public const string NonRetainingFunctionsKey = "interopguard.non_retaining_functions";
        public const string OwnershipTransferFunctionsKey = "interopguard.ownership_transfer_functions";
        public const string AllocatorPairsKey = "interopguard.allocator_pairs";
        public const string NativeDeclaringTypesKey = "interopguard.native_declaring_types";
        public const string DeferredReleaseFunctionsKey = "interopguard.deferred_release_functions";

        internal const string NameListForm = "a comma-separated list of function names (entry point, method name or Type.Method)";
        internal const string ParameterListForm = "a comma-separated list of function names (entry point, method name or Type.Method), each alone (all its parameters) or with the parameters meant: positions counted from 1, 'f(2)' or 'f(2,3)', or a parameter name, 'f:callback'";
        internal const string ZeroPositionForm = "parameter positions counted from 1 ('f(1)' is the first parameter)";
        internal const string NamedPositionForm = "a number in parentheses ('f(2)'); a parameter is named with a colon ('f:callback')";
        internal const string NumberedNameForm = "a parameter name after the colon ('f:callback'); a position goes in parentheses ('f(2)')";
        internal const string PairListForm = "a comma-separated list of 'alloc:free' pairs of function names, e.g. mylib_buf_new:mylib_buf_free";
        internal const string TypeListForm = "a comma-separated list of type names, each alone or with its native library after a colon, e.g. MyLib.Native:mylib";
        internal const string PatternListForm = "a comma-separated list of function names (entry point, method name or Type.Method), where '*' stands for any run of characters of a name and a name is more than '*', e.g. Z3_dec_ref, Z3_*_dec_ref";

        public static readonly ImmutableArray<string> Keys = ImmutableArray.Create(
            RetainingFunctionsKey, NonRetainingFunctionsKey, OwnershipTransferFunctionsKey, AllocatorPairsKey, NativeDeclaringTypesKey, DeferredReleaseFunctionsKey);

        public static readonly InteropOptions Default = new InteropOptions(
            FunctionParameterSet.Empty, FunctionParameterSet.Empty, FunctionNameSet.Empty,
            ImmutableArray<ConfiguredAllocatorPair>.Empty, ImmutableArray<NativeDeclaringType>.Empty, FunctionNameSet.Empty, ImmutableArray<OptionProblem>.Empty);

        private InteropOptions(
            FunctionParameterSet retaining,
            FunctionParameterSet nonRetaining,
            FunctionNameSet ownershipTransfer,
            ImmutableArray<ConfiguredAllocatorPair> allocatorPairs,
            ImmutableArray<NativeDeclaringType> nativeDeclaringTypes,
            FunctionNameSet deferredReleases,
            ImmutableArray<OptionProblem> problems)
        {
            DeferredReleaseFunctions = deferredReleases;
            NativeDeclaringTypes = nativeDeclaringTypes;
            RetainingFunctions = retaining;
            NonRetainingFunctions = nonRetaining;
            OwnershipTransferFunctions = ownershipTransfer;
            AllocatorPairs = allocatorPairs;
            Problems = problems;
        }

        /// <summary><c>interopguard.retaining_functions</c>: per function, all its parameters or the listed ones.</summary>
        public FunctionParameterSet RetainingFunctions { get; }

        /// <summary><c>interopguard.non_retaining_functions</c>: per function, all its parameters or the listed ones.</summary>
        public FunctionParameterSet NonRetainingFunctions { get; }
        public FunctionNameSet OwnershipTransferFunctions { get; }
        public ImmutableArray<ConfiguredAllocatorPair> AllocatorPairs { get; }
        public ImmutableArray<OptionProblem> Problems { get; }

        /// <summary>
        /// <c>interopguard.native_declaring_types</c>: types whose body-less (abstract) methods a loader of the project
        /// implements at run time with the native export of the method's name (rocksdb-sharp's <c>Native</c>).
        /// </summary>
        public ImmutableArray<NativeDeclaringType> NativeDeclaringTypes { get; }

        /// <summary>
        /// <c>interopguard.deferred_release_functions</c>: release functions that only queue the release when called from
        /// another thread (a finalizer's), the library freeing the object later on the thread that uses it (Z3's
        /// <c>Z3_dec_ref</c> once the context enables concurrent decrements). Names may hold <c>*</c>.
        /// </summary>
        public FunctionNameSet DeferredReleaseFunctions { get; }

        public static InteropOptions Read(AnalyzerConfigOptions options)
        {
            var problems = ImmutableArray.CreateBuilder<OptionProblem>();
            var retaining = ReadParameterNames(options, RetainingFunctionsKey, problems);
            var nonRetaining = ReadParameterNames(options, NonRetainingFunctionsKey, problems);
            var transfer = ReadNames(options, OwnershipTransferFunctionsKey, problems);
            var pairs = ReadPairs(options, problems);
            var declaring = ReadDeclaringTypes(options, problems);
            var deferred = ReadNames(options, DeferredReleaseFunctionsKey, problems, patterns: true);
            if (retaining.IsEmpty && nonRetaining.IsEmpty && transfer.IsEmpty && pairs.IsEmpty && declaring.IsEmpty && deferred.IsEmpty && problems.Count == 0)
            {
                return Default;
            }

            return new InteropOptions(retaining, nonRetaining, transfer, pairs, declaring, deferred, problems.ToImmutable());
        }

        /// <param name="patterns">
        /// Whether <c>*</c> may stand for any run of characters of a name (<c>Z3_*_dec_ref</c>). An entry of nothing but
        /// <c>*</c> and dots would name every function: reported, since turning the rule off says that more plainly.
        /// </param>
        private static FunctionNameSet ReadNames(AnalyzerConfigOptions options, string key, ImmutableArray<OptionProblem>.Builder problems, bool patterns = false)
        {
            if (!options.TryGetValue(key, out var raw) || string.IsNullOrWhiteSpace(raw))
            {
                return FunctionNameSet.Empty;
            }

            var names = new List<string>();
            foreach (var entry in SplitEntries(raw))
            {
                if (patterns ? !Patterns.NamePattern.IsMatch(entry) || entry.All(c => c is '*' or '.') : !Patterns.Name.IsMatch(entry))
                {
                    problems.Add(new OptionProblem(key, entry, patterns ? PatternListForm : NameListForm));
                    return FunctionNameSet.Empty;
                }

                names.Add(entry);
            }

            return new FunctionNameSet(names);
        }

        private static FunctionParameterSet ReadParameterNames(AnalyzerConfigOptions options, string key, ImmutableArray<OptionProblem>.Builder problems)
        {
            if (!options.TryGetValue(key, out var raw) || string.IsNullOrWhiteSpace(raw))
            {
                return FunctionParameterSet.Empty;
            }

            var entries = ImmutableArray.CreateBuilder<FunctionParameterEntry>();
            foreach (var entry in SplitEntriesOutsideParentheses(raw))
            {
                var parsed = ParseParameterEntry(entry, out var expected);
                if (parsed == null)
                {
                    problems.Add(new OptionProblem(key, entry, expected));
                    return FunctionParameterSet.Empty;
                }

                entries.Add(parsed);
            }

            return new FunctionParameterSet(entries.ToImmutable());
        }

        /// <summary>
        /// <c>f</c>, <c>f(2)</c>, <c>f(2, 4)</c> or <c>f:name</c>. Positions count from 1, as people count parameters: a 0 is
        /// the one mistake the reader can tell from intent (someone counting from 0), so it is reported rather than guessed.
        /// </summary>
        private static FunctionParameterEntry? ParseParameterEntry(string entry, out string expected)
        {
            expected = ParameterListForm;
            var open = entry.IndexOf('(');
            var colon = entry.IndexOf(':');
            if (open < 0 && colon < 0)
            {
                return Patterns.Name.IsMatch(entry) ? new FunctionParameterEntry(entry, ImmutableArray<int>.Empty, null) : null;
            }

            if (open >= 0 && colon < 0)
            {
                var function = entry.Substring(0, open).Trim();
                if (!Patterns.Name.IsMatch(function) || !entry.EndsWith(")", StringComparison.Ordinal))
                {
                    return null;
                }

                var positions = ImmutableArray.CreateBuilder<int>();
                foreach (var piece in entry.Substring(open + 1, entry.Length - open - 2).Split(','))
                {
                    var text = piece.Trim();
                    if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var position))
                    {
                        if (Patterns.ParameterName.IsMatch(text))
                        {
                            expected = NamedPositionForm;
                        }

                        return null;
                    }

                    if (position == 0)
                    {
                        expected = ZeroPositionForm;
                        return null;
                    }

                    positions.Add(position);
                }

                return new FunctionParameterEntry(function, positions.ToImmutable(), null);
            }

            if (colon >= 0 && open < 0)
            {
                var function = entry.Substring(0, colon).Trim();
                var parameter = entry.Substring(colon + 1).Trim();
                if (!Patterns.Name.IsMatch(function))
                {
                    return null;
                }

                if (!Patterns.ParameterName.IsMatch(parameter))
                {
                    if (parameter.Length > 0 && parameter.All(char.IsDigit))
                    {
                        expected = NumberedNameForm;
                    }

                    return null;
                }

                return new FunctionParameterEntry(function, ImmutableArray<int>.Empty, parameter.TrimStart('@'));
            }

            return null;
        }

        // Commas separate entries, except inside the parentheses of 'f(2,3)'.
        private static IEnumerable<string> SplitEntriesOutsideParentheses(string raw)
        {
            var depth = 0;
            var start = 0;
            for (var i = 0; i <= raw.Length; i++)
            {
                if (i < raw.Length)
                {
                    var c = raw[i];
                    if (c == '(')
                    {
                        depth++;
                    }
                    else if (c == ')' && depth > 0)
                    {
                        depth--;
                    }

                    if (c != ',' || depth > 0)
                    {
                        continue;
                    }
                }

                var entry = raw.Substring(start, i - start).Trim();
                if (entry.Length > 0)
                {
                    yield return entry;
                }

                start = i + 1;
            }
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
                if (parts.Length != 2 || !Patterns.Name.IsMatch(parts[0].Trim()) || !Patterns.Name.IsMatch(parts[1].Trim()))
                {
                    problems.Add(new OptionProblem(AllocatorPairsKey, entry, PairListForm));
                    return ImmutableArray<ConfiguredAllocatorPair>.Empty;
                }

                pairs.Add(new ConfiguredAllocatorPair(parts[0].Trim(), parts[1].Trim()));
            }

            return pairs.ToImmutable();
        }

        private static ImmutableArray<NativeDeclaringType> ReadDeclaringTypes(AnalyzerConfigOptions options, ImmutableArray<OptionProblem>.Builder problems)
        {
            if (!options.TryGetValue(NativeDeclaringTypesKey, out var raw) || string.IsNullOrWhiteSpace(raw))
            {
                return ImmutableArray<NativeDeclaringType>.Empty;
            }

            var types = ImmutableArray.CreateBuilder<NativeDeclaringType>();
            foreach (var entry in SplitEntries(raw))
            {
                var colon = entry.IndexOf(':');
                var type = (colon < 0 ? entry : entry.Substring(0, colon)).Trim();
                var library = colon < 0 ? string.Empty : entry.Substring(colon + 1).Trim();
                if (!Patterns.Name.IsMatch(type) || (colon >= 0 && (library.Length == 0 || library.IndexOf(':') >= 0)))
                {
                    problems.Add(new OptionProblem(NativeDeclaringTypesKey, entry, TypeListForm));
                    return ImmutableArray<NativeDeclaringType>.Empty;
                }

                types.Add(new NativeDeclaringType(type, library));
            }

            return types.ToImmutable();
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

        // Built on the first option value read, not by the static constructor: every compilation reads every tree's options
        // (IG0001), almost always to find no value, and the patterns cost about 2.5 ms of a fresh process to build (measured with two).
        private static class Patterns
        {
            // Dotted identifiers; '@' allows verbatim C# names, '`' generic arity in metadata names.
            public static readonly Regex Name = new Regex(@"^@?[\p{L}_][\p{L}\p{Nd}_`]*(\.@?[\p{L}_][\p{L}\p{Nd}_`]*)*$", RegexOptions.CultureInvariant);

            // Name with '*' standing for any run of characters inside a dotted part.
            public static readonly Regex NamePattern = new Regex(@"^@?[\p{L}_*][\p{L}\p{Nd}_`*]*(\.@?[\p{L}_*][\p{L}\p{Nd}_`*]*)*$", RegexOptions.CultureInvariant);

            // A parameter name: a C# identifier, '@' for a verbatim one.
            public static readonly Regex ParameterName = new Regex(@"^@?[\p{L}_][\p{L}\p{Nd}_]*$", RegexOptions.CultureInvariant);
        }
    }
}
