using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    internal enum ValueUseKind
    {
        /// <summary>Read without any effect on ownership (passed to a non-owning call, dereferenced).</summary>
        Use,

        /// <summary>Only inspected (compared, null-checked, IsAllocated/IsInvalid/IsClosed read): harmless even after release.</summary>
        Inspect,

        /// <summary>Passed as the pointer argument of a release.</summary>
        Release,

        /// <summary>Ownership may leave the method: returned, stored, captured, handed to an owner, or used in a way we cannot follow.</summary>
        Escape,

        /// <summary>Copied into a local or a flow capture, which becomes another name for the same value.</summary>
        Copy,

        /// <summary>The value is the whole of an operation without a parent (a control-flow branch value); the caller decides.</summary>
        ReachedRoot,
    }

    internal readonly struct ValueUse
    {
        public ValueUse(ValueUseKind kind, IOperation site, Deallocator? release = null, object? copyTarget = null, (NativeFunction, IParameterSymbol)? nativeTarget = null, bool keptIfCallSucceeds = false)
        {
            KeptIfCallSucceeds = keptIfCallSucceeds;
            Kind = kind;
            Site = site;
            Release = release;
            CopyTarget = copyTarget;
            NativeTarget = nativeTarget;
        }

        public ValueUseKind Kind { get; }

        /// <summary>The outermost operation the classification looked at (the call, the assignment, ...).</summary>
        public IOperation Site { get; }

        public Deallocator? Release { get; }

        /// <summary>An <see cref="ILocalSymbol"/> or a <see cref="CaptureId"/>.</summary>
        public object? CopyTarget { get; }

        /// <summary>The native parameter the value reaches when the use is (or wraps) a native call.</summary>
        public (NativeFunction Function, IParameterSymbol Parameter)? NativeTarget { get; }

        /// <summary>
        /// An escape to a native function that keeps the value only when it succeeds: a checker the call's status goes
        /// to (<c>Check(native(p))</c>) throws on failure, and then the value was not taken.
        /// </summary>
        public bool KeptIfCallSucceeds { get; }
    }

    /// <summary>
    /// Classifies what the code does with a value (a reference to a tracked pointer): the question every ownership
    /// rule asks of each use. Unknown shapes count as escapes, so that rules stay silent where they cannot tell.
    /// </summary>
    internal sealed class ValueUses
    {
        private readonly InteropContext _context;
        private readonly InteropScope _scope;
        private readonly int _depth;
        private readonly LocalStructs? _structs;

        /// <summary>The options and catalogue the uses are read with.</summary>
        public InteropScope Scope => _scope;

        public ValueUses(InteropContext context, InteropScope scope, int depth = 0)
            : this(context, scope, depth, ownership: false)
        {
        }

        private ValueUses(InteropContext context, InteropScope scope, int depth, bool ownership)
        {
            _context = context;
            _scope = scope;
            _depth = depth;
            _structs = ownership ? new LocalStructs(context, scope) : null;
        }

        /// <summary>
        /// The readings of the Ownership family, which asks who must release a value rather than where a value may be
        /// read: a local struct that carries a pointer to native calls lends it, and a GCHandle's number read by a
        /// library method is not handed on. Other rules (a pointer that must not outlive its pin, a handle value that
        /// must not be raced) still count a copy stored in a struct as leaving.
        /// </summary>
        public static ValueUses ForOwnership(InteropContext context, InteropScope scope) => new ValueUses(context, scope, 0, ownership: true);

        public ValueUse Classify(IOperation value) => Classify(value, readCallees: true);

        /// <summary>
        /// <see cref="Classify"/> for a caller that asks only where a value goes in the body (copied, stored, returned,
        /// inspected) and not what a callee does with it: a value given as an argument is an escape into its call, and the
        /// callee is not read. The full reading's answer there is always that call (or a call around it) as the site, with
        /// a release, an escape or a use, never a copy or an inspection; reading the callee (the catalogue, the native
        /// table, the retaining reading, a source method's summary) is most of what a classification costs at a call.
        /// </summary>
        public ValueUse ClassifyPlace(IOperation value) => Classify(value, readCallees: false);

        private ValueUse Classify(IOperation value, bool readCallees)
        {
            var current = value;
            while (true)
            {
                var parent = current.Parent;
                switch (parent)
                {
                    case null:
                        return new ValueUse(ValueUseKind.ReachedRoot, current);

                    case IConversionOperation conversion when conversion.OperatorMethod == null:
                        current = parent;
                        continue;

                    case IConversionOperation { OperatorMethod: { } conversionOperator, Parent: IArgumentOperation { Parent: IInvocationOperation reader } }
                        when _structs != null && IsNativeInteger(parent.Type) && SymbolEqualityComparer.Default.Equals(conversionOperator.ContainingType, _context.Types.GCHandle)
                             && reader.TargetMethod.DeclaringSyntaxReferences.IsEmpty && _context.NativeFunctions.Get(reader.TargetMethod) == null:
                        // (IntPtr)handle is the handle's number, like GCHandle.ToIntPtr: given to native code or to a
                        // method of the compilation it may be kept as user data. A library method reading from it
                        // (Marshal.Copy's source) keeps nothing, so its own classification decides.
                        current = parent;
                        continue;

                    case IArgumentOperation { Parent: IObjectCreationOperation creation } when IsNativeInteger(creation.Type):
                        // new IntPtr(p) is the same address under another type; follow where it goes.
                        current = creation;
                        continue;

                    case IArgumentOperation argument:
                        return readCallees ? ClassifyArgument(argument) : new ValueUse(ValueUseKind.Escape, argument.Parent ?? argument);

                    case ISimpleAssignmentOperation assignment when assignment.Value == current:
                        return ClassifyStore(assignment.Target, assignment);

                    case ISimpleAssignmentOperation assignment when assignment.Target == current:
                        // The tracked name is being overwritten; the caller handles overwrites separately.
                        return new ValueUse(ValueUseKind.Use, assignment);

                    case IVariableInitializerOperation initializer when initializer.Parent is IVariableDeclaratorOperation declarator:
                        return new ValueUse(ValueUseKind.Copy, initializer, copyTarget: declarator.Symbol);

                    case IFlowCaptureOperation capture:
                        return new ValueUse(ValueUseKind.Copy, capture, copyTarget: capture.Id);

                    case IReturnOperation:
                        return new ValueUse(ValueUseKind.Escape, parent);

                    case IBinaryOperation binary:
                        if (binary.OperatorKind == BinaryOperatorKind.Add || binary.OperatorKind == BinaryOperatorKind.Subtract)
                        {
                            // Pointer arithmetic keeps pointing into the block; follow where the result goes.
                            if (binary.Type is IPointerTypeSymbol || IsNativeInteger(binary.Type))
                            {
                                current = parent;
                                continue;
                            }
                        }

                        return new ValueUse(IsComparison(binary.OperatorKind) ? ValueUseKind.Inspect : ValueUseKind.Use, parent);

                    case IIsPatternOperation:
                    case IIsNullOperation:
                        return new ValueUse(ValueUseKind.Inspect, parent);

                    case IInvocationOperation invocation when invocation.Instance == current:
                        // IntPtr.ToPointer() hands back the same address; h.Free()/h.Dispose() release the handle;
                        // any other member call only reads it.
                        // The CFG unwraps 'p?.Alloc() ?? IntPtr.Zero' with GetValueOrDefault() of the Nullable<IntPtr>
                        // it captured: the same address.
                        if (invocation.TargetMethod.Name == "ToPointer" || (invocation.TargetMethod.Name == "GetValueOrDefault" && invocation.Arguments.IsEmpty && IsNullable(current.Type)))
                        {
                            current = parent;
                            continue;
                        }

                        if (_scope.Catalogue.TryGetReceiverRelease(invocation.TargetMethod, OperationTree.SkipConversions(current).Type, out var receiverRelease, invocation))
                        {
                            return new ValueUse(ValueUseKind.Release, parent, release: receiverRelease);
                        }

                        if (IsLastingReference(invocation))
                        {
                            return new ValueUse(ValueUseKind.Escape, parent);
                        }

                        // A method of the resource's own type that returns an object may return the resource itself
                        // (handle.ForDispose() returning this): follow where that result goes.
                        if (IsSourceMethod(invocation.TargetMethod) && invocation.Type is { IsReferenceType: true, SpecialType: not SpecialType.System_String })
                        {
                            current = parent;
                            continue;
                        }

                        return new ValueUse(ValueUseKind.Use, parent);

                    case IPropertyReferenceOperation { Property.Name: "Value" } nullableValue when nullableValue.Instance == current && IsNullable(current.Type):
                        current = parent;
                        continue;

                    case IPropertyReferenceOperation property when property.Instance == current && IsStateCheck(property.Property.Name):
                        return new ValueUse(ValueUseKind.Inspect, parent);

                    case IConditionalOperation conditional when conditional.Condition != current:
                    case ICoalesceOperation:
                        current = parent;
                        continue;

                    case IExpressionStatementOperation:
                    case IUnaryOperation:
                    case IIsTypeOperation:
                    case IInterpolationOperation:
                    case IConditionalOperation:
                    case IPropertyReferenceOperation:
                    case IFieldReferenceOperation:
                    case IMethodReferenceOperation:
                    case IThrowOperation:
                    case IIncrementOrDecrementOperation:
                    case ICompoundAssignmentOperation:
                    case INameOfOperation:
                    case ISizeOfOperation:
                    case IConditionalAccessOperation:
                    case ISwitchOperation:
                    case ISwitchCaseOperation:
                    case ICaseClauseOperation:
                    case ISwitchExpressionOperation:
                        return new ValueUse(ValueUseKind.Use, parent);

                    default:
                        if (parent.Kind == OperationKind.None && OperationTree.IsDereference(parent.Syntax))
                        {
                            return new ValueUse(ValueUseKind.Use, parent);
                        }

                        return new ValueUse(ValueUseKind.Escape, parent);
                }
            }
        }

        /// <summary>What storing the value into <paramref name="target"/> means: a copy into a local, or an escape.</summary>
        public ValueUse ClassifyStore(IOperation target, IOperation site)
        {
            switch (target)
            {
                case ILocalReferenceOperation local when !local.Local.IsRef:
                    return new ValueUse(ValueUseKind.Copy, site, copyTarget: local.Local);
                case IDiscardOperation:
                    return new ValueUse(ValueUseKind.Use, site);
                case IFieldReferenceOperation field when _structs != null && _structs.OnlyLends(field):
                    // A local struct that carries the pointer to a native call lends it; the method still owns the block.
                    return new ValueUse(ValueUseKind.Use, site);
                default:
                    return new ValueUse(ValueUseKind.Escape, site);
            }
        }

        private ValueUse ClassifyArgument(IArgumentOperation argument)
        {
            var parameter = argument.Parameter;
            var call = argument.Parent;
            if (parameter == null || call == null)
            {
                return new ValueUse(ValueUseKind.Escape, argument);
            }

            if (parameter.RefKind == RefKind.Ref || parameter.RefKind == RefKind.Out)
            {
                // A release that takes the address of the caller's pointer (Leptonica's pixDestroy(PIX **), which nulls it
                // once released) releases the value; any other call given the variable by reference may keep or replace it.
                return parameter.RefKind == RefKind.Ref && call is IInvocationOperation byReference
                       && _scope.Catalogue.TryGetDeallocator(byReference.TargetMethod, out var release) && release.PointerParameter == parameter.Ordinal
                    ? new ValueUse(ValueUseKind.Release, call, release: release)
                    : new ValueUse(ValueUseKind.Escape, call);
            }

            switch (call)
            {
                case IInvocationOperation invocation:
                    return ClassifyCallArgument(invocation.TargetMethod, parameter, invocation);
                case IObjectCreationOperation creation when creation.Constructor != null:
                    if (_context.Types.IsHandleWrapper(creation.Type))
                    {
                        return new ValueUse(ValueUseKind.Escape, call);
                    }

                    if (IsSourceMethod(creation.Constructor))
                    {
                        // The summaries stop at their depth; a handle stored down a longer constructor chain
                        // (NtCoreLib's three bases and SetHandle) is the new object's all the same.
                        var summarized = FromSummary(parameter, call, native: null);
                        return summarized.Kind == ValueUseKind.Use
                               && KeepingConstructors.Of(_context).Keeps(creation.Constructor, parameter)
                            ? new ValueUse(ValueUseKind.Escape, call)
                            : summarized;
                    }

                    // A struct from a library (Span<T>, a view) only borrows the pointer, unless the struct itself is kept
                    // (a HandleRef stored in the owner's field); a class may keep it.
                    return new ValueUse(creation.Type?.IsValueType == true && !IsKeptBeyondTheMethod(creation) ? ValueUseKind.Use : ValueUseKind.Escape, call);
                default:
                    return new ValueUse(ValueUseKind.Escape, call);
            }
        }

        /// <summary>Is the created value stored where it outlives the method (a field, property or element) or returned?</summary>
        private static bool IsKeptBeyondTheMethod(IOperation created)
        {
            var current = OperationTree.WithEveryConversion(created);
            return current.Parent switch
            {
                ISimpleAssignmentOperation assignment when assignment.Value == current
                    => assignment.Target is not ILocalReferenceOperation && assignment.Target is not IDiscardOperation,
                IReturnOperation => true,
                _ => false,
            };
        }

        private ValueUse ClassifyCallArgument(IMethodSymbol method, IParameterSymbol parameter, IOperation call)
        {
            var catalogue = _scope.Catalogue;
            if (catalogue.TryGetDeallocator(method, out var release) && release.PointerParameter == parameter.Ordinal)
            {
                return new ValueUse(ValueUseKind.Release, call, release: release);
            }

            if (catalogue.TryGetAllocator(method, out var reallocator) && reallocator.ReallocatedParameter == parameter.Ordinal)
            {
                // realloc consumes the old block and hands out a new one, which is tracked on its own.
                return new ValueUse(ValueUseKind.Release, call, release: new Deallocator(reallocator.Family, parameter.Ordinal, reallocator.Display));
            }

            var native = _context.NativeFunctions.Get(method);
            // A private delegate field the binding fills only with one P/Invoke's method group calls that P/Invoke.
            if (native == null && method.MethodKind == MethodKind.DelegateInvoke && call is IInvocationOperation { Instance: IFieldReferenceOperation held }
                && HeldNativeFunctions.Of(_context).Of(held) is { } heldNative
                && parameter.Ordinal < heldNative.Method.Parameters.Length)
            {
                native = heldNative;
                parameter = heldNative.Method.Parameters[parameter.Ordinal];
            }

            if (_scope.Options.OwnershipTransferFunctions.Contains(native?.Method ?? method, native?.EntryPoint))
            {
                return new ValueUse(ValueUseKind.Escape, call);
            }

            // Given with the function that frees it, the block is the library's to release (ReleaseCallbacks).
            if (native != null && call is IInvocationOperation withRelease && ReleaseCallbacks.Of(_context).HandsOverRelease(withRelease, parameter, catalogue))
            {
                return new ValueUse(ValueUseKind.Escape, call);
            }

            if (native != null)
            {
                // A function that keeps what it is given (a registration, an async submission) now shares it:
                // releasing it here would be as wrong as leaking it, so ownership is no longer ours to judge.
                // So does a setter whose matching getter's result the library itself frees (SettersReleasedThroughGetters).
                return _scope.Keeps(native, parameter) || SettersReleasedThroughGetters.Of(_context).Keeps(call, native, parameter, catalogue)
                    ? new ValueUse(ValueUseKind.Escape, call, nativeTarget: (native, parameter), keptIfCallSucceeds: !method.ReturnsVoid)
                    : new ValueUse(ValueUseKind.Use, call, nativeTarget: (native, parameter));
            }

            // A delegate field the binding loads by entry point name calls that entry point. Only what the catalogue or
            // an option says is kept counts, not the name reading of a P/Invoke: a GValue keeps the pointer
            // g_value_set_pointer is given, so freeing it here would leave the value dangling.
            if (catalogue.LoadedEntryPointOf(method) is { } entryPoint)
            {
                var loaded = new NativeFunction(method, string.Empty, entryPoint, isLibraryImport: false);
                if (_scope.WhyKept(loaded, parameter) is RetainingReason.Catalogue or RetainingReason.Option)
                {
                    return new ValueUse(ValueUseKind.Escape, call, keptIfCallSucceeds: !method.ReturnsVoid);
                }
            }

            var types = _context.Types;

            // The number from GCHandle.ToIntPtr is how native user data refers back to the handle: whoever holds it can free it.
            if (method.Name == "ToIntPtr" && types.GCHandle != null && SymbolEqualityComparer.Default.Equals(method.ContainingType, types.GCHandle))
            {
                // Given straight to a native function that reports a status, the number is kept only if the call succeeds
                // (a registration that fails keeps nothing): a check of that status that throws still leaves the handle ours.
                return StatusReportingNativeCallOf(call) is { } registration
                    ? new ValueUse(ValueUseKind.Escape, registration, keptIfCallSucceeds: true)
                    : new ValueUse(ValueUseKind.Escape, call);
            }

            if (method.Name == "SetHandle" && types.IsHandleWrapper(method.ContainingType))
            {
                return new ValueUse(ValueUseKind.Escape, call);
            }

            // An export is only callable while its library stays loaded: the handle lives on in the export.
            if (types.NativeLibrary != null && SymbolEqualityComparer.Default.Equals(method.ContainingType, types.NativeLibrary)
                && (method.Name == "GetExport" || method.Name == "TryGetExport"))
            {
                return new ValueUse(ValueUseKind.Escape, call);
            }

            if (IsSourceMethod(method))
            {
                // An abstract member runs an override this reading does not pick (a list's Append that keeps the
                // pointer in a native list): whichever runs may keep the value. So does a member without a body of an
                // internal interface the library implements itself, a platform binding picked at run time: ClearScript
                // hands a GCHandle number to V8 through IV8SplitProxyNative, whose implementations forward it to a
                // P/Invoke that keeps it. An interface the user implements is still called for the duration of the call.
                return method.IsAbstract && (method.ContainingType?.TypeKind == TypeKind.Class || ImplementedInterfaces.Of(_context).IsClosedAndImplemented(method.ContainingType))
                    ? new ValueUse(ValueUseKind.Escape, call)
                    : FromSummary(parameter, call, native: null);
            }

            // Library methods taking object or a type parameter store values (collections, state objects), and so
            // do those whose parameter is the value to write (Marshal.WriteIntPtr, Interlocked.CompareExchange);
            // those taking a pointer-sized destination or source read through it (Marshal.Copy, Marshal.ReadInt32, ...).
            if (parameter.Name == "val" || parameter.Name == "value")
            {
                return new ValueUse(ValueUseKind.Escape, call);
            }

            var type = parameter.OriginalDefinition.Type;

            // RegistryKey.FromHandle wraps the handle in the key it returns, whose Dispose closes it: a factory that keeps it.
            if (method.Name == "FromHandle" && method.ContainingType is { Name: "RegistryKey", ContainingNamespace: { Name: "Win32", ContainingNamespace: { Name: "Microsoft", ContainingNamespace.IsGlobalNamespace: true } } })
            {
                return new ValueUse(ValueUseKind.Escape, call);
            }

            // A library method taking a SafeHandle uses it for the call (RandomAccess.Read); constructors keep it.
            if (types.IsHandleWrapper(type) && method.MethodKind != MethodKind.Constructor)
            {
                return new ValueUse(ValueUseKind.Use, call);
            }

            if (type.SpecialType == SpecialType.System_Object || type.TypeKind == TypeKind.TypeParameter || type.TypeKind == TypeKind.Interface || type.TypeKind == TypeKind.Class)
            {
                return new ValueUse(ValueUseKind.Escape, call);
            }

            return new ValueUse(ValueUseKind.Use, call);
        }

        /// <summary>
        /// <c>handle.DangerousAddRef(ref added)</c> in a member that never calls <c>DangerousRelease</c>: the reference
        /// count stays raised, so no <c>Dispose</c> can release the handle any more — the binding has made it a view of a
        /// native object another owns (DuckDB.NET's logical type, part of the value it was read from). Whether that is
        /// right is IG3006's question (an AddRef never matched); "not disposed" would describe a release that cannot happen.
        /// </summary>
        private bool IsLastingReference(IInvocationOperation invocation)
        {
            var method = invocation.TargetMethod;
            if (method.Name != "DangerousAddRef" || _context.Types.SafeHandle is not { } safeHandle
                || !SymbolEqualityComparer.Default.Equals(method.ContainingType?.OriginalDefinition, safeHandle))
            {
                return false;
            }

            var member = invocation.Syntax.FirstAncestorOrSelf<MemberDeclarationSyntax>();
            return member != null && !member.DescendantTokens().Any(t => t.IsKind(SyntaxKind.IdentifierToken) && t.ValueText == "DangerousRelease");
        }

        private ValueUse FromSummary(IParameterSymbol parameter, IOperation call, (NativeFunction, IParameterSymbol)? native)
        {
            var summary = ParameterSummaries.Of(_context).Get(parameter, _scope, _depth);
            // A helper told by a constant not to release (UTF8_ToManaged(s, freePtr: false)) only reads the block.
            if (summary.Releases != null && !(summary.ReleaseFlag is { } flag && flag.SkipsReleaseWith(ArgumentFor(call, flag.Flag))))
            {
                return new ValueUse(ValueUseKind.Release, call, release: summary.Releases);
            }

            var target = summary.NativeTargets.Targets.Count > 0 ? summary.NativeTargets.Targets[0] : native;
            return new ValueUse(summary.Escapes ? ValueUseKind.Escape : ValueUseKind.Use, call, nativeTarget: target);
        }

        /// <summary>The native call with a result that <paramref name="value"/> is directly an argument of, or null.</summary>
        private IInvocationOperation? StatusReportingNativeCallOf(IOperation value)
        {
            var current = value;
            while (current.Parent is IConversionOperation { OperatorMethod: null })
            {
                current = current.Parent;
            }

            return current.Parent is IArgumentOperation { Parameter.RefKind: RefKind.None, Parent: IInvocationOperation call }
                   && !call.TargetMethod.ReturnsVoid && HeldNativeFunctions.Of(_context).CalledBy(call) != null
                ? call
                : null;
        }

        /// <summary>The value <paramref name="call"/> gives <paramref name="parameter"/>, its default included; null when unknown.</summary>
        private static IOperation? ArgumentFor(IOperation call, IParameterSymbol parameter)
        {
            var arguments = call switch
            {
                IInvocationOperation invocation => invocation.Arguments,
                IObjectCreationOperation creation => creation.Arguments,
                _ => default,
            };
            if (arguments.IsDefault)
            {
                return null;
            }

            foreach (var argument in arguments)
            {
                if (argument.Parameter != null && argument.Parameter.Ordinal == parameter.Ordinal)
                {
                    return argument.Value;
                }
            }

            return null;
        }

        private static bool IsStateCheck(string name) => name == "IsAllocated" || name == "IsInvalid" || name == "IsClosed";

        private static bool IsComparison(BinaryOperatorKind kind)
            => kind == BinaryOperatorKind.Equals || kind == BinaryOperatorKind.NotEquals
               || kind == BinaryOperatorKind.LessThan || kind == BinaryOperatorKind.LessThanOrEqual
               || kind == BinaryOperatorKind.GreaterThan || kind == BinaryOperatorKind.GreaterThanOrEqual
               || kind == BinaryOperatorKind.ObjectValueEquals || kind == BinaryOperatorKind.ObjectValueNotEquals;

        private static bool IsSourceMethod(IMethodSymbol method) => method.DeclaringSyntaxReferences.Length > 0 && !method.IsExtern;

        private static bool IsNullable(ITypeSymbol? type) => type?.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T;

        private static bool IsNativeInteger(ITypeSymbol? type)
            => type != null && (type.SpecialType == SpecialType.System_IntPtr || type.SpecialType == SpecialType.System_UIntPtr);
    }
}
