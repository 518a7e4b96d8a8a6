using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// An assignment used as a value — <c>if ((p = Alloc(n)) == IntPtr.Zero) throw …</c> — is the variable it writes: the
    /// test reads what <c>p</c> now holds, exactly as if the assignment were a statement before it.
    /// </summary>
    internal static class AssignmentTargets
    {
        /// <summary><paramref name="operand"/> without the compiler's conversions, an assignment read as its target.</summary>
        public static IOperation Tested(IOperation operand)
        {
            var value = OperationTree.SkipConversions(operand);
            return value is ISimpleAssignmentOperation assignment ? OperationTree.SkipConversions(assignment.Target) : value;
        }
    }
}
