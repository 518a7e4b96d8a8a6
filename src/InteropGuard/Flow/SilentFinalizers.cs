using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Finalizers that provably release nothing when their object is collected: <c>~T() =&gt; Dispose(false)</c> whose
    /// <c>Dispose(bool disposing)</c> releases only under <c>if (disposing)</c> (or returns first under
    /// <c>if (!disposing)</c>), followed with the flag false (<see cref="DisposingFlags"/>), reaching no call but known
    /// no-ops (<c>GC.SuppressFinalize</c>, logging) and source methods that are silent in turn, and no assignment but to
    /// locals, fields and auto-properties. A throw ends its method like a return (Lightning.NET's environment, whose
    /// <c>Dispose(false)</c> throws before it closes anything: the crash is the finalizer's, no handle is freed). Anything else — a native or unknown call, a delegate or event, a constructor,
    /// a virtual call whose overrides cannot all be seen, the depth bound — counts as a release: the answer is "silent"
    /// only when it is certain. A finalizer with an empty body is not judged silent: such stubs stand for a real
    /// finalizer in fixtures and placeholders, and what IG1001 reported on them before stays.
    /// A second reading, asked when the first cannot tell, answers whether collection releases anything <i>of the object</i>
    /// (SkiaSharp's and Jolt's <c>NativeObject</c>, whose finalizer unregisters the handle from a registry and zeroes it,
    /// and destroys the native object only <c>if (Handle != 0 &amp;&amp; OwnsHandle)</c> through a virtual the class may not
    /// override): the same walk, with a <c>bool</c> member false in every instance of the class (<see cref="FalseMadeFlags"/>)
    /// and a parameter handed zero read as such in conditions, where a call given nothing of the object — no <c>this</c>,
    /// member, local or parameter that may hold one — cannot name its handle (a native function still counts: it may end
    /// the library state the handle lives in), and framework code that only holds, compares or formats what it is given
    /// (collections, <c>Interlocked</c>, weak references, the values' own methods, exceptions) releases nothing, and so does
    /// a native function whose name makes and ends nothing given of the object only fields holding a process-wide object
    /// the class never ends, with constants (<see cref="ProcessWideHandleFields"/>: ValveSockets' finalizer that unhooks the
    /// global callbacks of Steam's networking utilities).
    /// In both readings a call of a release function the project declares deferred (<c>interopguard.deferred_release_functions</c>:
    /// the library only queues what a finalizer's thread releases, Z3's <c>Z3_dec_ref</c> under concurrent decrements) releases
    /// nothing a native call in flight uses, so a finalizer that releases only through such functions is silent (the option is
    /// read from the file declaring the finalizer).
    /// </summary>
    internal sealed class SilentFinalizers
    {
        /// <summary>How many calls deep the finalizer is followed (<c>~T() =&gt; Dispose(false)</c> is one).</summary>
        private const int MaxDepth = 4;

        /// <summary>The same for the reading of what is given the object: a handle setter's registry is two static calls below it.</summary>
        private const int MaxOwnedDepth = 6;

        private readonly InteropContext _interop;

        // Output-only types: calling them releases nothing of the object. Resolved once per compilation.
        private readonly INamedTypeSymbol?[] _diagnosticsOutput;

        // Framework types that only hold or compare what they are given (reading of what is given the object). Resolved once per compilation.
        private readonly INamedTypeSymbol?[] _keepersOnly;

        private readonly FalseMadeFlags _falseFlags;

        private readonly ProcessWideHandleFields _processWide;

        public SilentFinalizers(InteropContext interop)
        {
            _interop = interop;
            _falseFlags = new FalseMadeFlags(interop);
            _processWide = new ProcessWideHandleFields(interop);
            var types = interop.Types;
            _keepersOnly = new[] { types.Interlocked, types.WeakReference, types.GenericWeakReference };
            _diagnosticsOutput = new[] { types.Debug, types.Trace, types.Debugger, types.Console };
        }

        private enum Outcome
        {
            /// <summary>Runs on and releases nothing.</summary>
            Silent,

            /// <summary>Releases nothing and always leaves the method (a return): what follows it in its block never runs.</summary>
            Exits,

            /// <summary>May release something, or cannot be told.</summary>
            Unknown,
        }

        /// <summary>
        /// Whether <paramref name="type"/> or a base declares a finalizer and every finalizer its collection runs is
        /// silent, virtual calls on the object resolved for <paramref name="type"/> and its subclasses in this compilation.
        /// </summary>
        public bool ReleasesNothing(INamedTypeSymbol type)
            => Judge(type, null) || (!HoldsReleasingObject(type) && Judge(type, new Reading(type)));

        /// <summary>
        /// Whether the class or a base keeps a SafeHandle or an object with a finalizer in a field or auto-property: when
        /// the owner is collected, so is what it holds, whose own finalizer releases (OpenCvSharp's <c>CvObject</c>, whose
        /// finalizer only nulls its SafeHandle, while that SafeHandle deletes the smart pointer the class hands out).
        /// The second reading judges only the owner's own finalizer, so such a class keeps the first reading's answer.
        /// </summary>
        private bool HoldsReleasingObject(INamedTypeSymbol type)
        {
            for (var current = type; current != null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
            {
                foreach (var member in current.GetMembers())
                {
                    var held = member switch
                    {
                        IFieldSymbol { IsStatic: false } field => field.Type,
                        IPropertySymbol { IsStatic: false } property when HandleOwners.IsAutoProperty(property) => property.Type,
                        _ => null,
                    };
                    if (held is INamedTypeSymbol { TypeKind: TypeKind.Class } named && (_interop.Types.IsHandleWrapper(named) || Finalizers.InHierarchy(named)))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <param name="owned">Null for the strict reading; the class the reading of what is given the object judges otherwise.</param>
        private bool Judge(INamedTypeSymbol type, Reading? owned)
        {
            var declared = false;
            for (var current = type; current != null && current.SpecialType != SpecialType.System_Object; current = current.BaseType)
            {
                foreach (var member in current.GetMembers("Finalize"))
                {
                    if (member is not IMethodSymbol { MethodKind: MethodKind.Destructor } finalizer)
                    {
                        continue;
                    }

                    declared = true;
                    if (BodyOf(finalizer) is not { } body || IsEmpty(body) || Walk(body, type, DisposingFlags.None, 0, owned?.Start(), DeferredReleasesFor(finalizer)) == Outcome.Unknown)
                    {
                        return false;
                    }
                }
            }

            return declared;
        }

        private static bool IsEmpty(IOperation body)
            => body is IMethodBodyOperation { BlockBody: { Operations.IsEmpty: true }, ExpressionBody: null };

        /// <param name="thisType">The class virtual calls on <c>this</c> are resolved for; null when <c>this</c> is another object.</param>
        /// <param name="frame">What of the object the walked method holds; null for the strict reading.</param>
        private Outcome Walk(IOperation? operation, INamedTypeSymbol? thisType, IReadOnlyDictionary<IParameterSymbol, bool> flags, int depth, Frame? frame, FunctionNameSet deferred)
        {
            switch (operation)
            {
                case null:
                    return Outcome.Silent;

                // A constant ('nameof(T)', a const field) runs no code.
                case { ConstantValue.HasValue: true }:
                    return Outcome.Silent;

                case IBlockOperation block:
                {
                    ISymbol? zeroed = null;
                    foreach (var statement in block.Operations)
                    {
                        var outcome = (zeroed != null ? ZeroGuardedCall(statement, zeroed, thisType, flags, depth, frame, deferred) : null)
                                      ?? Walk(statement, thisType, flags, depth, frame, deferred);
                        if (outcome != Outcome.Silent)
                        {
                            return outcome;
                        }

                        zeroed = ZeroedMembers.After(statement, BodyOf);
                    }

                    return Outcome.Silent;
                }

                case IConditionalOperation conditional:
                {
                    // The condition runs either way ('Release() && disposing' is known false, but Release() still runs).
                    if (Walk(conditional.Condition, thisType, flags, depth, frame, deferred) == Outcome.Unknown)
                    {
                        return Outcome.Unknown;
                    }

                    var known = frame == null ? DisposingFlags.ValueOf(conditional.Condition, flags) : ValueOf(conditional.Condition, flags, frame);
                    if (known != null)
                    {
                        return Walk(known.Value ? conditional.WhenTrue : conditional.WhenFalse, thisType, flags, depth, frame, deferred);
                    }

                    var tested = TestedField(conditional.Condition);
                    var whenTrue = GuardedCall(conditional.WhenTrue, tested, thisType, flags, depth, frame, deferred) ?? Walk(conditional.WhenTrue, thisType, flags, depth, frame, deferred);
                    var whenFalse = GuardedCall(conditional.WhenFalse, tested is { } t ? (t.Field, !t.Value) : null, thisType, flags, depth, frame, deferred)
                                    ?? Walk(conditional.WhenFalse, thisType, flags, depth, frame, deferred);
                    return whenTrue == Outcome.Unknown || whenFalse == Outcome.Unknown ? Outcome.Unknown
                        : whenTrue == Outcome.Exits && whenFalse == Outcome.Exits ? Outcome.Exits
                        : Outcome.Silent;
                }

                case IReturnOperation ret:
                    return Walk(ret.ReturnedValue, thisType, flags, depth, frame, deferred) == Outcome.Unknown ? Outcome.Unknown
                        : ret.Kind == OperationKind.Return ? Outcome.Exits : Outcome.Silent;

                case IInvocationOperation call:
                {
                    if (Children(call, thisType, flags, depth, frame, deferred) == Outcome.Unknown)
                    {
                        return Outcome.Unknown;
                    }

                    // A release the project declares deferred only queues the object when a finalizer calls it: the library frees it
                    // later, on the thread that uses it, so nothing a native call in flight uses goes (interopguard.deferred_release_functions).
                    if (DefersRelease(call, deferred))
                    {
                        return Outcome.Silent;
                    }

                    return Call(call.TargetMethod, call.Instance, call.IsVirtual, DisposingFlags.Of(call, flags), thisType, depth, frame, Passed(call.Arguments), deferred, guard: null);
                }

                case IPropertyReferenceOperation property:
                    return Children(property, thisType, flags, depth, frame, deferred) == Outcome.Unknown ? Outcome.Unknown : Accessors(property, thisType, depth, frame, deferred);

                // A throw leaves the method as a return does, releasing nothing: what follows it in its block never runs, while an
                // enclosing catch or finally is still walked (a try's children), and so is the caller's code after the call. A
                // Dispose(bool) that refuses the finalizer's thread ('if (!disposing) throw new InvalidOperationException(...)')
                // ends there; the exception, when made here, is judged as any creation, a framework exception's being silent.
                case IThrowOperation thrown:
                    return Thrown(thrown.Exception, thisType, flags, depth, frame, deferred) == Outcome.Unknown ? Outcome.Unknown : Outcome.Exits;

                // Reading what is given the object: declaring an out local, or making an object given nothing of this one (or a framework
                // exception) releases nothing of it.
                case IDeclarationExpressionOperation when frame != null:
                    return Children(operation, thisType, flags, depth, frame, deferred);
                case IObjectCreationOperation creation when frame != null
                                                         && (IsFrameworkException(creation.Type) || !creation.Arguments.Any(a => frame.Gives(a.Value))) && creation.Initializer == null:
                    return Children(operation, thisType, flags, depth, frame, deferred);

                case IConversionOperation { OperatorMethod: not null }:
                case IBinaryOperation { OperatorMethod: not null }:
                case IUnaryOperation { OperatorMethod: not null }:
                case ICompoundAssignmentOperation { OperatorMethod: not null }:
                case IIncrementOrDecrementOperation { OperatorMethod: not null }:
                    return Outcome.Unknown;

                case IMethodBodyOperation:
                case IExpressionStatementOperation:
                case ILiteralOperation:
                case IParameterReferenceOperation:
                case ILocalReferenceOperation:
                case IFieldReferenceOperation:
                case IInstanceReferenceOperation:
                case IConversionOperation:
                case IBinaryOperation:
                case IUnaryOperation:
                case ISimpleAssignmentOperation:
                case ICompoundAssignmentOperation:
                case IIncrementOrDecrementOperation:
                case IVariableDeclarationGroupOperation:
                case IVariableDeclarationOperation:
                case IVariableDeclaratorOperation:
                case IVariableInitializerOperation:
                case IArgumentOperation:
                case IEmptyOperation:
                case IDefaultValueOperation:
                case ITypeOfOperation:
                case ISizeOfOperation:
                case INameOfOperation:
                case IIsTypeOperation:
                case ICoalesceOperation:
                case IConditionalAccessOperation:
                case IConditionalAccessInstanceOperation:
                case IInterpolatedStringOperation:
                case IInterpolatedStringTextOperation:
                case IInterpolationOperation:
                case IParenthesizedOperation:
                case ITryOperation:
                case ICatchClauseOperation:
                case ILockOperation:
                case IWhileLoopOperation:
                case IForLoopOperation:
                case IBranchOperation:
                case ILabeledOperation:
                    // Reads, stores to locals and fields, arithmetic, control flow: none runs code of its own, so none
                    // releases anything. A return inside a try or a loop is walked past (more code, never less, is judged).
                    return Children(operation, thisType, flags, depth, frame, deferred);

                default:
                    // Object creations, delegates and events, foreach (GetEnumerator), using (Dispose), patterns, ...
                    return Outcome.Unknown;
            }
        }

        /// <summary>
        /// A test of a bool field of <c>this</c> (<c>_disposed</c>, <c>!_disposed</c>): the field and the value it has when the
        /// condition is true; null for any other condition.
        /// </summary>
        private static (IFieldSymbol Field, bool Value)? TestedField(IOperation condition)
        {
            condition = OperationTree.SkipNegations(condition, out var value);
            return condition is IFieldReferenceOperation { Field: { IsStatic: false, Type.SpecialType: SpecialType.System_Boolean } field, Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } }
                ? (field, value)
                : null;
        }

        /// <summary>
        /// A branch that is one call on <c>this</c> taken under a test of a field of <c>this</c> (<c>~T() { if (_disposed)
        /// Dispose(false); }</c>): walked as any call, with the field's value handed to the callee, whose own first test of the
        /// same field then decides (<see cref="LeadingExit"/>). Nothing runs between the test and the call, and a finalizer's
        /// object is reachable from no other thread, so the field is unchanged when the callee reads it. Null when the branch
        /// is not of that shape (the caller walks it as usual).
        /// </summary>
        private Outcome? GuardedCall(IOperation? branch, (IFieldSymbol Field, bool Value)? guard, INamedTypeSymbol? thisType, IReadOnlyDictionary<IParameterSymbol, bool> flags, int depth,
                                     Frame? frame, FunctionNameSet deferred)
        {
            if (guard == null)
            {
                return null;
            }

            while (branch is IBlockOperation { Operations.Length: 1 } single)
            {
                branch = single.Operations[0];
            }

            if (branch is not IExpressionStatementOperation { Operation: IInvocationOperation call }
                || call.Instance is not IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }
                || call.Arguments.Any(a => !(OperationTree.SkipConversions(a.Value) is ILiteralOperation or IParameterReferenceOperation or ILocalReferenceOperation)))
            {
                return null;
            }

            if (DefersRelease(call, deferred))
            {
                return Outcome.Silent;
            }

            return Call(call.TargetMethod, call.Instance, call.IsVirtual, DisposingFlags.Of(call, flags), thisType, depth, frame, Passed(call.Arguments), deferred, guard);
        }

        /// <summary>
        /// A call on <c>this</c> right after a statement that left a handle member of it zero (<see cref="ZeroedMembers"/>):
        /// dnYara's finalizer <c>if (BasePtr != 0) Release(); Dispose();</c>, whose <c>Dispose()</c> destroys only
        /// <c>if (BasePtr != 0)</c>. The callee's top-level tests of the member are decided by its zero value until a statement
        /// that may write it; the rest is walked as usual. A finalizer's object is reachable from no other thread, so nothing
        /// changes the member between the two statements. Null when the statement is not such a call (the caller walks it).
        /// </summary>
        private Outcome? ZeroGuardedCall(IOperation statement, ISymbol zeroed, INamedTypeSymbol? thisType, IReadOnlyDictionary<IParameterSymbol, bool> flags, int depth,
                                         Frame? frame, FunctionNameSet deferred)
        {
            if (statement is not IExpressionStatementOperation { Operation: IInvocationOperation { IsVirtual: false, Arguments.IsEmpty: true } call }
                || call.Instance is not IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }
                || depth >= (frame == null ? MaxDepth : MaxOwnedDepth)
                || BodyOf(call.TargetMethod) is not IMethodBodyOperation { BlockBody: { } block, ExpressionBody: null })
            {
                return null;
            }

            var calleeFlags = DisposingFlags.Of(call, flags);
            var calleeFrame = frame?.Into(call.TargetMethod, call.Instance, Passed(call.Arguments));
            var known = true;
            foreach (var inner in block.Operations)
            {
                var outcome = known && inner is IConditionalOperation conditional && ZeroedMembers.Test(conditional.Condition) is { } test
                              && SymbolEqualityComparer.Default.Equals(test.Member, zeroed)
                    ? Walk(test.NonZero ? conditional.WhenFalse : conditional.WhenTrue, thisType, calleeFlags, depth + 1, calleeFrame, deferred)
                    : Walk(inner, thisType, calleeFlags, depth + 1, calleeFrame, deferred);
                if (outcome == Outcome.Unknown)
                {
                    return Outcome.Unknown;
                }

                if (outcome == Outcome.Exits)
                {
                    return Outcome.Silent;
                }

                known &= !ZeroedMembers.MayWrite(inner, zeroed);
            }

            return Outcome.Silent;
        }

        /// <summary>
        /// Where a method leaves at its first test of <paramref name="guard"/>'s field when the value the caller's test gave
        /// the field makes it true: <c>if (_disposed) throw new ObjectDisposedException(…);</c> (or <c>return;</c>) as the
        /// method's first statement that runs code, the statements before it only declaring locals of constants. Returns what
        /// runs there (the exit), or null when the method does not start so, or the test is false or unknown: then the whole
        /// body is walked, the field's value forgotten (<c>if (!_disposed) Dispose(false)</c> with <c>if (_disposed) return;</c>
        /// goes on to the release).
        /// </summary>
        private static IOperation? LeadingExit(IOperation body, (IFieldSymbol Field, bool Value) guard)
        {
            var block = body is IMethodBodyOperation method ? method.BlockBody : body as IBlockOperation;
            if (block == null)
            {
                return null;
            }

            foreach (var statement in block.Operations)
            {
                if (statement is IConditionalOperation { WhenFalse: null } test && TestedField(test.Condition) is { } tested
                    && SymbolEqualityComparer.Default.Equals(tested.Field, guard.Field))
                {
                    var exit = test.WhenTrue is IBlockOperation { Operations.Length: 1 } one ? one.Operations[0] : test.WhenTrue;
                    return tested.Value == guard.Value && exit is IThrowOperation or IExpressionStatementOperation { Operation: IThrowOperation } or IReturnOperation { Kind: OperationKind.Return, ReturnedValue: null }
                        ? exit
                        : null;
                }

                // Only declarations of locals from constants may come first: anything else may run code or store the field.
                if (!(statement is IVariableDeclarationGroupOperation group
                      && group.Declarations.SelectMany(d => d.Declarators).All(d => d.Initializer == null || d.Initializer.Value.ConstantValue.HasValue)))
                {
                    return null;
                }
            }

            return null;
        }

        private Outcome Thrown(IOperation? exception, INamedTypeSymbol? thisType, IReadOnlyDictionary<IParameterSymbol, bool> flags, int depth, Frame? frame, FunctionNameSet deferred)
            => exception != null && OperationTree.SkipConversions(exception) is IObjectCreationOperation { Initializer: null } creation && IsFrameworkException(creation.Type)
                ? Children(creation, thisType, flags, depth, frame, deferred)
                : Walk(exception, thisType, flags, depth, frame, deferred);

        private Outcome Children(IOperation operation, INamedTypeSymbol? thisType, IReadOnlyDictionary<IParameterSymbol, bool> flags, int depth, Frame? frame, FunctionNameSet deferred)
        {
            foreach (var child in operation.ChildOperations)
            {
                if (Walk(child, thisType, flags, depth, frame, deferred) == Outcome.Unknown)
                {
                    return Outcome.Unknown;
                }
            }

            return Outcome.Silent;
        }

        /// <summary>A property read runs its getter, a store its setter, a compound store both; an auto-property runs neither.</summary>
        private Outcome Accessors(IPropertyReferenceOperation property, INamedTypeSymbol? thisType, int depth, Frame? frame, FunctionNameSet deferred)
        {
            // An auto-property runs no code of its own, unless a subclass may override it.
            if (HandleOwners.IsAutoProperty(property.Property) && !property.Property.IsVirtual && !property.Property.IsOverride && !property.Property.IsAbstract)
            {
                return Outcome.Silent;
            }

            var stored = property.Parent is IAssignmentOperation assignment && assignment.Target == property;
            var read = !(property.Parent is ISimpleAssignmentOperation);
            var nonVirtual = property.Instance?.Syntax is BaseExpressionSyntax;
            var isVirtual = !nonVirtual && (property.Property.IsVirtual || property.Property.IsOverride || property.Property.IsAbstract);
            var indexes = Passed(property.Arguments);
            if (read && (property.Property.GetMethod is not { } getter || Call(getter, property.Instance, isVirtual, DisposingFlags.None, thisType, depth, frame, indexes, deferred) == Outcome.Unknown))
            {
                return Outcome.Unknown;
            }

            // The setter's 'value' is its last parameter.
            if (stored && (property.Property.SetMethod is not { } setter
                           || Call(setter, property.Instance, isVirtual, DisposingFlags.None, thisType, depth, frame,
                                   indexes.Concat(new[] { (setter.Parameters.Length - 1, StoredValue(property)) }).ToArray(), deferred) == Outcome.Unknown))
            {
                return Outcome.Unknown;
            }

            return Outcome.Silent;
        }

        /// <param name="guard">A bool field of <c>this</c> and the value the caller's test gave it right before this call on <c>this</c> (see <see cref="GuardedCall"/>).</param>
        private Outcome Call(IMethodSymbol target, IOperation? instance, bool isVirtual, IReadOnlyDictionary<IParameterSymbol, bool> flags, INamedTypeSymbol? thisType, int depth,
                             Frame? frame, IReadOnlyList<(int Ordinal, IOperation Value)> arguments, FunctionNameSet deferred, (IFieldSymbol Field, bool Value)? guard = null)
        {
            if (IsKnownNoOp(target))
            {
                return Outcome.Silent;
            }

            // A call given nothing of the object cannot name its handle (a native one may end the library state it lives
            // in); a keeper only holds it.
            if (frame != null && (!frame.Gives(instance) && !arguments.Any(a => frame.Gives(a.Value)) && _interop.NativeFunctions.Get(target) == null || IsKeeperOnly(target)))
            {
                return Outcome.Silent;
            }

            // A native function that ends nothing, given of the object only a process-wide object its class never ends (and
            // constants), releases nothing of it: any other holder of that object may make the same call at any time.
            if (frame != null && GivesOnlyProcessWide(target, instance, arguments, frame))
            {
                return Outcome.Silent;
            }

            if (depth >= (frame == null ? MaxDepth : MaxOwnedDepth) || target.ContainingType.TypeKind == TypeKind.Interface)
            {
                return Outcome.Unknown;
            }

            var onThis = instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance };
            var calleeThis = onThis ? thisType : null;
            IEnumerable<IMethodSymbol> implementations;
            if (!isVirtual)
            {
                implementations = new[] { target };
            }
            else if (onThis && thisType != null)
            {
                implementations = Implementations(target, thisType);
            }
            else
            {
                return Outcome.Unknown;
            }

            foreach (var implementation in implementations)
            {
                // An auto-property's accessor (a virtual one resolved for the object) runs no code of its own.
                if (frame != null && implementation.AssociatedSymbol is IPropertySymbol { IsAbstract: false } accessed && HandleOwners.IsAutoProperty(accessed))
                {
                    continue;
                }

                if (implementation.IsAbstract || implementation.IsExtern || BodyOf(implementation) is not { } body)
                {
                    return Outcome.Unknown;
                }

                // The caller's test of a field of the object still holds at the callee's first test of it: the callee leaves there.
                var walked = onThis && guard is { } known && LeadingExit(body, known) is { } exit ? exit : body;
                if (Walk(walked, calleeThis, Rekeyed(flags, target, implementation), depth + 1, frame?.Into(implementation, instance, arguments), deferred) == Outcome.Unknown)
                {
                    return Outcome.Unknown;
                }
            }

            return Outcome.Silent;
        }

        /// <summary>
        /// A static native call whose name says it makes or ends nothing, whose arguments that give something of the object are
        /// all fields of the object holding a process-wide object (<see cref="ProcessWideHandleFields"/>), and whose other
        /// arguments are constants (ValveSockets' <c>SetGlobalCallback_…(nativeUtils, IntPtr.Zero)</c> in a finalizer).
        /// </summary>
        private bool GivesOnlyProcessWide(IMethodSymbol target, IOperation? instance, IReadOnlyList<(int Ordinal, IOperation Value)> arguments, Frame frame)
        {
            if (instance != null || !frame.ThisIsObject || _interop.NativeFunctions.Get(target) is not { } native || ProcessWideHandleFields.MakesOrEnds(native))
            {
                return false;
            }

            var givesField = false;
            foreach (var (_, value) in arguments)
            {
                var read = OperationTree.SkipConversions(value);
                if (read is IFieldReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } } field
                    && _processWide.Holds(field.Field))
                {
                    givesField = true;
                }
                else if (frame.Gives(value) || !(read.ConstantValue.HasValue || HandleOwners.IsZero(read)))
                {
                    return false;
                }
            }

            return givesField;
        }

        /// <summary>
        /// The methods a virtual call on <c>this</c> may run: the override <paramref name="thisType"/> inherits, and
        /// every override a subclass of it in this compilation declares. Handed out one at a time, the inherited one first:
        /// the caller stops at the first that may release, and only a silent inherited override needs the subclasses'
        /// (the compilation's override map is a copy of every type's member list, the tenth of IG1001's time on
        /// OpenCvSharp, whose finalizers all release in the inherited <c>Dispose(bool)</c>).
        /// </summary>
        private IEnumerable<IMethodSymbol> Implementations(IMethodSymbol target, INamedTypeSymbol thisType)
        {
            var original = target.OriginalDefinition;
            yield return BaseTypes.RunOn(thisType, original) ?? original;

            foreach (var overriding in CompilationOverrides.Of(_interop).Overriding(original))
            {
                if (BaseTypes.InheritsFrom(overriding.ContainingType, thisType))
                {
                    yield return overriding;
                }
            }
        }

        /// <summary>The flags a call passed, keyed by the parameters of the implementation that runs (an override has its own).</summary>
        private static IReadOnlyDictionary<IParameterSymbol, bool> Rekeyed(IReadOnlyDictionary<IParameterSymbol, bool> flags, IMethodSymbol target, IMethodSymbol implementation)
        {
            if (flags.Count == 0 || SymbolEqualityComparer.Default.Equals(target.OriginalDefinition, implementation.OriginalDefinition))
            {
                return flags;
            }

            var rekeyed = new Dictionary<IParameterSymbol, bool>(SymbolEqualityComparer.Default);
            foreach (var parameter in target.OriginalDefinition.Parameters)
            {
                if (flags.TryGetValue(parameter, out var value) && parameter.Ordinal < implementation.Parameters.Length)
                {
                    rekeyed[implementation.OriginalDefinition.Parameters[parameter.Ordinal]] = value;
                }
            }

            return rekeyed;
        }

        /// <summary>Calls that release nothing of the object: finalization bookkeeping and diagnostics output.</summary>
        private bool IsKnownNoOp(IMethodSymbol method)
        {
            var type = method.ContainingType?.OriginalDefinition;
            if (type == null)
            {
                return false;
            }

            if (SymbolEqualityComparer.Default.Equals(type, _interop.Types.GC))
            {
                return method.Name is "SuppressFinalize" or "KeepAlive";
            }

            return _diagnosticsOutput.Any(output => SymbolEqualityComparer.Default.Equals(type, output));
        }

        // What a setter is handed: the value of 'p = v'; for 'p += v' the whole sum, which reads the property too.
        private static IOperation StoredValue(IPropertyReferenceOperation property)
            => property.Parent is ISimpleAssignmentOperation simple ? simple.Value : property.Parent!;

        private static IReadOnlyList<(int Ordinal, IOperation Value)> Passed(System.Collections.Immutable.ImmutableArray<IArgumentOperation> arguments)
        {
            var passed = new List<(int Ordinal, IOperation Value)>(arguments.Length);
            foreach (var argument in arguments)
            {
                passed.Add((argument.Parameter?.Ordinal ?? -1, argument.Value));
            }

            return passed;
        }

        /// <summary>
        /// The value <paramref name="condition"/> has in the reading of what is given the object: the disposing flags, a parameter known to
        /// hold zero compared with zero (<c>Handle = IntPtr.Zero</c>'s setter testing <c>value == 0</c>), and a bool member
        /// of the object false in every instance of it, through <c>!</c>, <c>&amp;&amp;</c> and <c>||</c>; null when not known.
        /// </summary>
        private bool? ValueOf(IOperation condition, IReadOnlyDictionary<IParameterSymbol, bool> flags, Frame frame)
        {
            condition = OperationTree.SkipConversions(condition);
            switch (condition)
            {
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not, OperatorMethod: null } not:
                    return ValueOf(not.Operand, flags, frame) is { } inner ? !inner : null;
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr, OperatorMethod: null } logical:
                {
                    var left = ValueOf(logical.LeftOperand, flags, frame);
                    var right = ValueOf(logical.RightOperand, flags, frame);
                    var decisive = logical.OperatorKind == BinaryOperatorKind.ConditionalOr;
                    return left == decisive || right == decisive ? decisive : left == !decisive && right == !decisive ? !decisive : null;
                }

                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals, OperatorMethod: null } comparison
                    when frame.IsZero(comparison.LeftOperand) && frame.IsZero(comparison.RightOperand):
                    return comparison.OperatorKind == BinaryOperatorKind.Equals;
                case IMemberReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }, Member: IFieldSymbol or IPropertySymbol } member
                    when frame.ThisIsObject && member.Type?.SpecialType == SpecialType.System_Boolean && _falseFlags.IsFalseIn(member.Member, frame.Reading.Type):
                    return false;
                default:
                    return DisposingFlags.ValueOf(condition, flags);
            }
        }

        /// <summary>Framework code that only holds, compares or formats what it is given: collections, <c>Interlocked</c>, weak references, the values' own methods.</summary>
        private bool IsKeeperOnly(IMethodSymbol method)
        {
            var type = method.ContainingType?.OriginalDefinition;
            if (type == null || !FrameworkTypes.Contains(type))
            {
                return false;
            }

            if (type.SpecialType == SpecialType.System_Object)
            {
                return method.Name is nameof(GetType) or nameof(ReferenceEquals);
            }

            // The numbers, string and the pointer-sized integers; not IDisposable or Delegate, and no interface (a user's
            // collection may implement it).
            if (type.SpecialType is >= SpecialType.System_Boolean and <= SpecialType.System_UIntPtr)
            {
                return true;
            }

            return type.TypeKind == TypeKind.Class && (NamespaceNames.Is(type.ContainingNamespace, "System.Collections.Generic")
                                                       || NamespaceNames.Is(type.ContainingNamespace, "System.Collections.Concurrent")
                                                       || _keepersOnly.Any(keeper => SymbolEqualityComparer.Default.Equals(type, keeper)));
        }

        private bool IsFrameworkException(ITypeSymbol? type)
            => type is INamedTypeSymbol named && FrameworkTypes.Contains(named) && _interop.Types.Exception is { } exception
               && (SymbolEqualityComparer.Default.Equals(named, exception) || BaseTypes.InheritsFrom(named, exception));

        /// <summary>The class the reading of what is given the object judges.</summary>
        private sealed class Reading
        {
            public Reading(INamedTypeSymbol type) => Type = type;

            public INamedTypeSymbol Type { get; }

            /// <summary>The finalizer's own frame: its <c>this</c> is the object.</summary>
            public Frame Start() => new Frame(this, thisIsObject: true, thisGiven: true, NoParameters, NoParameters, NoParameters);
        }

        private static readonly HashSet<IParameterSymbol> NoParameters = new HashSet<IParameterSymbol>(SymbolEqualityComparer.Default);

        /// <summary>
        /// What of the judged object a walked method holds: whether its <c>this</c> is the object (the finalizer's chain of
        /// calls on <c>this</c>), whether it may hold something of it, and which parameters are the object, may hold
        /// something of it, or hold zero. A local may hold anything.
        /// </summary>
        private sealed class Frame
        {
            private readonly HashSet<IParameterSymbol> _objects;
            private readonly HashSet<IParameterSymbol> _given;
            private readonly HashSet<IParameterSymbol> _zero;

            public Frame(Reading reading, bool thisIsObject, bool thisGiven, HashSet<IParameterSymbol> objects, HashSet<IParameterSymbol> given, HashSet<IParameterSymbol> zero)
            {
                Reading = reading;
                ThisIsObject = thisIsObject;
                ThisGiven = thisGiven;
                _objects = objects;
                _given = given;
                _zero = zero;
            }

            public Reading Reading { get; }

            public bool ThisIsObject { get; }

            private bool ThisGiven { get; }

            /// <summary>Whether <paramref name="value"/> may be or hold something of the object: <c>this</c>, a parameter given it, any local.</summary>
            public bool Gives(IOperation? value)
                => value != null && OperationTree.Any(value, o => o switch
                {
                    IInstanceReferenceOperation => ThisGiven,
                    IParameterReferenceOperation reference => _given.Contains(reference.Parameter),
                    ILocalReferenceOperation or IConditionalAccessInstanceOperation => true,
                    _ => false,
                });

            /// <summary>Zero by construction, or a parameter every path here was handed zero.</summary>
            public bool IsZero(IOperation value)
                => HandleOwners.IsZero(value) || (OperationTree.SkipConversions(value) is IParameterReferenceOperation reference && _zero.Contains(reference.Parameter));

            private bool IsObject(IOperation? value)
                => OperationTree.SkipConversions(value!) switch
                {
                    IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } => ThisIsObject,
                    IParameterReferenceOperation reference => _objects.Contains(reference.Parameter),
                    _ => false,
                };

            /// <summary>The frame of <paramref name="method"/> called on <paramref name="instance"/> with <paramref name="arguments"/>.</summary>
            public Frame Into(IMethodSymbol method, IOperation? instance, IReadOnlyList<(int Ordinal, IOperation Value)> arguments)
            {
                var parameters = (method.PartialImplementationPart ?? method.OriginalDefinition).Parameters;
                var objects = new HashSet<IParameterSymbol>(SymbolEqualityComparer.Default);
                var given = new HashSet<IParameterSymbol>(SymbolEqualityComparer.Default);
                var zero = new HashSet<IParameterSymbol>(SymbolEqualityComparer.Default);
                foreach (var (ordinal, value) in arguments)
                {
                    if (ordinal < 0 || ordinal >= parameters.Length)
                    {
                        continue;
                    }

                    var parameter = parameters[ordinal];
                    if (IsObject(value) && parameter.RefKind == RefKind.None)
                    {
                        objects.Add(parameter);
                    }

                    if (Gives(value) || parameter.RefKind != RefKind.None)
                    {
                        given.Add(parameter);
                    }

                    if (IsZero(value) && parameter.RefKind == RefKind.None)
                    {
                        zero.Add(parameter);
                    }
                }

                // A params array, or an argument the list above left out, may hold anything.
                foreach (var parameter in parameters)
                {
                    if (parameter.IsParams || !arguments.Any(a => a.Ordinal == parameter.Ordinal))
                    {
                        given.Add(parameter);
                    }
                }

                return new Frame(Reading, instance != null && IsObject(instance), instance != null && Gives(instance), objects, given, zero);
            }
        }

        /// <summary>
        /// <c>interopguard.deferred_release_functions</c> in the options of the file that declares <paramref name="finalizer"/>:
        /// whether a release defers is the library's state the class lives in (Z3's <c>Context</c> enables concurrent
        /// decrements, its <c>NativeContext</c> does not), so the file of the class's finalizer says it, not the file of a
        /// shared wrapper the release goes through.
        /// </summary>
        private FunctionNameSet DeferredReleasesFor(IMethodSymbol finalizer)
            => finalizer.DeclaringSyntaxReferences.IsEmpty ? FunctionNameSet.Empty : _interop.ForTree(finalizer.DeclaringSyntaxReferences[0].SyntaxTree).Options.DeferredReleaseFunctions;

        /// <summary>
        /// A call of a function <paramref name="deferred"/> names: the native function itself (a P/Invoke or a call through a
        /// held delegate field, by entry point or name), or a method of the binding bearing a listed name (Z3's generated
        /// <c>Native.Z3_dec_ref</c> forwarding to <c>LIB.Z3_dec_ref</c>).
        /// </summary>
        private bool DefersRelease(IInvocationOperation call, FunctionNameSet deferred)
        {
            if (deferred.IsEmpty)
            {
                return false;
            }

            var native = call.TargetMethod.MethodKind == MethodKind.DelegateInvoke ? HeldNativeFunctions.Of(_interop).CalledBy(call) : _interop.NativeFunctions.Get(call.TargetMethod);
            return native != null ? deferred.Contains(native.Method, native.EntryPoint) : deferred.Contains(call.TargetMethod, null);
        }

        /// <summary>The operation tree of a method of this compilation, from the compilation's shared body cache, or null.</summary>
        private IOperation? BodyOf(IMethodSymbol method) => _interop.Wrappers.GetBody(method);

    }
}
