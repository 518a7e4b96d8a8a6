using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// A value a bridge reads back from its own handle: what it stored is what it casts back, so the cast fails only on a
    /// handle the bridge mixed up, as the lookup itself would. Read back are a <c>GCHandle</c>'s <c>Target</c>, a
    /// <c>WeakReference</c>'s <c>Target</c> (the runtime keeps a weak GCHandle behind it; a collected target reads as
    /// null, which a cast passes through), and, from those, a local whose one value is read back, what a method of the
    /// compilation returns when every value it returns is read back (<c>Get&lt;T&gt;(context) =&gt;
    /// (T)GCHandle.FromIntPtr(context).Target</c>, or <c>default</c> for an empty context), and what a delegate so read
    /// returns when its type is one the compilation declares for itself (not public: code outside cannot make one, so the
    /// library made it, and what it returns is what the library captured). A public delegate type read from a handle may
    /// be the user's, whose result is anything.
    /// </summary>
    internal static class HandleTargets
    {
        // Two methods deep: the accessor that casts the handle's target, and the one that unwraps what it returned.
        private const int MaxDepth = 2;

        public static bool IsReadBack(IOperation operand, StableValues stable, InteropContext context) => IsReadBack(operand, stable, context, 0);

        private static bool IsReadBack(IOperation operand, StableValues stable, InteropContext context, int depth)
        {
            operand = OperationTree.SkipConversions(operand);
            switch (operand)
            {
                case IPropertyReferenceOperation { Property: { Name: "Target", ContainingType: { } type } }:
                    return SymbolEqualityComparer.Default.Equals(type, context.Types.GCHandle)
                           || SymbolEqualityComparer.Default.Equals(type, context.Types.WeakReference);
                case IConversionOperation { OperatorMethod: null } cast:
                    return IsReadBack(cast.Operand, stable, context, depth);
                case ILocalReferenceOperation local:
                    return stable.ValueAt(local, local.SemanticModel) is { } value && IsReadBack(value, stable, context, depth);
                case IInvocationOperation { TargetMethod.MethodKind: MethodKind.DelegateInvoke, Instance: { } stored } invocation:
                    return IsOwnDelegateType(invocation.TargetMethod.ContainingType, context) && IsReadBack(stored, stable, context, depth);
                // Not a virtual call: an override the user writes may return anything.
                case IInvocationOperation { IsVirtual: false } invocation:
                    return depth < MaxDepth && ReturnsOnlyReadBack(invocation.TargetMethod, stable, context, depth + 1);
                default:
                    return false;
            }
        }

        /// <summary>A delegate type the compilation declares and code outside it cannot name: only the library makes one.</summary>
        public static bool IsOwnDelegateType(INamedTypeSymbol? type, InteropContext context)
            => type is { TypeKind: TypeKind.Delegate }
               && type.DeclaredAccessibility != Accessibility.Public
               && SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, context.Compilation.Assembly);

        // Every value returned is read back or empty (null, default), and at least one is read back.
        private static bool ReturnsOnlyReadBack(IMethodSymbol method, StableValues stable, InteropContext context, int depth)
        {
            if (!WrapperSummaries.IsSourceMethodWithBody(method.OriginalDefinition) || context.Wrappers.GetBody(method.OriginalDefinition) is not { } body)
            {
                return false;
            }

            var any = false;
            foreach (var operation in body.Descendants())
            {
                if (operation is not IReturnOperation { ReturnedValue: { } returned } || OperationTree.IsInNestedFunction(operation, body))
                {
                    continue;
                }

                var value = OperationTree.SkipConversions(returned);
                if (value is IDefaultValueOperation || OperationTree.IsNullConstant(value))
                {
                    continue;
                }

                if (!IsReadBack(value, stable, context, depth))
                {
                    return false;
                }

                any = true;
            }

            return any;
        }
    }
}
