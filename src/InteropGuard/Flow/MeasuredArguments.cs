using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// The arguments of one call to a method of this compilation that carry a measurement of another argument: the count
    /// argument is <c>encoding.GetByteCount(s)</c> (or another form <see cref="MeasuredEncodings"/> accepts) of the string
    /// argument <c>s</c>. Generated bindings encode every string through one small helper,
    /// <c>Encode(string s, byte* into, int room)</c>, whose <c>GetBytes</c> can fail only when <c>room</c> is too small; read
    /// with what this call passes, the helper cannot throw. Part of the key of a callee summary, like the never-null
    /// arguments.
    /// </summary>
    internal sealed class MeasuredArguments : System.IEquatable<MeasuredArguments>
    {
        private readonly ImmutableArray<(int Count, int Source, ISymbol Encoding)> _pairs;

        private MeasuredArguments(ImmutableArray<(int, int, ISymbol)> pairs) => _pairs = pairs;

        /// <summary>
        /// The measured arguments of <paramref name="call"/> (a call in its original tree, so that the code before it can be
        /// read), or null when none is: only explicit by-value arguments, counts of an integer type and sources typed
        /// <c>string</c>.
        /// </summary>
        public static MeasuredArguments? Of(IInvocationOperation call, StableValues stable)
        {
            List<(int, int, ISymbol)>? pairs = null;
            foreach (var count in call.Arguments)
            {
                if (count.Parameter is not { RefKind: RefKind.None } countParameter || count.ArgumentKind != ArgumentKind.Explicit
                    || !IsInteger(countParameter.Type) || MeasuredEncodings.EncodingMeasuring(count.Value, stable, call.SemanticModel) is not { } encoding)
                {
                    continue;
                }

                foreach (var source in call.Arguments)
                {
                    if (source.Parameter is { RefKind: RefKind.None, Type.SpecialType: SpecialType.System_String } sourceParameter
                        && source.ArgumentKind == ArgumentKind.Explicit
                        && MeasuredEncodings.IsByteMeasurement(count.Value, encoding, source.Value, stable, call.SemanticModel))
                    {
                        (pairs ??= new List<(int, int, ISymbol)>()).Add((countParameter.Ordinal, sourceParameter.Ordinal, encoding));
                    }
                }
            }

            return pairs == null ? null : new MeasuredArguments(pairs.ToImmutableArray());
        }

        /// <summary>
        /// Whether the caller fills <paramref name="count"/> with the measurement of <paramref name="source"/> by
        /// <paramref name="encoding"/> (both parameters of the method read for this call).
        /// </summary>
        public bool Measures(IParameterSymbol count, IParameterSymbol source, ISymbol encoding)
        {
            if (!SymbolEqualityComparer.Default.Equals(count.ContainingSymbol, source.ContainingSymbol))
            {
                return false;
            }

            foreach (var (c, s, e) in _pairs)
            {
                if (c == count.Ordinal && s == source.Ordinal && SymbolEqualityComparer.Default.Equals(e, encoding))
                {
                    return true;
                }
            }

            return false;
        }

        public bool Equals(MeasuredArguments? other)
        {
            if (other == null || other._pairs.Length != _pairs.Length)
            {
                return false;
            }

            for (var i = 0; i < _pairs.Length; i++)
            {
                if (_pairs[i].Count != other._pairs[i].Count || _pairs[i].Source != other._pairs[i].Source
                    || !SymbolEqualityComparer.Default.Equals(_pairs[i].Encoding, other._pairs[i].Encoding))
                {
                    return false;
                }
            }

            return true;
        }

        public override bool Equals(object? obj) => Equals(obj as MeasuredArguments);

        public override int GetHashCode()
        {
            var hash = 17;
            foreach (var (count, source, encoding) in _pairs)
            {
                hash = unchecked(((hash * 31) + count) * 31 + source + SymbolEqualityComparer.Default.GetHashCode(encoding));
            }

            return hash;
        }

        private static bool IsInteger(ITypeSymbol type)
            => type.SpecialType is SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64 or SpecialType.System_UInt64;
    }
}
