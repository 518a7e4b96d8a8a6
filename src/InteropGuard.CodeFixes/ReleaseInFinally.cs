using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace InteropGuard.CodeFixes
{
    /// <summary>The syntax rewrite behind "release in finally"; null whenever the rewrite would not be safe.</summary>
    internal static class ReleaseInFinally
    {
        public static SyntaxNode? Rewrite(SyntaxNode root, FixRequest request)
        {
            var allocationStatement = request.Allocation.FirstAncestorOrSelf<StatementSyntax>();
            if (allocationStatement?.Parent is not BlockSyntax block || !StoresInto(allocationStatement, request.Variable))
            {
                return null;
            }

            var statements = block.Statements;
            var start = statements.IndexOf(allocationStatement);

            // Every release must sit in one statement of this block after the allocation, so that moving it
            // cannot release twice or skip a release that used to happen.
            StatementSyntax? releaseStatement = null;
            foreach (var release in request.Releases)
            {
                var owner = release.AncestorsAndSelf().OfType<StatementSyntax>().FirstOrDefault(s => s.Parent == block);
                if (owner == null || statements.IndexOf(owner) <= start || (releaseStatement != null && owner != releaseStatement) || !IsMovableRelease(owner))
                {
                    return null;
                }

                releaseStatement = owner;
            }

            var end = releaseStatement == null ? statements.Count : statements.IndexOf(releaseStatement);
            var moved = statements.Skip(start + 1).Take(end - start - 1).ToList();
            var after = statements.Skip(end + (releaseStatement == null ? 0 : 1)).ToList();
            if (moved.Count == 0 || moved.Any(s => s is LabeledStatementSyntax) || DeclaresNameUsedLater(moved, after))
            {
                return null;
            }

            StatementSyntax finallyStatement;
            if (releaseStatement != null)
            {
                finallyStatement = releaseStatement.WithoutLeadingTrivia().WithTrailingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed);
            }
            else if (request.ReleaseMethod != null)
            {
                finallyStatement = GenerateRelease(request.ReleaseMethod, request.Variable, request.ReleaseArgumentCast);
            }
            else
            {
                return null;
            }

            var tryStatement = SyntaxFactory.TryStatement(
                    SyntaxFactory.Block(moved),
                    default,
                    SyntaxFactory.FinallyClause(SyntaxFactory.Block(finallyStatement)))
                .WithAdditionalAnnotations(Formatter.Annotation);

            var newStatements = statements.Take(start + 1).Concat(new[] { tryStatement }).Concat(after);
            return root.ReplaceNode(block, block.WithStatements(SyntaxFactory.List(newStatements)));
        }

        private static bool StoresInto(StatementSyntax statement, string variable)
        {
            switch (statement)
            {
                case LocalDeclarationStatementSyntax declaration:
                    return declaration.UsingKeyword.IsKind(SyntaxKind.None)
                           && !declaration.IsConst
                           && declaration.Declaration.Variables.Count == 1
                           && declaration.Declaration.Variables[0].Identifier.ValueText == variable;
                case ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax assignment }:
                    return assignment.IsKind(SyntaxKind.SimpleAssignmentExpression)
                           && assignment.Left is IdentifierNameSyntax name && name.Identifier.ValueText == variable;
                default:
                    return false;
            }
        }

        // A bare release call, or one guarded by an if without else (the usual null check).
        private static bool IsMovableRelease(StatementSyntax statement)
        {
            switch (statement)
            {
                case ExpressionStatementSyntax:
                    return true;
                case IfStatementSyntax ifStatement:
                    return ifStatement.Else == null;
                default:
                    return false;
            }
        }

        private static bool DeclaresNameUsedLater(List<StatementSyntax> moved, List<StatementSyntax> after)
        {
            if (after.Count == 0)
            {
                return false;
            }

            var declared = new HashSet<string>();
            foreach (var statement in moved)
            {
                switch (statement)
                {
                    case LocalDeclarationStatementSyntax declaration:
                        declared.UnionWith(declaration.Declaration.Variables.Select(v => v.Identifier.ValueText));
                        break;
                    case LocalFunctionStatementSyntax function:
                        declared.Add(function.Identifier.ValueText);
                        break;
                }

                // out var / pattern variables at statement level leak into the enclosing block.
                foreach (var designation in statement.DescendantNodes(n => !(n is BlockSyntax || n is LambdaExpressionSyntax || n is LocalFunctionStatementSyntax)).OfType<SingleVariableDesignationSyntax>())
                {
                    declared.Add(designation.Identifier.ValueText);
                }
            }

            if (declared.Count == 0)
            {
                return false;
            }

            return after.SelectMany(s => s.DescendantTokens()).Any(t => t.IsKind(SyntaxKind.IdentifierToken) && declared.Contains(t.ValueText));
        }

        private static StatementSyntax GenerateRelease(string releaseMethod, string variable, string? argumentCast)
        {
            ExpressionSyntax argument = SyntaxFactory.IdentifierName(variable);
            if (argumentCast != null)
            {
                argument = SyntaxFactory.CastExpression(
                    SyntaxFactory.ParseTypeName("global::" + argumentCast).WithAdditionalAnnotations(Simplifier.Annotation),
                    argument);
            }

            var lastDot = releaseMethod.LastIndexOf('.');
            var typeName = SyntaxFactory.ParseTypeName("global::" + releaseMethod.Substring(0, lastDot))
                .WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
            var call = SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, (ExpressionSyntax)typeName, SyntaxFactory.IdentifierName(releaseMethod.Substring(lastDot + 1))),
                SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(argument))));
            return SyntaxFactory.ExpressionStatement(call);
        }
    }
}
