using System;
using System.Collections.Immutable;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Values an enclosing operation has evaluated before a nested call and consumes only after it returns. C# evaluates
    /// a call's receiver, then its arguments left to right, and makes the call last. So in <c>new Expr(owner,
    /// Native.f(owner.Handle))</c> or <c>owner.Add(Native.f(owner.Handle))</c> the owner is already on the
    /// stack (or in a register the GC reports) when <c>f</c> runs, and stays there until the enclosing operation takes
    /// it: the object is reachable across the nested call, as surely as by a read written after it. Z3's managed API
    /// wraps every native result so (<c>new BoolExpr(this, Native.Z3_mk_bvsgt(nCtx, …))</c>, <c>: base(ctx,
    /// Native.Z3_mk_int_sort(ctx.nCtx))</c>).
    /// </summary>
    internal static class PendingOperands
    {
        /// <summary>
        /// Is <paramref name="owner"/> (<c>this</c>, a local, a parameter, or a field or property chain rooted at one)
        /// held by an operand pending across <paramref name="call"/> (<see cref="Hold(IOperation, Func{IOperation, bool})"/>):
        /// the operand is the owner, or the owner is held in a field of it (<see cref="Holds"/>). The tree's reading,
        /// for answers given without the graph; the graph's path questions read it in <see cref="UsedAfter"/>.
        /// </summary>
        public static bool Hold(IOperation call, IOperation owner) => Hold(call, pending => Holds(pending, owner));

        /// <summary>
        /// Is a by-value operand that an operation enclosing <paramref name="call"/> evaluated before the argument holding
        /// the call one that <paramref name="holds"/> accepts: the receiver or an earlier argument of an invocation or
        /// object creation, or the object whose field or property an assignment of the call's value stores into?
        /// Climbs through the call's expression up to its statement; a lambda or local function runs apart from the
        /// expression around it, so the climb stops there. A call a release build omits (<c>[Conditional]</c>) holds
        /// nothing, as <see cref="LiveReads"/> reads it. The receiver of a conditional access (<c>owner?.Add(f(…))</c>)
        /// is the operand the access evaluated first.
        /// </summary>
        public static bool Hold(IOperation call, Func<IOperation, bool> holds) => Hold(call, holds, written: null);

        /// <summary>
        /// <see cref="Hold(IOperation, Func{IOperation, bool})"/> on a control-flow graph's operations, where an assignment's
        /// target may be a capture of the field it stores into (<c>_count = f(Handle, c ? 1 : 2)</c>): <paramref name="written"/>
        /// gives what the code wrote there.
        /// </summary>
        public static bool Hold(IOperation call, Func<IOperation, bool> holds, Func<IOperation, IOperation>? written)
        {
            var child = call;
            for (var parent = call.Parent; parent != null && !OperationTree.IsFunction(parent); child = parent, parent = parent.Parent)
            {
                // 'owner.length = Native.msg_size(owner.Handle)': the target's object is evaluated before the value, and
                // the store after the call needs it.
                if (parent is IAssignmentOperation assignment && assignment.Value == child)
                {
                    if (TargetInstance(written == null ? assignment.Target : written(assignment.Target)) is { } instance && holds(Accessed(instance)))
                    {
                        return true;
                    }

                    continue;
                }

                if (child is not IArgumentOperation argument)
                {
                    continue;
                }

                switch (parent)
                {
                    case IInvocationOperation invocation when !OmittedCalls.IsConditional(invocation.TargetMethod):
                        if ((invocation.Instance != null && holds(Accessed(invocation.Instance))) || EarlierArgument(invocation.Arguments, argument, holds))
                        {
                            return true;
                        }

                        break;
                    case IObjectCreationOperation creation:
                        if (EarlierArgument(creation.Arguments, argument, holds))
                        {
                            return true;
                        }

                        break;
                }
            }

            return false;
        }

        /// <summary>
        /// Is the owner the operand's value, or held in a field of it (<c>this</c> pending keeps <c>this._block</c>): a
        /// live object keeps what its fields refer to. Only through fields: a property may hand out a new object each time.
        /// </summary>
        public static bool Holds(IOperation pending, IOperation owner)
        {
            for (IOperation? held = owner; held != null; held = (OperationTree.SkipConversions(held) as IFieldReferenceOperation)?.Instance)
            {
                if (SameValue(pending, held))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// The object a conditional access's receiver stands for: in the tree, the placeholder <c>?.</c> leaves for the
        /// value it tested (the graph reads a capture there instead).
        /// </summary>
        private static IOperation Accessed(IOperation instance) => OperationTree.ConditionalAccessReceiver(instance) ?? instance;

        /// <summary>The object whose field, property or indexer an assignment stores into; null for a local, a parameter or a static member.</summary>
        private static IOperation? TargetInstance(IOperation target) => target switch
        {
            IFieldReferenceOperation field => field.Instance,
            IPropertyReferenceOperation property => property.Instance,
            _ => null,
        };

        /// <summary>An argument before <paramref name="holder"/>, passed by value, that <paramref name="holds"/> accepts (IOperation lists arguments in evaluation order).</summary>
        private static bool EarlierArgument(ImmutableArray<IArgumentOperation> arguments, IArgumentOperation holder, Func<IOperation, bool> holds)
        {
            foreach (var argument in arguments)
            {
                if (argument == holder)
                {
                    return false;
                }

                if (argument.Parameter is { RefKind: RefKind.None } && holds(argument.Value))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Do the two expressions read the same object: <c>this</c>, one local or parameter, or the same field or
        /// parameterless property of the same object? A property read twice in one expression is taken to return the
        /// same object both times, as a handle owner's accessor returns the field it keeps.
        /// </summary>
        private static bool SameValue(IOperation first, IOperation second)
        {
            first = OperationTree.SkipConversions(first);
            second = OperationTree.SkipConversions(second);
            switch (first)
            {
                case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }:
                    return second is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance };
                case ILocalReferenceOperation local:
                    return second is ILocalReferenceOperation otherLocal && SymbolEqualityComparer.Default.Equals(local.Local, otherLocal.Local);
                case IParameterReferenceOperation parameter:
                    return second is IParameterReferenceOperation otherParameter && SymbolEqualityComparer.Default.Equals(parameter.Parameter, otherParameter.Parameter);
                case IFieldReferenceOperation field:
                    return second is IFieldReferenceOperation otherField && SymbolEqualityComparer.Default.Equals(field.Field, otherField.Field)
                           && SameInstance(field.Instance, otherField.Instance);
                case IPropertyReferenceOperation property when property.Arguments.IsEmpty:
                    return second is IPropertyReferenceOperation otherProperty && otherProperty.Arguments.IsEmpty
                           && SymbolEqualityComparer.Default.Equals(property.Property, otherProperty.Property)
                           && SameInstance(property.Instance, otherProperty.Instance);
                default:
                    return false;
            }
        }

        /// <summary>Both static (no instance), or both the same object.</summary>
        private static bool SameInstance(IOperation? first, IOperation? second)
            => first == null ? second == null : second != null && SameValue(first, second);
    }
}
