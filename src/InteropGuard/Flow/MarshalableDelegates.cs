using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// A delegate <c>Marshal.GetFunctionPointerForDelegate</c> cannot refuse: it refuses only null and a delegate of a generic
    /// type. A value whose static type is a delegate type that is not generic has that very type at run time (delegate types
    /// are sealed), and a test against null that the way to the call passes only when it is not null
    /// (<see cref="DereferencedBefore"/>) rules out the other: the binding's one-line converter
    /// <c>IntPtr ToPointer(this D d) { if (d == null) return IntPtr.Zero; return Marshal.GetFunctionPointerForDelegate(d); }</c>.
    /// A parameter typed <c>Delegate</c> or <c>Action&lt;T&gt;</c> may hold a generic delegate, and one never tested may be null.
    /// </summary>
    internal static class MarshalableDelegates
    {
        /// <param name="bound">The call in the bound tree (its argument is read with the conditions around it).</param>
        public static bool HoldsForArgument(IInvocationOperation? bound, StableValues stable)
            => bound != null && bound.Arguments.Length == 1
               && OperationTree.SkipConversions(bound.Arguments[0].Value).Type is INamedTypeSymbol { TypeKind: TypeKind.Delegate, IsGenericType: false }
               && DereferencedBefore.HoldsForArgument(bound, 0, stable);
    }
}
