using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// An array element access that cannot be out of range by construction: the index is the variable of an enclosing
    /// <c>for (int i = c; i &lt; bound; i++)</c> (c a non-negative constant) that the loop body never writes, and the bound
    /// is the array's own <c>Length</c>, or the size the array was created with (<c>var a = new T[n]</c> with <c>n</c> and
    /// <c>a</c> never written again; an IntPtr count converted the same way on both sides is the count). This is how
    /// bridges copy a native argument vector into a managed array. Any other
    /// index — one read from native data, computed, or bounded by something else — still counts.
    /// </summary>
    internal static class IndexedWithinBounds
    {
        public static bool Covers(IArrayElementReferenceOperation element, StableValues stable)
        {
            if (IsConstantIndexIntoFixedLocal(element, stable))
            {
                return true;
            }

            if (element.Indices.Length != 1 || OperationTree.SkipConversions(element.Indices[0]) is not ILocalReferenceOperation { Local: { } index }
                || stable.SymbolOf(element.ArrayReference) is not { } array)
            {
                return false;
            }

            for (var current = element.Parent; current != null && !OperationTree.IsFunction(current); current = current.Parent)
            {
                if (current is IForLoopOperation loop && Declares(loop, index))
                {
                    return IsCountingUp(loop, index) && IsBoundedBy(loop.Condition, index, array, element, stable) && !WritesInBody(loop.Body, index);
                }
            }

            return false;
        }

        /// <summary>
        /// <c>data[2]</c> of a local declared <c>var data = new float[11]</c> and never written again: a constant index below
        /// a constant size (Bullet's triangle callback copies a native triangle into such an array and reads its corners).
        /// </summary>
        private static bool IsConstantIndexIntoFixedLocal(IArrayElementReferenceOperation element, StableValues stable)
            => element.Indices.Length == 1
               && OperationTree.SkipConversions(element.Indices[0]).ConstantValue is { HasValue: true, Value: int index } && index >= 0
               && OperationTree.SkipConversions(element.ArrayReference) is ILocalReferenceOperation { Local: var array }
               && stable.InitializerOf(array, element.SemanticModel) is { } initializer
               && OperationTree.SkipConversions(initializer) is IArrayCreationOperation { DimensionSizes.Length: 1 } created
               && created.DimensionSizes[0].ConstantValue is { HasValue: true, Value: int size } && index < size;

        private static bool Declares(IForLoopOperation loop, ILocalSymbol index)
        {
            foreach (var local in loop.Locals)
            {
                if (SymbolEqualityComparer.Default.Equals(local, index))
                {
                    foreach (var before in loop.Before)
                    {
                        foreach (var declarator in before.DescendantsAndSelf())
                        {
                            if (declarator is IVariableDeclaratorOperation { Initializer.Value: { } start } d && SymbolEqualityComparer.Default.Equals(d.Symbol, index))
                            {
                                return start.ConstantValue is { HasValue: true, Value: int value } && value >= 0;
                            }
                        }
                    }
                }
            }

            return false;
        }

        private static bool IsCountingUp(IForLoopOperation loop, ILocalSymbol index)
        {
            // One step increments the index; others (GLFW.NET's 'offset += IntPtr.Size') may move other variables.
            var increments = 0;
            foreach (var bottom in loop.AtLoopBottom)
            {
                var step = bottom is IExpressionStatementOperation statement ? statement.Operation : bottom;
                if (step is IIncrementOrDecrementOperation { Kind: OperationKind.Increment, Target: ILocalReferenceOperation target }
                    && SymbolEqualityComparer.Default.Equals(target.Local, index))
                {
                    increments++;
                }
                else if (WritesInBody(step, index))
                {
                    return false;
                }
            }

            return increments == 1;
        }

        private static bool IsBoundedBy(IOperation? condition, ILocalSymbol index, ISymbol array, IOperation element, StableValues stable)
        {
            if (condition is not IBinaryOperation { OperatorKind: BinaryOperatorKind.LessThan } less
                || OperationTree.SkipConversions(less.LeftOperand) is not ILocalReferenceOperation left
                || !SymbolEqualityComparer.Default.Equals(left.Local, index))
            {
                return false;
            }

            var bound = OperationTree.SkipConversions(less.RightOperand);
            if (bound is IPropertyReferenceOperation { Property.Name: "Length", Instance: { } measured } && measured.Type is IArrayTypeSymbol)
            {
                return SymbolEqualityComparer.Default.Equals(stable.SymbolOf(measured), array);
            }

            // The size the array was created with.
            return array is ILocalSymbol local && stable.SymbolOf(Converted(bound)) is { } size
                   && stable.InitializerOf(local, element.SemanticModel) is { } initializer
                   && OperationTree.SkipConversions(initializer) is IArrayCreationOperation { DimensionSizes.Length: 1 } created
                   && SymbolEqualityComparer.Default.Equals(stable.SymbolOf(Converted(created.DimensionSizes[0])), size);
        }

        /// <summary>
        /// The value a size is converted from: <c>count.ToInt32()</c> of an IntPtr count is the count, as <c>(int)count</c>
        /// is (Realm's <c>new ApiKey[len.ToInt32()]</c> filled by <c>for (i = 0; i &lt; len.ToInt32(); i++)</c>).
        /// </summary>
        private static IOperation Converted(IOperation size)
        {
            size = OperationTree.SkipConversions(size);
            return size is IInvocationOperation { Arguments.Length: 0, Instance: { } converted, TargetMethod: { Name: "ToInt32" or "ToInt64" or "ToUInt32" or "ToUInt64", ContainingType.SpecialType: SpecialType.System_IntPtr or SpecialType.System_UIntPtr } }
                ? OperationTree.SkipConversions(converted)
                : size;
        }

        private static bool WritesInBody(IOperation body, ILocalSymbol index)
        {
            foreach (var operation in body.DescendantsAndSelf())
            {
                var target = operation switch
                {
                    IAssignmentOperation assignment => assignment.Target,
                    IIncrementOrDecrementOperation step => step.Target,
                    IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } argument => argument.Value,
                    _ => null,
                };
                if (target is ILocalReferenceOperation written && SymbolEqualityComparer.Default.Equals(written.Local, index))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
