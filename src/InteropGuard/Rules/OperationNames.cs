using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.Rules
{
    /// <summary>
    /// Names the place of an operation in a message by the construct around it ("in 'if (rc != 0)'"), never by its line:
    /// a line number changes with every unrelated edit above it and churns SARIF baselines.
    /// </summary>
    internal static class OperationNames
    {
        private const int MaxHeaderText = 60;
        private static readonly Regex Whitespace = new Regex(@"\s+");

        /// <summary>
        /// " in 'if (cond)'", " in the 'else' of 'if (cond)'", " in 'catch (IOException e)'", " in 'foreach (var x in xs)'",
        /// " in 'case 1:'" for the innermost such construct around <paramref name="site"/> in its function; empty when none.
        /// </summary>
        public static string Context(SyntaxNode site)
        {
            for (SyntaxNode? child = site, current = site.Parent; current != null; child = current, current = current.Parent)
            {
                switch (current)
                {
                    case AnonymousFunctionExpressionSyntax _:
                    case LocalFunctionStatementSyntax _:
                    case AccessorDeclarationSyntax _:
                    case MemberDeclarationSyntax _:
                        return string.Empty;
                    case IfStatementSyntax ifStatement when child == ifStatement.Statement:
                        return " in '" + IfHeader(ifStatement) + "'";
                    case ElseClauseSyntax elseClause when elseClause.Parent is IfStatementSyntax owner && child == elseClause.Statement && !(child is IfStatementSyntax):
                        return " in the 'else' of '" + IfHeader(owner) + "'";
                    case CatchClauseSyntax catchClause when child == catchClause.Block:
                        return " in '" + Header("catch" + (catchClause.Declaration == null ? string.Empty : " " + catchClause.Declaration)) + "'";
                    case SwitchSectionSyntax section when section.Labels.Count > 0:
                        return " in '" + Header(section.Labels[0].ToString()) + "'";
                    case StatementSyntax loop when child is StatementSyntax && LoopHeader(loop) is { } header:
                        return " in '" + header + "'";
                }
            }

            return string.Empty;
        }

        /// <summary>The header of the loop that <paramref name="site"/> is in, within its function, or null.</summary>
        public static string? EnclosingLoop(SyntaxNode site)
        {
            for (SyntaxNode? child = site, current = site.Parent; current != null; child = current, current = current.Parent)
            {
                if (current is AnonymousFunctionExpressionSyntax || current is LocalFunctionStatementSyntax || current is MemberDeclarationSyntax)
                {
                    return null;
                }

                if (current is StatementSyntax statement && child is StatementSyntax && LoopHeader(statement) is { } header)
                {
                    return header;
                }
            }

            return null;
        }

        private static string? LoopHeader(StatementSyntax statement)
            => statement switch
            {
                WhileStatementSyntax loop => Header("while (" + loop.Condition + ")"),
                DoStatementSyntax loop => Header("do ... while (" + loop.Condition + ")"),
                ForEachStatementSyntax loop => Header("foreach (" + loop.Type + " " + loop.Identifier.ValueText + " in " + loop.Expression + ")"),
                ForEachVariableStatementSyntax loop => Header("foreach (" + loop.Variable + " in " + loop.Expression + ")"),
                ForStatementSyntax loop => Header(loop.ForKeyword.ToString() + " " + loop.OpenParenToken + loop.Declaration + string.Join(", ", loop.Initializers) + "; " + loop.Condition + "; " + string.Join(", ", loop.Incrementors) + loop.CloseParenToken),
                _ => null,
            };

        private static string IfHeader(IfStatementSyntax statement) => Header("if (" + statement.Condition + ")");

        private static string Header(string text)
        {
            text = Whitespace.Replace(text, " ").Trim();
            return text.Length <= MaxHeaderText ? text : text.Substring(0, MaxHeaderText - 3) + "...";
        }
    }
}
