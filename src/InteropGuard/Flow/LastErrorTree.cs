using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using State = InteropGuard.Flow.LastErrorFlow.State;

namespace InteropGuard.Flow
{
    /// <summary>
    /// <see cref="LastErrorFlow"/>'s analysis read off the operation tree instead of the control-flow graph, for bodies
    /// written in structured statements: blocks, expressions, <c>if</c>, <c>return</c>, <c>throw</c>, <c>try</c>
    /// (catch handlers see every state of their try block, a finally runs between the branches that leave through it
    /// and their destinations, as in the graph), <c>using</c> (its Dispose counted as an overwrite), <c>lock</c> (a try
    /// whose finally releases the lock), <c>fixed</c>, and loops or switches in which nothing matters to the last error.
    /// The same states, the same transfer of each event, the same joins where paths meet; the graph is not built.
    /// Anything else — a loop or switch holding an event, <c>goto</c>, <c>await using</c>, <c>foreach</c>, a constant
    /// condition (the graph drops the branch it never takes), an exception filter, an initializer or interpolated string
    /// handler the graph lowers into other calls, a read inside a lambda or local function — answers null, and the
    /// body goes to the graph. Agreement with the graph is tested over every source of the repository.
    /// </summary>
    internal sealed class LastErrorTree
    {
        private readonly LastErrorCalls _calls;
        private readonly CancellationToken _cancellationToken;
        private readonly List<LastErrorEvent> _events = new List<LastErrorEvent>();
        private readonly Dictionary<int, State> _atRead = new Dictionary<int, State>();

        // The joined states of the try blocks being read (what their catch handlers start from), innermost last.
        private readonly List<State?> _handlerInputs = new List<State?>();

        // The joined states of the branches leaving the try (or catch) blocks being read through their finally, innermost last.
        private readonly List<State?> _finallyInputs = new List<State?>();

        private bool _gaveUp;

        private LastErrorTree(LastErrorCalls calls, CancellationToken cancellationToken)
        {
            _calls = calls;
            _cancellationToken = cancellationToken;
        }

        /// <summary>What each read of the body saw, as <see cref="LastErrorFlow.Analyze"/> finds it on the graph; null when the tree cannot tell.</summary>
        public static List<LastErrorAtRead>? Analyze(IOperation root, LastErrorCalls calls, CancellationToken cancellationToken)
        {
            var reader = new LastErrorTree(calls, cancellationToken);
            switch (root)
            {
                case IMethodBodyOperation { BlockBody: { } body, ExpressionBody: null }:
                    reader.Statement(body, State.Initial);
                    break;
                case IMethodBodyOperation { BlockBody: null, ExpressionBody: { } body }:
                    reader.Statement(body, State.Initial);
                    break;
                case IConstructorBodyOperation constructor when constructor.BlockBody == null || constructor.ExpressionBody == null:
                    var state = constructor.Initializer is IExpressionStatementOperation ? reader.Statement(constructor.Initializer, State.Initial) : reader.Expression(constructor.Initializer, State.Initial);
                    reader.Statement((IOperation?)constructor.BlockBody ?? constructor.ExpressionBody, state);
                    break;
                case IBlockOperation block:
                    reader.Statement(block, State.Initial);
                    break;
                case ISymbolInitializerOperation initializer:
                    reader.Expression(initializer.Value, State.Initial);
                    break;
                default:
                    return null;
            }

            return reader._gaveUp ? null : new List<LastErrorAtRead>(LastErrorFlow.Results(reader._events, reader._atRead));
        }

        /// <summary>The state after <paramref name="operation"/> completes normally; null when it cannot (or when giving up).</summary>
        private State? Statement(IOperation? operation, State? state)
        {
            if (operation == null || state == null || _gaveUp)
            {
                return state;
            }

            _cancellationToken.ThrowIfCancellationRequested();
            switch (operation)
            {
                case IBlockOperation block:
                    return Statements(block.Operations, 0, state);
                case IUsingOperation { IsAsynchronous: false } usingStatement:
                    var resources = Expression(usingStatement.Resources, state);
                    return Disposing(usingStatement, resources, s => Statement(usingStatement.Body, s));
                case ILockOperation lockStatement:
                    // The graph takes the lock inside a try whose finally releases it: calls that leave the last error alone.
                    return Finally(Expression(lockStatement.LockedValue, state), s => Statement(lockStatement.Body, s));
                case { Kind: OperationKind.None, Syntax: FixedStatementSyntax }:
                    // A fixed statement: the graph runs its declarations and then its body, and unpins nothing it shows.
                    foreach (var child in operation.ChildOperations)
                    {
                        state = child is IVariableDeclarationGroupOperation or IBlockOperation ? Statement(child, state) : GiveUp();
                    }

                    return state;
                case IExpressionStatementOperation expression:
                    return Expression(expression.Operation, state);
                case IThrowOperation thrown:
                    return Expression(thrown, state);
                case IVariableDeclarationGroupOperation group:
                    foreach (var declaration in group.Declarations)
                    {
                        foreach (var declarator in declaration.Declarators)
                        {
                            state = Expression(declarator.Initializer?.Value, state);
                        }

                        state = Expression(declaration.Initializer?.Value, state);
                    }

                    return state;
                case IConditionalOperation conditional:
                    return Conditional(conditional, state);
                case IReturnOperation { Kind: OperationKind.Return } ret:
                    Leave(Expression(ret.ReturnedValue, state));
                    return null;
                case ITryOperation tryOperation:
                    return Try(tryOperation, state);
                case IEmptyOperation:
                    return state;
                case ILocalFunctionOperation function:
                    CheckFunction(function);
                    return state;
                case IWhileLoopOperation { ConditionIsTop: true, Condition: { ConstantValue: { HasValue: false } } }:
                case IForLoopOperation { Condition: { ConstantValue: { HasValue: false } } }:
                    // A loop whose condition can be false before the first round, in which nothing happens to the last
                    // error: it changes no state. A return inside it leaves through the finally blocks around it.
                    return Eventless(operation, state);
                case ISwitchOperation switchOperation when CanFallOut(switchOperation):
                    return Eventless(operation, state);
                default:
                    return GiveUp();
            }
        }

        /// <summary>
        /// The statements of a block from <paramref name="index"/> on. A <c>using</c> declaration makes the rest of its
        /// block the try of a finally that disposes the resource.
        /// </summary>
        private State? Statements(ImmutableArray<IOperation> statements, int index, State? state)
        {
            for (var i = index; i < statements.Length; i++)
            {
                if (statements[i] is IUsingDeclarationOperation declaration)
                {
                    if (declaration.IsAsynchronous)
                    {
                        return GiveUp();
                    }

                    var rest = i + 1;
                    state = Statement(declaration.DeclarationGroup, state);
                    return Disposing(declaration, state, s => Statements(statements, rest, s));
                }

                state = Statement(statements[i], state);
            }

            return state;
        }

        /// <summary>
        /// A using: its body runs in a try whose finally disposes the resource. The graph holds that call and the tree
        /// does not; it is counted as an overwrite, which can only send more reads to the graph, never fewer (a read after
        /// it has something to report, unless no native call came before).
        /// </summary>
        private State? Disposing(IOperation statement, State? state, System.Func<State?, State?> body)
            => Finally(state, body, new LastErrorEvent(LastErrorEventKind.Overwrite, statement, "Dispose", why: "disposes the resource of a using"));

        /// <summary>
        /// A body run in a try whose finally holds <paramref name="release"/> (null: nothing that matters to the last
        /// error): every state leaving the body, normally or by a return, passes through the finally.
        /// </summary>
        private State? Finally(State? state, System.Func<State?, State?> body, LastErrorEvent? release = null)
        {
            if (state == null || _gaveUp)
            {
                return state;
            }

            _finallyInputs.Add(null);
            var end = body(state);
            var leaving = _finallyInputs[_finallyInputs.Count - 1];
            _finallyInputs.RemoveAt(_finallyInputs.Count - 1);
            var input = Join(end, leaving);
            var after = input == null || release == null ? input : Apply(release, input);
            if (leaving != null)
            {
                Leave(after);
            }

            return end == null ? null : after;
        }

        private State? Expression(IOperation? operation, State? state)
        {
            if (operation == null || state == null || _gaveUp)
            {
                return state;
            }

            switch (operation)
            {
                case IAnonymousFunctionOperation function:
                    CheckFunction(function);
                    return state;
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr } logical:
                    // As a value, both outcomes meet after the operator.
                    var (isTrue, isFalse) = Condition(logical, state);
                    return Join(isTrue, isFalse);
                case IConditionalOperation conditional:
                    return Conditional(conditional, state);
                case ICoalesceOperation coalesce:
                    var value = Expression(coalesce.Value, state);
                    return Join(value, Expression(coalesce.WhenNull, value));
                case IConditionalAccessOperation access:
                    var receiver = Expression(access.Operation, state);
                    return Join(receiver, Expression(access.WhenNotNull, receiver));
                case IThrowOperation thrown:
                    Expression(thrown.Exception, state);
                    return null;
                case IObjectCreationOperation { Initializer: not null }:
                case IAnonymousObjectCreationOperation:
                case IWithOperation:
                case ICoalesceAssignmentOperation:
                case ISwitchExpressionOperation:
                case IInterpolatedStringHandlerCreationOperation:
                case IObjectOrCollectionInitializerOperation:
                    // The graph evaluates these in another order or through calls the tree does not hold.
                    return HoldsEvent(operation) ? GiveUp() : state;
                case IFlowCaptureOperation:
                case IFlowCaptureReferenceOperation:
                case IIsNullOperation:
                case ICaughtExceptionOperation:
                case IInvalidOperation:
                    return GiveUp();
            }

            foreach (var child in operation.ChildOperations)
            {
                state = Expression(child, state);
                if (state == null)
                {
                    return null;
                }
            }

            return Event(operation, state);
        }

        private State? Conditional(IConditionalOperation conditional, State state)
        {
            if (conditional.IsRef)
            {
                return GiveUp();
            }

            var (whenTrue, whenFalse) = Condition(conditional.Condition, state);
            whenTrue = conditional.Type == null ? Statement(conditional.WhenTrue, whenTrue) : Expression(conditional.WhenTrue, whenTrue);
            if (conditional.WhenFalse != null)
            {
                whenFalse = conditional.Type == null ? Statement(conditional.WhenFalse, whenFalse) : Expression(conditional.WhenFalse, whenFalse);
            }

            return Join(whenTrue, whenFalse);
        }

        /// <summary>
        /// The states in which a condition is true and false: as in the graph, <c>A() &amp;&amp; B()</c> is true only after
        /// both calls, false after either.
        /// </summary>
        private (State? True, State? False) Condition(IOperation condition, State? state)
        {
            if (condition.ConstantValue.HasValue)
            {
                GiveUp();
                return (null, null);
            }

            switch (condition)
            {
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd, OperatorMethod: null } and:
                    var (leftTrue, leftFalse) = Condition(and.LeftOperand, state);
                    var (rightTrue, rightFalse) = Condition(and.RightOperand, leftTrue);
                    return (rightTrue, Join(leftFalse, rightFalse));
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr, OperatorMethod: null } or:
                    var (eitherTrue, firstFalse) = Condition(or.LeftOperand, state);
                    var (secondTrue, bothFalse) = Condition(or.RightOperand, firstFalse);
                    return (Join(eitherTrue, secondTrue), bothFalse);
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not, OperatorMethod: null } not:
                    var (operandTrue, operandFalse) = Condition(not.Operand, state);
                    return (operandFalse, operandTrue);
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr }:
                    GiveUp();
                    return (null, null);
                default:
                    var after = Expression(condition, state);
                    return (after, after);
            }
        }

        private State? Try(ITryOperation tryOperation, State state)
        {
            if (tryOperation.ExitLabel != null)
            {
                return GiveUp();
            }

            foreach (var handler in tryOperation.Catches)
            {
                if (handler.Filter != null)
                {
                    return GiveUp();
                }
            }

            var hasCatch = tryOperation.Catches.Length > 0;
            var hasFinally = tryOperation.Finally != null;
            if (hasFinally)
            {
                _finallyInputs.Add(null);
            }

            if (hasCatch)
            {
                _handlerInputs.Add(state);
            }

            var end = Statement(tryOperation.Body, state);
            if (hasCatch)
            {
                var handlerInput = _handlerInputs[_handlerInputs.Count - 1];
                _handlerInputs.RemoveAt(_handlerInputs.Count - 1);
                foreach (var handler in tryOperation.Catches)
                {
                    end = Join(end, Statement(handler.Handler, handlerInput));
                }
            }

            if (!hasFinally)
            {
                return end;
            }

            var leaving = _finallyInputs[_finallyInputs.Count - 1];
            _finallyInputs.RemoveAt(_finallyInputs.Count - 1);

            // As in the graph, one state leaves the finally for every destination of the branches that entered it.
            var after = Statement(tryOperation.Finally, Join(end, leaving));
            if (leaving != null)
            {
                Leave(after);
            }

            return end == null ? null : after;
        }

        /// <summary>A statement in which nothing matters to the last error: the state after it is the state before it.</summary>
        private State? Eventless(IOperation operation, State state)
        {
            foreach (var descendant in Descendants(operation))
            {
                switch (descendant)
                {
                    case IReturnOperation { Kind: OperationKind.Return }:
                        Leave(state);
                        break;
                    case IReturnOperation:
                    case IBranchOperation { BranchKind: BranchKind.GoTo }:
                    case ILabeledOperation:
                    case ITryOperation:
                    case IFlowCaptureOperation:
                        return GiveUp();
                    default:
                        if (_calls.Classify(descendant) != null)
                        {
                            return GiveUp();
                        }

                        break;
                }
            }

            return state;
        }

        /// <summary>A switch statement the graph can leave at its end: no default label, or a section that breaks.</summary>
        private static bool CanFallOut(ISwitchOperation switchOperation)
        {
            var hasDefault = false;
            var breaks = false;
            foreach (var section in switchOperation.Cases)
            {
                foreach (var clause in section.Clauses)
                {
                    hasDefault |= clause.CaseKind == CaseKind.Default;
                }

                breaks |= section.Body.Length > 0 && section.Body[section.Body.Length - 1] is IBranchOperation { BranchKind: BranchKind.Break };
            }

            return !hasDefault || breaks;
        }

        private bool HoldsEvent(IOperation operation)
        {
            foreach (var descendant in Descendants(operation))
            {
                if (_calls.Classify(descendant) != null)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The operation and those under it, not entering lambdas or local functions (checked for reads on their own).</summary>
        private IEnumerable<IOperation> Descendants(IOperation operation)
        {
            var stack = new Stack<IOperation>();
            stack.Push(operation);
            while (stack.Count > 0)
            {
                var current = stack.Pop();
                if (OperationTree.IsFunction(current))
                {
                    CheckFunction(current);
                    continue;
                }

                yield return current;
                foreach (var child in current.ChildOperations)
                {
                    stack.Push(child);
                }
            }
        }

        /// <summary>A lambda or local function is its own graph: the tree answers only when it names no read.</summary>
        private void CheckFunction(IOperation function)
        {
            if (_calls.MayRead(function.Syntax))
            {
                _gaveUp = true;
            }
        }

        private State? Event(IOperation operation, State state)
            => _calls.Classify(operation) is { } found ? Apply(found, state) : state;

        private State Apply(LastErrorEvent found, State state)
        {
            var id = _events.Count;
            _events.Add(found);
            switch (found.Kind)
            {
                case LastErrorEventKind.Read:
                    _atRead[id] = _atRead.TryGetValue(id, out var seen) ? seen.Join(state) : state;
                    return state;
                case LastErrorEventKind.NativeCall:
                    state = state.AfterNativeCall(id, found.SetsLastError);
                    break;
                default:
                    state = state.AfterOverwrite(id);
                    break;
            }

            // Every state inside a try block reaches its catch handlers.
            for (var i = 0; i < _handlerInputs.Count; i++)
            {
                _handlerInputs[i] = Join(_handlerInputs[i], state);
            }

            return state;
        }

        /// <summary>A return: its state enters the innermost finally around it (or leaves the body).</summary>
        private void Leave(State? state)
        {
            if (state != null && _finallyInputs.Count > 0)
            {
                _finallyInputs[_finallyInputs.Count - 1] = Join(_finallyInputs[_finallyInputs.Count - 1], state);
            }
        }

        private State? GiveUp()
        {
            _gaveUp = true;
            return null;
        }

        private static State? Join(State? a, State? b) => a == null ? b : b == null ? a : a.Join(b);
    }
}
