using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Every reference to a field inside the declarations of a type (nested types included): the reading behind the
    /// per-class summaries of private fields (<see cref="GCHandleFields"/>, <see cref="PrivatelyCreatedFields"/>), which
    /// need all the writes and uses of a field no code outside its class can see.
    /// </summary>
    internal static class FieldReferencesInType
    {
        public static IEnumerable<IFieldReferenceOperation> Of(Compilation compilation, IFieldSymbol field, INamedTypeSymbol type, CancellationToken cancellationToken)
        {
            foreach (var reference in type.DeclaringSyntaxReferences)
            {
                var declaration = reference.GetSyntax(cancellationToken);
                SemanticModel? model = null;
                foreach (var name in declaration.DescendantNodes().OfType<IdentifierNameSyntax>())
                {
                    // The name test first: a semantic model only for declarations that name the field.
                    if (name.Identifier.ValueText != field.Name)
                    {
                        continue;
                    }

                    SyntaxNode node = name.Parent is MemberAccessExpressionSyntax access && access.Name == name ? access : name;
#pragma warning disable RS1030 // Only for the few private fields a summary asks about, once per declaration; cached by the callers.
                    model ??= compilation.GetSemanticModel(declaration.SyntaxTree);
#pragma warning restore RS1030
                    if (model.GetOperation(node, cancellationToken) is IFieldReferenceOperation fieldReference
                        && SymbolEqualityComparer.Default.Equals(fieldReference.Field.OriginalDefinition, field.OriginalDefinition))
                    {
                        yield return fieldReference;
                    }
                }
            }
        }
    }
}
