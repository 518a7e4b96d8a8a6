using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Simplification;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// The types of <c>var</c> locals, recorded on their declarations before a syntax-only rewrite, so that a rewrite can
    /// hoist a declaration (<c>int n;</c>) out of a block it wraps. Each declaration gets an annotation, and the type
    /// written from the local's symbol (<see cref="SyntaxGenerator.TypeExpression(ITypeSymbol)"/>, simplified later) is
    /// kept against that annotation: no type is turned into text and parsed back.
    /// </summary>
    internal sealed class LocalTypes
    {
        private const string Kind = "InteropGuard.LocalType";

        private readonly Dictionary<SyntaxAnnotation, TypeSyntax> _types = new Dictionary<SyntaxAnnotation, TypeSyntax>();

        /// <summary><paramref name="root"/> with the <c>var</c> declarations whose type can be written annotated (same text and spans).</summary>
        public SyntaxNode Annotate(SyntaxNode root, SemanticModel model, SyntaxGenerator generator, CancellationToken cancellationToken)
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

                var annotation = new SyntaxAnnotation(Kind);
                _types[annotation] = ((TypeSyntax)generator.TypeExpression(type)).WithAdditionalAnnotations(Simplifier.Annotation);
                return rewritten.WithAdditionalAnnotations(annotation);
            });
        }

        /// <summary>The declared type, written out: the explicit one, or the recorded type of a <c>var</c>; null when unknown.</summary>
        public TypeSyntax? Of(LocalDeclarationStatementSyntax declaration)
        {
            if (!declaration.Declaration.Type.IsVar)
            {
                return declaration.Declaration.Type.WithoutTrivia();
            }

            foreach (var annotation in declaration.GetAnnotations(Kind))
            {
                if (_types.TryGetValue(annotation, out var type))
                {
                    return type;
                }
            }

            return null;
        }
    }
}
