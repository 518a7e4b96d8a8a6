using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// The types of <c>var</c> locals, recorded on their declarations as annotations before a syntax-only rewrite, so
    /// that a rewrite can hoist a declaration (<c>int n;</c>) out of a block it wraps.
    /// </summary>
    internal static class LocalTypes
    {
        private const string Kind = "InteropGuard.LocalType";

        public static SyntaxNode Annotate(SyntaxNode root, SemanticModel model, CancellationToken cancellationToken)
        {
            var declarations = root.DescendantNodes().OfType<LocalDeclarationStatementSyntax>()
                .Where(d => d.Declaration.Type.IsVar && d.Declaration.Variables.Count == 1)
                .ToList();
            return root.ReplaceNodes(declarations, (original, rewritten) =>
            {
                var type = (model.GetDeclaredSymbol(original.Declaration.Variables[0], cancellationToken) as ILocalSymbol)?.Type;
                if (type == null || type.IsAnonymousType || type.TypeKind == TypeKind.Error || !type.CanBeReferencedByName && type.SpecialType == SpecialType.None && type is not IArrayTypeSymbol && type is not IPointerTypeSymbol)
                {
                    return rewritten;
                }

                return rewritten.WithAdditionalAnnotations(new SyntaxAnnotation(Kind, type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)));
            });
        }

        /// <summary>The declared type, written out: the explicit one, or the recorded type of a <c>var</c>; null when unknown.</summary>
        public static TypeSyntax? Of(LocalDeclarationStatementSyntax declaration)
        {
            if (!declaration.Declaration.Type.IsVar)
            {
                return declaration.Declaration.Type.WithoutTrivia();
            }

            var recorded = declaration.GetAnnotations(Kind).FirstOrDefault()?.Data;
            return recorded == null ? null : SyntaxFactory.ParseTypeName(recorded).WithAdditionalAnnotations(Simplifier.Annotation);
        }
    }
}
