using System.Collections.Concurrent;
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
    /// Is a handle a function was given (a parameter) held by every caller across the call? Then no other thread can
    /// dispose it while the function uses its raw value, and the caller's frame keeps it from being finalized. That holds
    /// when the function can be called only from this compilation (<see cref="SymbolVisibility"/>: not public or protected
    /// through its types; <c>InternalsVisibleTo</c> friends are not counted, as everywhere else the rules ask who can call a
    /// method), is an ordinary, non-virtual, synchronous method no interface member reaches, is never used other than by a
    /// call (a method group, a delegate or a <c>nameof</c> could run it from anywhere), and each call passes, outside any
    /// lambda or local function:
    /// <list type="bullet">
    /// <item>a local its function disposes with <c>using</c> around the call, made there (a <c>new</c> or a factory's
    /// result, which the <c>using</c> says the function owns), assigned nowhere else, touched before the call only to call
    /// its members, to be tested or read by calls (<see cref="ValueUses"/>), never by a lambda;</item>
    /// <item>a local no other thread can reach and read after the call (<see cref="UnsharedHandles"/>);</item>
    /// <item>or a parameter of its own function that the same reading holds, <see cref="MaxDepth"/> callers up (a
    /// chain of wrappers; deeper, or a cycle of calls, is not held).</item>
    /// </list>
    /// A fresh temporary (<c>Wrapper(Create())</c>) is not held: once the raw value is read nothing reaches the handle, and its
    /// finalizer may release it during the native call. A field of an object others can reach, an element of a collection,
    /// or a handle given by a public caller keep the finding: whoever else holds it may dispose it on another thread.
    /// Asked only for a finding about to be reported; the call sites of a method are found once per compilation, through
    /// the trees whose identifiers name it.
    /// </summary>
    internal sealed class CallerHeldHandles
    {
        /// <summary>Callers above the function whose own parameters are followed: a wrapper of a wrapper of a wrapper.</summary>
        internal const int MaxDepth = 3;

        private readonly InteropContext _interop;
        private readonly ConcurrentDictionary<IParameterSymbol, bool> _answers = ConcurrentTables.Create<IParameterSymbol, bool>(SymbolEqualityComparer.Default);

        public CallerHeldHandles(InteropContext interop)
        {
            _interop = interop;
        }

        /// <summary>
        /// True when <paramref name="receiver"/> (the handle whose raw value <paramref name="root"/>'s own body reads, not a
        /// lambda's) is a parameter of <paramref name="owner"/> that the function only reads members of, and every caller holds
        /// across the call.
        /// </summary>
        public bool IsHeldByEveryCaller(IOperation receiver, IOperation root, ISymbol owner, CancellationToken cancellationToken)
            => OperationTree.SkipConversions(receiver) is IParameterReferenceOperation { Parameter: { } parameter }
               && SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol, owner)
               && _answers.GetOrAdd(parameter.OriginalDefinition, p => IsHeld(p, root, 0, cancellationToken));

        private bool IsHeld(IParameterSymbol parameter, IOperation? body, int depth, CancellationToken cancellationToken)
        {
            if (depth > MaxDepth || parameter.RefKind != RefKind.None || parameter.ContainingSymbol is not IMethodSymbol method || !CanOnlyBeCalledFromHere(method))
            {
                return false;
            }

            body ??= BodyOf(method, cancellationToken);
            if (body == null || !KeepsToItself(body, parameter))
            {
                return false;
            }

            return MethodCallers.Of(_interop).CallsOf(method, cancellationToken) is { Count: > 0 } calls
                   && calls.All(call => HoldsArgument(call.Invocation, parameter, depth, cancellationToken));
        }

        // Its callers are all in sight (MethodCallers.IsClosed), and each call runs it to the end before returning.
        private bool CanOnlyBeCalledFromHere(IMethodSymbol method)
            => !method.IsExtern && !method.IsAsync && method.PartialDefinitionPart == null && MethodCallers.Of(_interop).IsClosed(method);

        private IOperation? BodyOf(IMethodSymbol method, CancellationToken cancellationToken)
        {
            if (method.DeclaringSyntaxReferences.Length != 1 || method.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not BaseMethodDeclarationSyntax declaration
                || !_interop.Compilation.ContainsSyntaxTree(declaration.SyntaxTree))
            {
                return null;
            }

            // The shared body cache: the same operation tree IG1001's wrapper summaries read.
            return _interop.Wrappers.GetBody(method);
        }

        /// <summary>
        /// The function neither writes the parameter nor hands it on: each use calls a member of it, tests it, or gives it to a
        /// call that only reads it (<see cref="ValueUses"/>), outside any lambda, and it is no iterator (whose body runs after
        /// the call returns).
        /// </summary>
        private bool KeepsToItself(IOperation body, IParameterSymbol parameter)
        {
            if (parameter.ContainingSymbol is IMethodSymbol method && IteratorMethods.IsIterator(method))
            {
                return false;
            }

            var uses = new ValueUses(_interop, _interop.ForTree(body.Syntax.SyntaxTree));
            foreach (var reference in body.Descendants().OfType<IParameterReferenceOperation>())
            {
                if (SymbolEqualityComparer.Default.Equals(reference.Parameter.OriginalDefinition, parameter.OriginalDefinition)
                    && (OperationTree.IsInNestedFunction(reference, body) || !IsRead(reference, uses)))
                {
                    return false;
                }
            }

            return true;
        }

        // A member called or read on the handle, a null test, or an argument to a call that only reads it.
        private static bool IsRead(IOperation reference, ValueUses uses)
        {
            var value = OperationTree.WithConversions(reference);
            switch (value.Parent)
            {
                case IInvocationOperation call when call.Instance == value:
                case IPropertyReferenceOperation property when property.Instance == value:
                    return true;
            }

            return OperationTree.IsNullTested(reference)
                   || (value.Parent is IArgumentOperation && uses.Classify(reference).Kind is ValueUseKind.Use or ValueUseKind.Inspect);
        }

        private bool HoldsArgument(IInvocationOperation call, IParameterSymbol parameter, int depth, CancellationToken cancellationToken)
        {
            var root = OperationTree.Root(call);
            if (OperationTree.IsInNestedFunction(call, root)
                || call.Arguments.FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.Parameter?.OriginalDefinition, parameter.OriginalDefinition)) is not { ArgumentKind: ArgumentKind.Explicit } argument)
            {
                return false;
            }

            switch (OperationTree.SkipConversions(argument.Value))
            {
                case IParameterReferenceOperation { Parameter: { } given }:
                    // The caller's own parameter: held when the caller's callers hold it.
                    return given.ContainingSymbol is IMethodSymbol caller
                           && !SymbolEqualityComparer.Default.Equals(caller.OriginalDefinition, parameter.ContainingSymbol.OriginalDefinition)
                           && IsHeld(given.OriginalDefinition, null, depth + 1, cancellationToken);
                case ILocalReferenceOperation { Local: { IsRef: false } local } passed:
                    if (IsOwnedByUsing(local, passed, call, root))
                    {
                        return true;
                    }

                    var uses = new ValueUses(_interop, _interop.ForTree(call.Syntax.SyntaxTree));
                    return new UnsharedHandles(_interop, uses).IsUnsharedAt(passed, root, new IOperation[] { call }, handedOnlyByReturn: false);
                default:
                    return false;
            }
        }

        /// <summary>
        /// A local the function declares with <c>using</c> around the call, from a <c>new</c> or a call's result, assigned
        /// nowhere else, and before the call only read (its members, a test, a call that only reads it): the function owns
        /// it, disposes it on its own thread after the call, and keeps it reachable until then.
        /// </summary>
        private bool IsOwnedByUsing(ILocalSymbol local, IOperation passed, IInvocationOperation call, IOperation root)
        {
            if (!StraightReads.DisposedAfter(call, local))
            {
                return false;
            }

            var uses = new ValueUses(_interop, _interop.ForTree(call.Syntax.SyntaxTree));
            var end = call.Syntax.Span.End;
            foreach (var operation in root.Descendants())
            {
                if (operation is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, local))
                {
                    if (declarator.Initializer?.Value is not { } initial || OperationTree.SkipConversions(initial) is not (IObjectCreationOperation or IInvocationOperation))
                    {
                        return false;
                    }

                    continue;
                }

                if (operation is not ILocalReferenceOperation reference || !SymbolEqualityComparer.Default.Equals(reference.Local, local) || reference == passed)
                {
                    continue;
                }

                if (OperationTree.IsInNestedFunction(reference, root)
                    || reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference
                    || reference.Parent is IArgumentOperation { Parameter.RefKind: not RefKind.None })
                {
                    return false;
                }

                // Before the call (or in a loop that comes back to it), only read; after it, the use is over.
                if ((reference.Syntax.SpanStart < end || UnsharedHandles.SharesLoop(call, reference, root)) && !IsRead(reference, uses))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
