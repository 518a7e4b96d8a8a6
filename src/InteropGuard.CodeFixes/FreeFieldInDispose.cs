using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// IG3004's class-level fix: a GCHandle field its class allocates and never frees gets
    /// <c>if (_h.IsAllocated) _h.Free();</c> at the end of the <c>Dispose</c> the diagnostic is reported on — after any
    /// <c>if (disposing)</c> block, not inside it: a GCHandle is not a managed object that may already be finalized but a
    /// slot in the runtime's handle table, so freeing it is safe on the finalizer's path (<c>Dispose(false)</c>) and
    /// needed there. Planned from the semantic model: the diagnostic's location is the Dispose identifier, its additional
    /// locations the <c>GCHandle.Alloc</c> calls, whose assignment target is the field.
    /// </summary>
    internal static class FreeFieldInDispose
    {
        /// <summary>The field and the Dispose to free it in, or null when the diagnostic is not a never-freed field or the fix would not be safe.</summary>
        public static FieldRelease? Plan(AnalyzedDocument document, Diagnostic diagnostic)
        {
            var location = diagnostic.Location;
            if (location.SourceTree != document.Root.SyntaxTree || diagnostic.AdditionalLocations.Count == 0)
            {
                return null;
            }

            var token = document.Root.FindToken(location.SourceSpan.Start);
            if (token.Span != location.SourceSpan
                || token.Parent is not MethodDeclarationSyntax declaration
                || declaration.Identifier != token
                || document.Model.GetDeclaredSymbol(declaration, document.CancellationToken) is not { Name: "Dispose" } dispose)
            {
                return null;
            }

            IFieldSymbol? field = null;
            foreach (var allocation in diagnostic.AdditionalLocations)
            {
                var stored = StoredField(document, allocation, dispose.ContainingType);
                if (stored == null || (field != null && !SymbolEqualityComparer.Default.Equals(field, stored)))
                {
                    return null;
                }

                field = stored;
            }

            // Free() on a readonly field frees a copy: the field would still say IsAllocated, and a second Dispose would
            // free a slot that is already free (or by then someone else's).
            if (field == null || field.IsReadOnly || InsertionIndex(declaration, dispose) is not { })
            {
                return null;
            }

            return new FieldRelease(field, dispose);
        }

        /// <summary>
        /// Frees every planned field in its Dispose: one statement per field, in declaration order, each Dispose
        /// rewritten once. Symbols are found again in <paramref name="document"/> (which may have been rewritten by other
        /// fixes since planning) by their documentation ids.
        /// </summary>
        public static async Task<Document> ApplyAsync(AnalyzedDocument document, IReadOnlyList<FieldRelease> releases)
        {
            var compilation = document.Model.Compilation;
            var byDispose = new Dictionary<MethodDeclarationSyntax, List<IFieldSymbol>>();
            foreach (var release in releases)
            {
                var dispose = Find<IMethodSymbol>(compilation, release.DisposeId);
                var field = Find<IFieldSymbol>(compilation, release.FieldId);
                var declaration = dispose?.DeclaringSyntaxReferences
                    .Where(r => r.SyntaxTree == document.Root.SyntaxTree)
                    .Select(r => r.GetSyntax(document.CancellationToken))
                    .OfType<MethodDeclarationSyntax>()
                    .FirstOrDefault();
                if (declaration == null || field == null)
                {
                    continue;
                }

                if (!byDispose.TryGetValue(declaration, out var fields))
                {
                    byDispose[declaration] = fields = new List<IFieldSymbol>();
                }

                if (!fields.Contains(field, SymbolEqualityComparer.Default))
                {
                    fields.Add(field);
                }
            }

            if (byDispose.Count == 0)
            {
                return document.Document;
            }

            var root = document.Root.ReplaceNodes(
                byDispose.Keys,
                (original, _) => Rewrite(document, original, byDispose[original]) ?? original);
            return await document.WithRootAsync(root).ConfigureAwait(false);
        }

        private static MethodDeclarationSyntax? Rewrite(AnalyzedDocument document, MethodDeclarationSyntax declaration, List<IFieldSymbol> fields)
        {
            if (document.Model.GetDeclaredSymbol(declaration, document.CancellationToken) is not { } dispose
                || InsertionIndex(declaration, dispose) is not { } index)
            {
                return null;
            }

            // A block's locals are in scope in all of it, but not at its closing brace: look names up at a statement.
            var position = declaration.Body is { Statements.Count: > 0 } nonEmpty
                ? nonEmpty.Statements[0].SpanStart
                : declaration.Body?.OpenBraceToken.Span.End ?? declaration.ExpressionBody!.Expression.SpanStart;
            var frees = fields
                .OrderBy(f => f.Locations.FirstOrDefault()?.SourceTree?.FilePath, System.StringComparer.Ordinal)
                .ThenBy(f => f.Locations.FirstOrDefault()?.SourceSpan.Start ?? 0)
                .Select(f => FreeStatement(document.Model, f, position))
                .ToList();

            if (declaration.Body is { } body)
            {
                var block = body.WithStatements(body.Statements.InsertRange(index, frees));

                // A body written on one line ('{ }') gets its braces on lines of their own; any other keeps its layout.
                var text = body.SyntaxTree.GetText(document.CancellationToken);
                var oneLine = text.Lines.GetLineFromPosition(body.OpenBraceToken.SpanStart).LineNumber == text.Lines.GetLineFromPosition(body.CloseBraceToken.SpanStart).LineNumber;
                return declaration.WithBody(oneLine ? block.WithAdditionalAnnotations(Formatter.Annotation) : block);
            }

            var arrow = declaration.ExpressionBody!;
            var statements = new List<StatementSyntax> { SyntaxFactory.ExpressionStatement(arrow.Expression.WithoutTrivia()) };
            statements.InsertRange(index, frees);
            return declaration
                .WithExpressionBody(null)
                .WithSemicolonToken(default)
                .WithBody(SyntaxFactory.Block(statements).WithAdditionalAnnotations(Formatter.Annotation))
                .WithTrailingTrivia(declaration.SemicolonToken.TrailingTrivia);
        }

        /// <summary>
        /// Where the frees go among the body's statements: at the end, before a closing <c>base.Dispose(...)</c> (the
        /// base class may free what the handle refers to). Null when the end is not reached on every path that disposes:
        /// a <c>return</c> after the leading guards (<c>if (_disposed) return;</c>), a guard that tests the
        /// <c>disposing</c> flag (the finalizer's path would skip the free), or a body that is a throw.
        /// </summary>
        private static int? InsertionIndex(MethodDeclarationSyntax declaration, IMethodSymbol dispose)
        {
            var flag = dispose.Parameters.Length == 1 ? dispose.Parameters[0].Name : null;
            if (declaration.ExpressionBody is { } arrow)
            {
                if (arrow.Expression is ThrowExpressionSyntax)
                {
                    return null;
                }

                return IsBaseDispose(arrow.Expression) ? 0 : 1;
            }

            if (declaration.Body is not { } body)
            {
                return null;
            }

            var statements = body.Statements;
            var guards = 0;
            while (guards < statements.Count && IsGuard(statements[guards]))
            {
                if (flag != null && Mentions(((IfStatementSyntax)statements[guards]).Condition, flag))
                {
                    return null;
                }

                guards++;
            }

            for (var i = guards; i < statements.Count; i++)
            {
                if (ReturnsOrThrows(statements[i]))
                {
                    return null;
                }
            }

            var end = statements.Count;
            if (end > guards && statements[end - 1] is ExpressionStatementSyntax { Expression: var last } && IsBaseDispose(last))
            {
                end--;
            }

            return end;
        }

        /// <summary><c>if (cond) return;</c> (or in braces) without else.</summary>
        private static bool IsGuard(StatementSyntax statement)
            => statement is IfStatementSyntax { Else: null } guard
               && (guard.Statement is ReturnStatementSyntax { Expression: null }
                   || guard.Statement is BlockSyntax { Statements: { Count: 1 } inner } && inner[0] is ReturnStatementSyntax { Expression: null });

        /// <summary>A return or throw (a rethrow in a catch included) anywhere in the statement, outside lambdas and local functions.</summary>
        private static bool ReturnsOrThrows(StatementSyntax statement)
            => statement.DescendantNodesAndSelf(n => !OperationTree.IsFunctionSyntax(n))
                .Any(n => n is ReturnStatementSyntax || n is ThrowStatementSyntax || n is ThrowExpressionSyntax);

        private static bool Mentions(ExpressionSyntax condition, string name)
            => condition.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(i => i.Identifier.ValueText == name);

        private static bool IsBaseDispose(ExpressionSyntax expression)
            => expression is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Expression: BaseExpressionSyntax, Name.Identifier.ValueText: "Dispose" } };

        /// <summary><c>if (_h.IsAllocated) _h.Free();</c>, the field qualified with <c>this.</c> where a local or parameter hides it.</summary>
        private static StatementSyntax FreeStatement(SemanticModel model, IFieldSymbol field, int position)
        {
            var identifier = SyntaxFactory.Identifier(SyntaxFacts.GetKeywordKind(field.Name) != SyntaxKind.None ? "@" + field.Name : field.Name);
            var visible = model.LookupSymbols(position, name: field.Name).FirstOrDefault();
            ExpressionSyntax reference = SymbolEqualityComparer.Default.Equals(visible, field)
                ? SyntaxFactory.IdentifierName(identifier)
                : SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, SyntaxFactory.ThisExpression(), SyntaxFactory.IdentifierName(identifier));
            return SyntaxFactory.IfStatement(
                    SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, reference, SyntaxFactory.IdentifierName("IsAllocated")),
                    SyntaxFactory.ExpressionStatement(SyntaxFactory.InvocationExpression(
                        SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, reference, SyntaxFactory.IdentifierName("Free")))))
                .WithAdditionalAnnotations(Formatter.Annotation);
        }

        /// <summary>The private GCHandle field of <paramref name="type"/> that the allocation at <paramref name="location"/> is assigned to.</summary>
        private static IFieldSymbol? StoredField(AnalyzedDocument document, Location location, INamedTypeSymbol type)
        {
            if (location.SourceTree is not { } tree || !document.Model.Compilation.ContainsSyntaxTree(tree))
            {
                return null;
            }

            var model = tree == document.Root.SyntaxTree ? document.Model : document.Model.Compilation.GetSemanticModel(tree);
            var node = tree.GetRoot(document.CancellationToken).FindNode(location.SourceSpan, getInnermostNodeForTie: true);
            var operation = model.GetOperation(node, document.CancellationToken);
            while (operation?.Parent is IConversionOperation or IParenthesizedOperation)
            {
                operation = operation.Parent;
            }

            return operation is { Parent: ISimpleAssignmentOperation { Target: IFieldReferenceOperation { Field: var field } } assignment }
                   && assignment.Value == operation
                   && field is { IsStatic: false, DeclaredAccessibility: Accessibility.Private }
                   && SymbolEqualityComparer.Default.Equals(field.ContainingType, type)
                   && field.Type.ToDisplayString() == "System.Runtime.InteropServices.GCHandle"
                ? field
                : null;
        }

        private static T? Find<T>(Compilation compilation, string id)
            where T : class, ISymbol
            => DocumentationCommentId.GetSymbolsForDeclarationId(id, compilation).OfType<T>().FirstOrDefault();
    }

    /// <summary>A never-freed GCHandle field and the Dispose that frees it, by documentation id (stable across rewrites of other code).</summary>
    internal sealed class FieldRelease
    {
        public FieldRelease(IFieldSymbol field, IMethodSymbol dispose)
        {
            Field = field.Name;
            FieldId = DocumentationCommentId.CreateDeclarationId(field) ?? string.Empty;
            DisposeId = DocumentationCommentId.CreateDeclarationId(dispose) ?? string.Empty;
        }

        public string Field { get; }

        public string FieldId { get; }

        public string DisposeId { get; }
    }
}
