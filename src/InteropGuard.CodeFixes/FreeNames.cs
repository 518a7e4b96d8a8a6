using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// Names for what a fix introduces (a local, a field). A name is free when it is not a keyword, not written as an
    /// identifier anywhere in the scope the new declaration lives in (so it neither shadows nor is shadowed by a later
    /// declaration the semantic model cannot see from the insertion point), not a symbol visible at the insertion point,
    /// and not handed out already by the same batch of fixes. Preferred names are tried in order, then the first one
    /// numbered from 2.
    /// </summary>
    internal static class FreeNames
    {
        public static string Pick(IReadOnlyList<string> preferred, Func<string, bool> isTaken)
        {
            foreach (var name in preferred)
            {
                if (IsUsable(name, isTaken))
                {
                    return name;
                }
            }

            for (var i = 2; ; i++)
            {
                var name = preferred[0] + i;
                if (IsUsable(name, isTaken))
                {
                    return name;
                }
            }
        }

        /// <summary>Every identifier written in <paramref name="scope"/>: declarations and references alike.</summary>
        public static HashSet<string> WrittenIn(SyntaxNode scope)
            => new HashSet<string>(scope.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken)).Select(t => t.ValueText));

        /// <summary>Is a symbol of that name visible at <paramref name="position"/> (a field, a parameter, a local, a type)?</summary>
        public static bool IsVisible(SemanticModel model, int position, string name)
            => !model.LookupSymbols(Math.Min(position, model.SyntaxTree.Length), name: name).IsEmpty;

        private static bool IsUsable(string name, Func<string, bool> isTaken)
            => SyntaxFacts.GetKeywordKind(name) == SyntaxKind.None && !isTaken(name);
    }
}
