using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Where an exception can leave a body that native code calls. Calls, creations and awaits (<see cref="ThrowPoints"/>)
    /// count, and so do <c>throw</c>, casts and unboxing that can fail, <c>checked</c> arithmetic, and array and indexer
    /// access; unchecked arithmetic, field and local access and constants do not. An operation inside the <c>try</c> of a
    /// catch-all (<c>catch</c>, <c>catch (Exception)</c> without a filter) is covered; the handler's own code is assumed
    /// not to throw (logging there is the point of it), except an explicit <c>throw</c>. Broken invariants of the body's own
    /// code are not counted, as a null dereference is not: an explicit <c>throw new NullReferenceException()</c>, a guard
    /// against using a released handle (<c>InvalidOperationException</c> or <c>ObjectDisposedException</c> thrown exactly
    /// when a handle field of <c>this</c> is zero or null), a downcast or unboxing of
    /// <c>this</c> or of an instance member the code itself keeps (<c>(Derived)this.Device</c>), and checked arithmetic that only sizes
    /// a new array (an array that does not fit fails like running out of memory, which no model counts). Nested lambdas and local
    /// functions run when someone calls them, not as part of this body. With <c>callsAndThrowsOnly</c>, only throw points
    /// and explicit <c>throw</c> count (the ownership rules' model, used to summarize the methods they call).
    /// </summary>
    internal sealed class EscapingExceptions
    {
        private readonly ThrowPoints _throwPoints;
        private readonly ITypeSymbol? _exception;
        private readonly bool _callsAndThrowsOnly;

        public EscapingExceptions(ThrowPoints throwPoints, ITypeSymbol? exception, bool callsAndThrowsOnly = false)
        {
            _throwPoints = throwPoints;
            _exception = exception;
            _callsAndThrowsOnly = callsAndThrowsOnly;
        }

        /// <summary>The first operation of <paramref name="body"/> whose exception reaches the caller, or null.</summary>
        public IOperation? FirstEscaping(IOperation body)
        {
            foreach (var operation in Walk(body))
            {
                if (MayThrow(operation) && !IsCovered(operation, body))
                {
                    return operation;
                }
            }

            return null;
        }

        /// <summary>
        /// The escaping operation a reader should look at first, or null: an explicit <c>throw</c>, then a call into code
        /// the callback does not control (a delegate, a virtual or interface member, the seek position of a stream it was
        /// given: <see cref="UnseekableStreams"/>), then any other call, creation or
        /// await, then casts and checked arithmetic, then indexing. The first of the likeliest kind in source order wins.
        /// </summary>
        public IOperation? LikeliestEscaping(IOperation body) => Likeliest(AllEscaping(body));

        /// <summary>Every operation of <paramref name="body"/> whose exception reaches the caller, in source order.</summary>
        public System.Collections.Generic.IEnumerable<IOperation> AllEscaping(IOperation body)
        {
            foreach (var operation in Walk(body))
            {
                if (MayThrow(operation) && !IsCovered(operation, body))
                {
                    yield return operation;
                }
            }
        }

        /// <summary>
        /// The first explicit <c>throw</c> of <paramref name="body"/> that reaches the caller, in the order of
        /// <see cref="AllEscaping"/>, skipping those <paramref name="skip"/> names; null when there is none. Only the
        /// throws are judged, so no call is summarized on the way: a <c>throw</c> is the likeliest kind
        /// (<see cref="Likeliest"/>), so when one escapes it is the answer whatever the calls around it do.
        /// </summary>
        public IOperation? FirstEscapingThrow(IOperation body, System.Func<IOperation, bool> skip)
        {
            foreach (var operation in Walk(body))
            {
                if (operation is IThrowOperation && MayThrow(operation) && !IsCovered(operation, body) && !skip(operation))
                {
                    return operation;
                }
            }

            return null;
        }

        /// <summary>The operation a reader should look at first among <paramref name="escaping"/> (see <see cref="LikeliestEscaping"/>).</summary>
        public static IOperation? Likeliest(System.Collections.Generic.IEnumerable<IOperation> escaping)
        {
            IOperation? best = null;
            var bestRank = int.MaxValue;
            foreach (var operation in escaping)
            {
                var rank = Likelihood(operation);
                if (rank < bestRank)
                {
                    best = operation;
                    bestRank = rank;
                }
            }

            return best;
        }

        private static int Likelihood(IOperation operation)
            => operation switch
            {
                IThrowOperation => 0,
                IInvocationOperation { TargetMethod.MethodKind: MethodKind.DelegateInvoke } => 1,
                IInvocationOperation { IsVirtual: true } => 1,
                IPropertyReferenceOperation property when UnseekableStreams.IsSeekingRead(property) => 1,
                IInvocationOperation or IObjectCreationOperation or IAwaitOperation => 2,
                IConversionOperation or IBinaryOperation or IUnaryOperation => 3,
                _ => 4,
            };

        // Depth first in source order, leaving out nested functions, calls this build omits (OmittedCalls) and the branches
        // the calls being judged cannot take (ConstantConditions: 'if (throw_on_error) throw ...' of a call passing false).
        private System.Collections.Generic.IEnumerable<IOperation> Walk(IOperation root)
        {
            var stack = new System.Collections.Generic.Stack<IOperation>();
            stack.Push(root);
            while (stack.Count > 0)
            {
                var current = stack.Pop();

                // A call the compiler leaves out of this build ([Conditional("DEBUG")] without DEBUG) runs neither itself nor
                // its arguments.
                if (current is IInvocationOperation invocation && OmittedCalls.IsOmitted(invocation))
                {
                    continue;
                }

                yield return current;
                var children = new System.Collections.Generic.List<IOperation>(current.ChildOperations);
                for (var i = children.Count - 1; i >= 0; i--)
                {
                    if (OperationTree.IsFunction(children[i]) || ConstantConditions.IsUntaken(current, children[i], _throwPoints))
                    {
                        continue;
                    }

                    stack.Push(children[i]);
                }
            }
        }

        private bool MayThrow(IOperation operation)
        {
            // The exception a throw creates is judged with the throw (an explicit null dereference is not counted).
            if (IsThrownCreation(operation))
            {
                return false;
            }

            if (_callsAndThrowsOnly)
            {
                return operation is IThrowOperation thrown ? !IsBrokenInvariant(thrown) && !IsMetNullCheck(thrown) : _throwPoints.IsThrowPoint(operation);
            }

            switch (operation)
            {
                case IThrowOperation thrown:
                    return !IsBrokenInvariant(thrown) && !IsMetNullCheck(thrown);
                case IArrayElementReferenceOperation element:
                    return !IndexedWithinBounds.Covers(element, _throwPoints.Stable);
                case IPropertyReferenceOperation { Arguments.Length: > 0 } indexer:
                    return !InfallibleCalls.IsValueKeyedDictionaryStore(indexer) && !InfallibleCalls.IsPresentKeyRead(indexer, _throwPoints.Stable);
                case IBinaryOperation binary:
                    return binary.IsChecked && !SizesANewArray(binary);
                case IUnaryOperation unary:
                    return unary.IsChecked && !SizesANewArray(unary);
                case IConversionOperation { OperatorMethod: { } operatorMethod }:
                    return _throwPoints.MayThrowConverting(operatorMethod);
                case IConversionOperation conversion:
                    // 'as' yields null instead of throwing.
                    return !conversion.IsImplicit && !conversion.IsTryCast && CanFail(conversion) && !(conversion.IsChecked && SizesANewArray(conversion));
                default:
                    return _throwPoints.IsThrowPoint(operation);
            }
        }

        /// <summary>
        /// A <c>throw</c> that spells out a broken invariant of the code's own state, not a failure of the input it
        /// processes: <c>throw new NullReferenceException()</c> says what dereferencing null does on its own, and the model
        /// counts no dereference (a member access on null would flag every body); an <c>InvalidOperationException</c> or
        /// <c>ObjectDisposedException</c> thrown exactly when a handle or reference field of <c>this</c> is zero or null
        /// (<c>if (handle == IntPtr.Zero) throw ...</c>) is the same dereference of a released handle, spelled out. An
        /// argument check (<c>ArgumentNullException</c>) and a flag the object documents (<c>if (_closed) throw ...</c>)
        /// are contracts a caller can meet or break, and still count.
        /// </summary>
        private static bool IsBrokenInvariant(IThrowOperation thrown)
        {
            if (thrown.Exception is not { } exception
                || OperationTree.SkipConversions(exception) is not IObjectCreationOperation { Type: { } type } creation
                || !NamespaceNames.Is(type.ContainingNamespace, "System"))
            {
                return false;
            }

            return type.Name switch
            {
                "NullReferenceException" => creation.Arguments.Length == 0,
                "InvalidOperationException" or "ObjectDisposedException" => IsGuardOfReleasedState(thrown),
                _ => false,
            };
        }

        /// <summary>
        /// An argument's null check that the calls being judged meet: <c>if (counter == null) throw ...</c> (or
        /// <c>counter ?? throw ...</c>, or <c>if (buffer == IntPtr.Zero) throw ...</c>) on a parameter never written in the body
        /// that every such caller fills with a value that is never null or zero (<see cref="ThrowPoints.IsNeverNullParameter"/>).
        /// </summary>
        private bool IsMetNullCheck(IThrowOperation thrown)
        {
            if (OperationTree.WithEveryConversion(thrown) is var converted && converted.Parent is ICoalesceOperation coalesce && coalesce.WhenNull == converted)
            {
                return IsNeverNullParameter(coalesce.Value);
            }

            if (GuardAround(thrown) is not { } guard)
            {
                return false;
            }

            return OperationTree.SkipConversions(guard.Condition) switch
            {
                IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals } test
                    => (IsNeverNullParameter(test.LeftOperand) && IsEmpty(test.RightOperand)) || (IsNeverNullParameter(test.RightOperand) && IsEmpty(test.LeftOperand)),
                IIsPatternOperation { Pattern: IConstantPatternOperation { Value: var constant } } test => IsEmpty(constant) && IsNeverNullParameter(test.Value),
                _ => false,
            };
        }

        private bool IsNeverNullParameter(IOperation operand)
            => OperationTree.SkipConversions(operand) is IParameterReferenceOperation reference
               && _throwPoints.IsNeverNullParameter(reference.Parameter) && _throwPoints.Stable.SymbolOf(reference) != null;

        // 'if (this.handle == IntPtr.Zero) throw ...': the throw is the whole branch taken when a field of this is empty.
        private static bool IsGuardOfReleasedState(IThrowOperation thrown)
            => GuardAround(thrown) is { } guard
               && OperationTree.SkipConversions(guard.Condition) is IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals } test
               && ((IsOwnField(test.LeftOperand) && IsEmpty(test.RightOperand)) || (IsOwnField(test.RightOperand) && IsEmpty(test.LeftOperand)));

        // The 'if' without 'else' whose whole then-branch is the throw ('if (c) throw ...;' or 'if (c) { throw ...; }'), or null.
        private static IConditionalOperation? GuardAround(IThrowOperation thrown)
        {
            IOperation branch = thrown.Parent is IExpressionStatementOperation statement ? statement : thrown;
            if (branch.Parent is IBlockOperation { Operations.Length: 1 } block)
            {
                branch = block;
            }

            return branch.Parent is IConditionalOperation { WhenFalse: null } guard && guard.WhenTrue == branch ? guard : null;
        }

        private static bool IsOwnField(IOperation operand)
            => OperationTree.SkipConversions(operand) is IFieldReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } };

        // null, IntPtr.Zero, default, or a zero constant.
        private static bool IsEmpty(IOperation operand)
        {
            operand = OperationTree.SkipConversions(operand);
            return operand.ConstantValue is { HasValue: true, Value: null or 0 or 0L }
                   || operand is IDefaultValueOperation
                   || operand is IFieldReferenceOperation { Field: { Name: "Zero", IsStatic: true, ContainingType.SpecialType: SpecialType.System_IntPtr or SpecialType.System_UIntPtr } };
        }

        /// <summary>
        /// Checked arithmetic whose only use is the size of a new array (<c>new byte[checked((int)length + 1)]</c>): an
        /// overflow there means an array that could not be allocated anyway, and the model counts no allocation failure.
        /// </summary>
        private static bool SizesANewArray(IOperation arithmetic)
        {
            var child = arithmetic;
            for (var parent = arithmetic.Parent; parent != null; child = parent, parent = parent.Parent)
            {
                switch (parent)
                {
                    case IArrayCreationOperation creation:
                        return creation.DimensionSizes.Contains(child);
                    case IConversionOperation:
                    case IParenthesizedOperation:
                    case IBinaryOperation:
                    case IUnaryOperation:
                        continue;
                    default:
                        return false;
                }
            }

            return false;
        }

        private static bool IsThrownCreation(IOperation operation)
        {
            if (operation is not IObjectCreationOperation)
            {
                return false;
            }

            var parent = OperationTree.WithEveryConversion(operation).Parent;

            return parent is IThrowOperation;
        }

        private bool CanFail(IConversionOperation conversion)
        {
            var kind = conversion.GetConversion();
            if (kind.IsUnboxing || (kind.IsReference && kind.IsExplicit))
            {
                // (Info)GCHandle.FromIntPtr(user).Target: the library casts back what it put in its own handle.
                return !HandleTargets.IsReadBack(conversion.Operand, _throwPoints.Stable, _throwPoints.Context) && !IsStructureOfType(conversion.Operand, conversion.Type) && !IsOwnState(conversion.Operand);
            }

            return conversion.IsChecked && kind.IsNumeric;
        }

        /// <summary>
        /// <c>(Derived)this</c>, <c>(MacDevice)Device</c>: the object casts itself or its own instance state, which its own
        /// code put there; a failed cast is a broken invariant of that code, as a null dereference of the same member is.
        /// Values that come in from outside — parameters, static fields anyone may set, what a call returns, elements of
        /// collections — are still counted.
        /// </summary>
        private static bool IsOwnState(IOperation operand)
        {
            operand = OperationTree.SkipConversions(operand);
            return operand switch
            {
                IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } => true,
                IFieldReferenceOperation field => field.Instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance },
                IPropertyReferenceOperation { Arguments.Length: 0 } property => property.Instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance },
                _ => false,
            };
        }

        /// <summary>
        /// <c>(T)Marshal.PtrToStructure(p, typeof(T))</c>: the marshaller returns a boxed <c>T</c>, so the unboxing cannot
        /// fail. Reading the memory itself is not counted (<see cref="ThrowPoints"/>: memory the caller holds).
        /// </summary>
        private static bool IsStructureOfType(IOperation operand, ITypeSymbol? type)
            => OperationTree.SkipConversions(operand) is IInvocationOperation { TargetMethod: { Name: "PtrToStructure", ContainingType.Name: "Marshal" }, Arguments.Length: 2 } read
               && read.Arguments[1].Value is ITypeOfOperation { TypeOperand: { } structure }
               && SymbolEqualityComparer.Default.Equals(structure, type);

        private bool IsCovered(IOperation operation, IOperation body)
        {
            var child = operation;
            for (var current = operation.Parent; current != null && child != body; child = current, current = current.Parent)
            {
                if (current is not ITryOperation attempt)
                {
                    continue;
                }

                if (child == attempt.Body && HasCatchAll(attempt))
                {
                    return true;
                }

                if (child is ICatchClauseOperation clause && IsCatchAll(clause) && operation is not IThrowOperation)
                {
                    return true;
                }
            }

            return false;
        }

        private bool HasCatchAll(ITryOperation attempt)
        {
            foreach (var clause in attempt.Catches)
            {
                if (IsCatchAll(clause))
                {
                    return true;
                }
            }

            return false;
        }

        private bool IsCatchAll(ICatchClauseOperation clause)
            => clause.Filter == null
               && (clause.ExceptionType.SpecialType == SpecialType.System_Object
                   || SymbolEqualityComparer.Default.Equals(clause.ExceptionType, _exception));
    }
}
