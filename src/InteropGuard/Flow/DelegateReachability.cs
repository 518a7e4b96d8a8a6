using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// "Is this delegate kept reachable beyond the method?": stored in a field, a static, an array or a collection,
    /// held by a GCHandle, returned, captured. Unknown uses count as keeping it, so that the rule stays silent where it
    /// cannot tell. Whether it is kept alive past one point (<c>GC.KeepAlive</c> after the native call) is a path
    /// question, asked of the body's control-flow graph by <see cref="IsKeptAliveAfter"/>, the query IG1001 asks of
    /// a handle's owner (<see cref="UsedAfter"/>).
    /// </summary>
    internal sealed class DelegateReachability
    {
        private readonly InteropContext _context;
        private readonly InteropScope _scope;
        private readonly ConcurrentDictionary<(IParameterSymbol, int), bool> _keptByMethod = ConcurrentTables.Create<(IParameterSymbol, int), bool>(new ParameterDepthComparer());
        private readonly ConcurrentDictionary<IMethodSymbol, DelegateLifetime> _returned = ConcurrentTables.Create<IMethodSymbol, DelegateLifetime>(SymbolEqualityComparer.Default);

        public DelegateReachability(InteropContext context, InteropScope scope)
        {
            _context = context;
            _scope = scope;
        }

        /// <summary>Every value assigned to <paramref name="local"/> in <paramref name="root"/>; null when one cannot be seen (out, ref, deconstruction).</summary>
        public static List<IOperation>? ValuesOf(IOperation root, ILocalSymbol local)
        {
            if (local.IsRef)
            {
                return null;
            }

            var values = new List<IOperation>();
            foreach (var operation in root.Descendants())
            {
                switch (operation)
                {
                    case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local):
                        var initializer = declarator.GetVariableInitializer();
                        if (initializer != null)
                        {
                            values.Add(OperationTree.SkipConversions(initializer.Value));
                        }

                        break;
                    case ILocalReferenceOperation reference when SymbolEqualityComparer.Default.Equals(reference.Local, local):
                        var parent = reference.Parent;
                        if (parent is ISimpleAssignmentOperation assignment && assignment.Target == reference)
                        {
                            values.Add(OperationTree.SkipConversions(assignment.Value));
                        }
                        else if (parent is IArgumentOperation argument && argument.Parameter?.RefKind is RefKind.Out or RefKind.Ref)
                        {
                            return null;
                        }
                        else if (parent is ICompoundAssignmentOperation || parent is IDeconstructionAssignmentOperation || parent is ITupleOperation || reference.IsDeclaration)
                        {
                            return null;
                        }

                        break;
                }
            }

            return values;
        }

        /// <summary>
        /// Where a delegate value comes from: a creation in place (<see cref="CallbackDelegates.Classify"/>), or the result
        /// of a helper method of this compilation (<see cref="ReturnedBy"/>).
        /// </summary>
        public DelegateLifetime LifetimeOf(IOperation value)
            => HelperOf(value) is { } helper ? ReturnedBy(helper) : CallbackDelegates.Classify(value);

        /// <summary>
        /// The method whose result <paramref name="value"/> is: a call's target, or a property read's getter. A getter is a
        /// helper like any other: <c>public Progress Callback { get { return this.OnProgress; } }</c> hands out a new
        /// delegate on every read, which nothing but the reader holds.
        /// </summary>
        public static IMethodSymbol? HelperOf(IOperation value)
            => value switch
            {
                IInvocationOperation call => call.TargetMethod,
                IPropertyReferenceOperation { Property.GetMethod: { } getter } => getter,
                _ => null,
            };

        /// <summary>
        /// A helper of this compilation (<c>Callback MakeHandler() =&gt; code =&gt; _seen.Add(code);</c>) hands out a fresh
        /// delegate that nothing else holds when every value it returns is allocated there — a capturing lambda, an
        /// instance method group, an explicit <c>new D(...)</c>, or a local holding only those that the helper does not
        /// keep — or null. Anything else it returns (a field, a parameter, another call, a cached delegate) makes the
        /// answer Unknown, and the rule stays silent. One level deep: a helper returning another helper's result is Unknown.
        /// </summary>
        public DelegateLifetime ReturnedBy(IMethodSymbol method)
        {
            method = method.OriginalDefinition;
            if (method.MethodKind is not (MethodKind.Ordinary or MethodKind.PropertyGet) || method.IsAbstract || method.IsVirtual || method.IsOverride || method.IsExtern
                || method.IsAsync || method.ReturnType.TypeKind != TypeKind.Delegate || method.ContainingType?.TypeKind == TypeKind.Interface)
            {
                return DelegateLifetime.Unknown;
            }

            return _returned.GetOrAdd(method, m =>
            {
                var body = LoadBody(m);
                return body == null ? DelegateLifetime.Unknown : ReturnedIn(body);
            });
        }

        private DelegateLifetime ReturnedIn(IOperation body)
        {
            var returned = new List<IOperation>();
            foreach (var operation in body.Descendants())
            {
                if (operation is IReturnOperation { ReturnedValue: { } value } && operation.Kind == OperationKind.Return && !OperationTree.IsInNestedFunction(operation, body))
                {
                    returned.Add(OperationTree.SkipConversions(value));
                }
            }

            var allocated = false;
            foreach (var value in FlattenConditionals(returned))
            {
                switch (value)
                {
                    case IDelegateCreationOperation creation when CallbackDelegates.Classify(creation) == DelegateLifetime.Allocated:
                        allocated = true;
                        break;
                    case ILocalReferenceOperation local when IsOnlyReturned(body, local.Local)
                                                              && ValuesOf(body, local.Local) is { Count: > 0 } values
                                                              && FlattenConditionals(values).All(v => CallbackDelegates.Classify(v) == DelegateLifetime.Allocated):
                        allocated = true;
                        break;
                    default:
                        return DelegateLifetime.Unknown;
                }
            }

            return allocated ? DelegateLifetime.Allocated : DelegateLifetime.Unknown;
        }

        // Every use of the local other than its assignments is a return: nothing else can have kept the delegate.
        private static bool IsOnlyReturned(IOperation body, ILocalSymbol local)
        {
            foreach (var operation in body.Descendants())
            {
                if (operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local))
                {
                    var current = OperationTree.WithEveryConversion(reference);

                    var isAssigned = reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference;
                    if (!isAssigned && !(current.Parent is IReturnOperation) && !(current.Parent is IConditionalOperation { Parent: IReturnOperation }))
                    {
                        return false;
                    }
                }
            }

            return true;
        }

        /// <summary>
        /// The branches of <c>cond ? a : b</c> in place of the conditional, recursively, without the null or default
        /// branch: <c>enabled ? handler : null</c> hands native code either the handler or nothing.
        /// </summary>
        public static List<IOperation> FlattenConditionals(IEnumerable<IOperation> values)
        {
            var flat = new List<IOperation>();
            var pending = new Stack<IOperation>(values.Reverse());
            while (pending.Count > 0)
            {
                var value = OperationTree.SkipConversions(pending.Pop());
                if (value is IConditionalOperation { WhenFalse: { } whenFalse } conditional)
                {
                    pending.Push(whenFalse);
                    pending.Push(conditional.WhenTrue);
                }
                else if (!IsNullOrDefault(value))
                {
                    flat.Add(value);
                }
            }

            return flat;
        }

        private static bool IsNullOrDefault(IOperation value)
            => value is IDefaultValueOperation || (value is ILiteralOperation && value.ConstantValue.HasValue && value.ConstantValue.Value == null);

        /// <summary>
        /// Does some reference to <paramref name="variable"/> (a local or parameter) in <paramref name="root"/>, other
        /// than <paramref name="exclude"/>, keep its value reachable beyond the method? A <c>GC.KeepAlive</c> does not:
        /// see <see cref="IsKeptAliveAfter"/>.
        /// </summary>
        public bool IsKept(IOperation root, ISymbol variable, IOperation? exclude, int depth = 0)
            => KeepingReferences(root, variable, exclude, depth).Any();

        /// <summary>
        /// Is the delegate in <paramref name="variable"/> kept on the runs of the body that make the call
        /// <paramref name="registration"/>? A store the registration shares no run with — on the other branch of an
        /// <c>if</c> (<c>if (loaded) native_set(cb); else pending.With(cb);</c>) — keeps the delegate only on runs that
        /// never register it. A store on a run through the call counts whether it comes before or after it, and only
        /// one run need pass both: <c>native_set(cb); if (cb != null) _kept = cb;</c> keeps every delegate there is to
        /// keep. Captures, and stores in another function than the call, keep it on every run (no one graph holds both).
        /// <paramref name="body"/> is the driver's graph of the body; null asks <see cref="IsKept"/>.
        /// </summary>
        public bool IsKeptThrough(ControlFlowGraph? body, IOperation root, ISymbol variable, IOperation exclude, IOperation registration, CancellationToken cancellationToken)
        {
            var function = OperationTree.EnclosingFunction(registration, root);
            foreach (var keeping in KeepingReferences(root, variable, exclude, depth: 0))
            {
                if (body == null || IsCaptured(keeping, variable, root) || OperationTree.EnclosingFunction(keeping, root) != function
                    || UsedAfter.OnOneRunInBody(body, registration, keeping, cancellationToken))
                {
                    return true;
                }
            }

            return false;
        }

        // The references to the variable that keep its value beyond the method (see IsKept).
        private IEnumerable<IOperation> KeepingReferences(IOperation root, ISymbol variable, IOperation? exclude, int depth)
        {
            foreach (var operation in root.Descendants())
            {
                ISymbol? referenced = operation switch
                {
                    ILocalReferenceOperation local => local.Local,
                    IParameterReferenceOperation parameter => parameter.Parameter,
                    _ => null,
                };
                if (referenced == null || operation == exclude || !SymbolEqualityComparer.Default.Equals(referenced, variable))
                {
                    continue;
                }

                if (IsCaptured(operation, variable, root) || Keeps(operation, depth))
                {
                    yield return operation;
                }
            }
        }

        /// <summary>
        /// Can code outside this compilation pass the delegate <paramref name="parameter"/> receives? A value parameter of a
        /// method, constructor, property setter or event accessor that is public or protected in types that are too, or
        /// that implements a member of such an interface explicitly. Those callers cannot be seen from here, and nothing
        /// tells them that native code keeps what they pass; every other caller is in the compilation, where the rule
        /// judges the delegate it passes.
        /// </summary>
        public static bool IsLeftToCallersOutside(IParameterSymbol parameter)
        {
            if (parameter.RefKind != RefKind.None || !(parameter.ContainingSymbol is IMethodSymbol method))
            {
                return false;
            }

            switch (method.MethodKind)
            {
                case MethodKind.Ordinary:
                case MethodKind.Constructor:
                case MethodKind.PropertySet:
                case MethodKind.EventAdd:
                    return IsVisibleOutside(method);
                case MethodKind.ExplicitInterfaceImplementation:
                    return method.ExplicitInterfaceImplementations.Any(m => IsVisibleOutside(m));
                default:
                    return false;
            }
        }

        private static bool IsVisibleOutside(ISymbol symbol) => SymbolVisibility.IsVisibleOutsideTheCompilation(symbol);

        /// <summary>Does the method keep the delegate passed as <paramref name="parameter"/> beyond its own return?</summary>
        public bool IsKeptByMethod(IParameterSymbol parameter, int depth)
        {
            if (depth >= WrapperSummaries.MaxDepth || !(parameter.ContainingSymbol is IMethodSymbol))
            {
                return true;
            }

            // Wrappers are called from many places; each body is bound once per options scope.
            return _keptByMethod.GetOrAdd((parameter.OriginalDefinition, depth), key =>
            {
                var method = (IMethodSymbol)key.Item1.ContainingSymbol;
                var body = LoadBody(method.PartialImplementationPart ?? method);
                return body == null || IsKept(body, key.Item1, exclude: null, key.Item2);
            });
        }

        /// <summary>
        /// Is <c>GC.KeepAlive(variable)</c> reached on every path after <paramref name="point"/> (an operation of the
        /// body's operation tree, such as the native call), in <paramref name="body"/>, the driver's graph of the body,
        /// or the graph of the lambda or local function around the point? A KeepAlive inside an <c>if</c>, after an
        /// unconditional <c>return</c> or <c>throw</c>, or before the point does not count; one in a <c>finally</c>, after
        /// a loop, or on both branches does.
        /// </summary>
        public bool IsKeptAliveAfter(ControlFlowGraph body, IOperation point, ISymbol variable, CancellationToken cancellationToken)
        {
            // A local of an enclosing function, captured by the lambda or local function that makes the call, lives in a
            // closure the enclosing function holds too. Whether its KeepAlive there runs after the call depends on when
            // the lambda runs, which no path of one body answers: counted as kept, so the rule stays silent.
            if (IsDeclaredOutsideFunctionOf(point, variable) && OperationTree.Root(point).Descendants().Any(o => IsKeepAliveOf(o, variable)))
            {
                return true;
            }

            return UsedAfter.OnEveryPathInBody(body, point, operation => IsKeepAliveOf(operation, variable), cancellationToken);
        }

        /// <summary>
        /// Is <c>GC.KeepAlive(variable)</c> reachable on some path after <paramref name="point"/>, a synchronous native
        /// call that receives the delegate's pointer? The delegate only has to live during the call, and optimized code
        /// reports the variable live there when any path reaches a read of it — the question IG1001 asks of a handle's
        /// owner (<see cref="UsedAfter.OnSomePath"/>). A registration that outlives the call asks <see cref="IsKeptAliveAfter"/>.
        /// </summary>
        public bool IsKeptAliveAcross(ControlFlowGraph body, IOperation point, ISymbol variable, CancellationToken cancellationToken)
        {
            if (IsDeclaredOutsideFunctionOf(point, variable) && OperationTree.Root(point).Descendants().Any(o => IsKeepAliveOf(o, variable)))
            {
                return true;
            }

            return UsedAfter.OnSomePathInBody(body, point, operation => IsKeepAliveOf(operation, variable), operation => IsOverwriteOf(operation, variable), cancellationToken);
        }

        private static bool IsOverwriteOf(IOperation operation, ISymbol variable)
            => LiveReads.Overwrites(operation, variable);

        private static bool IsDeclaredOutsideFunctionOf(IOperation operation, ISymbol variable)
        {
            for (var current = operation.Parent; current != null; current = current.Parent)
            {
                if (OperationTree.IsFunction(current))
                {
                    return !(variable.Locations.Length > 0 && current.Syntax.Span.Contains(variable.Locations[0].SourceSpan));
                }
            }

            return false;
        }

        private bool IsKeepAliveOf(IOperation operation, ISymbol variable)
        {
            if (!(operation is IInvocationOperation { Arguments.Length: 1 } invocation && IsKeepAlive(invocation.TargetMethod)))
            {
                return false;
            }

            var referenced = OperationTree.SkipConversions(invocation.Arguments[0].Value) switch
            {
                ILocalReferenceOperation local => (ISymbol)local.Local,
                IParameterReferenceOperation parameter => parameter.Parameter,
                _ => null,
            };
            return referenced != null && SymbolEqualityComparer.Default.Equals(referenced, variable);
        }

        private bool IsKeepAlive(IMethodSymbol method)
            => method.Name == "KeepAlive" && SymbolEqualityComparer.Default.Equals(method.ContainingType, _context.Types.GC);

        private bool Keeps(IOperation reference, int depth)
        {
            var current = OperationTree.WithConversions(reference);

            var types = _context.Types;
            switch (current.Parent)
            {
                case IArgumentOperation { Parent: IInvocationOperation invocation } argument:
                    var method = invocation.TargetMethod;
                    if (IsKeepAlive(method))
                    {
                        // Keeps it only up to that point, which is a path question (IsKeptAliveAfter).
                        return false;
                    }

                    if (method.Name == "Alloc" && SymbolEqualityComparer.Default.Equals(method.ContainingType, types.GCHandle))
                    {
                        return true;
                    }

                    if (types.IsDelegatePointerConversion(method))
                    {
                        return false;
                    }

                    if (_context.NativeFunctions.Get(method) != null
                        || (method.MethodKind == MethodKind.DelegateInvoke && invocation.Instance != null
                            && HeldNativeFunctions.Of(_context).Of(invocation.Instance) != null))
                    {
                        return false;
                    }

                    if (argument.Parameter != null && WrapperSummaries.IsSourceMethodWithBody(method)
                        && ParameterSummaries.Of(_context).Get(argument.Parameter, _scope, 0).NativeTargets.Targets.Count > 0)
                    {
                        // Another wrapper in front of native code: it keeps the delegate only if it stores it itself.
                        return IsKeptByMethod(argument.Parameter, depth + 1);
                    }

                    // A collection's Add, an event source, a constructor: anything else may keep it.
                    return true;
                case IInvocationOperation invocation when invocation.Instance == current:
                    // cb(...), cb.Invoke(...): calling the delegate keeps nothing.
                    return false;
                case IConditionalAccessOperation access when access.Operation == current:
                    return false;
                case ISimpleAssignmentOperation assignment when assignment.Target == current:
                    return false;
                case IIsNullOperation:
                case IIsPatternOperation:
                case IBinaryOperation:
                case IExpressionStatementOperation:
                    return false;
                default:
                    return true;
            }
        }

        private static bool IsCaptured(IOperation reference, ISymbol variable, IOperation root)
        {
            for (var current = reference.Parent; current != null && current != root; current = current.Parent)
            {
                if (OperationTree.IsFunction(current)
                    && !(variable.Locations.Length > 0 && current.Syntax.Span.Contains(variable.Locations[0].SourceSpan)))
                {
                    return true;
                }
            }

            return false;
        }

        private sealed class ParameterDepthComparer : IEqualityComparer<(IParameterSymbol, int)>
        {
            public bool Equals((IParameterSymbol, int) x, (IParameterSymbol, int) y)
                => SymbolEqualityComparer.Default.Equals(x.Item1, y.Item1) && x.Item2 == y.Item2;

            public int GetHashCode((IParameterSymbol, int) obj) => SymbolEqualityComparer.Default.GetHashCode(obj.Item1) ^ obj.Item2;
        }

        private IOperation? LoadBody(IMethodSymbol method)
        {
            var compilation = _context.Compilation;
            if (!SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, compilation.Assembly))
            {
                return null;
            }

            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                var syntax = reference.GetSyntax(CancellationToken.None);
                if (!compilation.ContainsSyntaxTree(syntax.SyntaxTree))
                {
                    continue;
                }

#pragma warning disable RS1030 // A wrapper's body lives in another tree; looked at only for delegates that reach a retaining function through it.
                var model = compilation.GetSemanticModel(syntax.SyntaxTree);
#pragma warning restore RS1030
                if (model.GetOperation(syntax) is { } body)
                {
                    return body;
                }
            }

            return null;
        }
    }
}
