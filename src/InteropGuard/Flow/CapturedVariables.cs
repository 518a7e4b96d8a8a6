using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>Locals and parameters a lambda or local function captures: their closure keeps them reachable by other means.</summary>
    internal static class CapturedVariables
    {
        public static HashSet<ISymbol> In(IOperation root)
        {
            var functions = root.Descendants().Where(OperationTree.IsFunction).ToList();
            if (functions.Count == 0)
            {
                // Nothing can capture: no second walk for captured locals.
                return new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            }

            var captured = new HashSet<ISymbol>(CapturedLocals.In(root), SymbolEqualityComparer.Default);
            foreach (var function in functions)
            {
                var own = function is IAnonymousFunctionOperation lambda ? lambda.Symbol : ((ILocalFunctionOperation)function).Symbol;
                foreach (var reference in function.Descendants().OfType<IParameterReferenceOperation>())
                {
                    if (!SymbolEqualityComparer.Default.Equals(reference.Parameter.ContainingSymbol, own)
                        && !function.Descendants().Any(inner => (inner as IAnonymousFunctionOperation)?.Symbol is { } s && SymbolEqualityComparer.Default.Equals(s, reference.Parameter.ContainingSymbol)))
                    {
                        captured.Add(reference.Parameter);
                    }
                }
            }

            return captured;
        }
    }
}
