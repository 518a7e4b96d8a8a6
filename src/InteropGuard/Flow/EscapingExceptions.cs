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
    /// not to throw (logging there is the point of it), except an explicit <c>throw</c>. Nested lambdas and local
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
        /// the callback does not control (a delegate, a virtual or interface member), then any other call, creation or
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
                IInvocationOperation or IObjectCreationOperation or IAwaitOperation => 2,
                IConversionOperation or IBinaryOperation or IUnaryOperation => 3,
                _ => 4,
            };

        private static System.Collections.Generic.IEnumerable<IOperation> Walk(IOperation root)
        {
            var stack = new System.Collections.Generic.Stack<IOperation>();
            stack.Push(root);
            while (stack.Count > 0)
            {
                var current = stack.Pop();
                yield return current;
                var children = new System.Collections.Generic.List<IOperation>(current.ChildOperations);
                for (var i = children.Count - 1; i >= 0; i--)
                {
                    if (children[i] is IAnonymousFunctionOperation || children[i] is ILocalFunctionOperation)
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
                return operation is IThrowOperation thrown ? !IsExplicitNullDereference(thrown) : _throwPoints.IsThrowPoint(operation);
            }

            switch (operation)
            {
                case IThrowOperation thrown:
                    return !IsExplicitNullDereference(thrown);
                case IArrayElementReferenceOperation element:
                    return !IndexedWithinBounds.Covers(element, _throwPoints.Stable);
                case IPropertyReferenceOperation { Arguments.Length: > 0 }:
                    return true;
                case IBinaryOperation binary:
                    return binary.IsChecked;
                case IUnaryOperation unary:
                    return unary.IsChecked;
                case IConversionOperation { OperatorMethod: { } operatorMethod }:
                    return _throwPoints.MayThrowConverting(operatorMethod);
                case IConversionOperation conversion:
                    // 'as' yields null instead of throwing.
                    return !conversion.IsImplicit && !conversion.IsTryCast && CanFail(conversion);
                default:
                    return _throwPoints.IsThrowPoint(operation);
            }
        }

        /// <summary>
        /// <c>throw new NullReferenceException()</c> spells out what dereferencing null does on its own; the model counts
        /// no dereference (a member access on null would flag every body), so it does not count this one either.
        /// </summary>
        private static bool IsExplicitNullDereference(IThrowOperation thrown)
            => thrown.Exception is { } exception
               && OperationTree.SkipConversions(exception) is IObjectCreationOperation { Arguments.Length: 0, Type: { Name: "NullReferenceException" } type }
               && type.ContainingNamespace?.ToDisplayString() == "System";

        private static bool IsThrownCreation(IOperation operation)
        {
            if (operation is not IObjectCreationOperation)
            {
                return false;
            }

            var parent = operation.Parent;
            while (parent is IConversionOperation)
            {
                parent = parent.Parent;
            }

            return parent is IThrowOperation;
        }

        private static bool CanFail(IConversionOperation conversion)
        {
            var kind = conversion.GetConversion();
            if (kind.IsUnboxing || (kind.IsReference && kind.IsExplicit))
            {
                return !IsHandleTarget(conversion.Operand) && !IsStructureOfType(conversion.Operand, conversion.Type);
            }

            return conversion.IsChecked && kind.IsNumeric;
        }

        /// <summary>
        /// <c>(Info)GCHandle.FromIntPtr(user).Target</c>: the library casts back what it put in its own handle, the idiom of
        /// every GCHandle-based bridge; the cast fails only on a handle the library mixed up, as the lookup itself would.
        /// </summary>
        private static bool IsHandleTarget(IOperation operand)
            => operand is IPropertyReferenceOperation { Property: { Name: "Target", ContainingType: { Name: "GCHandle" } type } }
               && type.ContainingNamespace?.ToDisplayString() == "System.Runtime.InteropServices";

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
