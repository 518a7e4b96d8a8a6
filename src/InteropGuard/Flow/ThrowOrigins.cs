using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>Where the exceptions that can escape a body come from.</summary>
    internal sealed class ThrowOriginSummary
    {
        /// <summary>A body that cannot be read: it counts as throwing on its own.</summary>
        public static readonly ThrowOriginSummary Unread = new ThrowOriginSummary(hasOwn: true, null, null, null);

        public ThrowOriginSummary(bool hasOwn, IOperation? likeliestOwn, IOperation? firstForwarded, string? forwardedTo, bool onlyStatusChecks = false)
        {
            HasOwn = hasOwn;
            OnlyStatusChecks = onlyStatusChecks;
            LikeliestOwn = likeliestOwn;
            FirstForwarded = firstForwarded;
            ForwardedTo = forwardedTo;
        }

        /// <summary>Whether the body's own code can raise an exception that escapes it.</summary>
        public bool HasOwn { get; }

        /// <summary>
        /// Whether every own escaping operation is a check of a native call's status (<see cref="NativeStatusChecks"/>), or a
        /// call of the compilation whose own exceptions all are: the body fails on its own only when native code reports a failure.
        /// </summary>
        public bool OnlyStatusChecks { get; }

        /// <summary>The escaping operation of the body's own code a reader should look at first, or null when there is none.</summary>
        public IOperation? LikeliestOwn { get; }

        /// <summary>
        /// The first escaping operation, in source order, that only forwards to code the library's user supplied; not looked
        /// for (null) when an own <c>throw</c> escapes, since then nothing reads it.
        /// </summary>
        public IOperation? FirstForwarded { get; }

        /// <summary>What <see cref="FirstForwarded"/> reaches, as a message fragment: "invokes the user's delegate 'callback'".</summary>
        public string? ForwardedTo { get; }
    }

    /// <summary>An operation that can throw, inside the method of this compilation that holds it.</summary>
    internal sealed class ThrowSource
    {
        public ThrowSource(IOperation operation, IMethodSymbol method)
        {
            Operation = operation;
            Method = method;
        }

        public IOperation Operation { get; }

        public IMethodSymbol Method { get; }
    }

    /// <summary>
    /// Splits the exceptions that can escape a body (<see cref="EscapingExceptions"/>) into those the body's own code can
    /// raise — an explicit <c>throw</c>, a BCL call that validates its input, a cast, a method of this compilation that
    /// throws on its own — and those that can only come from code the library's user supplied: invoking a delegate the
    /// body did not create (read from a field, a parameter, a <c>GCHandle</c> target), calling an interface, abstract or
    /// virtual member the user can implement (declared outside the framework, on a type the user can derive from or
    /// implement, through a receiver that is not sealed), or calling a method of this compilation whose own escaping
    /// exceptions are all of that kind. A call the split cannot read — too deep, too long, not source — is the body's own.
    /// A callee is read knowing which of its encoding parameters the call fills with an encoding that replaces invalid
    /// input, so a lax decoder behind a shared helper (<c>FromNative(LaxEncoding, p)</c>) is read as lax.
    /// Summaries of called methods are kept once per method, options scope and depth, so answers do not depend on the
    /// order of concurrent analyses.
    /// </summary>
    internal sealed partial class ThrowOrigins
    {
        /// <summary>Longer callees are assumed to throw on their own: the forwarders this is for are short.</summary>
        private const int MaxStatements = 20;

        /// <summary>
        /// Deeper than the shared model's three calls: a bridge's forwarding chain (info object, context wrapper, its base
        /// constructor) is longer, and only the few bodies native code calls are summarized this way.
        /// </summary>
        private const int MaxDepth = 5;

        /// <summary>More implementations of an internal interface than this are not read: the call is assumed to throw.</summary>
        private const int MaxImplementations = 8;

        private readonly InteropContext _context;
        private readonly NativeStatusChecks _statusChecks;
        private readonly ConcurrentDictionary<(IMethodSymbol Method, AllocationCatalogue Catalogue, int Depth, CallerFacts Facts), ThrowOriginSummary> _callees
            = ConcurrentTables.Create<(IMethodSymbol, AllocationCatalogue, int, CallerFacts), ThrowOriginSummary>(new CalleeComparer());

        public ThrowOrigins(InteropContext context)
        {
            _context = context;
            _statusChecks = new NativeStatusChecks(context);
        }

        /// <summary>Where the exceptions escaping <paramref name="body"/>, a body native code calls, come from.</summary>
        public ThrowOriginSummary Summarize(IOperation body, AllocationCatalogue catalogue)
            => IsOnlyAThrow(body) ? Quiet : Summarize(body, catalogue, depth: 0, new ThrowPoints(_context, catalogue, everyFailure: true, depth: 0), ContextRegistryLookups.ForCallback);

        private static readonly ThrowOriginSummary Quiet = new ThrowOriginSummary(hasOwn: false, null, null, null);

        /// <summary>
        /// A callback whose whole body is one unconditional <c>throw</c> (a misuse or fatal-error handler) cannot have been
        /// meant to return to its native caller: the escape is the author's chosen way to stop the process, and the
        /// catch-and-return fix would turn it into silently continuing.
        /// </summary>
        private static bool IsOnlyAThrow(IOperation body)
        {
            var block = body switch
            {
                IMethodBodyOperation method => method.BlockBody ?? method.ExpressionBody,
                IBlockOperation plain => plain,
                _ => null,
            };
            return block is { Operations.Length: 1 } && block.Operations[0] is IThrowOperation or IExpressionStatementOperation { Operation: IThrowOperation };
        }

        /// <summary>
        /// Where the exception of <paramref name="escaping"/>, an own escaping operation of a body native code calls,
        /// actually starts when it calls a method of this compilation: the likeliest own escaping operation of the called
        /// body (<see cref="EscapingExceptions.Likeliest"/>: a <c>throw</c>, then a delegate or virtual call, then any other
        /// call, then casts and arithmetic, then indexing; the first in source order among equals), followed down through
        /// further calls of the compilation, each body read with the facts its call passes (lax encodings, described
        /// buffers, the context), as its summary was. At most <see cref="MaxDepth"/> levels are read, which also ends a
        /// recursive chain. Null when the operation calls no method of this compilation, or the called body shows no own
        /// throw (it is then assumed to throw, and the call is all there is to name).
        /// </summary>
        public ThrowSource? Inside(IOperation escaping, AllocationCatalogue catalogue)
            => Inside(escaping, catalogue, depth: 0, new ThrowPoints(_context, catalogue, everyFailure: true, depth: 0), ContextRegistryLookups.ForCallback);

        // Where the exception of a call of this compilation starts inside the called body, or null when the operation is
        // not such a call or the body shows no own throw (it is then assumed to throw, and the call is all there is to name).
        private ThrowSource? Inside(IOperation escaping, AllocationCatalogue catalogue, int depth, ThrowPoints throwPoints, ContextRegistryLookups lookups)
        {
            var (method, facts) = escaping switch
            {
                IInvocationOperation { IsVirtual: false, TargetMethod: { MethodKind: not MethodKind.DelegateInvoke } target } invocation => (target, Facts(invocation.Arguments, throwPoints, lookups)),
                IInvocationOperation { IsVirtual: true, TargetMethod: { MethodKind: MethodKind.Ordinary } target } invocation
                    when ThrowingMethods.Of(_context).ClosedImplementations(target) is { Count: > 0 and <= MaxImplementations } implementations
                    => OwnImplementation(implementations, Facts(invocation.Arguments, throwPoints, lookups), catalogue, depth),
                IInvocationOperation { TargetMethod.MethodKind: MethodKind.DelegateInvoke, Instance: { } invoked }
                    when Closed(InvokedReceiver(invoked).Receiver, throwPoints) is { } closed
                    => OwnImplementation(closed.Methods, default, catalogue, depth),
                IObjectCreationOperation { Constructor: { } constructor } creation => (constructor, Facts(creation.Arguments, throwPoints, lookups)),
                IConversionOperation { OperatorMethod: { } conversionOperator } => (conversionOperator, default(CallerFacts)),
                _ => (null, default(CallerFacts)),
            };
            if (method == null || depth >= MaxDepth || !WrapperSummaries.IsSourceMethodWithBody(method))
            {
                return null;
            }

            var key = (method.OriginalDefinition, catalogue, depth + 1, facts);
            return _inside.GetOrAdd(key, k => InsideCallee(k.Method, k.Catalogue, k.Depth, k.Facts)).Source;
        }

        // The first of a closed virtual call's implementations (or an internal event's handlers) that throws on its own:
        // the one the message names.
        private (IMethodSymbol? Method, CallerFacts Facts) OwnImplementation(IReadOnlyList<IMethodSymbol> implementations, CallerFacts facts, AllocationCatalogue catalogue, int depth)
        {
            foreach (var implementation in implementations)
            {
                CalleeTarget(implementation, facts, catalogue, depth, out var isOwn);
                if (isOwn)
                {
                    return (implementation, facts);
                }
            }

            return (null, facts);
        }

        private InsideAnswer InsideCallee(IMethodSymbol method, AllocationCatalogue catalogue, int depth, CallerFacts facts)
        {
            var callee = _callees.GetOrAdd((method, catalogue, depth, facts), key => SummarizeCallee(key.Method, key.Catalogue, key.Depth, key.Facts));
            if (callee.LikeliestOwn is not { } inner)
            {
                return new InsideAnswer(null);
            }

            var throwPoints = CalleeThrowPoints(method, catalogue, depth, facts);
            var best = Inside(inner, catalogue, depth, throwPoints, ContextRegistryLookups.ForParameters(facts.Context, method)) ?? new ThrowSource(inner, method);
            return new InsideAnswer(best);
        }

        // A cache entry; null sources are answers too.
        private sealed class InsideAnswer
        {
            public InsideAnswer(ThrowSource? source)
            {
                Source = source;
            }

            public ThrowSource? Source { get; }
        }

        private readonly ConcurrentDictionary<(IMethodSymbol Method, AllocationCatalogue Catalogue, int Depth, CallerFacts Facts), InsideAnswer> _inside
            = ConcurrentTables.Create<(IMethodSymbol, AllocationCatalogue, int, CallerFacts), InsideAnswer>(new CalleeComparer());

        private ThrowOriginSummary Summarize(IOperation body, AllocationCatalogue catalogue, int depth, ThrowPoints throwPoints, ContextRegistryLookups lookups)
        {
            var escapes = new EscapingExceptions(throwPoints, _context.Types.Exception);

            // An escaping 'throw' is own and of the likeliest kind, so it is the summary's answer, and what else escapes
            // (forwarded calls, the callees' own summaries) is never read: no call need be summarized to find it.
            // TorchSharp's ApplyFunc checks the gradients it got back and throws, after calls into much of the library.
            if (escapes.FirstEscapingThrow(body, lookups.IsLookup) is { } thrown)
            {
                return new ThrowOriginSummary(hasOwn: true, thrown, null, null);
            }

            var own = new List<IOperation>();
            var ownBeyondStatus = new List<IOperation>();
            IOperation? firstForwarded = null;
            string? forwardedTo = null;
            foreach (var operation in escapes.AllEscaping(body))
            {
                // The registry equivalent of GCHandle.FromIntPtr: finding the library's object by the context native code hands back.
                if (lookups.IsLookup(operation))
                {
                    continue;
                }

                var target = ForwardedTarget(operation, catalogue, depth, throwPoints, lookups, out var isOwn, out var onlyStatus);
                if (isOwn)
                {
                    own.Add(operation);
                    if (!onlyStatus && !_statusChecks.IsCheck(operation, body, catalogue))
                    {
                        ownBeyondStatus.Add(operation);
                    }
                }
                else if (target != null && firstForwarded == null)
                {
                    firstForwarded = operation;
                    forwardedTo = target;
                }
            }

            // A native status check is named only when nothing else of the body's own can throw: whether the native call
            // can fail there is the native side's knowledge, an exception the managed code raises is the likelier one.
            return new ThrowOriginSummary(
                own.Count > 0,
                EscapingExceptions.Likeliest(ownBeyondStatus.Count > 0 ? ownBeyondStatus : own),
                firstForwarded,
                forwardedTo,
                onlyStatusChecks: own.Count > 0 && ownBeyondStatus.Count == 0);
        }

        /// <summary>
        /// What an escaping <paramref name="operation"/> forwards to (a message fragment), or null; <paramref name="isOwn"/>
        /// when the body's own code can raise it. Both null and not own: a call of this compilation that cannot throw after all.
        /// </summary>
        private string? ForwardedTarget(IOperation operation, AllocationCatalogue catalogue, int depth, ThrowPoints throwPoints, ContextRegistryLookups lookups, out bool isOwn, out bool onlyStatus)
        {
            isOwn = false;
            onlyStatus = false;
            if (operation is IObjectCreationOperation { Constructor: { } constructor } creation)
            {
                return CalleeTarget(constructor, Facts(creation.Arguments, throwPoints, lookups), catalogue, depth, out isOwn, out onlyStatus);
            }

            if (operation is IConversionOperation { OperatorMethod: { } conversionOperator } conversion && WrapperSummaries.IsSourceMethodWithBody(conversionOperator))
            {
                // A user-defined conversion of this compilation is a call to its operator, read as deep as a call.
                return CalleeTarget(conversionOperator, default, catalogue, depth, out isOwn);
            }

            if (operation is not IInvocationOperation invocation)
            {
                isOwn = true;
                return null;
            }

            var method = invocation.TargetMethod;
            if (invocation.IsImplicit && method.MethodKind == MethodKind.Constructor && method.Parameters.Length == 0 && method.DeclaringSyntaxReferences.Length == 0)
            {
                // The implicit ': base()' of a constructor into object, EventArgs and the like.
                return null;
            }

            if (method.MethodKind == MethodKind.DelegateInvoke)
            {
                if (invocation.Instance == null || IsCreatedHere(invocation.Instance))
                {
                    isOwn = true;
                    return null;
                }

                if (IsHandedInByTheLibrary(invocation.Instance)
                    || (HandleTargets.IsOwnDelegateType(method.ContainingType, _context) && HandleTargets.IsReadBack(invocation.Instance, throwPoints.Stable, _context)))
                {
                    // Neither the user's code nor code this body shows: whose it is, and whether it throws, cannot be told. So
                    // is a delegate of a type the library declares for itself that it reads back from its own handle.
                    return null;
                }

                // An internal event only the library subscribes to runs the library's handlers: what they throw, and the
                // null event itself when a handler can be removed and the invocation does not test for it.
                var (receiver, tested) = InvokedReceiver(invocation.Instance);
                if (Closed(receiver, throwPoints) is { } closed)
                {
                    if (closed.MayBeEmpty && !tested)
                    {
                        isOwn = true;
                        return null;
                    }

                    return ImplementationsTarget(closed.Methods, default, catalogue, depth, out isOwn);
                }

                return "invokes the user's delegate '" + DelegateName(invocation.Instance) + "'";
            }

            if (invocation.IsVirtual)
            {
                if (ThrowingMethods.Of(_context).HeldImplementation(invocation) is { } held)
                {
                    // A private field that only ever holds the library's own object: the user supplies none of its code.
                    return CalleeTarget(held, Facts(invocation.Arguments, throwPoints, lookups), catalogue, depth, out isOwn);
                }

                if (UserCanImplement(method, invocation.Instance) || IsHandedInByTheUser(method, invocation.Instance))
                {
                    // The library's own implementation runs unless the user overrides it: when that can throw, so can the bridge.
                    if (!method.IsAbstract && WrapperSummaries.IsSourceMethodWithBody(method))
                    {
                        CalleeTarget(method, Facts(invocation.Arguments, throwPoints, lookups), catalogue, depth, out isOwn);
                        if (isOwn)
                        {
                            return null;
                        }
                    }

                    // Named after the library's type the user implements, not the framework interface it extends.
                    var owner = IsFramework(method.ContainingType) && invocation.Instance != null && OperationTree.SkipConversions(invocation.Instance).Type is INamedTypeSymbol receiver
                        ? receiver
                        : method.ContainingType;
                    return (owner.TypeKind == TypeKind.Interface ? "calls the user's implementation of '" : "calls the user's override of '")
                           + owner.Name + "." + method.Name + "'";
                }

                if (ThrowingMethods.Of(_context).ClosedImplementations(method) is { Count: > 0 and <= MaxImplementations } implementations)
                {
                    return ImplementationsTarget(implementations, Facts(invocation.Arguments, throwPoints, lookups), catalogue, depth, out isOwn);
                }

                isOwn = true;
                return null;
            }

            return CalleeTarget(method, Facts(invocation.Arguments, throwPoints, lookups), catalogue, depth, out isOwn, out onlyStatus);
        }

        /// <summary>
        /// Which parameters of the called method receive an encoding that replaces invalid input (a bit per ordinal): the
        /// library's lax decoders take their encoding as a parameter (<c>FromNative(LaxEncoding, p)</c>), and whether
        /// their decoding can throw depends on the encoding the call passes.
        /// </summary>
        private static long Replacing(System.Collections.Immutable.ImmutableArray<IArgumentOperation> arguments, System.Func<IParameterSymbol, bool>? replacingEncodings)
        {
            long mask = 0;
            foreach (var argument in arguments)
            {
                if (argument.Parameter is { Ordinal: < 64 } parameter && parameter.Type is { Name: "Encoding", ContainingNamespace: { Name: "Text", ContainingNamespace.Name: "System" } }
                    && InfallibleCalls.IsReplacingEncoding(argument.Value, replacingEncodings))
                {
                    mask |= 1L << parameter.Ordinal;
                }
            }

            return mask;
        }

        // The delegate an invocation reads: the receiver of 'handler?.Invoke(...)' (tested for null there), or the instance itself.
        private static (IOperation Receiver, bool Tested) InvokedReceiver(IOperation instance)
        {
            instance = OperationTree.SkipConversions(instance);
            return OperationTree.ConditionalAccessReceiver(instance) is { } tested ? (tested, true) : (instance, false);
        }

        /// <summary>
        /// A call that runs one of a known set of this compilation's methods — an interface or virtual member whose
        /// implementations are all the compilation's (an internal interface the library's own types implement), the
        /// handlers of an internal event only the library subscribes to: it is the bridge's own throw when one of them can
        /// throw on its own, a forwarding when they only forward to the user's code (the first such, in the compilation's
        /// order), and quiet when none can throw.
        /// </summary>
        private string? ImplementationsTarget(IReadOnlyList<IMethodSymbol> implementations, CallerFacts facts, AllocationCatalogue catalogue, int depth, out bool isOwn)
        {
            string? forwarded = null;
            foreach (var implementation in implementations)
            {
                var target = CalleeTarget(implementation, facts, catalogue, depth, out isOwn);
                if (isOwn)
                {
                    return null;
                }

                forwarded ??= target;
            }

            isOwn = false;
            return forwarded;
        }

        /// <summary>A non-virtual call or a creation: what the called method's or constructor's own body forwards to.</summary>
        private string? CalleeTarget(IMethodSymbol method, CallerFacts facts, AllocationCatalogue catalogue, int depth, out bool isOwn)
            => CalleeTarget(method, facts, catalogue, depth, out isOwn, out _);

        private string? CalleeTarget(IMethodSymbol method, CallerFacts facts, AllocationCatalogue catalogue, int depth, out bool isOwn, out bool onlyStatus)
        {
            onlyStatus = false;
            if (method.MethodKind == MethodKind.Constructor && method.IsImplicitlyDeclared && SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, _context.Compilation.Assembly))
            {
                // A default constructor runs the instance field and property initializers, then the base constructor;
                // a base of this compilation is not read.
                isOwn = ThrowingMethods.Of(_context).HasThrowingInstanceInitializers(method.ContainingType)
                        || SymbolEqualityComparer.Default.Equals(method.ContainingType.BaseType?.ContainingAssembly, _context.Compilation.Assembly);
                return null;
            }

            if (depth < MaxDepth && WrapperSummaries.IsSourceMethodWithBody(method) && DeclarationBodies.IsShort(method, MaxStatements))
            {
                var callee = _callees.GetOrAdd((method.OriginalDefinition, catalogue, depth + 1, facts), key => SummarizeCallee(key.Method, key.Catalogue, key.Depth, key.Facts));
                isOwn = callee.HasOwn;
                onlyStatus = callee.OnlyStatusChecks;
                return isOwn ? null : callee.ForwardedTo;
            }

            // Past the split's depth, a callee the shared model reads as quiet with a depth of its own (a status-building
            // helper at the end of a chain of forwarders: NtCoreLib's MapDosErrorToStatus -> BuildStatus, six calls down
            // from the callback) throws nothing; anything else is assumed to throw, as before.
            isOwn = !(depth >= MaxDepth && WrapperSummaries.IsSourceMethodWithBody(method)
                      && !ThrowingMethods.Of(_context).MayThrow(method, catalogue, everyFailure: true, depth: 0));
            return null;
        }

        private ThrowOriginSummary SummarizeCallee(IMethodSymbol method, AllocationCatalogue catalogue, int depth, CallerFacts facts)
        {
            var body = _context.Wrappers.GetBody(method);
            return body == null
                ? ThrowOriginSummary.Unread
                : Summarize(body, catalogue, depth, CalleeThrowPoints(method, catalogue, depth, facts), ContextRegistryLookups.ForParameters(facts.Context, method));
        }

        // A called body's throw points, read with what its call tells it about its arguments.
        private ThrowPoints CalleeThrowPoints(IMethodSymbol method, AllocationCatalogue catalogue, int depth, CallerFacts facts)
            => new ThrowPoints(_context, catalogue, everyFailure: true, depth, Of(facts.Replacing, method), Of(facts.Described, method), chainLinks: 0, Of(facts.NonNull, method), falseParameters: Of(facts.False, method), trueParameters: Of(facts.True, method));

        // The parameters of 'method' whose bits are set.
        private static System.Func<IParameterSymbol, bool>? Of(long mask, IMethodSymbol method)
            => mask == 0
                ? null
                : parameter => parameter.Ordinal < 64 && (mask & (1L << parameter.Ordinal)) != 0
                               && SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol?.OriginalDefinition, method);

        /// <summary>What a call tells the called method about its arguments (a bit per parameter ordinal).</summary>
        private readonly struct CallerFacts : System.IEquatable<CallerFacts>
        {
            public CallerFacts(long replacing, long described, long context, long nonNull, long constantFalse, long constantTrue)
            {
                False = constantFalse;
                True = constantTrue;
                Replacing = replacing;
                Described = described;
                Context = context;
                NonNull = nonNull;
            }

            /// <summary>Parameters that receive an encoding replacing invalid input.</summary>
            public long Replacing { get; }

            /// <summary>The array and count parameters that receive one native struct's buffer and its length (<see cref="DescribedBuffers"/>).</summary>
            public long Described { get; }

            /// <summary>Parameters that receive the context native code handed the callback (<see cref="ContextRegistryLookups"/>).</summary>
            public long Context { get; }

            /// <summary>Parameters that receive a value that is never null (<see cref="ThrowPoints.NeverNullArguments(IInvocationOperation)"/>).</summary>
            public long NonNull { get; }

            /// <summary><c>bool</c> parameters that receive <c>false</c> (<see cref="ThrowPoints.ConstantArguments"/>).</summary>
            public long False { get; }

            /// <summary><c>bool</c> parameters that receive <c>true</c>.</summary>
            public long True { get; }

            public bool Equals(CallerFacts other) => Replacing == other.Replacing && Described == other.Described && Context == other.Context && NonNull == other.NonNull && False == other.False && True == other.True;

            public override bool Equals(object? obj) => obj is CallerFacts other && Equals(other);

            public override int GetHashCode() => ((((Replacing.GetHashCode() * 31 + Described.GetHashCode()) * 31 + Context.GetHashCode()) * 31 + NonNull.GetHashCode()) * 31 + False.GetHashCode()) * 31 + True.GetHashCode();
        }

        private static CallerFacts Facts(System.Collections.Immutable.ImmutableArray<IArgumentOperation> arguments, ThrowPoints caller, ContextRegistryLookups lookups)
            => new CallerFacts(Replacing(arguments, caller.ReplacingEncodings), Described(arguments, caller), lookups.ContextArguments(arguments), NonNull(arguments, caller), caller.ConstantArguments(arguments, false), caller.ConstantArguments(arguments, true));

        // The parameters the call fills with a value that is never null, so that the callee's null checks of them are read as met
        // (NtCoreLib's 'LoadResourceData(name, ...)' with 'name' from 'ResourceString.Create', whose first statement throws for null).
        private static long NonNull(System.Collections.Immutable.ImmutableArray<IArgumentOperation> arguments, ThrowPoints caller)
            => arguments.IsDefaultOrEmpty ? 0
                : arguments[0].Parent is IInvocationOperation invocation ? (uint)caller.NeverNullArguments(invocation)
                : arguments[0].Parent is IObjectCreationOperation creation ? (uint)caller.NeverNullArguments(creation)
                : 0;

        /// <summary>
        /// The one array argument and the one count argument of a call that are a described pair (<see cref="DescribedBuffers"/>),
        /// as bits of their parameters; zero when there is no such pair or more than one.
        /// </summary>
        private static long Described(System.Collections.Immutable.ImmutableArray<IArgumentOperation> arguments, ThrowPoints caller)
        {
            long mask = 0;
            foreach (var array in arguments)
            {
                if (array.Parameter is not { Ordinal: < 64, Type: IArrayTypeSymbol } arrayParameter)
                {
                    continue;
                }

                foreach (var count in arguments)
                {
                    if (count.Parameter is { Ordinal: < 64 } countParameter && count != array
                        && DescribedBuffers.Describes(array.Value, count.Value, caller.Stable, caller.DescribedBuffers))
                    {
                        if (mask != 0)
                        {
                            return 0;
                        }

                        mask = (1L << arrayParameter.Ordinal) | (1L << countParameter.Ordinal);
                    }
                }
            }

            return mask;
        }

        /// <summary>
        /// What the internal event or delegate field <paramref name="receiver"/> runs (<see cref="ClosedDelegates"/>), when
        /// none of the library's lambdas it can hold throws by this model; a lambda that can leaves the member read as
        /// before, a delegate that is not the library's.
        /// </summary>
        private ClosedDelegate? Closed(IOperation receiver, ThrowPoints throwPoints)
            => ClosedDelegates.Of(_context).Of(receiver) is { } closed && closed.Lambdas.All(throwPoints.IsQuietLambda) ? closed : null;

        /// <summary>
        /// The delegate was made in this body — a lambda or method group invoked directly or through a local only ever
        /// assigned such values: its code is the library's own, not the user's.
        /// </summary>
        private static bool IsCreatedHere(IOperation instance)
        {
            instance = OperationTree.SkipConversions(instance);
            if (IsCreation(instance))
            {
                return true;
            }

            if (instance is not ILocalReferenceOperation local)
            {
                return false;
            }

            // A local also written another way (a += of the user's delegate, a ref argument) may hold what none of its stores made.
            return OperationTree.ValuesStoredIn(OperationTree.Root(instance), local.Local) is { Count: > 0 } values
                   && values.TrueForAll(value => IsCreation(OperationTree.SkipConversions(value)));
        }

        /// <summary>
        /// The delegate is a parameter of code only the library itself calls: a method no code outside the compilation can
        /// call, or a lambda the library hands to such a method (libgit2sharp's <c>git_foreach(selector, c =&gt;
        /// native(..., (x, p) =&gt; c(x, p)))</c>, whose <c>c</c> is the library's own wrapper of a selector the library
        /// chose). The delegate is then the library's code, not the user's, but which code it is lies at the calls, which
        /// this summary does not follow: the invocation is neither the bridge's own throw nor a forwarding to the user.
        /// </summary>
        /// <summary>
        /// A framework interface member called through a private field that only ever holds what a member visible outside
        /// the library was handed (LightningDB's <c>CompareWith(IComparer&lt;MDBValue&gt; comparer) =&gt; _comparer = comparer;</c>,
        /// read back by the comparison bridge): the implementation is the user's, though the interface is the framework's.
        /// A field initialized or written with anything else but null (a value the library made, a ref argument) is not
        /// (<see cref="PrivateFieldStores"/>).
        /// </summary>
        private bool IsHandedInByTheUser(IMethodSymbol method, IOperation? instance)
        {
            if (method.ContainingType is not { TypeKind: TypeKind.Interface } contract || !IsFramework(contract)
                || instance == null || OperationTree.SkipConversions(instance) is not IFieldReferenceOperation { Field: { DeclaredAccessibility: Accessibility.Private } field })
            {
                return false;
            }

            return _handedInByTheUser.GetOrAdd(field.OriginalDefinition, OnlyHoldsWhatTheUserHandsIn);
        }

        private readonly ConcurrentDictionary<IFieldSymbol, bool> _handedInByTheUser = ConcurrentTables.Create<IFieldSymbol, bool>(SymbolEqualityComparer.Default);

        private bool OnlyHoldsWhatTheUserHandsIn(IFieldSymbol field)
        {
            var handedIn = false;
            return PrivateFieldStores.All(_context.Compilation, field, System.Threading.CancellationToken.None, (syntax, value) =>
                   {
                       if (syntax.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.NullLiteralExpression))
                       {
                           return true;
                       }

                       if (value != null && OperationTree.SkipConversions(value) is IParameterReferenceOperation
                               { Parameter.ContainingSymbol: IMethodSymbol { MethodKind: MethodKind.Ordinary or MethodKind.Constructor } receiving }
                           && IsExternallyVisible(receiving))
                       {
                           handedIn = true;
                           return true;
                       }

                       return false;
                   })
                   && handedIn;
        }

        private bool IsHandedInByTheLibrary(IOperation instance)
        {
            if (OperationTree.SkipConversions(instance) is not IParameterReferenceOperation { Parameter.ContainingSymbol: IMethodSymbol owner } reference)
            {
                return false;
            }

            if (owner.MethodKind != MethodKind.AnonymousFunction)
            {
                return owner.MethodKind == MethodKind.Ordinary && IsOnlyCalledByTheLibrary(owner.OriginalDefinition);
            }

            for (var current = reference.Parent; current != null; current = current.Parent)
            {
                if (current is IAnonymousFunctionOperation lambda && SymbolEqualityComparer.Default.Equals(lambda.Symbol, owner))
                {
                    var parent = OperationTree.AsDelegate(lambda).Parent;

                    return parent is IArgumentOperation { Parent: IInvocationOperation { TargetMethod: { } receiver } } && IsOnlyCalledByTheLibrary(receiver.OriginalDefinition);
                }
            }

            return false;
        }

        private bool IsOnlyCalledByTheLibrary(IMethodSymbol method)
            => SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, _context.Compilation.Assembly)
               && WrapperSummaries.IsSourceMethodWithBody(method)
               && _context.NativeFunctions.Get(method) == null
               && !IsExternallyVisible(method);

        private static bool IsCreation(IOperation value)
            => value is IAnonymousFunctionOperation
               || (value is IDelegateCreationOperation creation && OperationTree.SkipConversions(creation.Target) is IAnonymousFunctionOperation or IMethodReferenceOperation);

        private static string DelegateName(IOperation instance)
        {
            instance = OperationTree.SkipConversions(instance);
            return instance switch
            {
                IFieldReferenceOperation field => field.Field.Name,
                IPropertyReferenceOperation { Arguments.Length: 0 } property => property.Property.Name,
                IEventReferenceOperation @event => @event.Event.Name,
                ILocalReferenceOperation local => local.Local.Name,
                IParameterReferenceOperation parameter => parameter.Parameter.Name,
                _ => string.Join(" ", instance.Syntax.ToString().Split((char[]?)null, System.StringSplitOptions.RemoveEmptyEntries)),
            };
        }

        /// <summary>
        /// Whether the user of the library can supply the code a virtual call runs: the member is overridable or
        /// implementable from outside the library, on a type declared outside the framework, and the receiver's static
        /// type does not fix the implementation (sealed, a struct, or a type the user cannot see). A framework interface
        /// member (<c>IDisposable.Dispose</c>) called through a public interface of the library that extends it is the
        /// user's implementation too.
        /// </summary>
        private static bool UserCanImplement(IMethodSymbol method, IOperation? instance)
        {
            var type = method.ContainingType;
            if (type != null && IsFramework(type) && type.TypeKind == TypeKind.Interface && instance != null
                && OperationTree.SkipConversions(instance).Type is INamedTypeSymbol { TypeKind: TypeKind.Interface } extension
                && !IsFramework(extension) && IsExternallyVisible(extension))
            {
                // 'sampler.Dispose()' through the library's ICustomSampler : IDisposable: the user's class implements it.
                return true;
            }

            if (type == null || IsFramework(type) || !IsExternallyVisible(type) || !IsExternallyVisible(method))
            {
                return false;
            }

            if (type.TypeKind == TypeKind.Class && (type.IsSealed || !HasAccessibleConstructor(type) || !(method.IsAbstract || method.IsVirtual || (method.IsOverride && !method.IsSealed))))
            {
                return false;
            }

            if (type.TypeKind != TypeKind.Class && type.TypeKind != TypeKind.Interface)
            {
                return false;
            }

            var receiver = instance == null ? null : OperationTree.SkipConversions(instance).Type;
            return receiver is not INamedTypeSymbol named
                   || named.TypeKind == TypeKind.Interface
                   || named.TypeKind == TypeKind.TypeParameter
                   || (named.TypeKind == TypeKind.Class && !named.IsSealed && IsExternallyVisible(named));
        }

        private static bool IsFramework(INamedTypeSymbol type) => FrameworkTypes.Contains(type);

        private static bool IsExternallyVisible(ISymbol symbol) => SymbolVisibility.IsVisibleOutsideTheCompilation(symbol);

        private static bool HasAccessibleConstructor(INamedTypeSymbol type)
        {
            foreach (var constructor in type.InstanceConstructors)
            {
                if (IsExternallyVisible(constructor))
                {
                    return true;
                }
            }

            return false;
        }

        private sealed class CalleeComparer : IEqualityComparer<(IMethodSymbol Method, AllocationCatalogue Catalogue, int Depth, CallerFacts Facts)>
        {
            public bool Equals((IMethodSymbol Method, AllocationCatalogue Catalogue, int Depth, CallerFacts Facts) x, (IMethodSymbol Method, AllocationCatalogue Catalogue, int Depth, CallerFacts Facts) y)
                => SymbolEqualityComparer.Default.Equals(x.Method, y.Method) && ReferenceEquals(x.Catalogue, y.Catalogue) && x.Depth == y.Depth && x.Facts.Equals(y.Facts);

            public int GetHashCode((IMethodSymbol Method, AllocationCatalogue Catalogue, int Depth, CallerFacts Facts) key)
                => ((SymbolEqualityComparer.Default.GetHashCode(key.Method) * 31 + key.Catalogue.GetHashCode()) * 31 + key.Depth) * 31 + key.Facts.GetHashCode();
        }
    }
}
