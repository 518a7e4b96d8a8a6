using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>What invoking an internal event or delegate field runs, when the compilation shows all of it.</summary>
    internal sealed class ClosedDelegate
    {
        public ClosedDelegate(IReadOnlyList<IMethodSymbol> methods, IReadOnlyList<IAnonymousFunctionOperation> lambdas, bool mayBeEmpty)
        {
            Methods = methods;
            Lambdas = lambdas;
            MayBeEmpty = mayBeEmpty;
        }

        /// <summary>The methods of this compilation the member is ever given (a handler of the library's own per subscription).</summary>
        public IReadOnlyList<IMethodSymbol> Methods { get; }

        /// <summary>
        /// The library's own lambdas the member is ever given, none of which invokes a delegate or calls a virtual member:
        /// whether one throws is what its body's own operations do (<see cref="ThrowPoints.IsQuietLambda"/>).
        /// </summary>
        public IReadOnlyList<IAnonymousFunctionOperation> Lambdas { get; }

        /// <summary>Some write removes a handler or stores null: the member can be null when it is invoked.</summary>
        public bool MayBeEmpty { get; }
    }

    /// <summary>
    /// An event or delegate field no code outside the compilation can write (it or its type is not visible outside it)
    /// holds only what the library stores there. When every store is a method group of this compilation — directly
    /// (<c>_proc.OnModalSizeMoveBegin += OnSizeMoveBegin</c>) or through a private field that holds only method groups
    /// (<c>Joysticks.Connected += _onJoystick</c> with <c>_onJoystick = OnJoystick</c>) — invoking it runs those methods and
    /// nothing of the user's: whether it throws is whether they do. A lambda of the library counts the same way when its
    /// body invokes no delegate and calls no virtual member, so it runs only its own code (NAudio.Lame's
    /// <c>id3GenreCallback = (idx, gen) => res[idx] = gen</c>); so does a store of the member's own earlier value, read
    /// straight back or through a local declared with it and never written again (<c>var saved = _cb; _cb = ...; _cb =
    /// saved;</c>): it is one of the values the other stores gave. Any other store (a lambda that may run the user's code,
    /// a parameter a public member was handed) leaves the member unread. Answered once per member, from every tree that
    /// spells its name.
    /// </summary>
    internal sealed class ClosedDelegates
    {
        /// <summary>More methods than this are not read: the invocation is left as it was.</summary>
        private const int MaxMethods = 8;

        private static readonly ClosedDelegate Unread = new ClosedDelegate(new IMethodSymbol[0], new IAnonymousFunctionOperation[0], mayBeEmpty: true);

        private readonly Compilation _compilation;
        private readonly WellKnownTypes _types;
        private readonly InteropVocabulary _vocabulary;
        private readonly MethodCallers _callers;
        private readonly ConcurrentDictionary<ISymbol, ClosedDelegate> _members = ConcurrentTables.Create<ISymbol, ClosedDelegate>(SymbolEqualityComparer.Default);

        private ClosedDelegates(InteropContext context)
        {
            _compilation = context.Compilation;
            _types = context.Types;
            _vocabulary = context.Vocabulary;
            _callers = MethodCallers.Of(context);
        }

        /// <summary>The compilation's one instance, held by its context.</summary>
        public static ClosedDelegates Of(InteropContext context) => context.Held.Get(c => new ClosedDelegates(c));

        /// <summary>
        /// What invoking the delegate <paramref name="receiver"/> reads runs, or null when it is not an internal event or
        /// field of this compilation whose stores are all read.
        /// </summary>
        public ClosedDelegate? Of(IOperation receiver)
        {
            ISymbol? member = OperationTree.SkipConversions(receiver) switch
            {
                IEventReferenceOperation reference => reference.Event,
                IFieldReferenceOperation reference => reference.Field,
                _ => null,
            };
            if (member == null || SymbolVisibility.IsVisibleOutsideTheCompilation(member)
                || !SymbolEqualityComparer.Default.Equals(member.ContainingAssembly, _compilation.Assembly))
            {
                return null;
            }

            var closed = _members.GetOrAdd(member.OriginalDefinition, m => Read(m, hops: 1));
            return ReferenceEquals(closed, Unread) ? null : closed;
        }

        private ClosedDelegate Read(ISymbol member, int hops)
        {
            var methods = new List<IMethodSymbol>();
            var lambdas = new List<IAnonymousFunctionOperation>();
            var mayBeEmpty = false;
            var continuations = false;
            var read = MemberWrites.All(_compilation, member, (kind, value) =>
            {
                if (kind == MemberWriteKind.Removal)
                {
                    mayBeEmpty = true;
                    return true;
                }

                if (kind == MemberWriteKind.Other || value == null)
                {
                    return false;
                }

                value = OperationTree.SkipConversions(value);
                if (value.ConstantValue is { HasValue: true, Value: null } || value is IDefaultValueOperation)
                {
                    mayBeEmpty = true;
                    return true;
                }

                if (value is IParameterReferenceOperation { Parameter: { ContainingSymbol: IMethodSymbol receiving } } continuation
                    && AwaiterContinuations.IsStateMachineContinuation(_compilation, _types, _vocabulary, receiving, continuation.Parameter))
                {
                    continuations = true;
                    return true;
                }

                return IsOwnEarlierValue(value, member) || AddMethods(value, methods, lambdas, hops);
            });
            var handlers = methods.Count + lambdas.Count;
            return read && (handlers is > 0 and <= MaxMethods || (handlers == 0 && continuations)) ? new ClosedDelegate(methods, lambdas, mayBeEmpty) : Unread;
        }

        // '_cb = saved' with 'var saved = _cb;' (or '_cb = _cb'): the member given back a value it held, so nothing new.
        private static bool IsOwnEarlierValue(IOperation value, ISymbol member)
        {
            if (value is ILocalReferenceOperation { Local: var local } && value.SemanticModel is { } model
                && new StableValues().InitializerOf(local, model) is { } initializer)
            {
                value = OperationTree.SkipConversions(initializer);
            }

            return value is IFieldReferenceOperation { Field: var field } && SymbolEqualityComparer.Default.Equals(field.OriginalDefinition, member);
        }

        // A method group of this compilation, a lambda that runs only its own code, or a private field that holds only
        // such (one hop).
        private bool AddMethods(IOperation value, List<IMethodSymbol> methods, List<IAnonymousFunctionOperation> lambdas, int hops)
        {
            if (value is IDelegateCreationOperation creation)
            {
                value = OperationTree.SkipConversions(creation.Target);
            }

            if (value is IAnonymousFunctionOperation lambda)
            {
                if (!RunsOnlyItsOwnCode(lambda))
                {
                    return false;
                }

                lambdas.Add(lambda);
                return true;
            }

            if (value is IMethodReferenceOperation { Method: var method } && WrapperSummaries.IsSourceMethodWithBody(method))
            {
                AddOnce(methods, method.OriginalDefinition);
                return true;
            }

            // 'void ReadStart(Action<Pipe, int> onRead) { ...; _onRead = onRead; }': a parameter of a method only this
            // compilation can call, each call of which hands in what a store could (DotNetty's libuv pipes).
            if (hops > 0 && value is IParameterReferenceOperation { Parameter: { RefKind: RefKind.None, ContainingSymbol: IMethodSymbol given } parameter }
                && LentMethods(given, parameter, methods, lambdas, hops - 1))
            {
                return true;
            }

            if (hops > 0 && value is IFieldReferenceOperation { Field: { DeclaredAccessibility: Accessibility.Private } field }
                && SymbolEqualityComparer.Default.Equals(field.ContainingAssembly, _compilation.Assembly))
            {
                var held = Read(field.OriginalDefinition, hops - 1);
                if (ReferenceEquals(held, Unread) || held.MayBeEmpty)
                {
                    return false;
                }

                foreach (var heldMethod in held.Methods)
                {
                    AddOnce(methods, heldMethod);
                }

                lambdas.AddRange(held.Lambdas);

                return true;
            }

            return false;
        }

        // Every reference to the method is a call (MethodCallers) whose argument for the parameter adds methods; only the
        // compilation can call the method (MethodCallers.IsClosed), and it does not write the parameter.
        private bool LentMethods(IMethodSymbol method, IParameterSymbol parameter, List<IMethodSymbol> methods, List<IAnonymousFunctionOperation> lambdas, int hops)
        {
            if (!_callers.IsClosed(method) || method.DeclaringSyntaxReferences.Any(r => WritesParameter(r.GetSyntax(), parameter))
                || _callers.CallsOf(method, CancellationToken.None) is not { Count: > 0 } calls)
            {
                return false;
            }

            foreach (var call in calls)
            {
                if (call.Invocation.Arguments.FirstOrDefault(a => a.Parameter != null && SymbolEqualityComparer.Default.Equals(a.Parameter.OriginalDefinition, parameter.OriginalDefinition)) is not { ArgumentKind: ArgumentKind.Explicit } argument
                    || !AddMethods(OperationTree.SkipConversions(argument.Value), methods, lambdas, hops))
                {
                    return false;
                }
            }

            return true;
        }

        private static bool WritesParameter(SyntaxNode declaration, IParameterSymbol parameter)
            => declaration.DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.IdentifierNameSyntax>().Any(n => n.Identifier.ValueText == parameter.Name
                   && (n.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.AssignmentExpressionSyntax assignment && assignment.Left == n
                       || n.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.ArgumentSyntax { RefKindKeyword.RawKind: not 0 }));

        // No delegate invoked, event raised or virtual member called in the body: nothing in it can be the user's code.
        private static bool RunsOnlyItsOwnCode(IAnonymousFunctionOperation lambda)
        {
            foreach (var operation in lambda.Body.Descendants())
            {
                switch (operation)
                {
                    case IInvocationOperation { TargetMethod.MethodKind: MethodKind.DelegateInvoke }:
                    case IInvocationOperation { IsVirtual: true }:
                    case IRaiseEventOperation:
                    case IDynamicInvocationOperation or IDynamicMemberReferenceOperation or IDynamicIndexerAccessOperation:
                    case IFunctionPointerInvocationOperation:
                        return false;
                    case IPropertyReferenceOperation { Property: { IsVirtual: true } or { IsAbstract: true } or { IsOverride: true } }:
                        return false;
                }
            }

            return true;
        }

        private static void AddOnce(List<IMethodSymbol> methods, IMethodSymbol method)
        {
            if (!methods.Contains(method, SymbolEqualityComparer.Default))
            {
                methods.Add(method);
            }
        }
    }
}
