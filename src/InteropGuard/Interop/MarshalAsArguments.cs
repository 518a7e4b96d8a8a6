using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// What a <c>[MarshalAs(kind, Name = value)]</c> on a field or parameter says about the marshalled array: its
    /// <c>SizeConst</c> (a by-value array inline in a struct), its <c>SizeParamIndex</c> (an array as long as another
    /// parameter says). Read from the symbol's attributes, so both a struct field and a delegate's parameter answer alike.
    /// </summary>
    internal static class MarshalAsArguments
    {
        /// <summary>The value of the named argument of a <c>[MarshalAs]</c> of <paramref name="kind"/> among <paramref name="attributes"/>, or null.</summary>
        public static object? Named(ImmutableArray<AttributeData> attributes, UnmanagedType kind, string name)
        {
            foreach (var attribute in attributes)
            {
                if (attribute.AttributeClass?.Name != "MarshalAsAttribute" || attribute.ConstructorArguments.Length != 1
                    || !IsKind(attribute.ConstructorArguments[0].Value, kind))
                {
                    continue;
                }

                foreach (var named in attribute.NamedArguments)
                {
                    if (named.Key == name)
                    {
                        return named.Value.Value;
                    }
                }
            }

            return null;
        }

        // The constructor takes UnmanagedType or its short value.
        private static bool IsKind(object? value, UnmanagedType kind)
            => value switch
            {
                int number => number == (int)kind,
                short number => number == (short)kind,
                _ => false,
            };
    }
}
