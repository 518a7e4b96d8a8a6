using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>
    /// The native function a private delegate field holds when the binding stores nothing in it but one P/Invoke: its method
    /// group (<c>_conf_set_error_cb = NativeMethods.rd_kafka_conf_set_error_cb;</c>, once per platform class), or the
    /// delegate reflection makes of it (<see cref="ReflectedNativeMethods"/>), null aside. Invoking the field calls that
    /// function with the same arguments, so a wrapper <c>=&gt; _field(a, b)</c> forwards to it (<see cref="WrapperSummaries"/>)
    /// and a call through it passes its arguments to it (Flow's value uses). One instance per compilation; each field is
    /// read once, from the code of the one type that can write it.
    /// </summary>
    /// <remarks>
    /// A store may also be a lambda whose body only throws: clrzmq4's static constructor replaces
    /// <c>zmq.z85_encode = zmq_z85_encode</c> with <c>(dest, data, size) =&gt; { throw VersionNotSupported(...); }</c> when the
    /// loaded libzmq is too old. Such a lambda passes nothing anywhere, so every question about what the call does with its
    /// arguments (an owner kept alive, a pointer pinned, a buffer retained) is the P/Invoke's; only "can the call throw" is
    /// also the lambda's, and <see cref="MayThrowInstead"/> says so. Stores of different entry points (clrzmq4's
    /// <c>ctx_term</c>: <c>zmq_ctx_term</c>, or <c>zmq_term</c> on libzmq 3) leave the field unread: which function a rule
    /// should name, and whose catalogue entry (allocator, release, retaining) applies, is then unknown, so no rule asks it.
    /// </remarks>
    internal sealed class HeldNativeFunctions
    {
        private readonly InteropContext _context;
        private readonly ConcurrentDictionary<IFieldSymbol, Holding?> _held = ConcurrentTables.Create<IFieldSymbol, Holding?>(SymbolEqualityComparer.Default);

        private HeldNativeFunctions(InteropContext context)
        {
            _context = context;
        }

        public static HeldNativeFunctions Of(InteropContext context) => context.Held.Get(c => new HeldNativeFunctions(c));

        /// <summary>The native function an invocation through <paramref name="instance"/> (the invoked delegate) calls, or null.</summary>
        public NativeFunction? Of(IOperation? instance) => HoldingOf(instance)?.Function;

        /// <summary>
        /// The native function <paramref name="call"/> calls: the P/Invoke it targets, or the one the delegate field it
        /// invokes holds. The question every rule asks of a call before it asks what the function does with an argument.
        /// </summary>
        public NativeFunction? CalledBy(IInvocationOperation call) => CalledBy(call.TargetMethod, call.Instance);

        /// <summary><see cref="CalledBy(IInvocationOperation)"/> of a call whose target and instance the caller has read.</summary>
        public NativeFunction? CalledBy(IMethodSymbol target, IOperation? instance)
            => _context.NativeFunctions.Get(target) ?? (target.MethodKind == MethodKind.DelegateInvoke ? Of(instance) : null);

        /// <summary>
        /// Whether the field <paramref name="instance"/> reads, which holds a native function, may instead hold a lambda
        /// that throws (the binding's "not supported by this library version"): a call through it may throw a managed
        /// exception where the P/Invoke would not.
        /// </summary>
        public bool MayThrowInstead(IOperation? instance) => HoldingOf(instance)?.MayThrowInstead == true;

        private Holding? HoldingOf(IOperation? instance)
        {
            if (instance == null || OperationTree.SkipConversions(instance) is not IFieldReferenceOperation { Field: { Type.TypeKind: TypeKind.Delegate } field }
                || !IsWrittenOnlyHere(field, _context.Compilation))
            {
                return null;
            }

            return _held.GetOrAdd(field.OriginalDefinition, f => Read(f, CancellationToken.None));
        }

        /// <summary>A private or read-only field of this compilation: only its class can write it.</summary>
        internal static bool IsWrittenOnlyHere(IFieldSymbol field, Compilation compilation)
            => (field.DeclaredAccessibility == Accessibility.Private || field.IsReadOnly)
               && field.ContainingType != null && SymbolEqualityComparer.Default.Equals(field.ContainingAssembly, compilation.Assembly);

        private Holding? Read(IFieldSymbol field, CancellationToken cancellationToken)
        {
            NativeFunction? held = null;
            var throwing = false;
            bool IsSameNativeFunction(IOperation value, bool isInitializer)
            {
                // 'static Fn _f = null!;' until the loader runs: invoking null calls nothing.
                if (OperationTree.SkipConversions(value).ConstantValue is { HasValue: true, Value: null })
                {
                    return true;
                }

                if (OperationTree.SkipConversions(value) is IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda } && OnlyThrows(lambda))
                {
                    throwing = true;
                    return true;
                }

                var native = OperationTree.SkipConversions(value) is IDelegateCreationOperation { Target: IMethodReferenceOperation { Method: { } method } }
                    ? _context.NativeFunctions.Get(method)
                    : ReflectedNativeMethods.Of(value, field.Type as INamedTypeSymbol, _context);
                if (native == null || (held != null && (held.EntryPoint != native.EntryPoint || held.Method.Parameters.Length != native.Method.Parameters.Length)))
                {
                    return false;
                }

                held ??= native;
                return true;
            }

            // Only lambdas stored (and null): the field never calls native code.
            return EveryStore(_context.Compilation, field, IsSameNativeFunction, cancellationToken) && held != null ? new Holding(held, throwing) : null;
        }

        // '(a, b) => { throw Unsupported("zmq_has"); }' or '(a, b) => throw ...': nothing of the arguments is used, nothing else runs.
        private static bool OnlyThrows(IAnonymousFunctionOperation lambda)
        {
            // A void lambda's block ends in an implicit empty return; an expression body is an implicit return of its value.
            var statements = lambda.Body.Operations.Where(o => o is not IReturnOperation { IsImplicit: true, ReturnedValue: null }).ToList();
            return statements.Count == 1
                   && statements[0] switch
                   {
                       IThrowOperation => true,
                       IReturnOperation { ReturnedValue: { } returned } => OperationTree.SkipConversions(returned) is IThrowOperation,
                       IExpressionStatementOperation { Operation: var expression } => OperationTree.SkipConversions(expression) is IThrowOperation,
                       _ => false,
                   };
        }

        private sealed class Holding
        {
            public Holding(NativeFunction function, bool mayThrowInstead)
            {
                Function = function;
                MayThrowInstead = mayThrowInstead;
            }

            public NativeFunction Function { get; }

            public bool MayThrowInstead { get; }
        }

        /// <summary>
        /// Whether the field is stored at least once, only by its initializer and by plain assignments in its type, and
        /// <paramref name="accepts"/> every value stored (asked in order, with whether it is the initializer; the first
        /// refusal ends the reading).
        /// </summary>
        internal static bool EveryStore(Compilation compilation, IFieldSymbol field, Func<IOperation, bool, bool> accepts, CancellationToken cancellationToken)
        {
            var stores = 0;
            foreach (var variable in field.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<VariableDeclaratorSyntax>())
            {
                if (variable.Initializer != null)
                {
                    if (InitializerValue(compilation, variable.Initializer) is not { } value || !accepts(value, true))
                    {
                        return false;
                    }

                    stores++;
                }
            }

            foreach (var reference in FieldReferencesInType.Of(compilation, field, field.ContainingType, cancellationToken))
            {
                if (reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference)
                {
                    if (!accepts(assignment.Value, false))
                    {
                        return false;
                    }

                    stores++;
                }
                else if (IsWrittenOrAliased(reference))
                {
                    return false;
                }
            }

            return stores > 0;
        }

        // '+=', '??=', a ref or out argument, 'ref field' (a ref local or ref return), '&field': the field may then hold anything.
        private static bool IsWrittenOrAliased(IOperation reference)
            => reference.Parent is ICompoundAssignmentOperation or ICoalesceAssignmentOperation or IDeconstructionAssignmentOperation or IAddressOfOperation
                   or IArgumentOperation { Parameter.RefKind: not RefKind.None }
               || reference.Syntax.Parent is RefExpressionSyntax;

        // 'static d_free g_free = Loader.Load<d_free>(lib, "g_free");': what the initializer stores, read like any other store.
        private static IOperation? InitializerValue(Compilation compilation, EqualsValueClauseSyntax initializer)
        {
            if (!compilation.ContainsSyntaxTree(initializer.SyntaxTree))
            {
                return null;
            }

#pragma warning disable RS1030 // Once per delegate field a throw question or a call through the field invokes; cached by the caller.
            var model = compilation.GetSemanticModel(initializer.SyntaxTree);
#pragma warning restore RS1030
            return model.GetOperation(initializer) is ISymbolInitializerOperation assigned ? assigned.Value : null;
        }
    }
}
