using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Delegates native code handed over: the return value of a native function whose return type is a delegate (the
    /// marshaller wraps the function pointer it returns, exactly as <c>Marshal.GetDelegateForFunctionPointer</c> does), or
    /// of <c>GetDelegateForFunctionPointer</c> itself. Invoking one is a call into native code — a native call by the
    /// design's definition — so the throw model counts it as it counts a P/Invoke. GLib's
    /// <c>prev = g_log_set_default_handler(...)</c> kept in a wrapper that later calls <c>prev(...)</c> is the case.
    /// </summary>
    /// <remarks>
    /// A value is read as such when it is held by:
    /// <list type="bullet">
    /// <item>a local declared with such a value and never written again;</item>
    /// <item>a private or read-only field (only its class can write it) whose initializer and every write in its class store
    /// such a value, null, or a parameter of a method or
    /// constructor that only one type's code can call (it, or a type it is nested in, is private) and every call of which
    /// in that type passes such a value. This is how a binding keeps the previous handler in a small private wrapper
    /// class (<c>new Invoker(prev)</c>). An initializer may also call a loader of this compilation whose every return is
    /// such a value or null, two loaders deep: <c>static d_free g_free = Loader.Load&lt;d_free&gt;("g_free")</c> over
    /// <c>Marshal.GetDelegateForFunctionPointer&lt;T&gt;</c>.</item>
    /// </list>
    /// A store may also be a method group of a P/Invoke (<c>static readonly recv_fn recv = zmq_recv;</c>): invoking the
    /// delegate calls it. Any other write (a managed lambda or method group, <c>+=</c>, a <c>ref</c>, a parameter callable from elsewhere)
    /// makes the field the library's own delegate again. Answered once per field, from the declarations of the one type
    /// that can write it and the one type that can call its writer.
    /// </remarks>
    internal sealed class NativeMadeDelegates
    {
        private readonly InteropContext _context;
        private readonly AllocationCatalogue _catalogue;
        private readonly ConcurrentDictionary<IFieldSymbol, bool> _fields = ConcurrentTables.Create<IFieldSymbol, bool>(SymbolEqualityComparer.Default);

        /// <summary>The one instance per catalogue (options scope), held by the compilation's context (<see cref="HeldSummaries"/>).</summary>
        public static NativeMadeDelegates Of(InteropContext context, AllocationCatalogue catalogue)
            => context.Held.Get(_ => ConcurrentTables.Create<AllocationCatalogue, NativeMadeDelegates>()).GetOrAdd(catalogue, c => new NativeMadeDelegates(context, c));

        public NativeMadeDelegates(InteropContext context, AllocationCatalogue catalogue)
        {
            _context = context;
            _catalogue = catalogue;
        }

        /// <summary>Whether the delegate <paramref name="instance"/> (what an invocation invokes) was made by native code.</summary>
        /// <param name="instance">The invoked delegate expression.</param>
        /// <param name="model">The model of the tree the invocation is in (operations of a control-flow graph carry none).</param>
        /// <param name="stable">The stable values of the body being read.</param>
        public bool Holds(IOperation instance, SemanticModel? model, StableValues stable)
        {
            switch (OperationTree.SkipConversions(instance))
            {
                case IFieldReferenceOperation { Field: { Type.TypeKind: TypeKind.Delegate } field } when IsWrittenOnlyHere(field):
                    return _fields.GetOrAdd(field.OriginalDefinition, f => ReadField(f, CancellationToken.None));
                case ILocalReferenceOperation local:
                    return stable.InitializerOf(local.Local, model) is { } initializer && IsNativeCall(initializer);
                default:
                    return false;
            }
        }

        private bool IsWrittenOnlyHere(IFieldSymbol field) => HeldNativeFunctions.IsWrittenOnlyHere(field, _context.Compilation);

        private bool ReadField(IFieldSymbol field, CancellationToken cancellationToken)
            => HeldNativeFunctions.EveryStore(_context.Compilation, field, (value, isInitializer) => isInitializer ? IsNativeMadeValue(value, depth: 0) : IsNativeMadeStore(value, cancellationToken), cancellationToken);

        // What a write stores: null, a native-made delegate, or a parameter every caller fills with one.
        private bool IsNativeMadeStore(IOperation value, CancellationToken cancellationToken)
        {
            value = OperationTree.SkipConversions(value);
            if (value.ConstantValue is { HasValue: true, Value: null } || IsNativeCall(value) || IsNativeMethodGroup(value))
            {
                return true;
            }

            return value is IParameterReferenceOperation { Parameter: { RefKind: RefKind.None, ContainingSymbol: IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.Ordinary } owner } parameter }
                   && !WritesParameter(value, parameter)
                   && EveryCallPassesNativeMade(owner, parameter.Ordinal, cancellationToken);
        }

        // A parameter assigned in its method before the store may hold anything; the name test keeps this cheap.
        private static bool WritesParameter(IOperation value, IParameterSymbol parameter)
            => OperationTree.Root(value).DescendantsAndSelf().Any(o =>
                   (o is ISimpleAssignmentOperation { Target: IParameterReferenceOperation target } && SymbolEqualityComparer.Default.Equals(target.Parameter, parameter))
                   || (o is IArgumentOperation { Parameter.RefKind: not RefKind.None, Value: IParameterReferenceOperation passed } && SymbolEqualityComparer.Default.Equals(passed.Parameter, parameter)));

        private bool EveryCallPassesNativeMade(IMethodSymbol method, int ordinal, CancellationToken cancellationToken)
        {
            if (CallerScope(method) is not { } scope)
            {
                return false;
            }

            method = method.OriginalDefinition;
            var calls = 0;
            var stable = new StableValues();
            foreach (var reference in scope.DeclaringSyntaxReferences)
            {
                var declaration = reference.GetSyntax(cancellationToken);
                SemanticModel? model = null;
                foreach (var node in declaration.DescendantNodes())
                {
                    if (CallSyntax(node, method) is not { } call)
                    {
                        continue;
                    }

#pragma warning disable RS1030 // Only for the callers of a private writer of a delegate field an invocation asks about; cached per field.
                    model ??= _context.Compilation.GetSemanticModel(declaration.SyntaxTree);
#pragma warning restore RS1030
                    var (target, arguments) = model.GetOperation(call, cancellationToken) switch
                    {
                        IInvocationOperation invocation => (invocation.TargetMethod, invocation.Arguments),
                        IObjectCreationOperation creation => (creation.Constructor, creation.Arguments),
                        IMethodReferenceOperation group => (group.Method, default),
                        _ => (null, default(System.Collections.Immutable.ImmutableArray<IArgumentOperation>)),
                    };
                    if (target == null)
                    {
                        // A reference this reading does not know how to bind (a call through '?.', say) may still reach it.
                        if (model.GetSymbolInfo(call, cancellationToken).Symbol is IMethodSymbol named && SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, method))
                        {
                            return false;
                        }

                        continue;
                    }

                    if (!SymbolEqualityComparer.Default.Equals(target.OriginalDefinition, method))
                    {
                        continue;
                    }

                    // A method group hands the method to callers this reading cannot see.
                    if (arguments.IsDefault || arguments.FirstOrDefault(a => a.Parameter?.Ordinal == ordinal) is not { } argument
                        || argument.ArgumentKind == ArgumentKind.ParamArray
                        || !IsNativeMadeArgument(argument.Value, model, stable))
                    {
                        return false;
                    }

                    calls++;
                }
            }

            return calls > 0;
        }

        private bool IsNativeMadeArgument(IOperation value, SemanticModel model, StableValues stable)
        {
            value = OperationTree.SkipConversions(value);
            if (value.ConstantValue is { HasValue: true, Value: null } || IsNativeCall(value))
            {
                return true;
            }

            return value is ILocalReferenceOperation local && stable.InitializerOf(local.Local, model) is { } initializer && IsNativeCall(initializer);
        }

        /// <summary>
        /// The syntax to bind when <paramref name="node"/> may call or name <paramref name="method"/>: a creation of its type
        /// or a constructor chain for a constructor; for a method, the call its name is invoked by, or the name itself (a
        /// method group).
        /// </summary>
        private static SyntaxNode? CallSyntax(SyntaxNode node, IMethodSymbol method)
        {
            if (method.MethodKind == MethodKind.Constructor)
            {
                return node is ImplicitObjectCreationExpressionSyntax or ConstructorInitializerSyntax
                       || (node is ObjectCreationExpressionSyntax creation && TypeSyntaxNames.Rightmost(creation.Type) == method.ContainingType.Name)
                    ? node
                    : null;
            }

            if (node is not SimpleNameSyntax name || name.Identifier.ValueText != method.Name)
            {
                return null;
            }

            SyntaxNode expression = name.Parent is MemberAccessExpressionSyntax access && access.Name == name ? access : name;
            return expression.Parent is InvocationExpressionSyntax invocation && invocation.Expression == expression ? invocation : expression;
        }

        /// <summary>
        /// The one type whose code can call <paramref name="method"/>: the type containing the innermost private symbol
        /// among the method and the types around it. Null when code elsewhere can reach it (no private level), or when a
        /// protected level lets derived types reach it.
        /// </summary>
        private static INamedTypeSymbol? CallerScope(IMethodSymbol method)
        {
            for (ISymbol current = method; current.ContainingType != null; current = current.ContainingType)
            {
                switch (current.DeclaredAccessibility)
                {
                    case Accessibility.Private:
                        return current.ContainingType;
                    case Accessibility.Protected:
                    case Accessibility.ProtectedOrInternal:
                    case Accessibility.ProtectedAndInternal:
                        return null;
                }
            }

            return null;
        }

        /// <summary>Loader methods followed from a field initializer: <c>Load&lt;T&gt;(name)</c> over <c>LoadFunction&lt;T&gt;(pointer)</c> is two.</summary>
        internal const int MaxLoaderDepth = 2;

        /// <summary>
        /// A native call that returns a delegate (<see cref="IsNativeCall"/>), or a call of a loader method of this
        /// compilation every return of which is one or null (<c>default(T)</c> included; a loader returns null for a missing symbol; invoking null is a
        /// null dereference, which the throw model never counts), followed <see cref="MaxLoaderDepth"/> methods deep. A loader
        /// that may return anything else — a managed fallback, a cached value — is not one.
        /// </summary>
        private bool IsNativeMadeValue(IOperation value, int depth)
        {
            value = OperationTree.SkipConversions(value);
            if (IsNativeCall(value) || (depth == 0 && IsNativeMethodGroup(value)))
            {
                return true;
            }

            if (depth >= MaxLoaderDepth || value is not IInvocationOperation { TargetMethod: { } loader } || !WrapperSummaries.IsSourceMethodWithBody(loader)
                || _context.Wrappers.GetBody(loader) is not { } body)
            {
                return false;
            }

            var returns = 0;
            foreach (var operation in body.DescendantsAndSelf())
            {
                if (operation is not IReturnOperation { ReturnedValue: { } returned } || OperationTree.IsInNestedFunction(operation, body))
                {
                    continue;
                }

                foreach (var branch in Branches(returned))
                {
                    if (IsNull(branch))
                    {
                        continue;
                    }

                    if (!IsNativeMadeValue(branch, depth + 1))
                    {
                        return false;
                    }

                    returns++;
                }
            }

            return returns > 0;
        }

        // 'return p == IntPtr.Zero ? default : Marshal.GetDelegateForFunctionPointer<T>(p);' returns one of its two arms.
        private static System.Collections.Generic.IEnumerable<IOperation> Branches(IOperation value)
        {
            value = OperationTree.SkipConversions(value);
            if (value is IConditionalOperation { WhenFalse: { } whenFalse } conditional)
            {
                return Branches(conditional.WhenTrue).Concat(Branches(whenFalse));
            }

            return new[] { value };
        }

        // 'return default(T);' in a generic loader is null: the loader is only followed from a delegate field's initializer,
        // so T is a delegate type there. A value type's default is not null, and is not taken for one.
        private static bool IsNull(IOperation value)
        {
            value = OperationTree.SkipConversions(value);
            return value.ConstantValue is { HasValue: true, Value: null }
                   || (value is IDefaultValueOperation { Type: { IsValueType: false } type } && (type.IsReferenceType || type.TypeKind == TypeKind.TypeParameter));
        }

        // 'public static readonly recv_fn recv = zmq_recv;' over a P/Invoke: invoking the field calls the P/Invoke.
        private bool IsNativeMethodGroup(IOperation value)
            => OperationTree.SkipConversions(value) is IDelegateCreationOperation { Target: IMethodReferenceOperation { Method: { } method } }
               && _context.NativeFunctions.Get(method) != null;

        /// <summary>A call into native code that returns a delegate: a P/Invoke, a loaded entry point, or <c>GetDelegateForFunctionPointer</c>.</summary>
        private bool IsNativeCall(IOperation value)
        {
            if (OperationTree.SkipConversions(value) is not IInvocationOperation { TargetMethod: { } method })
            {
                return false;
            }

            if (method.Name.StartsWith("GetDelegateForFunctionPointer", System.StringComparison.Ordinal))
            {
                return _context.Types.Marshal != null && SymbolEqualityComparer.Default.Equals(method.ContainingType, _context.Types.Marshal);
            }

            return method.ReturnType.TypeKind == TypeKind.Delegate
                   && (_context.NativeFunctions.Get(method) != null || _catalogue.IsLoadedEntryPoint(method));
        }
    }
}
