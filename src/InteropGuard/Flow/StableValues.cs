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

        private static bool ComputeNeverWritten(ISymbol symbol) => Scope(symbol) is { } scope && !Writes(scope, symbol.Name).Any();

        /// <summary>
        /// The variable <paramref name="operation"/> reads when no write to it can run between that read and the read
        /// <paramref name="other"/> (the same variable read elsewhere, before or after): every write ends before the first
        /// of the two reads, or starts after the last of them outside any loop around both. A parameter defaulted at the
        /// top of its method (<c>if (encoding is null) encoding = Encoding.UTF8;</c>) or a <c>ref string input</c> written
        /// back at the end names one value across its measurement and its encoding. Without a jump back (<c>goto</c>), a
        /// write outside that stretch of text cannot run inside it; a write from a nested function or through an alias
        /// (<c>ref</c> local, address-of) can, so those leave the variable unsettled. A <c>ref</c> or <c>in</c> parameter
        /// counts: only the caller's own variable, written by nothing this body runs, could change it. Otherwise as
        /// <see cref="SymbolOf"/>.
        /// </summary>
        public ISymbol? SettledSymbolOf(IOperation operation, IOperation? other = null)
        {
            if (SymbolOf(operation) is { } stable)
            {
                return stable;
            }

            ISymbol? variable = OperationTree.SkipConversions(operation) switch
            {
                ILocalReferenceOperation { Local.IsRef: false } local => local.Local,
                IParameterReferenceOperation { Parameter.RefKind: RefKind.None or RefKind.Ref or RefKind.In } parameter => parameter.Parameter,
                _ => null,
            };
            if (variable == null || operation.Syntax == null)
            {
                return null;
            }

            if (!_writes.TryGetValue(variable, out var writes))
            {
                writes = PlacedWrites(variable);
                _writes[variable] = writes;
            }

            if (writes == null)
            {
                return null;
            }

            var first = operation.Syntax;
            var last = operation.Syntax;
            if (other?.Syntax is { } otherSyntax && otherSyntax.SyntaxTree == first.SyntaxTree)
            {
                (first, last) = otherSyntax.SpanStart < first.SpanStart ? (otherSyntax, first) : (first, otherSyntax);
            }

            foreach (var write in writes)
            {
                if (write.Span.End <= first.SpanStart)
                {
                    continue;
                }

                if (write.SpanStart < last.Span.End || write.Ancestors().Any(a => IsLoop(a) && a.Span.Contains(first.Span)))
                {
                    return null;
                }
            }

            return variable;
        }

        private readonly Dictionary<ISymbol, List<SyntaxNode>?> _writes = new Dictionary<ISymbol, List<SyntaxNode>?>(SymbolEqualityComparer.Default);

        // The writes to the variable in its member, or null when one cannot be placed in the text (a jump, an alias, a
        // nested function).
        private static List<SyntaxNode>? PlacedWrites(ISymbol symbol)
        {
            if (Scope(symbol) is not { } scope || scope.DescendantNodes().Any(n => n is GotoStatementSyntax))
            {
                return null;
            }

            var writes = new List<SyntaxNode>();
            foreach (var write in Writes(scope, symbol.Name))
            {
                if (write is RefExpressionSyntax || write.IsKind(SyntaxKind.AddressOfExpression)
                    || write.Ancestors().TakeWhile(a => a != scope).Any(a => a is AnonymousFunctionExpressionSyntax || a is LocalFunctionStatementSyntax))
                {
                    return null;
                }

                writes.Add(write);
            }

            return writes;
        }

        private static bool IsLoop(SyntaxNode node)
            => node is WhileStatementSyntax || node is DoStatementSyntax || node is ForStatementSyntax || node is CommonForEachStatementSyntax;

        private static SyntaxNode? Scope(ISymbol symbol)
        {
            var declaration = symbol.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax();
            return declaration == null
                ? null
                : declaration.Ancestors().FirstOrDefault(a => a is MemberDeclarationSyntax || a is AccessorDeclarationSyntax || a is GlobalStatementSyntax)
                  ?? declaration.SyntaxTree.GetRoot();
        }

        // The nodes in the scope that write a variable of this name: assignment, ++/--, ref/out argument, ref alias, address-of.
        private static IEnumerable<SyntaxNode> Writes(SyntaxNode scope, string name)
        {
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
                        yield return node;
                        break;
                }
            }
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
