using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// "Every caller keeps the owner": the owner of a handle (<c>this</c>, or a parameter) in a method that only this
    /// compilation can call is reachable during the method's native call when every call the compilation makes to the
    /// method holds the object it passes there (its receiver, or the argument of that parameter) across the call. The
    /// caller's frame reports that object live for the whole call — and so for everything the method does inside it — when
    /// the caller reads it on some path after the call (the same existential liveness IG1001 reads in the method itself,
    /// <see cref="UsedAfter"/>: a read on a branch not taken counts), or when it is an operand still pending across the
    /// call (<c>new LuaTable(this, CreateReference(i))</c>, <see cref="PendingOperands"/>). A caller that does not read
    /// it again but passes on its own <c>this</c> or parameter, and is itself such a method, asks its callers in turn, up
    /// to <see cref="MaxDepth"/> levels.
    /// <para>
    /// The method must be closed (<see cref="MethodCallers.IsClosed"/>: ordinary, not virtual, overriding or implementing an
    /// interface member, not visible outside the compilation), or an override every declaration up whose chain is such a
    /// method but for being virtual (<see cref="MethodCallers.IsClosedOverrideToAllButInterfaces"/>: then every call through
    /// any of those declarations is read, which is every call that may run it), used by calls only (a method group, a delegate or
    /// <c>&amp;M</c> could run it from anywhere: <see cref="MethodCallers.CallsOf"/> is null), neither async nor an iterator
    /// (their body runs on after the call returns), nor extern. An assembly with <c>InternalsVisibleTo</c> friends lets them
    /// call its internal methods: there only a method that is private, or in a private type, is closed. The native call
    /// must be in the method's own body (a lambda or local function may run after the method returned), and a parameter
    /// owner must never be given another value there. A closed method nothing in sight calls keeps its finding: with no
    /// caller there is nothing to vouch for the owner (the release-only and construction-only readings ask for a caller
    /// too), and what runs it then — reflection, sources the compilation lacks — is not seen.
    /// </para>
    /// Asked only of a finding about to be reported; the answer is kept per method and owner for the compilation, the call
    /// sites are <see cref="MethodCallers"/>' (searched one at a time through the trees whose identifiers name the method,
    /// <see cref="MethodCallers.EveryCall"/>, and no further than the first caller that does not keep the owner), each
    /// caller's body is given a graph only when its call is asked about, and the interface test of "closed" is asked last.
    /// </summary>
    internal sealed class CallerKeptOwners
    {
        /// <summary>Callers above the method whose own <c>this</c> or parameters are followed.</summary>
        internal const int MaxDepth = 3;

        // The receiver's stand-in among the owner indexes; a parameter is its ordinal.
        private const int ThisIndex = -1;

        private readonly InteropContext _interop;
        private readonly bool _hasFriends;
        // Keyed by the method (its 'this') or the parameter asked about.
        private readonly ConcurrentDictionary<ISymbol, bool> _answers = ConcurrentTables.Create<ISymbol, bool>(SymbolEqualityComparer.Default);

        private CallerKeptOwners(InteropContext interop)
        {
            _interop = interop;
            var friend = interop.Types.InternalsVisibleToAttribute;
            _hasFriends = friend != null && interop.Compilation.Assembly.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, friend));
        }

        /// <summary>The compilation's one reading, held by its context.</summary>
        public static CallerKeptOwners Of(InteropContext interop) => interop.Held.Get(c => new CallerKeptOwners(c));

        /// <summary>
        /// Does every caller of <paramref name="method"/> keep <paramref name="owner"/> (<c>this</c>, or a parameter of the
        /// method, or a field chain rooted at one) across the call, so that it is reachable while <paramref name="call"/>,
        /// in the method's own body <paramref name="root"/>, runs?
        /// </summary>
        public bool Keeps(HandleOwner owner, IOperation call, IMethodSymbol method, IOperation root, CancellationToken cancellationToken)
        {
            int index;
            switch (owner.Kind)
            {
                case HandleOwnerKind.This when !method.IsStatic:
                    index = ThisIndex;
                    break;
                case HandleOwnerKind.Variable when owner.Root is IParameterSymbol { RefKind: RefKind.None } parameter
                                                  && SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol, method)
                                                  && owner.Carrier == null:
                    index = parameter.Ordinal;
                    break;
                case HandleOwnerKind.Variable when owner.Root is IParameterSymbol element && owner.Carrier == null:
                    return KeptAsElement(call, element, root, cancellationToken);
                default:
                    return false;
            }

            // The callers' answer first (a public method is turned away by its declaration, and the answer is kept per
            // method): most findings are in methods code outside the compilation can call, and the checks of this body
            // below walk it once per finding.
            var definition = method.OriginalDefinition;
            if (!_answers.GetOrAdd(index == ThisIndex ? definition : definition.Parameters[index], _ => KeptByEveryCaller(definition, index, 0, cancellationToken)))
            {
                return false;
            }

            return !OperationTree.IsInNestedFunction(call, root) && (index == ThisIndex || !GivenAnotherValue(root, (IParameterSymbol)owner.Root!));
        }

        private bool KeptByEveryCaller(IMethodSymbol method, int index, int depth, CancellationToken cancellationToken)
        {
            // A method nothing in sight calls has no caller to vouch for the owner (as the release-only and construction-only
            // readings ask for one): reflection or code outside this compilation's sources may run it, and then it is unprotected.
            // The tests in the order of their cost, each able to say no alone: the declaration's, then the callers one at a
            // time (on a binding the first caller usually passes a temporary and ends the search), and last the interface
            // test, whose map of every type's interfaces is otherwise built for this one question.
            var callers = MethodCallers.Of(_interop);
            // A method group whose delegate's target is 'this' is read as a call when a LINQ walk runs it (Select(Map)).
            return IsClosedToAllButInterfaces(method)
                   && (callers.EveryCall(method, call => KeptAt(call, index, depth, cancellationToken), cancellationToken)
                       || (index == ThisIndex && callers.HasUsesOtherThanCalls(method)
                           && callers.EveryCallOrGroup(method, call => KeptAt(call, index, depth, cancellationToken), (group, caller) => KeptAtGroup(group, caller, depth, cancellationToken), cancellationToken)))
                   && !callers.ImplementsAnInterfaceMember(method);
        }

        // Only this compilation's code can run it (but for the interface test, MethodCallers.IsClosed), each call to the end before it returns.
        private bool IsClosedToAllButInterfaces(IMethodSymbol method)
            => !method.IsExtern && !method.IsAsync && method.PartialDefinitionPart == null && !method.ReturnsByRef
               && (MethodCallers.Of(_interop).IsClosedToAllButInterfaces(method) || MethodCallers.Of(_interop).IsClosedOverrideToAllButInterfaces(method))
               && (!_hasFriends || IsPrivate(method))
               && !IteratorMethods.IsIterator(method);

        private static bool IsPrivate(ISymbol symbol)
        {
            for (var current = symbol; current != null && current is not INamespaceSymbol; current = current.ContainingSymbol)
            {
                if (current.DeclaredAccessibility == Accessibility.Private)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Does this call hold the object it passes as the method's <c>this</c> (or parameter <paramref name="index"/>) across itself?</summary>
        private bool KeptAt(MethodCall call, int index, int depth, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var invocation = call.Invocation;
            IOperation? passed;
            if (index == ThisIndex)
            {
                passed = invocation.Instance;
            }
            else
            {
                passed = invocation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == index) is { ArgumentKind: ArgumentKind.Explicit, Parameter.RefKind: RefKind.None } argument
                    ? argument.Value
                    : null;
            }

            if (passed == null || RootOf(passed) is not { } root)
            {
                return false;
            }

            var body = OperationTree.Root(invocation);
            if (ReadAfter(invocation, passed, root, body, cancellationToken))
            {
                return true;
            }

            // Made in a lambda the enclosing method hands to a method of its own object that runs it and reads that object after.
            if (root.Variable == null && KeptByLambdaHost(invocation, body, cancellationToken))
            {
                return true;
            }

            // Made in a lambda an operator runs on each element of a collection, and given the element.
            if (root.Plain && root.Variable is IParameterSymbol element && KeptAsElement(invocation, element, body, cancellationToken))
            {
                return true;
            }

            // Not read again: the caller's own 'this' or parameter, passed on as it is, is kept when its callers keep it.
            if (depth >= MaxDepth || !root.Plain || call.Caller is not IMethodSymbol { MethodKind: MethodKind.Ordinary } caller
                || OperationTree.IsInNestedFunction(invocation, body))
            {
                return false;
            }

            if (root.Variable == null)
            {
                return !caller.IsStatic && KeptByEveryCaller(caller.OriginalDefinition, ThisIndex, depth + 1, cancellationToken);
            }

            return root.Variable is IParameterSymbol { RefKind: RefKind.None } parameter
                   && SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol, caller)
                   && !GivenAnotherValue(body, parameter)
                   && KeptByEveryCaller(caller.OriginalDefinition, parameter.Ordinal, depth + 1, cancellationToken);
        }

        /// <summary>
        /// A method group of the caller's own object handed straight to a LINQ operator whose result is walked at once
        /// (<c>names.Select(Map).ToList()</c>, <see cref="CollectionElements.WalkOf"/>): the delegate runs only inside that
        /// walk, with the caller's <c>this</c> as its target, so the method's <c>this</c> is kept when the caller reads its
        /// own after the walk, or is itself such a method whose callers keep it.
        /// </summary>
        private bool KeptAtGroup(IMethodReferenceOperation group, ISymbol? caller, int depth, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (group.Instance is not IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } instance
                || group.Parent is not IDelegateCreationOperation creation
                || OperationTree.WithConversions(creation).Parent is not IArgumentOperation { Parameter.Ordinal: > 0, Parent: IInvocationOperation runner }
                || CollectionElements.WalkOf(runner, _interop.Types) is not { } walk)
            {
                return false;
            }

            var body = OperationTree.Root(walk);
            if (ReadAfter(walk, instance, (null, true), body, cancellationToken))
            {
                return true;
            }

            return depth < MaxDepth && caller is IMethodSymbol { MethodKind: MethodKind.Ordinary, IsStatic: false } method && !OperationTree.IsInNestedFunction(walk, body)
                   && KeptByEveryCaller(method.OriginalDefinition, ThisIndex, depth + 1, cancellationToken);
        }

        /// <summary>
        /// A call in a lambda that passes the lambda's <c>this</c> (the enclosing method's object), where the lambda is
        /// handed straight to a call on that same object of a closed method of this compilation (not async, not an
        /// iterator) whose delegate parameter is only ever invoked there, and whose body reads its <c>this</c> on some path
        /// after each invocation (Eluant's <c>LuaToClrBoundary(state, toDispose =&gt; { …; Push(result); return 1; })</c>,
        /// whose <c>finally</c> calls <c>OnEnterLua()</c>): the host's frame holds the object for as long as the lambda
        /// runs, and the lambda runs only inside the host. A lambda stored, passed on, or given to a method of another
        /// object, or a host that does not read its object after running it, is not read so.
        /// </summary>
        private bool KeptByLambdaHost(IInvocationOperation invocation, IOperation body, CancellationToken cancellationToken)
        {
            if (OperationTree.EnclosingFunction(invocation, body) is not IAnonymousFunctionOperation lambda
                || lambda.Parent is not IDelegateCreationOperation creation
                || OperationTree.WithConversions(creation).Parent is not IArgumentOperation { Parameter: { RefKind: RefKind.None } parameter, Parent: IInvocationOperation host }
                || host.Instance is not (null or IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance })
                || host.TargetMethod.IsStatic
                || OperationTree.IsInNestedFunction(host, body))
            {
                return false;
            }

            var method = host.TargetMethod.OriginalDefinition;
            if (method.IsAsync || method.IsExtern || IteratorMethods.IsIterator(method) || !MethodCallers.Of(_interop).IsClosed(method)
                || _interop.Wrappers.GetBody(method) is not { } hostBody)
            {
                return false;
            }

            var delegateParameter = method.Parameters[parameter.Ordinal];
            var invoked = false;
            foreach (var reference in hostBody.Descendants().OfType<IParameterReferenceOperation>())
            {
                if (!SymbolEqualityComparer.Default.Equals(reference.Parameter, delegateParameter))
                {
                    continue;
                }

                if (reference.Parent is not IInvocationOperation { TargetMethod.MethodKind: MethodKind.DelegateInvoke } run || run.Instance != reference
                    || OperationTree.IsInNestedFunction(run, hostBody)
                    || !ReadAfter(run, reference, (null, true), hostBody, cancellationToken))
                {
                    return false;
                }

                invoked = true;
            }

            return invoked;
        }

        /// <summary>
        /// The element parameter of a lambda a LINQ operator runs on each element of a collection, which the lambda never
        /// gives another value (<see cref="CollectionElements"/>), is kept during <paramref name="call"/> when the variable
        /// the collection is read from is read on some path after the call that walks it: the collection, and so the element,
        /// is held for the whole walk.
        /// </summary>
        private bool KeptAsElement(IOperation call, IParameterSymbol element, IOperation root, CancellationToken cancellationToken)
            => CollectionElements.Around(call, element, root, _interop.Types) is { } walked
               && !GivenAnotherValue(walked.Lambda.Body, element)
               && RootOf(walked.Collection) is { } holder
               && ReadAfter(walked.Walk, walked.Collection, holder, OperationTree.Root(walked.Walk), cancellationToken);

        /// <summary>
        /// The variable an object passed is held by: <c>this</c> (null), a local or a parameter, itself (plain) or through a
        /// field or property chain (<c>this.Runtime</c>), which IG1001 reads as kept by a read of the variable. Null for any
        /// other value (a temporary, a call's result).
        /// </summary>
        private static (ISymbol? Variable, bool Plain)? RootOf(IOperation passed)
        {
            var plain = true;
            for (var current = OperationTree.SkipConversions(passed); ; plain = false)
            {
                switch (current)
                {
                    case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }:
                        return (null, plain);
                    case ILocalReferenceOperation { Local.IsRef: false } local:
                        return (local.Local, plain);
                    case IParameterReferenceOperation { Parameter.RefKind: RefKind.None } parameter:
                        return (parameter.Parameter, plain);
                    case IFieldReferenceOperation { Field.IsStatic: false, Instance: { } instance }:
                        current = OperationTree.SkipConversions(instance);
                        continue;
                    case IPropertyReferenceOperation { Property.IsStatic: false, Arguments.Length: 0, Instance: { } instance }:
                        current = OperationTree.SkipConversions(instance);
                        continue;
                    default:
                        return null;
                }
            }
        }

        /// <summary>
        /// Is the variable <paramref name="root"/> holds the passed object by read on some path after the call, or pending
        /// across it, on the graph of the code that makes the call? No graph, or the call not found in it: not read.
        /// </summary>
        private static bool ReadAfter(IInvocationOperation invocation, IOperation passed, (ISymbol? Variable, bool Plain) root, IOperation body, CancellationToken cancellationToken)
        {
            if (ControlFlowGraphs.OfBody(body, cancellationToken) is not { } graph || ControlFlowGraphs.Running(graph, invocation, cancellationToken) is not { } running)
            {
                return false;
            }

            var variable = root.Variable;
            System.Func<IOperation, bool> isRead = variable == null
                ? op => op is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } && LiveReads.Keeps(op)
                : op => IsReference(op, variable) && !(op.Parent is ISimpleAssignmentOperation assignment && assignment.Target == op) && LiveReads.Keeps(op);
            System.Func<IOperation, bool>? isOverwrite = variable == null ? null : op => LiveReads.Overwrites(op, variable);
            return UsedAfter.In(running.Graph).OnSomePath(running.Operation, isRead, isOverwrite, useKey: null, holds: value => PendingOperands.Holds(value, passed));
        }

        private static bool IsReference(IOperation operation, ISymbol variable)
            => operation switch
            {
                ILocalReferenceOperation local => SymbolEqualityComparer.Default.Equals(local.Local, variable),
                IParameterReferenceOperation parameter => SymbolEqualityComparer.Default.Equals(parameter.Parameter, variable),
                _ => false,
            };

        /// <summary>Is the parameter given another value anywhere in the body (then what its caller passed may be gone)?</summary>
        private static bool GivenAnotherValue(IOperation body, IParameterSymbol parameter)
            => body.Descendants().Any(op => LiveReads.Overwrites(op, parameter));
    }
}
