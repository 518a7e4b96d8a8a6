using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Does a property's setter keep the value it is given only in the object itself? Then setting the property of an
    /// object being created (<c>new Slots { [0] = p }</c>, <c>new Args { Data = p }</c>) puts the value where the
    /// object goes, as a field member of the initializer does. Kept in the object: an auto-property's hidden field, a
    /// field of <c>this</c>, or the memory a pointer fixed on a field of <c>this</c> points to (fixed-size pointer
    /// arrays generated as <c>fixed (T** p = &amp;_0) { *(p + i) = value; }</c>). Any other use of the value (a call, a
    /// static field, another object) is a store this reading cannot follow, and a setter outside the compilation or
    /// without a body it can read keeps the value somewhere unknown.
    /// </summary>
    internal static class SelfKeepingSetters
    {
        public static bool KeepsValueInSelf(IPropertySymbol property, InteropContext context)
        {
            if (property.SetMethod is not { } setter || property.IsStatic || property.IsAbstract || property.IsExtern
                || property.ContainingType?.TypeKind == TypeKind.Interface || !WrapperSummaries.IsSourceMethodWithBody(setter))
            {
                return false;
            }

            // An auto-property (Interop's reading, by its getter) whose setter is bodiless too: the compiler stores the value
            // in the property's hidden field.
            if (HandleOwners.IsAutoProperty(property) && IsBodiless(setter))
            {
                return true;
            }

            if (context.Wrappers.GetBody(setter) is not { } body || setter.Parameters.LastOrDefault() is not { } value)
            {
                return false;
            }

            var uses = body.Descendants().OfType<IParameterReferenceOperation>()
                .Where(reference => SymbolEqualityComparer.Default.Equals(reference.Parameter, value))
                .ToList();
            return uses.Count > 0 && uses.All(use => StoredIntoSelf(use, body));
        }

        private static bool IsBodiless(IMethodSymbol accessor)
            => accessor.DeclaringSyntaxReferences.Length == 1
               && accessor.DeclaringSyntaxReferences[0].GetSyntax() is AccessorDeclarationSyntax { Body: null, ExpressionBody: null };

        private static bool StoredIntoSelf(IParameterReferenceOperation use, IOperation body)
        {
            IOperation value = use;
            while (value.Parent is IConversionOperation conversion && conversion.Operand == value)
            {
                value = conversion;
            }

            if (value.Parent is not ISimpleAssignmentOperation assignment || assignment.Value != value)
            {
                return false;
            }

            return assignment.Target switch
            {
                IFieldReferenceOperation field => !field.Field.IsStatic && field.Instance is IInstanceReferenceOperation,
                // `*(p + i) = value` or `p[i] = value`: pointer indirection has no operation kind of its own.
                { Kind: OperationKind.None } pointed => pointed.ChildOperations.FirstOrDefault() is { } address && FixedOnOwnField(address, body),
                _ => false,
            };
        }

        // The pointer is a `fixed` local, or that local plus an offset, initialized with the address of a field of `this`
        // (a fixed local cannot be written again).
        private static bool FixedOnOwnField(IOperation address, IOperation body)
        {
            address = OperationTree.SkipConversions(address);
            if (address is IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } sum)
            {
                address = OperationTree.SkipConversions(sum.LeftOperand);
            }

            if (address is not ILocalReferenceOperation pointer
                || pointer.Local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() is not VariableDeclaratorSyntax declarator
                || declarator.Parent?.Parent is not FixedStatementSyntax)
            {
                return false;
            }

            var initializer = body.Descendants().OfType<IVariableDeclaratorOperation>()
                .FirstOrDefault(d => SymbolEqualityComparer.Default.Equals(d.Symbol, pointer.Local))?.Initializer?.Value;
            if (initializer is { Kind: OperationKind.None } && initializer.ChildOperations.Count == 1)
            {
                // The compiler wraps a fixed local's initializer in an operation of no kind of its own.
                initializer = initializer.ChildOperations.First();
            }

            return initializer != null
                   && OperationTree.SkipConversions(initializer) is IAddressOfOperation { Reference: IFieldReferenceOperation { Field.IsStatic: false, Instance: IInstanceReferenceOperation } };
        }
    }
}
