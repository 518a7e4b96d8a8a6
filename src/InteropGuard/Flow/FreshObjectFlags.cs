using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// A state flag of an object that is still unset while the object is being built: a <c>bool</c> field of its type with
    /// no initializer and no write in any of the type's constructors. A <c>throw</c> taken only when such a flag is set
    /// (<c>if (disposed) throw new ObjectDisposedException(...)</c> in a setter) cannot be taken when the object's own
    /// constructor uses that member on <c>this</c>: the flag is set by a later call (its <c>Dispose</c>), never before
    /// the constructor returns. SharpFont's <c>FTBitmap</c> stores a fresh native bitmap through its checked
    /// <c>Reference</c> setter.
    /// </summary>
    internal static class FreshObjectFlags
    {
        /// <summary>Is <paramref name="use"/>, a use of a member on <paramref name="instance"/>, made on <c>this</c> in an instance constructor (not in a lambda or local function inside it)?</summary>
        public static bool IsOnObjectUnderConstruction(IOperation use, IOperation? instance)
        {
            if (instance == null || OperationTree.SkipConversions(instance) is not IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance })
            {
                return false;
            }

            foreach (var ancestor in use.Syntax.Ancestors())
            {
                if (OperationTree.IsFunctionSyntax(ancestor) || ancestor is MemberDeclarationSyntax and not ConstructorDeclarationSyntax)
                {
                    return false;
                }

                if (ancestor is ConstructorDeclarationSyntax constructor)
                {
                    return !constructor.Modifiers.Any(Microsoft.CodeAnalysis.CSharp.SyntaxKind.StaticKeyword);
                }
            }

            return false;
        }

        /// <summary>Is <paramref name="thrown"/> taken only when an unset flag of <paramref name="type"/> is set (the innermost condition around it is the flag itself)?</summary>
        public static bool IsTakenOnlyWhenSet(IThrowOperation thrown, INamedTypeSymbol type)
            => OperationTree.DecisionAbove(thrown) is (IConditionalOperation branch, var child) && child == branch.WhenTrue
               && OperationTree.SkipConversions(branch.Condition) is IFieldReferenceOperation
               {
                   Field: { Type.SpecialType: SpecialType.System_Boolean, IsStatic: false } flag,
                   Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance },
               }
               && SymbolEqualityComparer.Default.Equals(flag.ContainingType.OriginalDefinition, type.OriginalDefinition)
               && IsUnsetWhileConstructing(flag);

        // No initializer, and no constructor of the type names the field (a write or a ref to it). Read from syntax: the
        // declarations are the type's own, in this compilation.
        private static bool IsUnsetWhileConstructing(IFieldSymbol flag)
        {
            if (flag.DeclaringSyntaxReferences.IsEmpty)
            {
                return false;
            }

            foreach (var reference in flag.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is not VariableDeclaratorSyntax { Initializer: null })
                {
                    return false;
                }
            }

            foreach (var reference in flag.ContainingType.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax() is not TypeDeclarationSyntax declaration)
                {
                    return false;
                }

                foreach (var constructor in declaration.Members.OfType<ConstructorDeclarationSyntax>())
                {
                    if (constructor.DescendantNodes().OfType<IdentifierNameSyntax>().Any(name => name.Identifier.ValueText == flag.Name))
                    {
                        return false;
                    }
                }
            }

            return true;
        }
    }
}
