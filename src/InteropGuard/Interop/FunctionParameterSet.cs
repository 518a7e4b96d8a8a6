using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// An entry of <c>interopguard.retaining_functions</c> / <c>non_retaining_functions</c>: a function name (as in
    /// <see cref="FunctionNameSet"/>), alone — every parameter — or with the parameters it is about, by 1-based position
    /// (<c>f(2)</c>, <c>f(2,4)</c>) or by name (<c>f:callback</c>).
    /// </summary>
    internal sealed class FunctionParameterEntry
    {
        public FunctionParameterEntry(string function, ImmutableArray<int> positions, string? parameterName)
        {
            Function = function;
            Positions = positions;
            ParameterName = parameterName;
        }

        public string Function { get; }

        /// <summary>1-based positions, as a person counts the parameters of the declaration; empty when none is given.</summary>
        public ImmutableArray<int> Positions { get; }

        public string? ParameterName { get; }

        public bool IsWholeFunction => Positions.IsEmpty && ParameterName == null;

        public bool Covers(IParameterSymbol parameter)
            => IsWholeFunction
               || Positions.Contains(parameter.Ordinal + 1)
               || (ParameterName != null && string.Equals(ParameterName, parameter.Name, StringComparison.Ordinal));
    }

    /// <summary>What an option says about one function: nothing, all its parameters, or some of them.</summary>
    internal readonly struct ParameterSelection
    {
        private readonly ImmutableArray<FunctionParameterEntry> _entries;

        public ParameterSelection(ImmutableArray<FunctionParameterEntry> entries)
        {
            _entries = entries;
        }

        public bool IsListed => !_entries.IsDefaultOrEmpty;

        public bool IsWholeFunction => IsListed && _entries.Any(e => e.IsWholeFunction);

        public bool Covers(IParameterSymbol parameter) => IsListed && _entries.Any(e => e.Covers(parameter));
    }

    /// <summary>The entries of one per-parameter option, matched against methods by <see cref="FunctionNameSet"/>'s rules.</summary>
    internal sealed class FunctionParameterSet
    {
        public static readonly FunctionParameterSet Empty = new FunctionParameterSet(ImmutableArray<FunctionParameterEntry>.Empty);

        private readonly ImmutableArray<FunctionParameterEntry> _entries;
        private readonly FunctionNameSet _names;

        public FunctionParameterSet(ImmutableArray<FunctionParameterEntry> entries)
        {
            _entries = entries;
            _names = new FunctionNameSet(entries.Select(e => e.Function));
        }

        public bool IsEmpty => _entries.IsEmpty;

        /// <summary>The entries that name <paramref name="method"/> (by entry point, name, Type.Method or qualified name).</summary>
        public ParameterSelection For(IMethodSymbol method, string? entryPoint)
        {
            // One set lookup rules out the usual case, a function the option does not name.
            if (!_names.Contains(method, entryPoint))
            {
                return default;
            }

            var matching = ImmutableArray.CreateBuilder<FunctionParameterEntry>();
            foreach (var entry in _entries)
            {
                if (FunctionNameSet.NameMatches(entry.Function, method, entryPoint))
                {
                    matching.Add(entry);
                }
            }

            return new ParameterSelection(matching.ToImmutable());
        }

        internal IEnumerable<FunctionParameterEntry> Entries => _entries;
    }
}
