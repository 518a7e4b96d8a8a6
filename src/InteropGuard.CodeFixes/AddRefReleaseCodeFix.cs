using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using InteropGuard.Rules;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// IG3006 second fix: <c>bool added = false; try { h.DangerousAddRef(ref added); ... } finally { if (added)
    /// h.DangerousRelease(); }</c> around the statements that use the raw value, extended over later statements that
    /// read locals the bracketed ones declare or assign (so scopes keep compiling and the value is not used outside).
    /// </summary>
    internal static class AddRefRelease
    {
        /// <summary>The rewritten root, or null when the call's shape is not one the fix handles.</summary>
        public static SyntaxNode? Rewrite(SyntaxNode root, SemanticModel originalModel, InvocationExpressionSyntax getHandle)
            => Rewrite(root, originalModel, getHandle, VoidBody(originalModel, getHandle));

        /// <summary>
        /// For a call in an expression body, whether that body is a statement (void, or async Task) rather than a
        /// returned value; read from the analysed tree before any rewrite moves spans. Null when unknown.
        /// </summary>
        public static bool? VoidBody(SemanticModel model, InvocationExpressionSyntax getHandle)
        {
            if (getHandle.SyntaxTree != model.SyntaxTree)
            {
                return null;
            }

            foreach (var ancestor in getHandle.Ancestors())
            {
                if (ancestor is StatementSyntax)
                {
                    return null;
                }

                var symbol = ancestor switch
                {
                    ArrowExpressionClauseSyntax arrow when arrow.Parent != null => model.GetDeclaredSymbol(arrow.Parent),
                    AnonymousFunctionExpressionSyntax lambda when lambda.ExpressionBody != null => model.GetSymbolInfo(lambda).Symbol,
                    _ => null,
                };
                if (ancestor is ArrowExpressionClauseSyntax || ancestor is AnonymousFunctionExpressionSyntax { ExpressionBody: not null })
                {
                    if (symbol is not IMethodSymbol method)
                    {
                        return null;
                    }

                    return method.ReturnsVoid
                        || method.IsAsync && method.ReturnType is INamedTypeSymbol { IsGenericType: false, Name: "Task" or "ValueTask" };
                }
            }

            return null;
        }

        /// <summary>
        /// False when no path reaches the statement holding the call. The rule's path analysis sees no reference taken
        /// in unreachable code, so the bracket would leave the finding where it was: the fix is not offered there.
        /// </summary>
        public static bool IsReachable(SemanticModel model, InvocationExpressionSyntax getHandle)
        {
            if (getHandle.SyntaxTree != model.SyntaxTree || getHandle.FirstAncestorOrSelf<StatementSyntax>() is not { } statement
                || statement.Parent is not (BlockSyntax or StatementSyntax or SwitchSectionSyntax))
            {
                return true;
            }

            var flow = model.AnalyzeControlFlow(statement);
            return flow == null || !flow.Succeeded || flow.StartPointIsReachable;
        }

        public static SyntaxNode? Rewrite(SyntaxNode root, SemanticModel originalModel, InvocationExpressionSyntax getHandle, bool? voidBody)
        {
            if (getHandle.Expression is not MemberAccessExpressionSyntax access || !IsSimpleReceiver(access.Expression))
            {
                return null;
            }

            var receiver = access.Expression.WithoutTrivia();
            if (IsAlreadyBracketed(getHandle, SafeHandleRefCountAnalyzer.Key(receiver)))
            {
                return null;
            }

            // The statement holding the call inside its own function; expression bodies become blocks first.
            SyntaxNode? owner = null;
            foreach (var ancestor in getHandle.Ancestors())
            {
                if (ancestor is StatementSyntax || ancestor is ArrowExpressionClauseSyntax
                    || ancestor is AnonymousFunctionExpressionSyntax lambda && lambda.ExpressionBody != null && lambda.ExpressionBody.Span.Contains(getHandle.Span))
                {
                    owner = ancestor;
                    break;
                }
            }

            var name = UniqueName(root, originalModel, getHandle);
            switch (owner)
            {
                case StatementSyntax statement:
                    return RewriteStatement(root, statement, receiver, name);
                case ArrowExpressionClauseSyntax arrow when voidBody != null:
                    return RewriteArrow(root, arrow, receiver, name, voidBody.Value);
                case AnonymousFunctionExpressionSyntax lambda when voidBody != null:
                    return RewriteLambda(root, lambda, receiver, name, voidBody.Value);
                default:
                    return null;
            }
        }

        private static SyntaxNode? RewriteStatement(SyntaxNode root, StatementSyntax statement, ExpressionSyntax receiver, string name)
        {
            if (statement is LocalFunctionStatementSyntax || statement is LabeledStatementSyntax || statement.Parent is LabeledStatementSyntax)
            {
                return null;
            }

            if (statement.Parent is BlockSyntax block)
            {
                var statements = block.Statements;
                var first = statements.IndexOf(statement);
                var last = ExtendOverReaders(statements, first);
                var range = statements.Skip(first).Take(last - first + 1).ToList();
                var replacement = Bracket(range, receiver, name);
                var following = statements.Skip(last + 1).ToList();
                if (following.Count > 0 && !following[0].GetLeadingTrivia().Any(t => t.IsKind(SyntaxKind.EndOfLineTrivia)))
                {
                    // A blank line after the try statement, as after any block.
                    following[0] = following[0].WithLeadingTrivia(following[0].GetLeadingTrivia().Insert(0, EndOfLine(FileLineEndings.Of(root))));
                }

                var updated = statements.Take(first).Concat(replacement).Concat(following);
                var newBlock = block.WithStatements(List(updated));
                return root.ReplaceNode(block, newBlock);
            }

            if (statement.Parent is IfStatementSyntax || statement.Parent is ElseClauseSyntax || statement.Parent is WhileStatementSyntax
                || statement.Parent is ForStatementSyntax || statement.Parent is ForEachStatementSyntax || statement.Parent is UsingStatementSyntax
                || statement.Parent is LockStatementSyntax || statement.Parent is FixedStatementSyntax || statement.Parent is DoStatementSyntax)
            {
                var wrapped = Block(Bracket(new List<StatementSyntax> { statement.WithoutTrivia() }, receiver, name)).WithTriviaFrom(statement)
                    .WithAdditionalAnnotations(Formatter.Annotation);
                return root.ReplaceNode(statement, wrapped);
            }

            return null;
        }

        private static SyntaxNode? RewriteArrow(SyntaxNode root, ArrowExpressionClauseSyntax arrow, ExpressionSyntax receiver, string name, bool voidBody)
        {
            var declaration = arrow.Parent;
            if (!(declaration is MethodDeclarationSyntax || declaration is LocalFunctionStatementSyntax || declaration is ConstructorDeclarationSyntax
                  || declaration is OperatorDeclarationSyntax || declaration is ConversionOperatorDeclarationSyntax || declaration is AccessorDeclarationSyntax))
            {
                return null;
            }

            var body = Block(Bracket(new List<StatementSyntax> { BodyStatement(voidBody, arrow.Expression.WithoutTrivia()) }, receiver, name))
                .NormalizeWhitespace(eol: FileLineEndings.Of(root))
                .WithAdditionalAnnotations(Formatter.Annotation);
            SyntaxNode replacement = declaration switch
            {
                MethodDeclarationSyntax m => m.WithExpressionBody(null).WithSemicolonToken(default).WithBody(body),
                LocalFunctionStatementSyntax l => l.WithExpressionBody(null).WithSemicolonToken(default).WithBody(body),
                ConstructorDeclarationSyntax c => c.WithExpressionBody(null).WithSemicolonToken(default).WithBody(body),
                OperatorDeclarationSyntax o => o.WithExpressionBody(null).WithSemicolonToken(default).WithBody(body),
                ConversionOperatorDeclarationSyntax c => c.WithExpressionBody(null).WithSemicolonToken(default).WithBody(body),
                AccessorDeclarationSyntax a => a.WithExpressionBody(null).WithSemicolonToken(default).WithBody(body),
                _ => declaration!,
            };

            // The semicolon carried the line's trailing trivia; keep the declaration's end of line.
            replacement = replacement.WithTrailingTrivia(declaration!.GetTrailingTrivia()).WithAdditionalAnnotations(Formatter.Annotation);
            return root.ReplaceNode(declaration, replacement);
        }

        private static SyntaxNode? RewriteLambda(SyntaxNode root, AnonymousFunctionExpressionSyntax lambda, ExpressionSyntax receiver, string name, bool voidBody)
        {
            // Laid out on lines here: the formatter keeps a block it finds on one line (csharp_preserve_single_line_blocks).
            var body = Block(Bracket(new List<StatementSyntax> { BodyStatement(voidBody, lambda.ExpressionBody!.WithoutTrivia()) }, receiver, name))
                .NormalizeWhitespace(eol: FileLineEndings.Of(root))
                .WithAdditionalAnnotations(Formatter.Annotation);
            return root.ReplaceNode(lambda, lambda.WithExpressionBody(null).WithBlock(body).WithAdditionalAnnotations(Formatter.Annotation));
        }

        private static StatementSyntax BodyStatement(bool voidBody, ExpressionSyntax expression)
            => voidBody ? ExpressionStatement(expression) : ReturnStatement(expression);

        /// <summary>Extends the range over later statements that read locals the range declares or assigns.</summary>
        private static int ExtendOverReaders(SyntaxList<StatementSyntax> statements, int first)
        {
            var last = first;
            bool changed;
            do
            {
                changed = false;
                var names = new HashSet<string>();
                for (var i = first; i <= last; i++)
                {
                    foreach (var node in statements[i].DescendantNodesAndSelf())
                    {
                        switch (node)
                        {
                            case VariableDeclaratorSyntax declarator:
                                names.Add(declarator.Identifier.ValueText);
                                break;
                            case SingleVariableDesignationSyntax designation:
                                names.Add(designation.Identifier.ValueText);
                                break;
                            case LocalFunctionStatementSyntax localFunction:
                                names.Add(localFunction.Identifier.ValueText);
                                break;
                            case AssignmentExpressionSyntax { Left: IdentifierNameSyntax assigned }:
                                names.Add(assigned.Identifier.ValueText);
                                break;
                        }
                    }
                }

                for (var i = statements.Count - 1; i > last; i--)
                {
                    if (statements[i].DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(n => names.Contains(n.Identifier.ValueText)))
                    {
                        last = i;
                        changed = true;
                        break;
                    }
                }
            }
            while (changed);

            return last;
        }

        private static List<StatementSyntax> Bracket(List<StatementSyntax> range, ExpressionSyntax receiver, string name)
        {
            var leading = range[0].GetLeadingTrivia();
            var trailing = range[range.Count - 1].GetTrailingTrivia();
            range[0] = range[0].WithLeadingTrivia(range[0].GetLeadingTrivia().Where(t => !t.IsKind(SyntaxKind.WhitespaceTrivia) && !t.IsKind(SyntaxKind.EndOfLineTrivia)));
            var flag = LocalDeclarationStatement(VariableDeclaration(PredefinedType(Token(SyntaxKind.BoolKeyword)))
                .AddVariables(VariableDeclarator(name).WithInitializer(EqualsValueClause(LiteralExpression(SyntaxKind.FalseLiteralExpression)))));
            var addRef = ExpressionStatement(InvocationExpression(MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, receiver, IdentifierName("DangerousAddRef")))
                .AddArgumentListArguments(Argument(IdentifierName(name)).WithRefKindKeyword(Token(SyntaxKind.RefKeyword))));
            var release = IfStatement(IdentifierName(name), Block(ExpressionStatement(InvocationExpression(
                MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, receiver, IdentifierName("DangerousRelease"))))));
            var tryStatement = TryStatement(
                Block(new[] { (StatementSyntax)addRef }.Concat(range.Select((s, i) => i == range.Count - 1 ? s.WithTrailingTrivia(s.GetTrailingTrivia().Where(t => !t.IsKind(SyntaxKind.EndOfLineTrivia))) : s))),
                default,
                FinallyClause(Block(release)));
            return new List<StatementSyntax>
            {
                flag.WithLeadingTrivia(leading).WithAdditionalAnnotations(Formatter.Annotation),
                tryStatement.WithTrailingTrivia(trailing).WithAdditionalAnnotations(Formatter.Annotation),
            };
        }

        private static bool IsSimpleReceiver(ExpressionSyntax expression)
            => expression.DescendantNodesAndSelf().All(n => n is IdentifierNameSyntax || n is ThisExpressionSyntax
                || n is MemberAccessExpressionSyntax { RawKind: (int)SyntaxKind.SimpleMemberAccessExpression }
                || n is PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression });

        private static bool IsAlreadyBracketed(SyntaxNode getHandle, string key)
        {
            foreach (var tryStatement in getHandle.Ancestors().OfType<TryStatementSyntax>())
            {
                if (tryStatement.Block.Span.Contains(getHandle.Span)
                    && tryStatement.Block.Statements.FirstOrDefault() is ExpressionStatementSyntax { Expression: InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "DangerousAddRef" } added } }
                    && SafeHandleRefCountAnalyzer.Key(added.Expression) == key)
                {
                    return true;
                }
            }

            return false;
        }

        private static string UniqueName(SyntaxNode root, SemanticModel originalModel, SyntaxNode getHandle)
        {
            var member = getHandle.AncestorsAndSelf().OfType<MemberDeclarationSyntax>().FirstOrDefault() ?? root;
            var written = FreeNames.WrittenIn(member);
            return FreeNames.Pick(new[] { "added" }, name => written.Contains(name) || FreeNames.IsVisible(originalModel, getHandle.SpanStart, name));
        }
    }
}
