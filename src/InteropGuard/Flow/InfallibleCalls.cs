using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Framework calls and creations that fail only by running out of memory, or on an argument bug that the shape of the
    /// call excludes. An <c>OutOfMemoryException</c> can come from any allocation, field access of a boxed value or JIT
    /// of a method; a path to release on it is not what a leak or escape report is about, so these are not throw points:
    /// <list type="bullet">
    /// <item><c>Math.Max</c>/<c>Min</c>;</item>
    /// <item>growing or shrinking a collection or a builder: <c>List&lt;T&gt;.Add</c>/<c>Remove(item)</c>, <c>Queue&lt;T&gt;.Enqueue</c>,
    /// <c>Stack&lt;T&gt;.Push</c>, <c>HashSet&lt;T&gt;.Add</c>/<c>Remove</c>/<c>Contains</c>, one-argument
    /// <c>StringBuilder.Append</c>/<c>AppendLine</c>;</item>
    /// <item>dictionary lookups keyed by a non-nullable value type (<c>TryGetValue</c>, <c>ContainsKey</c>,
    /// <c>Remove</c>): the only argument check is for a null key;</item>
    /// <item><c>Queue.Dequeue</c>/<c>Peek</c> and <c>Stack.Pop</c>/<c>Peek</c> only where a test of the same collection's
    /// <c>Count</c> shows it is not empty (<c>q.Count == 0 || q.Peek() ...</c>, <c>while (q.Count &gt;= n) q.Dequeue();</c>)
    /// and nothing else in the guarded code removes from it;</item>
    /// <item><c>Enum.HasFlag</c> with a flag of the receiver's own enum type (it throws only for a different type);</item>
    /// <item>decoding with a framework encoding whose default fallback replaces instead of throwing
    /// (<c>Encoding.UTF8</c>, <c>ASCII</c>, <c>Unicode</c>, <c>BigEndianUnicode</c>, <c>UTF32</c>, <c>Latin1</c>):
    /// <c>GetString</c> of a whole array or span, or of a pointer and a count;</item>
    /// <item><c>TimeSpan.FromMilliseconds</c>/<c>FromSeconds</c>/<c>FromMinutes</c> of a 32-bit integer (no such value
    /// overflows a TimeSpan) and <c>TimeSpan.FromTicks</c>;</item>
    /// <item>parameterless creations of framework collections, <c>StringBuilder</c>, <c>object</c> and
    /// <c>EventArgs</c>, and the implicit <c>: base()</c> into <c>object</c>/<c>EventArgs</c>;</item>
    /// <item><c>new TaskCompletionSource(...)</c> with constant options (an invalid constant fails on every run, in the
    /// first test) or a state object;</item>
    /// <item><c>new Guid(bytes)</c> of an array created with exactly 16 elements.</item>
    /// </list>
    /// Still counted, because real input reaches them: parsing, indexers and element access with an unchecked index,
    /// dictionary indexer reads, lookups keyed by a reference type that may be null, <c>Dequeue</c> on a queue nobody
    /// tested, decoding with an encoding passed in (its fallback may throw), casts.
    /// </summary>
    internal static class InfallibleCalls
    {
        /// <param name="invocation">The call.</param>
        /// <param name="stable">The body's stable values.</param>
        /// <param name="original">Maps a control-flow graph's copy of a call back to the bound tree, where the conditions
        /// around it can be read; null when it cannot.</param>
        public static bool IsInfallible(IInvocationOperation invocation, StableValues stable, System.Func<IInvocationOperation, IInvocationOperation?> original)
        {
            var method = invocation.TargetMethod;
            var type = method.ContainingType;
            if (type == null)
            {
                return false;
            }

            var name = method.Name;
            switch (FullName(type))
            {
                case "System.Collections.Generic.List":
                    return name == "Add" || name == "Clear" || name == "Contains" || (name == "Remove" && invocation.Arguments.Length == 1);
                case "System.Math":
                    return name == "Max" || name == "Min";
                case "System.Collections.Generic.Queue":
                    return name == "Enqueue" || name == "Clear" || name == "Contains"
                           || ((name == "Peek" || name == "Dequeue") && IsCountGuarded(original(invocation), stable));
                case "System.Collections.Generic.Stack":
                    return name == "Push" || name == "Clear" || name == "Contains"
                           || ((name == "Peek" || name == "Pop") && IsCountGuarded(original(invocation), stable));
                case "System.Collections.Generic.HashSet":
                    return name == "Add" || name == "Remove" || name == "Contains" || name == "Clear";
                case "System.Collections.Generic.Dictionary":
                    return (name == "TryGetValue" || name == "ContainsKey" || name == "Remove")
                           && type.TypeArguments.Length == 2 && IsNonNullableValueType(type.TypeArguments[0]);
                case "System.Text.StringBuilder":
                    return ((name == "Append" || name == "AppendLine") && invocation.Arguments.Length <= 1)
                           || ((name == "ToString" || name == "Clear") && invocation.Arguments.Length == 0);
                case "System.Enum":
                    return name == "HasFlag" && invocation.Instance != null && invocation.Arguments.Length == 1
                           && OperationTree.SkipConversions(invocation.Instance).Type is { TypeKind: TypeKind.Enum } own
                           && SymbolEqualityComparer.Default.Equals(own, OperationTree.SkipConversions(invocation.Arguments[0].Value).Type);
                case "System.Text.Encoding":
                    return name == "GetString" && invocation.Instance != null && IsReplacingEncoding(invocation.Instance)
                           && (invocation.Arguments.Length == 1
                               || (invocation.Arguments.Length == 2 && invocation.Arguments[0].Value.Type is IPointerTypeSymbol));
                case "System.TimeSpan":
                    return name == "FromTicks"
                           || ((name == "FromMilliseconds" || name == "FromSeconds" || name == "FromMinutes") && invocation.Arguments.Length == 1
                               && IsAtMost32BitInteger(OperationTree.SkipConversions(invocation.Arguments[0].Value).Type));
                case "System.Object":
                case "System.EventArgs":
                    return method.MethodKind == MethodKind.Constructor && invocation.Arguments.Length == 0;
                default:
                    return false;
            }
        }

        public static bool IsInfallible(IObjectCreationOperation creation, StableValues stable)
        {
            if (creation.Type is not INamedTypeSymbol type || creation.Initializer != null)
            {
                return false;
            }

            switch (FullName(type))
            {
                case "System.Collections.Generic.List":
                case "System.Collections.Generic.Queue":
                case "System.Collections.Generic.Stack":
                case "System.Collections.Generic.HashSet":
                case "System.Collections.Generic.Dictionary":
                case "System.Collections.Concurrent.ConcurrentDictionary":
                case "System.Collections.Concurrent.ConcurrentQueue":
                case "System.Text.StringBuilder":
                case "System.Object":
                case "System.EventArgs":
                    return creation.Arguments.Length == 0;
                case "System.Threading.Tasks.TaskCompletionSource":
                    foreach (var argument in creation.Arguments)
                    {
                        if (!argument.Value.ConstantValue.HasValue && argument.Parameter?.Type.SpecialType != SpecialType.System_Object)
                        {
                            return false;
                        }
                    }

                    return true;
                case "System.Guid":
                    return creation.Arguments.Length == 1 && IsSixteenBytes(creation.Arguments[0].Value, stable);
                default:
                    return false;
            }
        }

        private static string FullName(INamedTypeSymbol type) => type.ContainingNamespace?.ToDisplayString() + "." + type.Name;

        private static bool IsNonNullableValueType(ITypeSymbol type)
            => type.IsValueType && type.OriginalDefinition.SpecialType != SpecialType.System_Nullable_T && type.TypeKind != TypeKind.TypeParameter;

        private static bool IsAtMost32BitInteger(ITypeSymbol? type)
            => type?.SpecialType is SpecialType.System_Int32 or SpecialType.System_UInt16 or SpecialType.System_Int16
               or SpecialType.System_Byte or SpecialType.System_SByte;

        // The framework's own encodings replace invalid input instead of throwing; a constructed or passed-in encoding may not.
        private static bool IsReplacingEncoding(IOperation instance)
            => OperationTree.SkipConversions(instance) is IPropertyReferenceOperation { Instance: null, Property: { ContainingType: { } owner } property }
               && FullName(owner) == "System.Text.Encoding"
               && property.Name is "UTF8" or "ASCII" or "Unicode" or "BigEndianUnicode" or "UTF32" or "Latin1";

        private static bool IsSixteenBytes(IOperation value, StableValues stable)
        {
            value = OperationTree.SkipConversions(value);
            if (value is ILocalReferenceOperation local && stable.InitializerOf(local.Local, value.SemanticModel) is { } initializer)
            {
                value = OperationTree.SkipConversions(initializer);
            }

            return value is IArrayCreationOperation { DimensionSizes.Length: 1 } array
                   && array.DimensionSizes[0].ConstantValue is { HasValue: true, Value: 16 };
        }

        /// <summary>
        /// The collection the call takes from was tested non-empty on the way here, and the guarded code removes from it
        /// only through this call.
        /// </summary>
        private static bool IsCountGuarded(IInvocationOperation? invocation, StableValues stable)
        {
            if (invocation?.Instance == null || CollectionOf(invocation.Instance, stable) is not { } collection)
            {
                return false;
            }

            var child = (IOperation)invocation;
            for (var parent = invocation.Parent; parent != null && !OperationTree.IsFunction(parent); child = parent, parent = parent.Parent)
            {
                var guarded = parent switch
                {
                    IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr } either when either.RightOperand == child => Tests(either.LeftOperand, collection, stable, nonEmpty: false),
                    IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } both when both.RightOperand == child => Tests(both.LeftOperand, collection, stable, nonEmpty: true),
                    IConditionalOperation conditional when conditional.WhenTrue == child => Tests(conditional.Condition, collection, stable, nonEmpty: true),
                    IConditionalOperation conditional when conditional.WhenFalse == child => Tests(conditional.Condition, collection, stable, nonEmpty: false),
                    IWhileLoopOperation { ConditionIsTop: true, ConditionIsUntil: false, Condition: { } condition } loop when loop.Body == child => Tests(condition, collection, stable, nonEmpty: true),
                    _ => false,
                };
                if (guarded)
                {
                    return RemovesOnce(child, collection, stable) && !Reassigns(parent, collection);
                }
            }

            return false;
        }

        // Whether the condition, when true, shows the collection non-empty (nonEmpty) or empty (!nonEmpty).
        private static bool Tests(IOperation condition, ISymbol collection, StableValues stable, bool nonEmpty)
        {
            condition = OperationTree.SkipConversions(condition);
            if (condition is IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } both && nonEmpty)
            {
                return Tests(both.LeftOperand, collection, stable, nonEmpty) || Tests(both.RightOperand, collection, stable, nonEmpty);
            }

            if (condition is not IBinaryOperation comparison)
            {
                return false;
            }

            var kind = comparison.OperatorKind;
            IOperation count;
            IOperation bound;
            if (IsCountOf(comparison.LeftOperand, collection, stable))
            {
                (count, bound) = (comparison.LeftOperand, comparison.RightOperand);
            }
            else if (IsCountOf(comparison.RightOperand, collection, stable))
            {
                (count, bound) = (comparison.RightOperand, comparison.LeftOperand);
                kind = Mirrored(kind);
            }
            else
            {
                return false;
            }

            if (OperationTree.SkipConversions(bound).ConstantValue is not { HasValue: true, Value: int constant } || count == bound)
            {
                return false;
            }

            return nonEmpty
                ? (kind == BinaryOperatorKind.GreaterThan && constant >= 0) || (kind == BinaryOperatorKind.GreaterThanOrEqual && constant >= 1)
                  || (kind == BinaryOperatorKind.NotEquals && constant == 0)
                : (kind == BinaryOperatorKind.Equals && constant == 0) || (kind == BinaryOperatorKind.LessThan && constant <= 1)
                  || (kind == BinaryOperatorKind.LessThanOrEqual && constant <= 0);
        }

        private static BinaryOperatorKind Mirrored(BinaryOperatorKind kind)
            => kind switch
            {
                BinaryOperatorKind.GreaterThan => BinaryOperatorKind.LessThan,
                BinaryOperatorKind.GreaterThanOrEqual => BinaryOperatorKind.LessThanOrEqual,
                BinaryOperatorKind.LessThan => BinaryOperatorKind.GreaterThan,
                BinaryOperatorKind.LessThanOrEqual => BinaryOperatorKind.GreaterThanOrEqual,
                _ => kind,
            };

        private static bool IsCountOf(IOperation operation, ISymbol collection, StableValues stable)
            => OperationTree.SkipConversions(operation) is IPropertyReferenceOperation { Property.Name: "Count", Instance: { } instance }
               && SymbolEqualityComparer.Default.Equals(CollectionOf(instance, stable), collection);

        /// <summary>
        /// The variable naming the collection: a stable value (<see cref="StableValues"/>), or a field of <c>this</c> or a
        /// static field, which the guard checks is not assigned between the test and the call.
        /// </summary>
        private static ISymbol? CollectionOf(IOperation instance, StableValues stable)
            => stable.SymbolOf(instance)
               ?? (OperationTree.SkipConversions(instance) is IFieldReferenceOperation field
                   && (field.Field.IsStatic || field.Instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance })
                   ? field.Field
                   : null);

        private static bool Reassigns(IOperation guard, ISymbol collection)
        {
            foreach (var operation in guard.DescendantsAndSelf())
            {
                if (operation is IAssignmentOperation { Target: IFieldReferenceOperation target } && SymbolEqualityComparer.Default.Equals(target.Field, collection))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool RemovesOnce(IOperation guarded, ISymbol collection, StableValues stable)
        {
            var removals = 0;
            foreach (var operation in guarded.DescendantsAndSelf())
            {
                if (operation is IInvocationOperation { TargetMethod.Name: "Dequeue" or "Pop" or "Clear" or "TryDequeue" or "TryPop", Instance: { } instance }
                    && SymbolEqualityComparer.Default.Equals(CollectionOf(instance, stable), collection))
                {
                    removals++;
                }
            }

            return removals <= 1;
        }
    }
}
