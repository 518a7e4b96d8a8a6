using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Expressions that name the same object every time a body reads them: <c>this</c>, a local or by-value parameter
    /// the body never writes after its declaration, a read-only field of <c>this</c> or a static read-only field, and a
    /// static get-only property (<c>Encoding.UTF8</c>). Two reads of one such symbol see one object, which is what lets
    /// <see cref="ThrowPoints"/> say "this call already succeeded on that object". Writes are found by name in the
    /// declaring member's syntax (assignment, <c>++</c>/<c>--</c>, <c>ref</c>/<c>out</c> argument, <c>ref</c> alias,
    /// address-of), so a same-named variable elsewhere in the member only makes the answer more careful.
    /// </summary>
    internal sealed class StableValues
    {
        private readonly Dictionary<ISymbol, bool> _neverWritten = new Dictionary<ISymbol, bool>(SymbolEqualityComparer.Default);

        /// <summary>The symbol naming the value of <paramref name="operation"/> when the value is stable, or null.</summary>
        public ISymbol? SymbolOf(IOperation operation)
        {
            switch (OperationTree.SkipConversions(operation))
            {
                case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } self:
                    return self.Type;
                case ILocalReferenceOperation local when !local.Local.IsRef && NeverWritten(local.Local):
                    return local.Local;
                case IParameterReferenceOperation parameter when parameter.Parameter.RefKind == RefKind.None && NeverWritten(parameter.Parameter):
                    return parameter.Parameter;
                case IFieldReferenceOperation field when field.Field.IsReadOnly
                                                        && (field.Field.IsStatic || field.Instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }):
                    return field.Field;
                case IPropertyReferenceOperation property when property.Property.IsStatic && property.Arguments.Length == 0 && property.Property.SetMethod == null:
                    return property.Property;
                default:
                    return null;
            }
        }

        /// <summary>The local's single definition when it is declared with an initializer and never written again, or null.</summary>
        public IOperation? InitializerOf(ILocalSymbol local, SemanticModel? model)
            => model != null && InitializerSyntaxOf(local) is { } value && value.SyntaxTree == model.SyntaxTree ? model.GetOperation(value) : null;

        /// <summary>
        /// The syntax of that single definition: for operations without a semantic model (a graph's), which can match it
        /// against the syntax of another operation.
        /// </summary>
        public ExpressionSyntax? InitializerSyntaxOf(ILocalSymbol local)
        {
            if (local.IsRef || !NeverWritten(local) || local.DeclaringSyntaxReferences.Length != 1)
            {
                return null;
            }

            return (local.DeclaringSyntaxReferences[0].GetSyntax() as VariableDeclaratorSyntax)?.Initializer?.Value;
        }

        /// <summary>
        /// The value <paramref name="read"/> sees: the local's initializer when it is never written again, or else the last
        /// plain assignment to it among the statements before the read in the read's own block, with no other write or label
        /// in between (straight-line code, so that assignment is the one that reaches it). Null otherwise, and for a read
        /// inside a lambda or local function or of a local whose address is taken or that a lambda writes.
        /// </summary>
        public IOperation? ValueAt(ILocalReferenceOperation read, SemanticModel? model)
        {
            var local = read.Local;
            if (InitializerOf(local, model) is { } initializer)
            {
                return initializer;
            }

            IOperation statement = read;
            while (statement.Parent is { } parent && parent is not IBlockOperation)
            {
                if (OperationTree.IsFunction(parent))
                {
                    return null;
                }

                statement = parent;
            }

            if (local.IsRef || statement.Parent is not IBlockOperation block || Writes(statement, local) || statement is ILabeledOperation
                || OperationTree.ValuesStoredIn(OperationTree.Root(read), local) is not { } stored
                || stored.Any(value => OperationTree.IsInNestedFunction(value, OperationTree.Root(read))))
            {
                return null;
            }

            for (var i = block.Operations.IndexOf(statement) - 1; i >= 0; i--)
            {
                switch (block.Operations[i])
                {
                    case IExpressionStatementOperation { Operation: ISimpleAssignmentOperation { IsRef: false, Target: ILocalReferenceOperation target } assignment }
                        when SymbolEqualityComparer.Default.Equals(target.Local, local):
                        return Writes(assignment.Value, local) ? null : assignment.Value;
                    case IVariableDeclarationGroupOperation group
                        when group.DescendantsAndSelf().OfType<IVariableDeclaratorOperation>().FirstOrDefault(d => SymbolEqualityComparer.Default.Equals(d.Symbol, local)) is { } declarator:
                        return declarator.GetVariableInitializer()?.Value;
                    case ILabeledOperation:
                        return null;
                    case var previous when Writes(previous, local):
                        return null;
                }
            }

            return null;
        }

        private static bool Writes(IOperation operation, ILocalSymbol local)
        {
            foreach (var reference in operation.DescendantsAndSelf().OfType<ILocalReferenceOperation>())
            {
                if (SymbolEqualityComparer.Default.Equals(reference.Local, local)
                    && ((reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference) || OperationTree.IsOtherWrite(reference)))
                {
                    return true;
                }
            }

            return false;
        }

        private bool NeverWritten(ISymbol symbol)
        {
            if (!_neverWritten.TryGetValue(symbol, out var result))
            {
                result = ComputeNeverWritten(symbol);
                _neverWritten[symbol] = result;
            }

            return result;
        }

        private static bool ComputeNeverWritten(ISymbol symbol)
        {
            var declaration = symbol.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax();
            if (declaration == null)
            {
                return false;
            }

            var scope = declaration.Ancestors().FirstOrDefault(a => a is MemberDeclarationSyntax || a is AccessorDeclarationSyntax || a is GlobalStatementSyntax)
                        ?? declaration.SyntaxTree.GetRoot();
            var name = symbol.Name;
            foreach (var node in scope.DescendantNodes())
            {
                switch (node)
                {
                    case AssignmentExpressionSyntax assignment when Names(assignment.Left, name):
                    case PrefixUnaryExpressionSyntax prefix when !prefix.IsKind(SyntaxKind.LogicalNotExpression) && !prefix.IsKind(SyntaxKind.UnaryMinusExpression)
                                                               && !prefix.IsKind(SyntaxKind.UnaryPlusExpression) && !prefix.IsKind(SyntaxKind.BitwiseNotExpression)
                                                               && !prefix.IsKind(SyntaxKind.PointerIndirectionExpression) && Names(prefix.Operand, name):
                    case PostfixUnaryExpressionSyntax postfix when !postfix.IsKind(SyntaxKind.SuppressNullableWarningExpression) && Names(postfix.Operand, name):
                    case ArgumentSyntax argument when !argument.RefKindKeyword.IsKind(SyntaxKind.None) && !argument.RefKindKeyword.IsKind(SyntaxKind.InKeyword) && Names(argument.Expression, name):
                    case RefExpressionSyntax reference when Names(reference.Expression, name):
                        return false;
                }
            }

            return true;
        }

        // The variable itself, or a tuple on the left of a deconstruction that contains it.
        private static bool Names(ExpressionSyntax expression, string name)
        {
            return OperationTree.SkipParentheses(expression) switch
            {
                IdentifierNameSyntax identifier => identifier.Identifier.ValueText == name,
                TupleExpressionSyntax tuple => tuple.Arguments.Any(a => Names(a.Expression, name)),
                DeclarationExpressionSyntax => false,
                _ => false,
            };
        }
    }
}
