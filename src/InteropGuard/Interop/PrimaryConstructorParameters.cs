using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.Interop
{
    /// <summary>
    /// What a type does with a parameter of its primary constructor (<c>class Reference(Connection connection)</c>). Such a
    /// constructor has no body to read: the parameter is used by the type's member initializers and members. A use in a
    /// member's body makes the compiler capture it in a hidden field, and an initializer whose whole value is the parameter
    /// (<c>public Connection Connection { get; } = connection;</c>) stores it: either way the new object keeps it, as a
    /// constructor assigning it to a field would. Other uses (an initializer computing something from it, the base
    /// constructor's arguments) are not read as keeping it.
    /// </summary>
    internal static class PrimaryConstructorParameters
    {
        /// <summary>Is <paramref name="parameter"/> a primary-constructor parameter the constructed object keeps?</summary>
        public static bool IsKept(IParameterSymbol parameter, Compilation compilation)
        {
            if (parameter.ContainingSymbol is not IMethodSymbol { MethodKind: MethodKind.Constructor } constructor)
            {
                return false;
            }

            foreach (var reference in constructor.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is not TypeDeclarationSyntax { ParameterList: not null } type
                    || !compilation.ContainsSyntaxTree(type.SyntaxTree))
                {
                    continue;
                }

                // Uses in the members only: the base list's arguments are handed on, not kept.
                foreach (var member in type.Members)
                {
                    foreach (var use in NameReferences.To(parameter, member, compilation))
                    {
                        if (use.Name is IdentifierNameSyntax name && Keeps(name))
                        {
                            return true;
                        }
                    }
                }
            }

            return false;
        }

        // A use inside a member's code (captured), or the whole value of a field or property initializer (stored).
        private static bool Keeps(IdentifierNameSyntax name)
        {
            for (SyntaxNode? current = name.Parent; current != null; current = current.Parent)
            {
                if (current is EqualsValueClauseSyntax initializer
                    && initializer.Parent is PropertyDeclarationSyntax or VariableDeclaratorSyntax { Parent.Parent: FieldDeclarationSyntax })
                {
                    return Unwrapped(initializer.Value) == name;
                }

                if (current is BlockSyntax or ArrowExpressionClauseSyntax)
                {
                    return true;
                }

                if (current is MemberDeclarationSyntax)
                {
                    return false;
                }
            }

            return false;
        }

        private static ExpressionSyntax Unwrapped(ExpressionSyntax value)
        {
            while (true)
            {
                switch (value)
                {
                    case ParenthesizedExpressionSyntax parenthesized:
                        value = parenthesized.Expression;
                        break;
                    case PostfixUnaryExpressionSyntax suppressed when suppressed.IsKind(SyntaxKind.SuppressNullableWarningExpression):
                        value = suppressed.Operand;
                        break;
                    default:
                        return value;
                }
            }
        }
    }
}
