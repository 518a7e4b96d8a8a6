using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// A native function that returns a handle reports failure with a null one (Win32's <c>SetClipboardData</c>:
    /// "If the function fails, the return value is NULL"). When such a function keeps what it is given only if it
    /// succeeds, the method's own test of the stored result, <c>taken == IntPtr.Zero</c>, tells the paths where the
    /// caller still owns the argument apart from those where the library does, as a stored status does for a function
    /// that reports success with zero.
    /// </summary>
    internal static class NativeHandleResults
    {
        /// <summary>The local the call's result is stored in, by its declaration or a plain assignment; null otherwise.</summary>
        public static ILocalSymbol? StoredIn(IInvocationOperation call)
        {
            var current = OperationTree.WithConversions(call);
            return current.Parent switch
            {
                ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when assignment.Value == current => target.Local,
                IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
                _ => null,
            };
        }

        /// <summary>
        /// Among the method's conditions, the null test of the handle <paramref name="site"/> returns into a local
        /// (<c>h == IntPtr.Zero</c>, <c>h == 0</c>, <c>h == null</c>, or their negations, which the key normalizes): true
        /// where the call failed. Null when the call returns no handle, its result is not stored, or nothing tests it.
        /// </summary>
        public static ConditionKey? NullTestOf(IOperation site, IEnumerable<ConditionKey?> conditions)
        {
            if (site is not IInvocationOperation call
                || !(call.TargetMethod.ReturnType is { SpecialType: SpecialType.System_IntPtr or SpecialType.System_UIntPtr } or IPointerTypeSymbol)
                || StoredIn(call) is not { } local)
            {
                return null;
            }

            return conditions.FirstOrDefault(key => key != null && key.IsNullTestOf(local));
        }
    }
}
