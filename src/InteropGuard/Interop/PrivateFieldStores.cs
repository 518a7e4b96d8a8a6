using System;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>
    /// The values a private field is given: its initializer and every plain assignment in its class (nested types
    /// included), which is all the code that can write it. The per-field summaries ("only this class creates it",
    /// "it only holds what a public member was handed") are a test of each stored value.
    /// </summary>
    internal static class PrivateFieldStores
    {
        /// <summary>
        /// Whether <paramref name="accepts"/> holds for every value stored into <paramref name="field"/>: the initializer's
        /// syntax (no operation: the summaries that read syntax only need not bind it) and each assignment's value with its
        /// operation. False as soon as one is refused, or the field is written another way (a <c>ref</c>/<c>out</c>
        /// argument, a compound or <c>??=</c> assignment, a deconstruction, <c>++</c>, its address taken).
        /// </summary>
        public static bool All(Compilation compilation, IFieldSymbol field, CancellationToken cancellationToken, Func<ExpressionSyntax, IOperation?, bool> accepts)
        {
            foreach (var variable in field.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<VariableDeclaratorSyntax>())
            {
                if (variable.Initializer != null && !accepts(variable.Initializer.Value, null))
                {
                    return false;
                }
            }

            if (field.ContainingType is not { } owner)
            {
                return false;
            }

            foreach (var reference in FieldReferencesInType.Of(compilation, field, owner, cancellationToken))
            {
                if (reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference)
                {
                    if (assignment.Value.Syntax is not ExpressionSyntax value || !accepts(value, assignment.Value))
                    {
                        return false;
                    }
                }
                else if (OperationTree.IsOtherWrite(reference))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
