using System;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// A handle member of <c>this</c> (a field, or an auto-property no subclass can override, of a pointer-sized type) that
    /// a statement leaves zero on every path: <c>Handle = IntPtr.Zero;</c>, a call on <c>this</c> of a method whose own
    /// top-level statements zero it unconditionally and never write it again (dnYara's <c>Release()</c>, which hands the
    /// handle over and zeroes it), or <c>if (Handle != IntPtr.Zero) Release();</c> with no <c>else</c>, whose skipped branch
    /// is taken only when the member is already zero. The reading behind a finalizer that releases nothing because the
    /// <c>Dispose()</c> it calls next tests the member first (<see cref="SilentFinalizers"/>). A member tested through
    /// anything but a plain comparison with zero, a branch that may return or throw before the store, a virtual call:
    /// not read.
    /// </summary>
    internal static class ZeroedMembers
    {
        /// <summary>The member <paramref name="statement"/> leaves zero on every path it completes, or null.</summary>
        /// <param name="bodyOf">The operation tree of a source method, or null.</param>
        public static ISymbol? After(IOperation statement, Func<IMethodSymbol, IOperation?> bodyOf)
        {
            switch (statement)
            {
                case IExpressionStatementOperation { Operation: ISimpleAssignmentOperation assignment } when HandleOwners.IsZero(assignment.Value):
                    return MemberOfThis(assignment.Target);
                case IExpressionStatementOperation { Operation: IInvocationOperation call }:
                    return ZeroedByCall(call, bodyOf);
                case IConditionalOperation { WhenFalse: null } conditional when Test(conditional.Condition) is { NonZero: true } test:
                    var branch = conditional.WhenTrue is IBlockOperation { Operations.Length: 1 } single ? single.Operations[0] : conditional.WhenTrue;
                    return SymbolEqualityComparer.Default.Equals(After(branch, bodyOf), test.Member) ? test.Member : null;
                default:
                    return null;
            }
        }

        /// <summary>
        /// A comparison of a member of <c>this</c> with zero: <c>M != 0</c>, <c>M == IntPtr.Zero</c>, <c>M.Equals(IntPtr.Zero)</c>,
        /// under any number of <c>!</c>; <c>NonZero</c> says whether the condition is true exactly when the member is not zero.
        /// It reads the member and compares, running no code of the class.
        /// </summary>
        public static (ISymbol Member, bool NonZero)? Test(IOperation condition)
        {
            condition = OperationTree.SkipNegations(condition, out var nonZero);
            ISymbol? member;
            switch (condition)
            {
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } comparison when IsPlainOperator(comparison.OperatorMethod):
                    member = HandleOwners.IsZero(comparison.RightOperand) ? MemberOfThis(comparison.LeftOperand)
                        : HandleOwners.IsZero(comparison.LeftOperand) ? MemberOfThis(comparison.RightOperand)
                        : null;
                    nonZero ^= comparison.OperatorKind == BinaryOperatorKind.Equals;
                    break;
                case IInvocationOperation { TargetMethod: { Name: nameof(Equals), IsStatic: false, ContainingType.SpecialType: SpecialType.System_IntPtr or SpecialType.System_UIntPtr }, Instance: { } instance, Arguments.Length: 1 } equals
                    when HandleOwners.IsZero(equals.Arguments[0].Value):
                    member = MemberOfThis(instance);
                    nonZero = !nonZero;
                    break;
                default:
                    return null;
            }

            return member == null ? null : (member, nonZero);
        }

        // The framework's own IntPtr/UIntPtr operators (a build against older references binds '!=' to them) only compare.
        private static bool IsPlainOperator(IMethodSymbol? method)
            => method == null || method.ContainingType?.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr;

        /// <summary>Whether <paramref name="operation"/> may write <paramref name="member"/>: a store, a write by reference, or any call on <c>this</c>.</summary>
        public static bool MayWrite(IOperation operation, ISymbol member)
            => OperationTree.Any(operation, o => o switch
            {
                IMemberReferenceOperation reference when SymbolEqualityComparer.Default.Equals(reference.Member.OriginalDefinition, member)
                    => reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference || OperationTree.IsOtherWrite(reference),
                IInvocationOperation { Instance: IInstanceReferenceOperation } => true,
                IPropertyReferenceOperation { Instance: IInstanceReferenceOperation, Property: var property } => !SymbolEqualityComparer.Default.Equals(property.OriginalDefinition, member) && !HandleOwners.IsAutoProperty(property),
                _ => false,
            });

        // A non-virtual call on 'this' without arguments of a method whose top-level statements zero a member: none before
        // the store may leave the method, none after it writes the member again.
        private static ISymbol? ZeroedByCall(IInvocationOperation call, Func<IMethodSymbol, IOperation?> bodyOf)
        {
            if (call.IsVirtual || !call.Arguments.IsEmpty || call.Instance is not IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }
                || bodyOf(call.TargetMethod) is not IMethodBodyOperation { BlockBody: { } block, ExpressionBody: null })
            {
                return null;
            }

            for (var i = 0; i < block.Operations.Length; i++)
            {
                var statement = block.Operations[i];
                if (statement is IExpressionStatementOperation { Operation: ISimpleAssignmentOperation assignment } && HandleOwners.IsZero(assignment.Value)
                    && MemberOfThis(assignment.Target) is { } member)
                {
                    return block.Operations.Skip(i + 1).Any(after => MayWrite(after, member)) ? null : member;
                }

                if (OperationTree.Any(statement, o => o is IReturnOperation or IThrowOperation or IBranchOperation or IInvocationOperation { Instance: IInstanceReferenceOperation }))
                {
                    return null;
                }
            }

            return null;
        }

        private static ISymbol? MemberOfThis(IOperation operation)
            => OperationTree.SkipConversions(operation) switch
            {
                IFieldReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }, Field: { } field } when PointerSizedTypes.Is(field.Type)
                    => field.OriginalDefinition,
                IPropertyReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }, Property: { IsVirtual: false, IsOverride: false, IsAbstract: false, IsIndexer: false } property }
                    when HandleOwners.IsAutoProperty(property) && PointerSizedTypes.Is(property.Type)
                    => property.OriginalDefinition,
                _ => null,
            };
    }
}
