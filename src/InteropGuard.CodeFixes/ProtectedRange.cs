using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// The statements a release-on-every-path fix protects: those after the allocation statement in its block, up to
    /// the one existing straight-line release if there is one. Null whenever protecting them would not be safe.
    /// </summary>
    internal sealed class ProtectedRange
    {
        private ProtectedRange(BlockSyntax block, int start, List<StatementSyntax> moved, StatementSyntax? release, List<StatementSyntax> after, StatementSyntax allocation, List<StatementSyntax> hoisted)
        {
            Hoisted = hoisted;
            Block = block;
            Start = start;
            Moved = moved;
            Release = release;
            After = after;
            Allocation = allocation;
        }

        public BlockSyntax Block { get; }
        public int Start { get; }

        /// <summary>The statement that allocates and stores into the variable.</summary>
        public StatementSyntax Allocation { get; }

        /// <summary>The statements between the allocation and the release (or the end of the block).</summary>
        public List<StatementSyntax> Moved { get; }

        /// <summary>The existing straight-line release statement, or null.</summary>
        public StatementSyntax? Release { get; }

        /// <summary>The statements after the release.</summary>
        public List<StatementSyntax> After { get; }

        /// <summary>Declarations moved before the protected statement because later statements read them.</summary>
        public List<StatementSyntax> Hoisted { get; }

        public static ProtectedRange? Find(FixRequest request)
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
            if (moved.Count == 0 || moved.Any(s => s is LabeledStatementSyntax))
            {
                return null;
            }

            var hoisted = new List<StatementSyntax>();
            if (DeclaresNameUsedLater(moved, after) && !TryHoist(moved, after, hoisted, request.LocalTypes))
            {
                return null;
            }

            return new ProtectedRange(block, start, moved, releaseStatement, after, allocationStatement, hoisted);
        }

        /// <summary>The root with the allocation followed by <paramref name="protectedStatement"/> and then the statements after the release.</summary>
        public SyntaxNode ReplaceWith(SyntaxNode root, StatementSyntax protectedStatement)
        {
            var newStatements = Block.Statements.Take(Start + 1).Concat(Hoisted).Concat(new[] { protectedStatement }).Concat(After);
            return root.ReplaceNode(Block, Block.WithStatements(SyntaxFactory.List(newStatements)));
        }

        internal static bool StoresInto(StatementSyntax statement, string variable)
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
                case ExpressionStatementSyntax { Expression: InvocationExpressionSyntax call }:
                    // Native.open(path, out var handle) or out handle
                    return call.ArgumentList.Arguments.Any(a => a.RefKindKeyword.IsKind(SyntaxKind.OutKeyword)
                        && (a.Expression is IdentifierNameSyntax outName && outName.Identifier.ValueText == variable
                            || a.Expression is DeclarationExpressionSyntax { Designation: SingleVariableDesignationSyntax designation } && designation.Identifier.ValueText == variable));
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

        /// <summary>
        /// Splits the moved declarations that later statements read into a declaration before the protected statement
        /// and an assignment inside it (<c>int n; try { n = Read(h); } finally { ... } return n;</c>). Only plain local
        /// declarations with a known type qualify; out variables, patterns and local functions do not.
        /// </summary>
        private static bool TryHoist(List<StatementSyntax> moved, List<StatementSyntax> after, List<StatementSyntax> hoisted, LocalTypes localTypes)
        {
            var laterNames = new HashSet<string>(after.SelectMany(s => s.DescendantTokens()).Where(t => t.IsKind(SyntaxKind.IdentifierToken)).Select(t => t.ValueText));
            for (var i = 0; i < moved.Count; i++)
            {
                var statement = moved[i];
                var otherDeclared = statement is LocalFunctionStatementSyntax function ? new[] { function.Identifier.ValueText }
                    : statement.DescendantNodes(n => !(n is BlockSyntax || n is LambdaExpressionSyntax || n is LocalFunctionStatementSyntax)).OfType<SingleVariableDesignationSyntax>().Select(d => d.Identifier.ValueText).ToArray();
                if (otherDeclared.Any(laterNames.Contains))
                {
                    return false;
                }

                if (statement is not LocalDeclarationStatementSyntax declaration
                    || !declaration.Declaration.Variables.Any(v => laterNames.Contains(v.Identifier.ValueText)))
                {
                    continue;
                }

                if (!declaration.UsingKeyword.IsKind(SyntaxKind.None) || declaration.IsConst || declaration.Modifiers.Any()
                    || declaration.Declaration.Type is RefTypeSyntax || localTypes.Of(declaration) is not { } type)
                {
                    return false;
                }

                hoisted.Add(SyntaxFactory.LocalDeclarationStatement(SyntaxFactory.VariableDeclaration(
                        type.WithTrailingTrivia(SyntaxFactory.ElasticSpace),
                        SyntaxFactory.SeparatedList(declaration.Declaration.Variables.Select(v => SyntaxFactory.VariableDeclarator(v.Identifier.WithoutTrivia())))))
                    .WithAdditionalAnnotations(Formatter.Annotation));
                var assignments = declaration.Declaration.Variables
                    .Where(v => v.Initializer != null)
                    .Select(v => (StatementSyntax)SyntaxFactory.ExpressionStatement(SyntaxFactory.AssignmentExpression(
                        SyntaxKind.SimpleAssignmentExpression, SyntaxFactory.IdentifierName(v.Identifier.WithoutTrivia()), v.Initializer!.Value.WithoutTrivia())))
                    .ToList();
                if (assignments.Count > 0)
                {
                    assignments[0] = assignments[0].WithLeadingTrivia(declaration.GetLeadingTrivia());
                    assignments[assignments.Count - 1] = assignments[assignments.Count - 1].WithTrailingTrivia(declaration.GetTrailingTrivia());
                }

                moved.RemoveAt(i);
                moved.InsertRange(i, assignments);
                i += assignments.Count - 1;
            }

            return true;
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
    }
}
