using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// A constructor that makes its callback delegate, keeps it in a <c>readonly</c> field and then turns the field into a
    /// function pointer: <c>_process = new ProcessDelegate(ProcessUnmanaged); native = make(Marshal.GetFunctionPointerForDelegate(_process));</c>
    /// (BulletSharp's callback wrappers, fresh25). <c>GetFunctionPointerForDelegate</c> refuses only null and a delegate of a
    /// generic type (<see cref="MarshalableDelegates"/>). A <c>readonly</c> field of a delegate type that is not generic holds
    /// that very type; that it is not null follows when, in this very constructor, a statement before the call's stores a
    /// delegate made on the spot in it and every other write of it in the constructor is such a store too: only the type's
    /// constructors may write a <c>readonly</c> field, and the one running is this one (a chained <c>: this(…)</c> runs before
    /// the body). Still counted: a field that is not <c>readonly</c> (any method may null it), a store of a value that is not
    /// made on the spot, a store after the call or only on one branch, the call inside a lambda, a field passed by <c>ref</c>.
    /// </summary>
    internal static class ConstructorMadeDelegates
    {
        /// <param name="bound">The call in the bound tree.</param>
        public static bool HoldsForArgument(IInvocationOperation? bound)
        {
            if (bound == null || bound.Arguments.Length != 1
                || OperationTree.SkipConversions(bound.Arguments[0].Value) is not IFieldReferenceOperation
                {
                    Instance: IInstanceReferenceOperation,
                    Field: { IsReadOnly: true, IsStatic: false, Type: INamedTypeSymbol { TypeKind: TypeKind.Delegate, IsGenericType: false } } field
                })
            {
                return false;
            }

            // The statement of the constructor's own block that holds the call; a lambda or local function on the way may run later.
            IOperation statement = bound;
            while (statement.Parent is { } parent && parent is not IBlockOperation { Parent: IConstructorBodyOperation })
            {
                if (OperationTree.IsFunction(parent))
                {
                    return false;
                }

                statement = parent;
            }

            if (statement.Parent is not IBlockOperation { Parent: IConstructorBodyOperation body } block
                || bound.SemanticModel?.GetDeclaredSymbol(body.Syntax) is not IMethodSymbol constructor
                || !SymbolEqualityComparer.Default.Equals(constructor.ContainingType, field.ContainingType))
            {
                return false;
            }

            var madeBefore = false;
            foreach (var reference in body.Descendants().OfType<IFieldReferenceOperation>())
            {
                if (!SymbolEqualityComparer.Default.Equals(reference.Field, field))
                {
                    continue;
                }

                if (reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference)
                {
                    if (!InfallibleCalls.IsNewDelegate(assignment.Value))
                    {
                        return false;
                    }

                    madeBefore |= assignment.Parent is IExpressionStatementOperation { Parent: IBlockOperation owner } stored && owner == block
                                  && block.Operations.IndexOf(stored) < block.Operations.IndexOf(statement);
                }
                else if (OperationTree.IsOtherWrite(reference))
                {
                    return false;
                }
            }

            return madeBefore;
        }
    }
}
