using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>Locals of a body that a lambda or local function reads or writes: storing a value in one is an escape.</summary>
    internal static class CapturedLocals
    {
        public static ISet<ILocalSymbol> In(IOperation root)
        {
            var captured = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
            foreach (var function in root.Descendants())
            {
                if (!OperationTree.IsFunction(function))
                {
                    continue;
                }

                foreach (var reference in function.Descendants())
                {
                    if (reference is ILocalReferenceOperation local && !function.Syntax.Span.Contains(local.Local.Locations.Length > 0 ? local.Local.Locations[0].SourceSpan : default))
                    {
                        captured.Add(local.Local);
                    }
                }
            }

            return captured;
        }
    }
}
