using System.Collections.Concurrent;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Conditions that tell a SafeHandle (or CriticalHandle) local or parameter owns nothing: <c>h.IsInvalid</c>,
    /// <c>h.IsClosed</c>, <c>h == null</c>, <c>h is null</c>, and calls to a method of this compilation whose body only
    /// returns a disjunction of those tests of its one handle parameter (<c>static bool IsNullOrInvalid(this SafeLibraryHandle h)
    /// =&gt; h == null || h.IsInvalid;</c>). Closing or disposing such a handle runs no release function — SafeHandle calls
    /// <c>ReleaseHandle</c> only for a valid handle it owns — so it is no native call. Answered once per predicate method.
    /// </summary>
    internal sealed class InvalidHandleTests
    {
        private readonly InteropContext _context;
        private readonly ConcurrentDictionary<IMethodSymbol, bool> _predicates = ConcurrentTables.Create<IMethodSymbol, bool>(SymbolEqualityComparer.Default);

        private InvalidHandleTests(InteropContext context)
        {
            _context = context;
        }

        /// <summary>The compilation's one instance, held by its context (<see cref="HeldSummaries"/>).</summary>
        public static InvalidHandleTests Of(InteropContext context) => context.Held.Get(c => new InvalidHandleTests(c));

        /// <summary>
        /// The local or parameter <paramref name="condition"/> tests, and the value of the condition under which it holds no
        /// valid handle; null when the condition is no such test.
        /// </summary>
        public (ISymbol Handle, bool InvalidWhen)? Read(IOperation condition)
        {
            var negated = false;
            while (condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not, OperatorMethod: null } not)
            {
                negated = !negated;
                condition = not.Operand;
            }

            var tested = TestedHandle(condition, parameter: null);
            if (tested == null)
            {
                return null;
            }

            return (tested, !negated);
        }

        /// <summary>
        /// The handle a single test names when it is true only for a handle that owns nothing; with <paramref name="parameter"/>,
        /// only a test of that parameter counts.
        /// </summary>
        private ISymbol? TestedHandle(IOperation condition, IParameterSymbol? parameter)
        {
            switch (condition)
            {
                case IPropertyReferenceOperation { Property.Name: "IsInvalid" or "IsClosed", Instance: { } instance } when _context.Types.IsHandleWrapper(instance.Type):
                    return Handle(instance, parameter);
                case IIsNullOperation isNull:
                    return Handle(isNull.Operand, parameter);
                case IIsPatternOperation { Pattern: IConstantPatternOperation { Value.ConstantValue: { HasValue: true, Value: null } } } pattern:
                    return Handle(pattern.Value, parameter);
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals, OperatorMethod: null } equals:
                    return OperationTree.IsNullConstant(equals.RightOperand) ? Handle(equals.LeftOperand, parameter)
                        : OperationTree.IsNullConstant(equals.LeftOperand) ? Handle(equals.RightOperand, parameter)
                        : null;
                case IInvocationOperation { Arguments.Length: 1, Instance: null } call when parameter == null && IsPredicate(call.TargetMethod):
                    return Handle(call.Arguments[0].Value, null);
                default:
                    return null;
            }
        }

        private ISymbol? Handle(IOperation value, IParameterSymbol? parameter)
        {
            value = OperationTree.SkipConversions(value);
            if (!_context.Types.IsHandleWrapper(value.Type))
            {
                return null;
            }

            return value switch
            {
                ILocalReferenceOperation local when parameter == null => local.Local,
                IParameterReferenceOperation reference when parameter == null || SymbolEqualityComparer.Default.Equals(reference.Parameter, parameter) => reference.Parameter,
                _ => null,
            };
        }


        /// <summary>A static method of this compilation with one handle parameter whose body only returns tests of it (joined by <c>||</c>).</summary>
        private bool IsPredicate(IMethodSymbol method)
            => method.IsStatic && method.ReturnType.SpecialType == SpecialType.System_Boolean && method.Parameters.Length == 1
               && _context.Types.IsHandleWrapper(method.Parameters[0].Type) && WrapperSummaries.IsSourceMethodWithBody(method)
               && _predicates.GetOrAdd(method.OriginalDefinition, ReadPredicate);

        private bool ReadPredicate(IMethodSymbol method)
        {
            var body = _context.Wrappers.GetBody(method);
            IOperation? returned = body switch
            {
                IMethodBodyOperation { BlockBody: { Operations.Length: 1 } block, ExpressionBody: null } => block.Operations[0],
                IMethodBodyOperation { BlockBody: null, ExpressionBody: { Operations.Length: 1 } expression } => expression.Operations[0],
                _ => null,
            };

            return returned is IReturnOperation { ReturnedValue: { } value } && IsDisjunctionOfTests(value, method.Parameters[0]);
        }

        private bool IsDisjunctionOfTests(IOperation value, IParameterSymbol parameter)
            => value is IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr, OperatorMethod: null } or
                ? IsDisjunctionOfTests(or.LeftOperand, parameter) && IsDisjunctionOfTests(or.RightOperand, parameter)
                : TestedHandle(value, parameter) != null;
    }
}
