using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    internal enum PinnedEscapeKind
    {
        /// <summary>Read after the scope ends through a local or parameter that the pointer was copied into.</summary>
        ReadAfter,

        /// <summary>Stored where it outlives the scope: a field, a static, an array element, an out/ref parameter, memory through a pointer parameter.</summary>
        Stored,

        /// <summary>Returned out of the scope.</summary>
        Returned,

        /// <summary>Captured by a lambda or local function that can run after the scope ends.</summary>
        Captured,

        /// <summary>Given to a native function that keeps it after it returns.</summary>
        Retained,
    }

    /// <summary>One way a pointer leaves the pinning scope it is valid in.</summary>
    internal sealed class PinnedEscape
    {
        public PinnedEscape(PinningScope scope, PinnedEscapeKind kind, SyntaxNode location, string pointer, string description)
        {
            Scope = scope;
            Kind = kind;
            Location = location;
            Pointer = pointer;
            Description = description;
        }

        public PinningScope Scope { get; }
        public PinnedEscapeKind Kind { get; }

        /// <summary>The escaping use: the read after the scope, the stored or returned value, the captured reference.</summary>
        public SyntaxNode Location { get; }

        /// <summary>The pointer as the code names it at the escape.</summary>
        public string Pointer { get; }

        /// <summary>What happens to it ("is stored in field '_cursor'").</summary>
        public string Description { get; }

        /// <summary>For <see cref="PinnedEscapeKind.ReadAfter"/>: the plain local the pointer was copied into (null for struct/array containers and parameters).</summary>
        public ILocalSymbol? ThroughLocal { get; set; }

        /// <summary>For <see cref="PinnedEscapeKind.ReadAfter"/>: every read after the scope through the same name (the first is <see cref="Location"/>).</summary>
        public ImmutableArray<SyntaxNode> AllReads { get; set; } = ImmutableArray<SyntaxNode>.Empty;
    }

    /// <summary>
    /// Follows the pointers of a <see cref="PinningScope"/> (copies, pointer arithmetic, casts to IntPtr/nint, through
    /// <see cref="ValueUses"/>) and finds where they outlive it. Only shapes whose meaning is certain are reported:
    /// an unknown callee, an unknown destination or a pointer of unknown origin is not an escape.
    /// </summary>
    internal sealed class PinnedPointerEscapes
    {
        private static readonly ImmutableHashSet<string> DeferringMethods = ImmutableHashSet.Create(
            "Run", "StartNew", "QueueUserWorkItem", "UnsafeQueueUserWorkItem", "ContinueWith", "Register", "Schedule", "Post", "BeginInvoke");

        private readonly InteropContext _context;
        private readonly InteropScope _interop;
        private readonly ValueUses _uses;
        private readonly SemanticModel _model;
        private readonly IOperation _root;
        private readonly System.Func<ControlFlowGraph?> _createGraph;
        private ControlFlowGraph? _rootGraph;
        private readonly string _rootName;
        private readonly CancellationToken _cancellationToken;
        private List<ControlFlowGraph>? _graphs;

        public PinnedPointerEscapes(InteropContext context, InteropScope interop, SemanticModel model, IOperation root, System.Func<ControlFlowGraph?> createGraph, string rootName, CancellationToken cancellationToken)
        {
            _context = context;
            _interop = interop;
            _uses = new ValueUses(context, interop);
            _model = model;
            _root = root;
            _createGraph = createGraph;
            _rootName = rootName;
            _cancellationToken = cancellationToken;
        }

        public List<PinnedEscape> Find(PinningScope scope)
        {
            var search = new Search(this, scope);
            search.Run();
            return search.Escapes;
        }

        private sealed class Search
        {
            private readonly PinnedPointerEscapes _owner;
            private readonly PinningScope _scope;
            private readonly HashSet<ISymbol> _tracked = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            private readonly HashSet<(ISymbol, SyntaxNode)> _walked = new HashSet<(ISymbol, SyntaxNode)>();
            private readonly HashSet<(string, IOperation)> _captures = new HashSet<(string, IOperation)>();
            private readonly Queue<(IOperation Value, string Name)> _work = new Queue<(IOperation, string)>();

            public Search(PinnedPointerEscapes owner, PinningScope scope)
            {
                _owner = owner;
                _scope = scope;
            }

            public List<PinnedEscape> Escapes { get; } = new List<PinnedEscape>();

            public void Run()
            {
                foreach (var local in _scope.FixedLocals)
                {
                    _tracked.Add(local);
                }

                foreach (var pointer in _scope.Pointers)
                {
                    _work.Enqueue((pointer, NameOf(pointer)));
                }

                while (_work.Count > 0)
                {
                    _owner._cancellationToken.ThrowIfCancellationRequested();
                    var (value, name) = _work.Dequeue();
                    if (OperationTree.EnclosingFunction(value, _owner._root) != _scope.Function)
                    {
                        continue;
                    }

                    Classify(value, name);
                }
            }

            private void Classify(IOperation value, string name)
            {
                if (IsOffset(value))
                {
                    return;
                }

                if (SpanOver(value) is { } span && OperationTree.WithEveryConversion(span).Parent is IReturnOperation spanReturned)
                {
                    Returned(spanReturned, value, name, " in a span");
                    return;
                }

                // A fixed pointer given to a call escapes nowhere here (one a native function keeps is IG2003's), so only
                // where the value goes in this body decides, and the callee is not read: the native target below is asked
                // only of the other scopes.
                var use = _scope.Kind == PinningScopeKind.Fixed ? _owner._uses.ClassifyPlace(value) : _owner._uses.Classify(value);
                switch (use.Kind)
                {
                    case ValueUseKind.Copy when use.CopyTarget is ILocalSymbol local:
                        Track(local, use.Site, value, container: false);
                        return;
                    case ValueUseKind.Inspect:
                    case ValueUseKind.Release:
                        return;
                }

                switch (use.Site)
                {
                    case IReturnOperation returned:
                        Returned(returned, value, name, string.Empty);
                        return;
                    case ISimpleAssignmentOperation assignment when assignment.Target != value:
                        Stored(assignment, value, name);
                        return;
                }

                if (use.NativeTarget is { } target && _scope.Kind != PinningScopeKind.Fixed && _owner._interop.KeepsPointer(target.Function, target.Parameter)
                    && _scope.Covers(use.Site.Syntax) && ReleasedAfter(value)
                    && !OperationCompletion.IsEndedWithin(_scope.Function.Syntax, use.Site, _owner._context, _owner._interop, StillPinned))
                {
                    Add(PinnedEscapeKind.Retained, value.Syntax, name, "is given to '" + target.Function + "', which keeps it after it returns");
                }
            }

            // The scope's own Free/Dispose ends the pin, not the native operation.
            private bool StillPinned(SyntaxNode node) => _scope.Covers(node) && !_scope.Releases.Any(r => r.Syntax == node);

            /// <summary>
            /// A handle the function frees only on some paths (a failure path) stays pinned on the others: the pointer
            /// outlives the function only where it is freed on every normal path after <paramref name="value"/>.
            /// </summary>
            private bool ReleasedAfter(IOperation value)
            {
                if (_scope.Region != null || _scope.Releases.IsEmpty)
                {
                    return true;
                }

                var graph = _owner.GraphFor(_scope.Function);
                var site = graph?.Blocks.SelectMany(Statements).SelectMany(s => s.DescendantsAndSelf()).FirstOrDefault(o => o.Syntax == value.Syntax);
                return graph != null && site != null && UsedAfter.OnEveryPath(graph, site, ContainsRelease, isIterator: false);
            }

            /// <summary>
            /// The difference of two addresses (<c>(nint)p - (nint)start</c>) is an offset, not an address: arithmetic
            /// with another address ends the pointer.
            /// </summary>
            private static bool IsOffset(IOperation value)
            {
                for (var current = value; current.Parent != null; current = current.Parent)
                {
                    switch (current.Parent)
                    {
                        case IConversionOperation _:
                            continue;
                        case IBinaryOperation { OperatorKind: BinaryOperatorKind.Subtract } binary:
                            var other = OperationTree.SkipConversions(binary.LeftOperand == current ? binary.RightOperand : binary.LeftOperand);
                            if (!other.ConstantValue.HasValue && (other.Type is IPointerTypeSymbol || other.Type?.SpecialType == SpecialType.System_IntPtr || other.Type?.SpecialType == SpecialType.System_UIntPtr))
                            {
                                return true;
                            }

                            continue;
                        case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add }:
                            continue;
                        default:
                            return false;
                    }
                }

                return false;
            }

            /// <summary><c>new Span&lt;T&gt;(p, n)</c> over the pointer: the span is as stale as the pointer once the scope ends.</summary>
            private IOperation? SpanOver(IOperation value)
            {
                var current = OperationTree.WithEveryConversion(value);
                while (current.Parent is IBinaryOperation { OperatorKind: BinaryOperatorKind.Add or BinaryOperatorKind.Subtract } arithmetic && arithmetic.Type is IPointerTypeSymbol)
                {
                    current = OperationTree.WithEveryConversion(arithmetic);
                }

                return current.Parent is IArgumentOperation { Parent: IObjectCreationOperation creation } argument && argument.Value == current
                       && _owner._context.Types.IsSpan(creation.Type)
                    ? creation
                    : null;
            }


            private void Returned(IReturnOperation returned, IOperation value, string name, string how)
            {
                if (OperationTree.EnclosingFunction(returned, _owner._root) != _scope.Function)
                {
                    return;
                }

                var escapes = _scope.Kind switch
                {
                    PinningScopeKind.StackAlloc => true,
                    PinningScopeKind.Fixed => _scope.Region!.Span.Contains(returned.Syntax.Span),
                    _ => _scope.Region != null ? _scope.Region.Span.Contains(returned.Syntax.Span) : ReleasedInFinallyAround(returned.Syntax),
                };
                if (escapes)
                {
                    Add(PinnedEscapeKind.Returned, value.Syntax, name, "is returned from " + FunctionName() + how);
                }
            }

            private bool ReleasedInFinallyAround(SyntaxNode node)
                => node.Ancestors().OfType<TryStatementSyntax>().Any(t => t.Block.Span.Contains(node.Span) && t.Finally != null
                       && _scope.Releases.Any(r => t.Finally.Span.Contains(r.Syntax.Span)));

            private void Stored(ISimpleAssignmentOperation assignment, IOperation value, string name)
            {
                var target = assignment.Target;
                var viaPointer = false;
                var current = target;
                string? description = null;
                while (true)
                {
                    switch (current)
                    {
                        case IFieldReferenceOperation field:
                            description ??= field.Field.IsStatic ? "static field '" + field.Field.Name + "'" : "field '" + field.Field.Name + "'";
                            if (field.Instance == null || field.Field.IsStatic)
                            {
                                AddStored(value, name, "is stored in " + description);
                                return;
                            }

                            current = field.Instance;
                            continue;
                        case IPropertyReferenceOperation property when property.Instance == null || property.Instance is IInstanceReferenceOperation:
                            // A member of an object initializer whose setter keeps the value in the object being made
                            // (`new Slots { [0] = p }`): the pointer goes where the object goes, as for a field member.
                            if (property.Instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver } made
                                && SelfKeepingSetters.KeepsValueInSelf(property.Property, _owner._context))
                            {
                                StoredByInitializer(made, assignment, value, name);
                                return;
                            }

                            AddStored(value, name, "is stored in property '" + property.Property.Name + "'");
                            return;
                        case IArrayElementReferenceOperation element:
                            description ??= "an element of '" + element.ArrayReference.Syntax + "'";
                            current = element.ArrayReference;
                            continue;
                        case { Kind: OperationKind.None } when current.ChildOperations.Count > 0:
                            description ??= "memory that '" + current.ChildOperations.First().Syntax + "' points to";
                            viaPointer = true;
                            current = current.ChildOperations.First();
                            continue;
                        case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver } receiver:
                            StoredByInitializer(receiver, assignment, value, name);
                            return;
                        case IInstanceReferenceOperation _:
                            AddStored(value, name, "is stored in " + description);
                            return;
                        case IParameterReferenceOperation parameter:
                            if (description == null)
                            {
                                if (parameter.Parameter.RefKind == RefKind.Out || parameter.Parameter.RefKind == RefKind.Ref)
                                {
                                    AddStored(value, name, "is stored in " + (parameter.Parameter.RefKind == RefKind.Out ? "out" : "ref") + " parameter '" + parameter.Parameter.Name + "'");
                                }
                                else if (parameter.Parameter.RefKind == RefKind.None)
                                {
                                    Track(parameter.Parameter, assignment, value, container: false);
                                }

                                return;
                            }

                            // A struct passed by value is the method's own copy; anything else belongs to the caller. A
                            // caller's struct filled here for a native call inside the scope (zstd's in/out buffers,
                            // `input.buffer = p; compress(ctx, ref output, ref input)`) is an argument being filled: the
                            // address left in it afterwards matters only if the caller hands the struct to native code
                            // again unpinned, which this analysis does not follow across methods.
                            if (parameter.Type?.IsValueType == true && !viaPointer
                                && (parameter.Parameter.RefKind == RefKind.None || (parameter.Parameter.RefKind == RefKind.Ref && PassedToNativeInScope(parameter.Parameter))))
                            {
                                Track(parameter.Parameter, assignment, value, container: true, member: MemberStoredInto(assignment.Target));
                            }
                            else if (viaPointer && parameter.Parameter.RefKind == RefKind.None && parameter.Type is IPointerTypeSymbol
                                     && PassedToCallInScope(parameter.Parameter))
                            {
                                // The same for the caller's array of native structs reached through a pointer
                                // (`columns[i].pvData = p; retrieve(session, columns, count)`), handed on inside the scope.
                                Track(parameter.Parameter, assignment, value, container: true, member: MemberStoredInto(assignment.Target));
                            }
                            else
                            {
                                AddStored(value, name, "is stored in " + description);
                            }

                            return;
                        case ILocalReferenceOperation local when description != null && !viaPointer && !local.Local.IsRef:
                            // A local struct or array holding the pointer: only a read of it after the scope matters.
                            Track(local.Local, assignment, value, container: true, member: MemberStoredInto(assignment.Target));
                            return;
                        default:
                            return;
                    }
                }
            }

            /// <summary>
            /// A member of an object initializer (<c>new Args { Data = p }</c>): where the pointer ends up is where the
            /// created object goes. Held in a local, it is a container like any other; passed to a call, it is used there;
            /// assigned elsewhere, that assignment is the store.
            /// </summary>
            private void StoredByInitializer(IInstanceReferenceOperation receiver, ISimpleAssignmentOperation member, IOperation value, string name)
            {
                IOperation? created = receiver;
                while (created != null && !(created is IObjectCreationOperation || created is IAnonymousObjectCreationOperation || created is IWithOperation))
                {
                    created = created.Parent;
                }

                var holder = created == null ? null : OperationTree.WithEveryConversion(created).Parent;

                switch (holder)
                {
                    case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                        Track(declarator.Symbol, member, value, container: true, member: MemberStoredInto(member.Target));
                        return;
                    case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } when !local.Local.IsRef:
                        Track(local.Local, member, value, container: true, member: MemberStoredInto(member.Target));
                        return;
                    case ISimpleAssignmentOperation outer when outer.Target is not ILocalReferenceOperation:
                        Stored(outer, value, name);
                        return;
                    default:
                        // An argument, an element of a collection being built, a return: the pointer is used where the
                        // object is, which this analysis does not follow; say nothing rather than guess.
                        return;
                }
            }

            // The parameter given by reference to a native function inside the pinning scope.
            private bool PassedToNativeInScope(IParameterSymbol parameter)
                => _scope.Function.Descendants().OfType<IArgumentOperation>().Any(argument =>
                       argument.Parameter is { RefKind: RefKind.Ref or RefKind.In }
                       && argument.Value is IParameterReferenceOperation passed && SymbolEqualityComparer.Default.Equals(passed.Parameter, parameter)
                       && argument.Parent is IInvocationOperation call && HeldNativeFunctions.Of(_owner._context).CalledBy(call) != null
                       && _scope.Covers(argument.Syntax));

            // The pointer parameter given to a native function or to a method of the compilation inside the pinning scope.
            private bool PassedToCallInScope(IParameterSymbol parameter)
                => _scope.Function.Descendants().OfType<IArgumentOperation>().Any(argument =>
                       argument.Parameter is { RefKind: RefKind.None }
                       && OperationTree.SkipConversions(argument.Value) is IParameterReferenceOperation passed && SymbolEqualityComparer.Default.Equals(passed.Parameter, parameter)
                       && argument.Parent is IInvocationOperation call
                       && (HeldNativeFunctions.Of(_owner._context).CalledBy(call) != null || !call.TargetMethod.DeclaringSyntaxReferences.IsEmpty)
                       && _scope.Covers(argument.Syntax));

            /// <summary>The field of a local struct or object the pointer went into (<c>args.Data</c>), or null for an array element.</summary>
            private static IFieldSymbol? MemberStoredInto(IOperation target) => target is IFieldReferenceOperation field ? field.Field : null;

            /// <summary>
            /// A read of a container after the scope that only reads another of its fields (<c>args.Length</c>) does not
            /// read the pointer.
            /// </summary>
            private bool ReadsOtherMember(IOperation reference, IFieldSymbol? member)
                => member != null
                   && ((reference.Parent is IFieldReferenceOperation field && field.Instance == reference && !SymbolEqualityComparer.Default.Equals(field.Field, member))
                       || HandedToReaderOfOtherMembers(reference, member));

            /// <summary>
            /// The container handed after the scope to a method of the compilation that only touches its other fields: a
            /// binding's <c>settings.__MarshalFrom(ref native)</c> copying the results a native call wrote back, while the
            /// pointer field filled for that call is never read again. Every use of the parameter in the method's body must
            /// be a field access of another field; passing it on, copying it whole or taking its address is a read.
            /// </summary>
            private bool HandedToReaderOfOtherMembers(IOperation reference, IFieldSymbol member)
            {
                if (reference.Parent is not IArgumentOperation { Parameter: { } parameter, Parent: IInvocationOperation call }
                    || call.IsVirtual || call.TargetMethod.MethodKind != MethodKind.Ordinary
                    || !WrapperSummaries.IsSourceMethodWithBody(call.TargetMethod) || _owner._context.NativeFunctions.Get(call.TargetMethod) != null
                    || !SymbolEqualityComparer.Default.Equals(parameter.Type, member.ContainingType)
                    || _owner._context.Wrappers.GetBody(call.TargetMethod) is not { } body)
                {
                    return false;
                }

                var definition = parameter.OriginalDefinition;
                foreach (var use in body.Descendants().OfType<IParameterReferenceOperation>())
                {
                    if (SymbolEqualityComparer.Default.Equals(use.Parameter.OriginalDefinition, definition)
                        && !(use.Parent is IFieldReferenceOperation field && field.Instance == use && !SymbolEqualityComparer.Default.Equals(field.Field.OriginalDefinition, member.OriginalDefinition)))
                    {
                        return false;
                    }
                }

                return true;
            }

            private void Track(ISymbol symbol, IOperation site, IOperation value, bool container, IFieldSymbol? member = null)
            {
                var function = _scope.Function;
                var references = function.Descendants()
                    .Where(o => o is ILocalReferenceOperation l && SymbolEqualityComparer.Default.Equals(l.Local, symbol)
                                || o is IParameterReferenceOperation p && SymbolEqualityComparer.Default.Equals(p.Parameter, symbol))
                    .ToList();

                if (_tracked.Add(symbol))
                {
                    foreach (var reference in references)
                    {
                        var inFunction = OperationTree.EnclosingFunction(reference, _owner._root) == function;
                        if (!inFunction)
                        {
                            Captured(reference, symbol.Name);
                        }
                        else if (!container && IsRead(reference) && reference.Syntax.SpanStart > site.Syntax.SpanStart && _scope.Covers(reference.Syntax))
                        {
                            _work.Enqueue((reference, symbol.Name));
                        }
                    }
                }

                if (_scope.Kind == PinningScopeKind.StackAlloc || !_walked.Add((symbol, site.Syntax)))
                {
                    return;
                }

                if (_scope.Region != null && symbol is ILocalSymbol declared && declared.Locations.Any(l => _scope.Region.Span.Contains(l.SourceSpan)))
                {
                    return;
                }

                // Only an inspection is left out, and no callee's reading is one: where the read goes decides.
                var reads = ReadsAfter(symbol, value.Syntax, site.Syntax)
                    .Select(r => _owner._model.GetOperation(r.Syntax, _owner._cancellationToken))
                    .Where(r => r != null && !ReadsOtherMember(r, member) && _owner._uses.ClassifyPlace(r).Kind != ValueUseKind.Inspect)
                    .Select(r => r!.Syntax)
                    .Distinct()
                    .OrderBy(s => s.SpanStart)
                    .ToImmutableArray();
                if (reads.IsEmpty)
                {
                    return;
                }

                var existing = Escapes.FirstOrDefault(e => e.Kind == PinnedEscapeKind.ReadAfter && e.Pointer == symbol.Name);
                if (existing != null)
                {
                    existing.AllReads = existing.AllReads.Union(reads).OrderBy(s => s.SpanStart).ToImmutableArray();
                    return;
                }

                var escape = Add(PinnedEscapeKind.ReadAfter, reads[0], symbol.Name, "is read after " + End());
                escape.AllReads = reads;
                escape.ThroughLocal = container ? null : symbol as ILocalSymbol;
            }

            private void Captured(IOperation reference, string name)
            {
                var nested = OperationTree.OutermostNestedFunction(reference, _scope.Function);

                if (nested == null || !_captures.Add((name, nested)))
                {
                    return;
                }

                switch (nested)
                {
                    case ILocalFunctionOperation localFunction:
                        var late = _scope.Function.Descendants().FirstOrDefault(o =>
                            (o is IInvocationOperation call && SymbolEqualityComparer.Default.Equals(call.TargetMethod, localFunction.Symbol) && !_scope.Covers(o.Syntax))
                            || (o is IMethodReferenceOperation method && SymbolEqualityComparer.Default.Equals(method.Method, localFunction.Symbol) && DelegateOutlives(method)));
                        if (late != null)
                        {
                            Add(PinnedEscapeKind.Captured, reference.Syntax, name, "is captured by local function '" + localFunction.Symbol.Name + "', which can run after " + End());
                        }

                        break;
                    case IAnonymousFunctionOperation lambda when DelegateOutlives(lambda):
                        Add(PinnedEscapeKind.Captured, reference.Syntax, name, "is captured by a lambda that can run after " + End());
                        break;
                }
            }

            /// <summary>Can the delegate made from <paramref name="function"/> be invoked after the scope ends?</summary>
            private bool DelegateOutlives(IOperation function)
            {
                var current = OperationTree.AsDelegate(function);

                switch (current.Parent)
                {
                    case IReturnOperation _:
                        return true;
                    case ISimpleAssignmentOperation assignment when assignment.Value == current:
                        return assignment.Target is ILocalReferenceOperation local ? LocalOutlives(local.Local) : !(assignment.Target is IDiscardOperation);
                    case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                        return LocalOutlives(declarator.Symbol);
                    case IArgumentOperation argument:
                        if (argument.Parent is IObjectCreationOperation creation)
                        {
                            var types = _owner._context.Types;
                            return SymbolEqualityComparer.Default.Equals(creation.Type, types.Thread) || SymbolEqualityComparer.Default.Equals(creation.Type, types.ThreadingTimer);
                        }

                        if (argument.Parent is IInvocationOperation invocation)
                        {
                            var native = _owner._uses.Classify(current).NativeTarget;
                            return DeferringMethods.Contains(invocation.TargetMethod.Name)
                                   || (native != null && _owner._interop.KeepsPointer(native.Value.Function, native.Value.Parameter));
                        }

                        return false;
                    default:
                        return false;
                }
            }

            private bool LocalOutlives(ILocalSymbol local)
                => _scope.Function.Descendants().OfType<ILocalReferenceOperation>().Any(r =>
                       SymbolEqualityComparer.Default.Equals(r.Local, local) && IsRead(r)
                       && (!_scope.Covers(r.Syntax) || r.Parent is IReturnOperation || (r.Parent is ISimpleAssignmentOperation a && a.Value == r && !(a.Target is ILocalReferenceOperation))));

            /// <summary>Reads of <paramref name="symbol"/> reachable from the copy without an overwrite, once the scope has ended.</summary>
            private List<IOperation> ReadsAfter(ISymbol symbol, SyntaxNode start, SyntaxNode copySite)
            {
                var reads = new List<IOperation>();
                var graph = _owner.GraphFor(_scope.Function);
                if (graph == null)
                {
                    return reads;
                }

                BasicBlock? startBlock = null;
                var startIndex = -1;
                foreach (var block in graph.Blocks)
                {
                    var statements = Statements(block);
                    for (var i = 0; i < statements.Count && startBlock == null; i++)
                    {
                        if (statements[i].DescendantsAndSelf().Any(o => o.Syntax == start))
                        {
                            startBlock = block;
                            startIndex = i;
                        }
                    }
                }

                if (startBlock == null)
                {
                    return reads;
                }

                var explicitEnd = _scope.Region == null;
                var pending = new Stack<(BasicBlock Block, int Index, bool Ended)>();
                var visited = new HashSet<(int, bool)>();
                pending.Push((startBlock, startIndex + 1, false));
                while (pending.Count > 0)
                {
                    var (block, index, ended) = pending.Pop();
                    var statements = Statements(block);
                    var stopped = false;
                    for (var i = index; i < statements.Count && !stopped; i++)
                    {
                        var statement = statements[i];
                        foreach (var read in statement.DescendantsAndSelf().Where(o => Refers(o, symbol) && IsRead(o)))
                        {
                            if (explicitEnd ? ended : !_scope.Covers(read.Syntax))
                            {
                                reads.Add(read);
                            }
                        }

                        // Reaching the copy again after the release (the next pass of a loop) takes the pointer anew
                        // from that pass's pin: the freed one is no longer what the variable holds.
                        stopped = Overwrites(statement, symbol, copySite) || (ended && CopiesAgain(statement, symbol, copySite));
                        ended |= explicitEnd && ContainsRelease(statement);
                    }

                    if (stopped || block.Kind == BasicBlockKind.Exit)
                    {
                        continue;
                    }

                    foreach (var branch in new[] { block.FallThroughSuccessor, block.ConditionalSuccessor })
                    {
                        if (branch?.Destination == null)
                        {
                            continue;
                        }

                        var next = ended || (explicitEnd && branch.FinallyRegions.Any(region =>
                            Enumerable.Range(region.FirstBlockOrdinal, region.LastBlockOrdinal - region.FirstBlockOrdinal + 1)
                                .Any(o => Statements(graph.Blocks[o]).Any(ContainsRelease))));
                        if (visited.Add((branch.Destination.Ordinal, next)))
                        {
                            pending.Push((branch.Destination, 0, next));
                        }
                    }
                }

                return reads;
            }

            private bool ContainsRelease(IOperation statement)
                => !_scope.Releases.IsEmpty && statement.DescendantsAndSelf().Any(o => o is IInvocationOperation && _scope.Releases.Any(r => r.Syntax == o.Syntax));

            private static bool Overwrites(IOperation statement, ISymbol symbol, SyntaxNode copySite)
                => statement.DescendantsAndSelf().Any(o =>
                       (o is ISimpleAssignmentOperation assignment && Refers(assignment.Target, symbol)
                        && !assignment.Syntax.Span.Contains(copySite.Span) && !copySite.Span.Contains(assignment.Syntax.Span))
                       || (o is IArgumentOperation { Parameter: { RefKind: RefKind.Out } } argument && Refers(argument.Value, symbol)));

            private static bool CopiesAgain(IOperation statement, ISymbol symbol, SyntaxNode copySite)
                => statement.DescendantsAndSelf().Any(o =>
                       o is ISimpleAssignmentOperation assignment && Refers(assignment.Target, symbol)
                       && (assignment.Syntax.Span.Contains(copySite.Span) || copySite.Span.Contains(assignment.Syntax.Span)));

            private static bool Refers(IOperation operation, ISymbol symbol)
                => operation is ILocalReferenceOperation local && SymbolEqualityComparer.Default.Equals(local.Local, symbol)
                   || operation is IParameterReferenceOperation parameter && SymbolEqualityComparer.Default.Equals(parameter.Parameter, symbol);

            private static bool IsRead(IOperation reference)
                => !(reference is ILocalReferenceOperation { IsDeclaration: true })
                   && !(reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference)
                   && !(reference.Parent is IArgumentOperation { Parameter: { RefKind: RefKind.Out } });

            private static List<IOperation> Statements(BasicBlock block)
            {
                var statements = block.Operations.ToList();
                if (block.BranchValue != null)
                {
                    statements.Add(block.BranchValue);
                }

                return statements;
            }

            private PinnedEscape? AddStored(IOperation value, string pointer, string description)
                => ReleasedAfter(value) ? Add(PinnedEscapeKind.Stored, value.Syntax, pointer, description) : null;

            private PinnedEscape Add(PinnedEscapeKind kind, SyntaxNode location, string pointer, string description)
            {
                var escape = new PinnedEscape(_scope, kind, location, pointer, description);
                Escapes.Add(escape);
                return escape;
            }

            private string End() => _scope.Kind switch
            {
                PinningScopeKind.Fixed => "the fixed statement ends",
                PinningScopeKind.PinnedGCHandle => "'" + _scope.Handle!.Name + "' is freed",
                PinningScopeKind.MemoryHandle => "'" + _scope.Handle!.Name + "' is disposed",
                _ => FunctionName() + " returns",
            };

            private string FunctionName() => _scope.Function switch
            {
                ILocalFunctionOperation local => "'" + local.Symbol.Name + "'",
                IAnonymousFunctionOperation _ => "the lambda",
                _ => _owner._rootName,
            };

            private static string NameOf(IOperation pointer)
                => pointer is ILocalReferenceOperation local ? local.Local.Name : pointer.Syntax.ToString();
        }

        private ControlFlowGraph? GraphFor(IOperation function)
        {
            if (_graphs == null)
            {
                _rootGraph = _createGraph();
                if (_rootGraph == null)
                {
                    return null;
                }
            }

            _graphs ??= ControlFlowGraphs.AllIn(_rootGraph!, _cancellationToken).ToList();
            return _graphs.FirstOrDefault(g => g.OriginalOperation.Syntax == function.Syntax)
                   ?? (function == _root ? _rootGraph : null);
        }
    }
}
