using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>How a field, property or event is written.</summary>
    internal enum MemberWriteKind
    {
        /// <summary>Its declaration's initializer.</summary>
        Initializer,

        /// <summary><c>member = value</c>.</summary>
        Assignment,

        /// <summary><c>member += value</c> (an event subscription, a delegate combination).</summary>
        Addition,

        /// <summary><c>member -= value</c>.</summary>
        Removal,

        /// <summary>Any other write: another compound assignment, a <c>ref</c>/<c>out</c> argument, <c>++</c>/<c>--</c>.</summary>
        Other,
    }

    /// <summary>
    /// Every write the compilation makes to one of its fields, properties or events, wherever it is: the declaration's
    /// initializer and each write in the syntax of the trees that spell the member's name, bound only there. For the
    /// summaries that must see all the values a member can hold (an encoding every store of which replaces invalid input,
    /// the handlers an internal event can run).
    /// </summary>
    internal static class MemberWrites
    {
        /// <summary>
        /// Whether <paramref name="accepts"/> holds for every write of <paramref name="member"/>: its kind and the written
        /// value's operation (null for <see cref="MemberWriteKind.Other"/>). False as soon as one is refused, or a
        /// declaration other than a variable declarator or a property cannot be read.
        /// </summary>
        public static bool All(Compilation compilation, ISymbol member, Func<MemberWriteKind, IOperation?, bool> accepts)
        {
            foreach (var reference in member.DeclaringSyntaxReferences)
            {
                var initializer = reference.GetSyntax() switch
                {
                    VariableDeclaratorSyntax variable => variable.Initializer?.Value,
                    PropertyDeclarationSyntax property => property.Initializer?.Value,
                    _ => null,
                };
                if (initializer != null && !accepts(MemberWriteKind.Initializer, OperationOf(compilation, initializer)))
                {
                    return false;
                }
            }

            // Bound only where a tree's identifier runs spell the name: no copy of each tree's text per member.
            var vocabulary = InteropVocabulary.For(compilation);
            var declarations = new[] { member.OriginalDefinition };
            foreach (var tree in compilation.SyntaxTrees)
            {
                foreach (var reference in NameReferences.InTree(declarations, member.Name, tree, compilation, vocabulary))
                {
                    if (WriteOf(reference.Whole) is var (kind, value) && !accepts(kind, value == null ? null : reference.Model.GetOperation(value)))
                    {
                        return false;
                    }
                }
            }

            return true;
        }

        private static IOperation? OperationOf(Compilation compilation, ExpressionSyntax value)
#pragma warning disable RS1030 // Once per member initializer; cached by the callers.
            => compilation.ContainsSyntaxTree(value.SyntaxTree) ? compilation.GetSemanticModel(value.SyntaxTree).GetOperation(value) : null;
#pragma warning restore RS1030

        // The name is the target of an assignment (with its value), or written another way (ref, out, ++: no value).
        private static (MemberWriteKind Kind, ExpressionSyntax? Value)? WriteOf(ExpressionSyntax target)
        {
            switch (target.Parent)
            {
                case AssignmentExpressionSyntax assignment when assignment.Left == target:
                    return assignment.Kind() switch
                    {
                        SyntaxKind.SimpleAssignmentExpression => (MemberWriteKind.Assignment, assignment.Right),
                        SyntaxKind.AddAssignmentExpression => (MemberWriteKind.Addition, assignment.Right),
                        SyntaxKind.SubtractAssignmentExpression => (MemberWriteKind.Removal, assignment.Right),
                        _ => (MemberWriteKind.Other, null),
                    };
                case ArgumentSyntax argument when !argument.RefKindKeyword.IsKind(SyntaxKind.None):
                case PrefixUnaryExpressionSyntax prefix when prefix.IsKind(SyntaxKind.PreIncrementExpression) || prefix.IsKind(SyntaxKind.PreDecrementExpression):
                case PostfixUnaryExpressionSyntax postfix when postfix.IsKind(SyntaxKind.PostIncrementExpression) || postfix.IsKind(SyntaxKind.PostDecrementExpression):
                    // (Not 'member!', the null-forgiving read, nor '-member' and the like.)
                    return (MemberWriteKind.Other, null);
                default:
                    return null;
            }
        }
    }
}
