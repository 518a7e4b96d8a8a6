using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard
{
    /// <summary>
    /// The few questions about an operation's place in its tree that every layer asks: its root, the function (body,
    /// lambda or local function) it runs in, and the conversions the compiler inserted around it — with their syntax
    /// counterparts (functions, parentheses) for the walks that run before anything is bound. One copy, so that
    /// Interop/, Flow/, the rules and the fixers mean the same thing by "inside a lambda".
    /// </summary>
    internal static class OperationTree
    {
        /// <summary>The outermost operation of the code block holding <paramref name="operation"/>.</summary>
        public static IOperation Root(IOperation operation)
        {
            var current = operation;
            while (current.Parent != null)
            {
                current = current.Parent;
            }

            return current;
        }

        // Deeper than this, the walks below go on with Descendants(): a long chain of binary operators is as deep as it is long.
        internal const int MaxRecursion = 64;

        /// <summary>
        /// Kinds whose operations never have child operations: a local, parameter or <c>this</c> read, a constant, a
        /// default value, a jump. About half the operations of a body are of these kinds, and the walks of every body
        /// (IG1001's body walk and its search for a reference after a call, <see cref="Flow.LocalOrigins.In(IOperation)"/>) pass over them without asking each for its empty child
        /// list (an interface call per operation). Same operations visited, in the same order.
        /// </summary>
        public static bool HasNoChildren(OperationKind kind)
            => kind is OperationKind.LocalReference or OperationKind.ParameterReference or OperationKind.InstanceReference
                    or OperationKind.Literal or OperationKind.DefaultValue or OperationKind.Branch;

        /// <summary>
        /// <c>operation.DescendantsAndSelf().Any(test)</c> without the iterator: a recursion over the child lists, which
        /// allocates nothing, for the questions asked of every statement around a call (Descendants() builds an enumerator
        /// stack each time). Below <see cref="MaxRecursion"/> levels the rest of a subtree is read with Descendants().
        /// </summary>
        public static bool Any(IOperation operation, System.Func<IOperation, bool> test) => test(operation) || AnyBelow(operation, test, 0);

        private static bool AnyBelow(IOperation parent, System.Func<IOperation, bool> test, int depth)
        {
            foreach (var child in parent.ChildOperations)
            {
                if (test(child))
                {
                    return true;
                }

                if (depth < MaxRecursion ? AnyBelow(child, test, depth + 1) : System.Linq.Enumerable.Any(child.Descendants(), test))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Does <paramref name="parent"/> evaluate every operand whenever it is evaluated itself? True for the expressions and
        /// declarations that do (a call and its arguments, an assignment, a conversion, a non-short-circuit operator, a
        /// creation, a member access, a return's value); false for every choice (a condition, <c>&amp;&amp;</c>, <c>??</c>,
        /// <c>?.</c>, a switch), a loop, a lambda, and any other statement. For the readings that ask whether an operation
        /// runs whenever an enclosing one does.
        /// </summary>
        public static bool EvaluatesEveryOperand(IOperation parent)
            => parent switch
            {
                IExpressionStatementOperation or IVariableDeclarationGroupOperation or IVariableDeclarationOperation
                    or IVariableDeclaratorOperation or IVariableInitializerOperation or IArgumentOperation or IInvocationOperation
                    or IConversionOperation or ISimpleAssignmentOperation or ICompoundAssignmentOperation or IMemberReferenceOperation
                    or IObjectCreationOperation or IParenthesizedOperation or IReturnOperation => true,
                IBinaryOperation binary => binary.OperatorKind is not (BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr),
                _ => false,
            };

        /// <summary>A lambda or local function: code with a body of its own, run when it is invoked.</summary>
        public static bool IsFunction(IOperation operation) => operation is IAnonymousFunctionOperation || operation is ILocalFunctionOperation;

        /// <summary><see cref="IsFunction"/> read from syntax, for the walks that run before anything is bound.</summary>
        public static bool IsFunctionSyntax(SyntaxNode node) => node is AnonymousFunctionExpressionSyntax || node is LocalFunctionStatementSyntax;

        /// <summary>The lambda or local function that directly contains <paramref name="operation"/>, or <paramref name="root"/>.</summary>
        public static IOperation EnclosingFunction(IOperation operation, IOperation root)
        {
            for (var current = operation.Parent; current != null; current = current.Parent)
            {
                if (IsFunction(current))
                {
                    return current;
                }
            }

            return root;
        }

        /// <summary>
        /// An operation of a graph in the body's operation tree: the graph's operations are copies without the tree's statement lists
        /// around them, found again by their syntax. Null when it is not there.
        /// </summary>
        public static IOperation? InTree(IOperation call, IOperation root)
        {
            if (OperationTree.IsWithin(call, root))
            {
                return call;
            }

            var syntax = call.Syntax;
            var kind = call.Kind;
            return root.Descendants().FirstOrDefault(o => o.Syntax == syntax && o.Kind == kind);
        }

        /// <summary>Is a lambda or local function between <paramref name="operation"/> and <paramref name="body"/>?</summary>
        public static bool IsInNestedFunction(IOperation operation, IOperation body)
        {
            for (var current = operation.Parent; current != null && current != body; current = current.Parent)
            {
                if (IsFunction(current))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Every reference to <paramref name="local"/> below <paramref name="root"/>, nested functions included.</summary>
        public static IEnumerable<ILocalReferenceOperation> ReferencesTo(IOperation root, ILocalSymbol local)
            => root.Descendants().OfType<ILocalReferenceOperation>().Where(reference => SymbolEqualityComparer.Default.Equals(reference.Local, local));

        /// <summary>Is <paramref name="operation"/> <paramref name="container"/> or one of its descendants?</summary>
        public static bool IsWithin(IOperation operation, IOperation container)
        {
            for (var current = operation; current != null; current = current.Parent)
            {
                if (current == container)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The outermost lambda or local function between <paramref name="operation"/> and <paramref name="body"/>, or null.</summary>
        public static IOperation? OutermostNestedFunction(IOperation operation, IOperation body)
        {
            IOperation? outermost = null;
            for (var current = operation.Parent; current != null && current != body; current = current.Parent)
            {
                if (IsFunction(current))
                {
                    outermost = current;
                }
            }

            return outermost;
        }

        /// <summary>Skips the conversions the compiler inserts, but not user-defined ones (array to span is one).</summary>
        public static IOperation SkipConversions(IOperation operation)
        {
            while (operation is IConversionOperation conversion && conversion.OperatorMethod == null)
            {
                operation = conversion.Operand;
            }

            return operation;
        }

        /// <summary>
        /// A condition under its built-in <c>!</c>s (and the compiler's conversions): what is tested, and whether the condition
        /// is true when what is tested is true (an even number of <c>!</c>).
        /// </summary>
        public static IOperation SkipNegations(IOperation condition, out bool sameSense)
        {
            sameSense = true;
            condition = SkipConversions(condition);
            while (condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not, OperatorMethod: null } not)
            {
                sameSense = !sameSense;
                condition = SkipConversions(not.Operand);
            }

            return condition;
        }

        /// <summary>The constant <c>null</c>, under the conversions the compiler inserts.</summary>
        public static bool IsNullConstant(IOperation operation) => SkipConversions(operation).ConstantValue is { HasValue: true, Value: null };

        /// <summary><c>is null</c> or <c>is not null</c>: a pattern that asks only whether there is an object.</summary>
        public static bool IsNullPattern(IPatternOperation pattern)
            => pattern switch
            {
                IConstantPatternOperation constant => IsNullConstant(constant.Value),
                INegatedPatternOperation negated => IsNullPattern(negated.Pattern),
                _ => false,
            };

        /// <summary>Is <paramref name="reference"/> only compared with <c>null</c> (<c>h != null</c>, <c>h is null</c>, <c>h is not null</c>)?</summary>
        public static bool IsNullTested(IOperation reference)
        {
            var tested = WithEveryConversion(reference);
            return tested.Parent switch
            {
                IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } comparison
                    => IsNullConstant(comparison.LeftOperand == tested ? comparison.RightOperand : comparison.LeftOperand),
                IIsPatternOperation pattern => pattern.Value == tested && IsNullPattern(pattern.Pattern),
                _ => false,
            };
        }

        /// <summary>
        /// <paramref name="operation"/> with the conversions the compiler inserted around it — <see cref="SkipConversions"/>
        /// the other way — so that its parent is what the value is used by.
        /// </summary>
        public static IOperation WithConversions(IOperation operation)
        {
            while (operation.Parent is IConversionOperation conversion && conversion.OperatorMethod == null)
            {
                operation = conversion;
            }

            return operation;
        }

        /// <summary>Skips every conversion, user-defined ones too: an array converted to a span views the same memory.</summary>
        public static IOperation SkipEveryConversion(IOperation operation)
        {
            while (operation is IConversionOperation conversion)
            {
                operation = conversion.Operand;
            }

            return operation;
        }

        /// <summary>
        /// <paramref name="function"/> (a lambda or method reference) with the delegate creation and the conversions around
        /// it: its parent is where the delegate goes.
        /// </summary>
        public static IOperation AsDelegate(IOperation function)
        {
            while (function.Parent is IDelegateCreationOperation || function.Parent is IConversionOperation)
            {
                function = function.Parent;
            }

            return function;
        }

        /// <summary>The expression inside any parentheses around it.</summary>
        public static ExpressionSyntax SkipParentheses(ExpressionSyntax expression)
        {
            while (expression is ParenthesizedExpressionSyntax parenthesized)
            {
                expression = parenthesized.Expression;
            }

            return expression;
        }

        /// <summary><paramref name="node"/> with the parentheses around it (<see cref="SkipParentheses"/> the other way).</summary>
        public static SyntaxNode WithParentheses(SyntaxNode node)
        {
            while (node.Parent is ParenthesizedExpressionSyntax parent)
            {
                node = parent;
            }

            return node;
        }

        /// <summary><paramref name="operation"/> with every conversion around it, user-defined ones too (<see cref="SkipEveryConversion"/> the other way).</summary>
        public static IOperation WithEveryConversion(IOperation operation)
        {
            while (operation.Parent is IConversionOperation conversion)
            {
                operation = conversion;
            }

            return operation;
        }

        /// <summary>
        /// The outermost expression <paramref name="value"/> flows into unchanged: through conversions and the branches
        /// (not the condition) of <c>?:</c> and <c>??</c> — <c>Kept = granted ? handle : fallback;</c> stores what the
        /// branch holds.
        /// </summary>
        public static IOperation WithBranches(IOperation value)
        {
            value = WithEveryConversion(value);
            while ((value.Parent is IConditionalOperation choice && (choice.WhenTrue == value || choice.WhenFalse == value))
                   || (value.Parent is ICoalesceOperation coalesce && (coalesce.Value == value || coalesce.WhenNull == value)))
            {
                value = WithEveryConversion(value.Parent);
            }

            return value;
        }

        /// <summary>
        /// The values <paramref name="local"/> is given in <paramref name="root"/>: its declaration's initializer and every
        /// plain assignment, in tree order. Null when the code also writes it another way — a compound or <c>??=</c>
        /// assignment, <c>++</c>/<c>--</c>, a <c>ref</c> or <c>out</c> argument, a deconstruction, a pattern, a
        /// <c>foreach</c> or <c>catch</c> variable, a ref assignment or its address taken — since what such a write
        /// stores is none of the values listed. Callers asking "is every value this local holds an X" read the list.
        /// </summary>
        public static System.Collections.Generic.List<IOperation>? ValuesStoredIn(IOperation root, ILocalSymbol local)
        {
            var values = new System.Collections.Generic.List<IOperation>();
            foreach (var operation in root.DescendantsAndSelf())
            {
                switch (operation)
                {
                    case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local):
                        if (declarator.Initializer != null)
                        {
                            values.Add(declarator.Initializer.Value);
                        }
                        else if (declarator.Parent is not IVariableDeclarationOperation)
                        {
                            // A foreach or catch variable: written by the loop or the throw, not by an initializer.
                            return null;
                        }

                        break;
                    case IDeclarationPatternOperation { DeclaredSymbol: var declared } when SymbolEqualityComparer.Default.Equals(declared, local):
                    case IRecursivePatternOperation { DeclaredSymbol: var recursive } when SymbolEqualityComparer.Default.Equals(recursive, local):
                        return null;
                    case ILocalReferenceOperation reference when SymbolEqualityComparer.Default.Equals(reference.Local, local):
                        if (reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference)
                        {
                            if (assignment.IsRef)
                            {
                                return null;
                            }

                            values.Add(assignment.Value);
                        }
                        else if (IsOtherWrite(reference))
                        {
                            return null;
                        }

                        break;
                }
            }

            return values;
        }

        /// <summary>
        /// The nearest choice around <paramref name="operation"/> below <paramref name="root"/> — an <c>if</c> or a <c>?:</c>
        /// whose branch, not whose condition, holds it — and whether it lies on the true side; null when there is none.
        /// </summary>
        public static (IConditionalOperation Branch, bool WhenTrue)? NearestBranch(IOperation operation, IOperation root)
        {
            for (IOperation? child = operation, current = operation.Parent; current != null && child != root; child = current, current = current.Parent)
            {
                if (current is IConditionalOperation conditional && child != conditional.Condition)
                {
                    return (conditional, child == conditional.WhenTrue);
                }
            }

            return null;
        }

        /// <summary>
        /// What decides whether <paramref name="thrown"/> runs: the first operation above it that is not its statement, a
        /// block, or the implicit conversion a throw expression takes (<c>x ?? throw ...</c>), with the child of it the throw
        /// sits in — an <c>if</c> and its branch, a <c>??</c> and its null side. Null at the top of the body.
        /// </summary>
        public static (IOperation Decision, IOperation Branch)? DecisionAbove(IThrowOperation thrown)
        {
            IOperation child = thrown;
            for (var parent = thrown.Parent; parent != null; child = parent, parent = parent.Parent)
            {
                if (parent is not (IExpressionStatementOperation or IBlockOperation or IConversionOperation { IsImplicit: true }))
                {
                    return (parent, child);
                }
            }

            return null;
        }

        /// <summary>A write of the local (or field) other than a plain assignment: compound, <c>??=</c>, <c>++</c>, deconstruction, <c>ref</c>/<c>out</c>, address taken.</summary>
        internal static bool IsOtherWrite(IOperation reference)
        {
            IOperation written = reference;
            while (written.Parent is IDeclarationExpressionOperation || written.Parent is ITupleOperation)
            {
                written = written.Parent;
            }

            return written.Parent switch
            {
                ICompoundAssignmentOperation compound => compound.Target == written,
                ICoalesceAssignmentOperation coalesce => coalesce.Target == written,
                IIncrementOrDecrementOperation increment => increment.Target == written,
                IDeconstructionAssignmentOperation deconstruction => deconstruction.Target == written,
                IArgumentOperation argument => argument.Parameter?.RefKind is RefKind.Ref or RefKind.Out,
                IAddressOfOperation => true,
                _ => false,
            };
        }

        /// <summary>Whether a branch ends by leaving its statement: a return, a throw, a break or a continue as its last operation.</summary>
        public static bool Leaves(IOperation branch)
        {
            while (branch is IBlockOperation { Operations.Length: > 0 } block)
            {
                branch = block.Operations[block.Operations.Length - 1];
            }

            return branch is IReturnOperation or IBranchOperation { BranchKind: BranchKind.Break or BranchKind.Continue }
                   || (branch is IExpressionStatementOperation { Operation: IThrowOperation }) || branch is IThrowOperation;
        }

        /// <summary>
        /// What the placeholder a conditional access leaves for its receiver stands for: in <c>owner?.M()</c> the
        /// <c>owner</c> the access tested (the nearest enclosing access's operation); null when <paramref name="instance"/> is
        /// not such a placeholder or no access encloses it.
        /// </summary>
        public static IOperation? ConditionalAccessReceiver(IOperation instance)
        {
            if (instance is IConditionalAccessInstanceOperation)
            {
                for (var current = instance.Parent; current != null; current = current.Parent)
                {
                    if (current is IConditionalAccessOperation access)
                    {
                        return access.Operation;
                    }
                }
            }

            return null;
        }

        /// <summary>
        /// The pointer <paramref name="operation"/> reads through: <c>*p</c>, <c>p[i]</c> and the receiver of <c>p-&gt;F</c>
        /// (whose syntax is <c>p</c> itself) have no operation kind of their own (<see cref="OperationKind.None"/>) and hold
        /// the pointer as their first child. Null for anything else.
        /// </summary>
        public static IOperation? DereferencedPointer(IOperation operation)
            => operation.Kind == OperationKind.None && operation.ChildOperations.Count > 0
               && (IsDereference(operation.Syntax)
                   || (operation.Syntax.Parent is MemberAccessExpressionSyntax member && member.Expression == operation.Syntax
                       && member.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.PointerMemberAccessExpression)))
                ? System.Linq.Enumerable.First(operation.ChildOperations)
                : null;

        /// <summary>Syntax that reads through a pointer: <c>*p</c>, <c>p[i]</c>, <c>p-&gt;F</c>.</summary>
        public static bool IsDereference(SyntaxNode syntax)
            => syntax is ElementAccessExpressionSyntax
               || (syntax is PrefixUnaryExpressionSyntax prefix && prefix.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.PointerIndirectionExpression))
               || (syntax is MemberAccessExpressionSyntax member && member.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.PointerMemberAccessExpression));

        /// <summary>The value a call passes for the parameter at <paramref name="ordinal"/> (named or reordered arguments included), or null.</summary>
        public static IOperation? ArgumentValue(IInvocationOperation call, int ordinal)
        {
            foreach (var argument in call.Arguments)
            {
                if (argument.Parameter?.Ordinal == ordinal)
                {
                    return argument.Value;
                }
            }

            return null;
        }
    }
}
