using System.Linq;
using System.Threading;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// A private field whose value is only ever printed: every read of it in its class is a part of an interpolated string,
    /// an operand of a string concatenation, or the receiver of <c>ToString()</c>. A raw handle value kept there for trace
    /// messages (SerialPortStream's <c>m_HandlePtr</c>) never reaches native code, so no reference count can matter for it.
    /// </summary>
    internal static class TextOnlyFields
    {
        public static bool IsOnlyPrinted(Compilation compilation, IFieldSymbol field, CancellationToken cancellationToken)
        {
            if (field.DeclaredAccessibility != Accessibility.Private || field.ContainingType is not { } type)
            {
                return false;
            }

            var read = false;
            foreach (var reference in FieldReferencesInType.Of(compilation, field, type, cancellationToken))
            {
                var value = OperationTree.WithConversions(reference);
                if (value.Parent is ISimpleAssignmentOperation assignment && assignment.Target == value)
                {
                    continue;
                }

                if (!IsPrinted(value))
                {
                    return false;
                }

                read = true;
            }

            return read;
        }

        private static bool IsPrinted(IOperation value)
            => value.Parent switch
            {
                IInterpolationOperation interpolation => interpolation.Expression == value,
                IBinaryOperation { OperatorKind: BinaryOperatorKind.Add, Type.SpecialType: SpecialType.System_String } => true,
                IInvocationOperation { TargetMethod.Name: "ToString", Arguments.Length: 0 } call => call.Instance == value,
                _ => false,
            };
    }
}
