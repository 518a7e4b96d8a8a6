using System.Linq;
using System.Collections.Generic;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Where an exception can start, counted as it happens in practice. Only calls, creations, awaits, dynamic
    /// operations and accessors of this compilation that throw explicitly (a setter that rejects a value it cannot store)
    /// count, and of the framework's properties only the seek position of a stream of unknown kind
    /// (<see cref="UnseekableStreams"/>): treating every property read or array access as throwing would flag ordinary
    /// correct code.
    /// Among calls, these do not count:
    /// <list type="bullet">
    /// <item>native calls — P/Invokes (unless declared <c>PreserveSig = false</c>, which turns a failure HRESULT into an
    /// exception) and <c>delegate* unmanaged</c> calls, delegate fields loaded by entry point name and delegates native
    /// code handed over (<see cref="NativeMadeDelegates"/>): what they "may throw" is a deployment failure
    /// (<c>DllNotFoundException</c>, <c>EntryPointNotFoundException</c>), not a path a leak report helps with;</item>
    /// <item>the catalogue's allocations and releases, and accessors of memory the caller holds (<c>Marshal.Copy</c>,
    /// <c>Read*</c>/<c>Write*</c>, <c>Buffer</c>, <c>Unsafe</c>, ...);</item>
    /// <item>calls that cannot fail on their arguments: <c>GCHandle</c>'s members and <c>FromIntPtr</c>/<c>ToIntPtr</c>,
    /// <c>MemoryHandle.Dispose</c>, <c>ConcurrentDictionary.TryAdd</c>/<c>TryGetValue</c>/<c>TryRemove</c>, adding to or
    /// taking from a <c>ConcurrentQueue</c>, <c>ConcurrentStack</c> or <c>ConcurrentBag</c> (<c>TryDequeue</c>, <c>TryPop</c>, ...),
    /// a <c>TaskCompletionSource</c>'s <c>TrySet*</c>, <c>ComWrappers.ComInterfaceDispatch.GetInstance</c>, and a framework
    /// exception's constructor given a message or an inner exception (<see cref="InfallibleCalls.IsStoringExceptionConstructor"/>),
    /// <c>Console.Write</c>/<c>WriteLine</c> of a string or a primitive;</item>
    /// <item><c>Encoding.GetBytes</c>/<c>GetChars</c> into a buffer measured from the same input by the same encoding
    /// (<see cref="MeasuredEncodings"/>);</item>
    /// <item>a call whose identical call (same method, same stable receiver, same arguments) already returned earlier in
    /// the same block, in straight-line code;</item>
    /// <item>calls of an <c>async</c> method that returns a task: its exceptions end up in the task, which an <c>await</c>
    /// throws;</item>
    /// <item>framework calls that fail only through the delegate they are given, when that delegate runs later elsewhere
    /// (<c>Task.Run</c>) or is a lambda that cannot throw (<c>CancellationToken.Register</c>, <c>List.RemoveAll</c>;
    /// <see cref="DelegateTakingCalls"/>);</item>
    /// <item>calls to methods of this compilation whose bodies cannot throw (<see cref="ThrowingMethods"/>) — for a virtual
    /// call, every implementation, when none can be outside the compilation — and non-virtual calls to
    /// this compilation's own <c>Dispose</c>, which must not throw by the framework's design rules;</item>
    /// <item>a list's or set's members that cannot fail (<c>Add</c>, <c>Clear</c>, ...) called through the interface a private
    /// field is declared as, when every value the field is given creates that collection
    /// (<see cref="ThrowingMethods.CollectionHeldBy"/>);</item>
    /// <item><c>GC.AddMemoryPressure</c>/<c>RemoveMemoryPressure</c> of an amount the code has shown positive
    /// (<see cref="PositiveValues"/>): the argument check is their only failure;</item>
    /// <item><c>System.Diagnostics.Debug</c>: compiled only into debug builds, and a failed assertion fails fast; and
    /// <c>Debugger</c>, whose <c>Break</c> without a debugger raises a breakpoint trap no <c>catch</c> takes;</item>
    /// <item>LINQ to Objects over a collection with lambdas that cannot throw (<see cref="QuietSequences"/>), and a string
    /// search whose argument is never null, here or for the call being judged (<see cref="InfallibleCalls.IsNeverNull"/>).</item>
    /// </list>
    /// Everything else counts: user-supplied delegates, virtual and interface calls, BCL calls that validate their input,
    /// and methods of this compilation that throw or call something that does.
    /// </summary>
    internal sealed class ThrowPoints
    {
        private readonly InteropContext _context;
        private readonly AllocationCatalogue _catalogue;
        private readonly bool _everyFailure;
        private readonly int _depth;
        private readonly StableValues _stable = new StableValues();
        private readonly Dictionary<SyntaxNode, bool> _repeated = new Dictionary<SyntaxNode, bool>();
        private readonly Dictionary<SyntaxTree, SemanticModel?> _models = new Dictionary<SyntaxTree, SemanticModel?>();
        private readonly Dictionary<IOperation, IOperation[]> _throwPointsIn = new Dictionary<IOperation, IOperation[]>();

        public ThrowPoints(InteropContext context, AllocationCatalogue catalogue)
            : this(context, catalogue, everyFailure: false, depth: 0)
        {
        }

        /// <param name="context">The compilation's interop context.</param>
        /// <param name="catalogue">The allocation catalogue in force.</param>
        /// <param name="everyFailure">Whether the bodies of called methods are judged by <see cref="EscapingExceptions"/>'
        /// full model (indexing, casts, checked arithmetic) rather than by calls and <c>throw</c> alone.</param>
        /// <param name="depth">How many calls below the analyzed body this body is (<see cref="ThrowingMethods"/>).</param>
        public ThrowPoints(InteropContext context, AllocationCatalogue catalogue, bool everyFailure, int depth)
            : this(context, catalogue, everyFailure, depth, replacingEncodings: null)
        {
        }

        /// <param name="replacingEncodings">Which parameters of the body read hold an encoding that replaces invalid input
        /// (its caller passes one; <see cref="InfallibleCalls.IsReplacingEncoding"/>); null when none is known to.</param>
        public ThrowPoints(InteropContext context, AllocationCatalogue catalogue, bool everyFailure, int depth, System.Func<IParameterSymbol, bool>? replacingEncodings)
            : this(context, catalogue, everyFailure, depth, replacingEncodings, describedBuffers: null)
        {
        }

        /// <param name="describedBuffers">Which parameters of the body read hold an array and the count that describes it,
        /// filled by its caller from one native struct (<see cref="DescribedBuffers"/>); null when none do.</param>
        public ThrowPoints(InteropContext context, AllocationCatalogue catalogue, bool everyFailure, int depth, System.Func<IParameterSymbol, bool>? replacingEncodings, System.Func<IParameterSymbol, bool>? describedBuffers)
            : this(context, catalogue, everyFailure, depth, replacingEncodings, describedBuffers, chainLinks: 0)
        {
        }

        /// <param name="chainLinks">How many constructor chain links (<c>: this(...)</c>, <c>: base(...)</c>) led to the body read
        /// at this same depth (<see cref="MaxChainLinks"/>).</param>
        /// <param name="nonNullParameters">Which parameters of the body read its caller fills with a value that is never
        /// null (<see cref="InfallibleCalls.IsNeverNull"/>); null when none is known to.</param>
        /// <param name="measuredParameters">Which count parameters of the body read its caller fills with the measurement of
        /// a string parameter (<see cref="MeasuredArguments"/>); null when none.</param>
        /// <param name="falseParameters">Which <c>bool</c> parameters of the body read every caller being judged fills with
        /// <c>false</c> (<see cref="ConstantArguments"/>); null when none is known to.</param>
        /// <param name="trueParameters">Which <c>bool</c> parameters of the body read every caller being judged fills with
        /// <c>true</c>; null when none is known to.</param>
        internal ThrowPoints(InteropContext context, AllocationCatalogue catalogue, bool everyFailure, int depth, System.Func<IParameterSymbol, bool>? replacingEncodings, System.Func<IParameterSymbol, bool>? describedBuffers, int chainLinks, System.Func<IParameterSymbol, bool>? nonNullParameters = null, MeasuredArguments? measuredParameters = null, System.Func<IParameterSymbol, bool>? falseParameters = null, System.Func<IParameterSymbol, bool>? trueParameters = null)
        {
            _falseParameters = falseParameters;
            _trueParameters = trueParameters;
            _measuredParameters = measuredParameters;
            _nonNullParameters = nonNullParameters;
            _chainLinks = chainLinks;
            _describedBuffers = describedBuffers;
            _context = context;
            _throwing = ThrowingMethods.Of(context);
            _catalogue = catalogue;
            _everyFailure = everyFailure;
            _depth = depth;
            _replacingEncodings = replacingEncodings;
        }

        private readonly System.Func<IParameterSymbol, bool>? _replacingEncodings;
        private System.Func<ISymbol, bool>? _replacingMember;

        // Made on first use: most bodies decode nothing.
        private System.Func<ISymbol, bool> ReplacingMember => _replacingMember ??= ReplacingEncodingMembers.Of(_context).IsReplacing;
        private readonly System.Func<IParameterSymbol, bool>? _nonNullParameters;
        private readonly System.Func<IParameterSymbol, bool>? _falseParameters;
        private readonly System.Func<IParameterSymbol, bool>? _trueParameters;
        private readonly MeasuredArguments? _measuredParameters;
        private readonly ThrowingMethods _throwing;
        private readonly int _chainLinks;

        /// <summary>
        /// Constructor chain links followed without spending a level of <see cref="WrapperSummaries.MaxDepth"/>. A chain of
        /// overloads that only forward (<c>List(IntPtr raw) : this(raw, null)</c>, then <c>: this(raw, type, false, false)</c>,
        /// then <c>: base(...)</c>) is one creation, not four calls; the bound keeps a cyclic chain in code that does not
        /// compile yet finite.
        /// </summary>
        internal const int MaxChainLinks = 8;

        private readonly System.Func<IParameterSymbol, bool>? _describedBuffers;

        /// <summary>Which parameters of the body read hold an array and its describing count, or null.</summary>
        public System.Func<IParameterSymbol, bool>? DescribedBuffers => _describedBuffers;

        /// <summary>Which parameters of the body read hold a replacing encoding, or null.</summary>
        public System.Func<IParameterSymbol, bool>? ReplacingEncodings => _replacingEncodings;

        /// <summary>The stable values of the bodies this model reads (one cache per model).</summary>
        public StableValues Stable => _stable;

        /// <summary>The compilation's interop context.</summary>
        public InteropContext Context => _context;

        /// <summary>System.Exception, as this compilation sees it: what a catch-all handler catches.</summary>
        public INamedTypeSymbol? ExceptionType => _context.Types.Exception;

        /// <summary>The first operation in <paramref name="operation"/> that may throw, skipping <paramref name="excluded"/>.</summary>
        public IOperation? Find(IOperation operation, ISet<IOperation> excluded)
        {
            // A flow analysis asks again for the same operation on every visit and for every value it follows; which
            // descendants can throw does not change between those questions, only what is excluded does.
            if (!_throwPointsIn.TryGetValue(operation, out var candidates))
            {
                candidates = operation.DescendantsAndSelf().Where(o => IsThrowPoint(o) && !InsideOmittedCall(o, operation)).ToArray();
                _throwPointsIn[operation] = candidates;
            }

            foreach (var candidate in candidates)
            {
                if (!excluded.Contains(candidate))
                {
                    return candidate;
                }
            }

            return null;
        }

        /// <summary>
        /// Is <paramref name="operation"/> an argument (or part of one) of a call this build leaves out
        /// (<see cref="OmittedCalls"/>), below <paramref name="root"/>? Then it does not run.
        /// </summary>
        private static bool InsideOmittedCall(IOperation operation, IOperation root)
        {
            for (var parent = operation.Parent; parent != null && operation != root; operation = parent, parent = parent.Parent)
            {
                if (parent is IInvocationOperation invocation && OmittedCalls.IsOmitted(invocation))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Whether <paramref name="operation"/> itself (not its operands) may throw.</summary>
        public bool IsThrowPoint(IOperation operation)
        {
            switch (operation)
            {
                case IInvocationOperation invocation:
                    return MayThrow(invocation);
                case IFunctionPointerInvocationOperation pointerCall:
                    return !_context.NativeFunctions.IsNativeTransition(pointerCall);
                case IPropertyReferenceOperation property:
                    return (UnseekableStreams.IsSeekingRead(property) && !SeekedEarlier(property))
                           || (AccessorOf(property) is { } accessor && _throwing.ThrowsExplicitly(accessor, _catalogue, _everyFailure, _depth)
                               && !ThrowsOnlyOnFlagsUnsetInConstruction(property, accessor));
                case IObjectCreationOperation creation when MayThrow(creation):
                case IAwaitOperation:
                case IDynamicInvocationOperation:
                case IDynamicObjectCreationOperation:
                case IDynamicMemberReferenceOperation:
                    return true;
                default:
                    return false;
            }
        }

        /// <summary>
        /// A member used on <c>this</c> by the object's own constructor whose only escaping operations are throws taken when
        /// a flag is set that nothing sets before the constructor returns (<see cref="FreshObjectFlags"/>).
        /// </summary>
        private bool ThrowsOnlyOnFlagsUnsetInConstruction(IOperation use, IMethodSymbol member)
        {
            if (!FreshObjectFlags.IsOnObjectUnderConstruction(use, (use as IMemberReferenceOperation)?.Instance ?? (use as IInvocationOperation)?.Instance)
                || member.ContainingType is not { } type || _context.Wrappers.GetBody(member) is not { } body)
            {
                return false;
            }

            var any = false;
            foreach (var escaping in new EscapingExceptions(this, ExceptionType, callsAndThrowsOnly: !_everyFailure).AllEscaping(body))
            {
                if (escaping is not IThrowOperation thrown || !FreshObjectFlags.IsTakenOnlyWhenSet(thrown, type))
                {
                    return false;
                }

                any = true;
            }

            return any;
        }

        /// <summary>
        /// The accessor a property reference runs: the setter when it is the target of a simple assignment, else the getter
        /// (a compound assignment runs both; its getter is the one read first).
        /// </summary>
        private static IMethodSymbol? AccessorOf(IPropertyReferenceOperation property)
            => property.Parent is ISimpleAssignmentOperation assignment && assignment.Target == property
                ? property.Property.SetMethod
                : property.Property.GetMethod;

        /// <summary>
        /// Whether a user-defined conversion through <paramref name="operatorMethod"/> may throw, judged as a call to it:
        /// <c>(GCHandle)pointer</c> is <c>GCHandle.FromIntPtr(pointer)</c>, and an operator of this compilation throws when
        /// its body can.
        /// </summary>
        public bool MayThrowConverting(IMethodSymbol operatorMethod)
            => MayThrow(operatorMethod)
               && (!WrapperSummaries.IsSourceMethodWithBody(operatorMethod) || _throwing.MayThrow(operatorMethod, _catalogue, _everyFailure, _depth));

        private bool MayThrow(IInvocationOperation invocation)
        {
            var method = invocation.TargetMethod;
            if (!MayThrow(method) || OmittedCalls.IsOmitted(invocation) || IsWholeSpanView(invocation) || IsCopyIntoEqualSpan(invocation) || IsArrayLoopStep(invocation)
                || InfallibleCalls.IsInfallible(invocation, _stable, Original, _replacingEncodings, _describedBuffers, _nonNullParameters, ReplacingMember)
                || (QuietSequences.IsCandidate(method) && Original(invocation) is { } bound && QuietSequences.IsQuiet(bound, _context.Wrappers, IsQuietLambda))
                || (DelegateTakingCalls.IsCandidate(method) && Original(invocation) is { } taking && DelegateTakingCalls.IsQuiet(taking, IsQuietLambda))
                || (CounterKeyedAdds.IsCandidate(method) && Original(invocation) is { } adding && CounterKeyedAdds.Of(_context).IsFreshKey(adding))
                || (!_everyFailure && IsDimensionQuery(method)))
            {
                return false;
            }

            if (_context.NativeFunctions.Get(method) is { } native)
            {
                return !PreservesSignature(native);
            }

            // An async method that returns a task keeps every exception of its body in that task, the ones raised before
            // its first await included: the call itself returns. Awaiting the task is where it throws (an await counts).
            if (KeepsExceptionsInItsTask(method))
            {
                return false;
            }

            // A delegate field the binding loaded by entry point name is a native call like a P/Invoke.
            if (_catalogue.IsLoadedEntryPoint(method))
            {
                return false;
            }

            // So is a delegate native code handed over (a previous handler a native setter returned), for the same reason.
            if (method.MethodKind == MethodKind.DelegateInvoke && invocation.Instance is { } invoked
                && NativeMadeDelegates.Of(_context, _catalogue).Holds(invoked, invocation.SemanticModel ?? ModelOf(invocation.Syntax.SyntaxTree), _stable))
            {
                return false;
            }

            // And a private field the binding fills only with one P/Invoke (its method group, or the delegate reflection makes
            // of it): the call is that P/Invoke's, and throws only as it does, unless a lambda that throws may stand in for it.
            if (method.MethodKind == MethodKind.DelegateInvoke && invocation.Instance is { } holder
                && HeldNativeFunctions.Of(_context) is var heldFunctions && heldFunctions.Of(holder) is { } held)
            {
                return !PreservesSignature(held) || heldFunctions.MayThrowInstead(holder);
            }

            // And a delegate local declared with P/Invokes' method groups (NativeFunctionLocals): it calls one of them.
            if (method.MethodKind == MethodKind.DelegateInvoke
                && NativeFunctionLocals.Of(invocation.Instance, _stable, invocation.SemanticModel ?? ModelOf(invocation.Syntax.SyntaxTree), _context.NativeFunctions) is { } chosen)
            {
                return !chosen.TrueForAll(PreservesSignature);
            }

            if (IsChainLink(invocation) && _chainLinks < MaxChainLinks && WrapperSummaries.IsSourceMethodWithBody(method))
            {
                return ChainedConstructorMayThrow(method);
            }

            if (IsChainLink(invocation) && _chainLinks < MaxChainLinks && IsQuietImplicitConstructor(method))
            {
                return false;
            }

            if (method.MethodKind != MethodKind.DelegateInvoke && !invocation.IsVirtual && WrapperSummaries.IsSourceMethodWithBody(method)
                && (IsOwnDispose(method) || !_throwing.MayThrow(method, _catalogue, _everyFailure, _depth)
                    || (NeverNullArguments(invocation) is var nonNull and not 0 && !_throwing.MayThrow(method, _catalogue, _everyFailure, _depth, chainLinks: 0, nonNull))
                    || (Original(invocation) is { } measuring && MeasuredArguments.Of(measuring, _stable) is { } measured
                        && !_throwing.MayThrow(method, _catalogue, _everyFailure, _depth, chainLinks: 0, NeverNullArguments(invocation), measured))))
            {
                return false;
            }

            if (_throwing.HeldImplementation(invocation) is { } heldHere)
            {
                // Through a private field that only ever holds the library's own object: that object's member runs (an
                // async one that returns a task keeps its exceptions there, as called directly).
                return !IsOwnDispose(heldHere) && !KeepsExceptionsInItsTask(heldHere) && _throwing.MayThrow(heldHere, _catalogue, _everyFailure, _depth);
            }

            if (invocation.IsVirtual && method.MethodKind == MethodKind.Ordinary && !MayThrowVirtually(method))
            {
                return false;
            }

            if (invocation.IsVirtual && invocation.Instance is { } instance && OperationTree.SkipConversions(instance) is IFieldReferenceOperation { Field: var field }
                && _throwing.CollectionHeldBy(field) is { } collection && InfallibleCalls.IsInfallibleCollectionMember(collection, method.Name, invocation.Arguments.Length))
            {
                return false;
            }

            // Both questions read the code around the call: ask them of the original tree, not a graph's rewritten copy.
            var mayBeMeasured = method.Name == "GetBytes" || method.Name == "GetChars";
            if ((mayBeMeasured || (Receiver(invocation) is { } receiver && MayRepeatAnEarlierCall(invocation.Syntax) && _stable.SymbolOf(receiver) != null)) && Original(invocation) is { } original)
            {
                return !(mayBeMeasured && MeasuredEncodings.IsIntoMeasuredBuffer(original, _stable, _measuredParameters)) && !SucceededEarlier(original);
            }

            return true;
        }

        /// <summary>
        /// A lambda handed to a LINQ operator (<see cref="QuietSequences"/>) is read like a body of its own, with this model:
        /// it throws if something in it can, outside a catch-all.
        /// </summary>
        internal bool IsQuietLambda(IAnonymousFunctionOperation lambda)
            => new EscapingExceptions(this, ExceptionType, callsAndThrowsOnly: !_everyFailure).FirstEscaping(lambda.Body) == null;

        /// <summary>
        /// The parameters (as bits by ordinal, the first 32) a call fills with a value that is never null. A callee that
        /// throws only on a null argument is quiet for this call: <c>Find("E", num)</c> whose lambda tests
        /// <c>s.StartsWith(ns)</c>. Asked only when the callee throws when read without it, so a callee that is quiet anyway
        /// is read once.
        /// </summary>
        internal int NeverNullArguments(IInvocationOperation invocation)
        {
            var bound = Original(invocation);
            return NeverNullArguments(invocation.Arguments, bound?.Arguments, bound);
        }

        /// <summary>The same for a creation: <c>new Scheduler(context)</c> after <c>if (context is null) return;</c>.</summary>
        internal int NeverNullArguments(IObjectCreationOperation creation)
        {
            var bound = creation.SemanticModel != null
                ? creation
                : ModelOf(creation.Syntax.SyntaxTree)?.GetOperation(creation.Syntax) as IObjectCreationOperation;
            return bound != null && !SymbolEqualityComparer.Default.Equals(bound.Constructor, creation.Constructor)
                ? 0
                : NeverNullArguments(creation.Arguments, bound?.Arguments, bound);
        }

        private int NeverNullArguments(System.Collections.Immutable.ImmutableArray<IArgumentOperation> arguments, System.Collections.Immutable.ImmutableArray<IArgumentOperation>? boundArguments, IOperation? bound)
        {
            var bits = 0;
            foreach (var argument in arguments)
            {
                if (argument.Parameter is { Ordinal: < 32, RefKind: RefKind.None } parameter
                    && (!parameter.Type.IsValueType || parameter.Type.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr)
                    && argument.ArgumentKind == ArgumentKind.Explicit
                    // 'counter.Decrement(); ... Release(counter)': had the value been null, the earlier dereference would
                    // have failed first, so the callee's null check of it cannot be what throws. A pointer passed under
                    // 'if (p != IntPtr.Zero)' meets the callee's zero check the same way.
                    && ((!parameter.Type.IsValueType && InfallibleCalls.IsNeverNull(argument.Value, _stable, _nonNullParameters))
                        || (bound != null && boundArguments is { } given && given.FirstOrDefault(a => a.Parameter?.Ordinal == parameter.Ordinal) is { } same
                            && (DereferencedBefore.Holds(same.Value, bound, _stable) || NewObjects.Holds(_context, same.Value, _stable)))))
                {
                    bits |= 1 << parameter.Ordinal;
                }
            }

            return bits;
        }

        /// <summary>
        /// A call of a helper of the compilation that can throw only when the argument at <paramref name="ordinal"/> is zero
        /// or null (<c>ThrowExceptionOnNull(buffer, "VirtualAlloc")</c>, <c>CheckHandle(p)</c>): judged as if that argument
        /// were never empty (<see cref="EscapingExceptions"/> reads the helper's own null check as met).
        /// </summary>
        public bool ThrowsOnlyWhenEmpty(IInvocationOperation invocation, int ordinal)
        {
            var method = invocation.TargetMethod;
            return ordinal < 32 && !invocation.IsVirtual && method.MethodKind != MethodKind.DelegateInvoke && WrapperSummaries.IsSourceMethodWithBody(method)
                   && _throwing.MayThrow(method, _catalogue, _everyFailure, _depth)
                   && !_throwing.MayThrow(method, _catalogue, _everyFailure, _depth, chainLinks: 0, NeverNullArguments(invocation) | (1 << ordinal));
        }

        /// <summary>Whether every caller being judged fills the parameter with a value that is never null.</summary>
        public bool IsNeverNullParameter(IParameterSymbol parameter) => _nonNullParameters != null && _nonNullParameters(parameter);

        /// <summary>
        /// The constant every caller being judged fills the <c>bool</c> parameter with, or null when none is known: read by
        /// <see cref="ConstantConditions"/> to tell which branches of the body those calls cannot take.
        /// </summary>
        public bool? ConstantParameter(IParameterSymbol parameter)
            => _falseParameters != null && _falseParameters(parameter) ? false
               : _trueParameters != null && _trueParameters(parameter) ? true
               : null;

        /// <summary>
        /// The <c>bool</c> parameters (as bits by ordinal, the first 64) a call fills with <paramref name="value"/>: the
        /// constant, written or left to the parameter's default (osu-framework's <c>Scheduler.Add(task)</c>, whose
        /// <c>forceScheduled</c> stays <c>true</c>), or a parameter of the body read, never written in it, that every caller
        /// being judged fills with that constant in turn (NtCoreLib's <c>LoadResourceData(name, type, false)</c>, which hands
        /// its <c>throw_on_error</c> on to the helper whose <c>if (throw_on_error) throw ...</c> cannot then run).
        /// </summary>
        internal long ConstantArguments(System.Collections.Immutable.ImmutableArray<IArgumentOperation> arguments, bool value)
        {
            long bits = 0;
            foreach (var argument in arguments)
            {
                if (argument.Parameter is { Ordinal: < 64, RefKind: RefKind.None, Type.SpecialType: SpecialType.System_Boolean } parameter
                    && argument.ArgumentKind is ArgumentKind.Explicit or ArgumentKind.DefaultValue
                    && OperationTree.SkipConversions(argument.Value) is var filled
                    && (filled.ConstantValue is { HasValue: true, Value: bool constant } && constant == value
                        || (filled is IParameterReferenceOperation reference && ConstantParameter(reference.Parameter) == value && _stable.SymbolOf(reference) != null)))
                {
                    bits |= 1L << parameter.Ordinal;
                }
            }

            return bits;
        }

        /// <summary>A constructor's own <c>: this(...)</c> or <c>: base(...)</c> call.</summary>
        private static bool IsChainLink(IInvocationOperation invocation)
            => invocation.TargetMethod.MethodKind == MethodKind.Constructor && invocation.Instance is IInstanceReferenceOperation;

        /// <summary>
        /// The constructor a chain link runs, read at the level of the constructor that chains to it. The constructor that does
        /// not chain to <c>this</c> is the one that runs its type's instance initializers, so those count there.
        /// </summary>
        private bool ChainedConstructorMayThrow(IMethodSymbol constructor)
        {
            var runsInitializers = !constructor.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is Microsoft.CodeAnalysis.CSharp.Syntax.ConstructorDeclarationSyntax
            {
                Initializer.ThisOrBaseKeyword.RawKind: (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.ThisKeyword,
            });
            return (runsInitializers && constructor.ContainingType is { } type && _throwing.HasThrowingInstanceInitializers(type))
                   || _throwing.MayThrow(constructor, _catalogue, _everyFailure, _depth - 1, _chainLinks + 1);
        }

        /// <summary>
        /// A virtual call can run any implementation; when all of them are this compilation's (an internal abstract
        /// <c>HandleFree</c> and its overrides, <see cref="ThrowingMethods.ClosedImplementations"/>), it throws only if one
        /// of them can.
        /// </summary>
        private bool MayThrowVirtually(IMethodSymbol method)
        {
            if (_throwing.ClosedImplementations(method) is not { } implementations)
            {
                return true;
            }

            foreach (var implementation in implementations)
            {
                if (!WrapperSummaries.IsSourceMethodWithBody(implementation)
                    || (!IsOwnDispose(implementation) && !KeepsExceptionsInItsTask(implementation) && _throwing.MayThrow(implementation, _catalogue, _everyFailure, _depth)))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// An async method that returns a task (or a value task): every exception of its body, the ones raised before its
        /// first await included, goes into the task it returns; the call itself returns. Awaiting the task is where it throws.
        /// </summary>
        private static bool KeepsExceptionsInItsTask(IMethodSymbol method) => method.IsAsync && !method.ReturnsVoid;

        /// <summary>
        /// <c>Dispose()</c> or <c>Dispose(bool)</c> of this compilation, called non-virtually: by the framework's design rules
        /// (CA1065) Dispose must not throw, so an exception from it is a bug of that Dispose — a double release its own
        /// checks report — not a path its callers should handle. A framework type's Dispose (a stream that flushes) and a
        /// Dispose the library's user implements (an interface or virtual call) are still read as calls.
        /// </summary>
        private static bool IsOwnDispose(IMethodSymbol method)
            => method.Name == "Dispose" && method.ReturnsVoid && !method.IsStatic
               && (method.Parameters.Length == 0 || (method.Parameters.Length == 1 && method.Parameters[0].Type.SpecialType == SpecialType.System_Boolean));

        /// <summary>
        /// A call the control-flow graph makes for a <c>foreach</c> over an array (<c>GetEnumerator</c> on the collection,
        /// <c>MoveNext</c>/<c>Dispose</c> on the loop): the compiler walks an array by index, and none of it can fail.
        /// </summary>
        private bool IsArrayLoopStep(IInvocationOperation invocation)
        {
            if (!invocation.IsImplicit)
            {
                return false;
            }

            var syntax = invocation.Syntax;
            var loop = syntax as Microsoft.CodeAnalysis.CSharp.Syntax.CommonForEachStatementSyntax ?? syntax.Parent as Microsoft.CodeAnalysis.CSharp.Syntax.CommonForEachStatementSyntax;
            if (loop == null || (syntax != loop && syntax != loop.Expression))
            {
                return false;
            }

            return ModelOf(loop.SyntaxTree)?.GetTypeInfo(loop.Expression).Type is IArrayTypeSymbol;
        }

        private SemanticModel? ModelOf(SyntaxTree tree)
        {
            if (!_models.TryGetValue(tree, out var model))
            {
#pragma warning disable RS1030 // The graph's operations carry no model; the driver's caching provider hands out the tree's model.
                model = _context.Compilation.ContainsSyntaxTree(tree) ? _context.Compilation.GetSemanticModel(tree) : null;
#pragma warning restore RS1030
                _models[tree] = model;
            }

            return model;
        }

        /// <summary>
        /// The invocation in its method's bound tree. Operations of a control-flow graph have no semantic model and no
        /// enclosing statements (IOperation.SemanticModel is null inside a graph); the syntax leads back to the original.
        /// </summary>
        private IInvocationOperation? Original(IInvocationOperation invocation)
        {
            if (invocation.SemanticModel != null)
            {
                return invocation;
            }

            var model = ModelOf(invocation.Syntax.SyntaxTree);
            return model?.GetOperation(invocation.Syntax) is IInvocationOperation original
                   && SymbolEqualityComparer.Default.Equals(original.TargetMethod, invocation.TargetMethod)
                ? original
                : null;
        }

        // DllImport's PreserveSig = false turns a failure HRESULT into an exception: a managed failure path, not a deployment one.
        private static bool PreservesSignature(NativeFunction native)
            => native.IsLibraryImport
               || native.Method.GetDllImportData() == null
               || (native.Method.MethodImplementationFlags & System.Reflection.MethodImplAttributes.PreserveSig) != 0;

        /// <summary>
        /// The same method was called on the same stable receiver (<see cref="StableValues"/>) with the same arguments
        /// (constants, or stable values) by a statement earlier in the same block, where that call is evaluated whenever
        /// the statement runs; no label lies between, so nothing can jump past it. It returned, so this one does too.
        /// </summary>
        /// <summary>
        /// The syntax-only precondition of <see cref="SucceededEarlier"/>: an earlier statement of the same block invokes a
        /// method of the same name. Mapping a graph's operation back to its bound tree costs a semantic-model lookup per
        /// call, which on bindings of thousands of instance calls cost more than the rest of the analysis together.
        /// </summary>
        private static bool MayRepeatAnEarlierCall(SyntaxNode call)
        {
            if (call is not Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax { Expression: Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax member })
            {
                return false;
            }

            var name = member.Name.Identifier.ValueText;
            SyntaxNode statement = call;
            while (statement.Parent is { } parent && parent is not Microsoft.CodeAnalysis.CSharp.Syntax.BlockSyntax)
            {
                statement = parent;
            }

            if (statement.Parent is not Microsoft.CodeAnalysis.CSharp.Syntax.BlockSyntax block)
            {
                return false;
            }

            foreach (var earlier in block.Statements)
            {
                if (earlier == statement)
                {
                    return false;
                }

                foreach (var node in earlier.DescendantNodes())
                {
                    if (node is Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax { Expression: Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax earlierMember }
                        && earlierMember.Name.Identifier.ValueText == name)
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>
        /// What a call is made on: its instance, or the first argument of an extension method called in reduced form
        /// (<c>reference.Borrow()</c> with <c>Borrow(this in NewReference reference)</c>).
        /// </summary>
        private static IOperation? Receiver(IInvocationOperation invocation)
            => invocation.Instance
               ?? (invocation.TargetMethod.IsExtensionMethod && invocation.Arguments.Length > 0 && invocation.Arguments[0].Parameter?.Ordinal == 0
                   ? invocation.Arguments[0].Value
                   : null);

        private bool SucceededEarlier(IInvocationOperation invocation)
        {
            if (Receiver(invocation) is not { } receiver || _stable.SymbolOf(receiver) == null)
            {
                return false;
            }

            if (!_repeated.TryGetValue(invocation.Syntax, out var result))
            {
                result = HasEarlierTwin(invocation);
                _repeated[invocation.Syntax] = result;
            }

            return result;
        }

        private bool HasEarlierTwin(IInvocationOperation invocation)
        {
            IOperation statement = invocation;
            while (statement.Parent is { } parent && parent is not IBlockOperation)
            {
                if (OperationTree.IsFunction(parent))
                {
                    return false;
                }

                statement = parent;
            }

            if (statement.Parent is not IBlockOperation block)
            {
                return false;
            }

            var index = block.Operations.IndexOf(statement);
            for (var i = index - 1; i >= 0; i--)
            {
                if (block.Operations[i + 1] is ILabeledOperation)
                {
                    return false;
                }

                foreach (var candidate in block.Operations[i].DescendantsAndSelf())
                {
                    if (candidate is IInvocationOperation earlier && IsTwin(earlier, invocation) && IsAlwaysEvaluated(earlier, block.Operations[i]))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        private bool IsTwin(IInvocationOperation earlier, IInvocationOperation later)
        {
            if (!SymbolEqualityComparer.Default.Equals(earlier.TargetMethod, later.TargetMethod) || Receiver(earlier) is not { } earlierReceiver
                || Receiver(later) is not { } laterReceiver
                || !SymbolEqualityComparer.Default.Equals(_stable.SymbolOf(earlierReceiver), _stable.SymbolOf(laterReceiver))
                || earlier.Arguments.Length != later.Arguments.Length)
            {
                return false;
            }

            for (var i = 0; i < earlier.Arguments.Length; i++)
            {
                var a = earlier.Arguments[i];
                var b = later.Arguments[i];
                if (!SymbolEqualityComparer.Default.Equals(a.Parameter, b.Parameter) || a.Parameter?.RefKind is not (RefKind.None or RefKind.In) || !SameValue(a.Value, b.Value))
                {
                    return false;
                }
            }

            return true;
        }

        private bool SameValue(IOperation a, IOperation b)
        {
            if (a.ConstantValue.HasValue || b.ConstantValue.HasValue)
            {
                return a.ConstantValue.HasValue && b.ConstantValue.HasValue && Equals(a.ConstantValue.Value, b.ConstantValue.Value);
            }

            return _stable.SymbolOf(a) is { } symbol && SymbolEqualityComparer.Default.Equals(symbol, _stable.SymbolOf(b));
        }

        /// <summary>
        /// A seeking read of a stream (<see cref="UnseekableStreams"/>) after another one of the same stable stream in an
        /// earlier statement that always ran, of this block or of a block around it: a stream that answered once can seek,
        /// and it does not stop being able to (<c>AllocHGlobal((nint)stream.Length)</c>, then <c>new State(memory,
        /// (nuint)stream.Length)</c>). No label may lie between, so nothing can jump past the earlier read.
        /// </summary>
        private bool SeekedEarlier(IPropertyReferenceOperation property)
        {
            var bound = property.SemanticModel != null ? property : ModelOf(property.Syntax.SyntaxTree)?.GetOperation(property.Syntax) as IPropertyReferenceOperation;
            if (bound?.Instance is not { } instance || _stable.SymbolOf(instance) is not { } stream)
            {
                return false;
            }

            IOperation statement = bound;
            while (statement.Parent is { } parent)
            {
                if (OperationTree.IsFunction(parent))
                {
                    return false;
                }

                if (parent is IBlockOperation block)
                {
                    for (var i = block.Operations.IndexOf(statement) - 1; i >= 0; i--)
                    {
                        if (block.Operations[i + 1] is ILabeledOperation)
                        {
                            return false;
                        }

                        foreach (var candidate in block.Operations[i].DescendantsAndSelf())
                        {
                            if (candidate is IPropertyReferenceOperation { Instance: { } earlier } read && UnseekableStreams.IsSeekingRead(read)
                                && SymbolEqualityComparer.Default.Equals(_stable.SymbolOf(earlier), stream) && IsAlwaysEvaluated(read, block.Operations[i]))
                            {
                                return true;
                            }
                        }
                    }
                }

                statement = parent;
            }

            return false;
        }

        // Evaluated whenever its statement runs: no condition, conditional access, short-circuit, lambda or nested
        // statement between the call and the statement.
        private static bool IsAlwaysEvaluated(IOperation call, IOperation statement)
        {
            for (var current = call; current != statement; current = current.Parent!)
            {
                if (current.Parent is not { } parent || !OperationTree.EvaluatesEveryOperand(parent))
                {
                    return false;
                }
            }

            return true;
        }

        // A struct's default constructor, IntPtr, and a span over memory the caller holds (which throws only for a
        // negative length) are not where real exceptions come from.
        private bool MayThrow(IObjectCreationOperation creation)
        {
            if (InfallibleCalls.IsInfallible(creation, _stable, _replacingEncodings) || (creation.Constructor is { } constructor && IsQuietSourceConstructor(constructor, creation)))
            {
                return false;
            }

            var type = creation.Type;
            if (type == null || !type.IsValueType)
            {
                return true;
            }

            if (creation.Arguments.Length == 0 || type.SpecialType == SpecialType.System_IntPtr || type.SpecialType == SpecialType.System_UIntPtr)
            {
                return false;
            }

            return !_context.Types.IsSpan(type);
        }

        /// <summary>
        /// A constructor of this compilation runs the type's instance initializers, the constructor it chains to and its
        /// body: it cannot throw when it has no initializers that can throw (<see cref="ThrowingMethods.HasThrowingInstanceInitializers"/>), chains to <c>object</c> (or is a struct's) or names
        /// its chained constructor (then part of the body read), and its body cannot throw (<see cref="ThrowingMethods"/>).
        /// A constructor that only stores its arguments is the common case; one that throws only on a null argument
        /// the creation fills with a value never null there (<see cref="NeverNullArguments(IObjectCreationOperation)"/>)
        /// counts as quiet for that creation.
        /// </summary>
        private bool IsQuietSourceConstructor(IMethodSymbol constructor, IObjectCreationOperation creation)
        {
            var type = constructor.ContainingType;
            if (type == null || !SymbolEqualityComparer.Default.Equals(constructor.ContainingAssembly, _context.Compilation.Assembly) || _throwing.HasThrowingInstanceInitializers(type))
            {
                return false;
            }

            var chainsToObject = type.IsValueType || type.BaseType is null or { SpecialType: SpecialType.System_Object };
            if (constructor.IsImplicitlyDeclared)
            {
                return chainsToObject || IsQuietImplicitConstructor(constructor);
            }

            // A primary constructor ('struct Id(uint value)') has no body of its own: it runs the type's initializers,
            // read above, and the parameters it captures are stored as they are.
            if (chainsToObject && IsPrimaryConstructor(constructor))
            {
                return true;
            }

            return (chainsToObject || constructor.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is Microsoft.CodeAnalysis.CSharp.Syntax.ConstructorDeclarationSyntax { Initializer: not null }))
                   && WrapperSummaries.IsSourceMethodWithBody(constructor)
                   && (!_throwing.MayThrow(constructor, _catalogue, _everyFailure, _depth)
                       || (NeverNullArguments(creation) is var nonNull and not 0 && !_throwing.MayThrow(constructor, _catalogue, _everyFailure, _depth, chainLinks: 0, nonNull)));
        }

        private static bool IsPrimaryConstructor(IMethodSymbol constructor)
            => !constructor.DeclaringSyntaxReferences.IsEmpty
               && constructor.DeclaringSyntaxReferences.All(r => r.GetSyntax() is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax);

        // A compiler-made constructor: the base constructors it chains to are read at this level, as chain links are.
        private bool IsQuietImplicitConstructor(IMethodSymbol constructor)
            => ImplicitConstructors.IsQuiet(constructor, _context.Compilation, _throwing, written => _throwing.MayThrow(written, _catalogue, _everyFailure, _depth - 1, _chainLinks + 1));

        /// <summary>
        /// <c>Array.GetLength(d)</c> and its siblings fail exactly where an element access with an index out of range does;
        /// the calls-and-throws model counts neither (<see cref="EscapingExceptions"/>' full model counts both).
        /// </summary>
        private static bool IsDimensionQuery(IMethodSymbol method)
            => method.ContainingType?.SpecialType == SpecialType.System_Array
               && method.Name is "GetLength" or "GetLongLength" or "GetLowerBound" or "GetUpperBound";

        // array.AsSpan() / AsMemory() without a range: a view of the whole array, which fails only for a covariant
        // array of a reference type, never for the byte and char arrays interop copies.
        private static bool IsWholeSpanView(IInvocationOperation invocation)
            => (invocation.TargetMethod.Name == "AsSpan" || invocation.TargetMethod.Name == "AsMemory")
               && invocation.TargetMethod.ContainingType?.Name == "MemoryExtensions"
               && invocation.Arguments.Length == 1
               && invocation.Arguments[0].Value.Type is IArrayTypeSymbol { ElementType.IsValueType: true };

        /// <summary>
        /// <c>source.CopyTo(new Span&lt;T&gt;(p, source.Length))</c>: the destination is exactly as long as the source, the
        /// only way a span copy fails. This is how allocate-copy-return factories fill the memory they just allocated.
        /// </summary>
        private bool IsCopyIntoEqualSpan(IInvocationOperation invocation)
        {
            if (invocation.TargetMethod.Name != "CopyTo" || invocation.Arguments.Length == 0)
            {
                return false;
            }

            var source = invocation.Instance ?? (invocation.Arguments.Length == 2 ? invocation.Arguments[0].Value : null);
            var destination = OperationTree.SkipConversions(invocation.Arguments[invocation.Arguments.Length - 1].Value);
            if (source == null || !_context.Types.IsSpan(destination.Type) || destination is not IObjectCreationOperation { Arguments.Length: 2 } created)
            {
                return false;
            }

            var length = OperationTree.SkipConversions(created.Arguments[1].Value);
            return length is IPropertyReferenceOperation { Property.Name: "Length", Instance: { } measured }
                   && Root(measured) is { } measuredRoot
                   && Root(source) is { } sourceRoot
                   && SymbolEqualityComparer.Default.Equals(measuredRoot, sourceRoot);
        }

        // The local or parameter a span expression views: data, encoded.AsSpan(), (ReadOnlySpan<byte>)bytes.
        private static ISymbol? Root(IOperation operation)
        {
            operation = OperationTree.SkipEveryConversion(operation);
            if (operation is IInvocationOperation { TargetMethod.Name: "AsSpan", Arguments.Length: 1 } view)
            {
                operation = OperationTree.SkipEveryConversion(view.Arguments[0].Value);
            }

            return operation switch
            {
                ILocalReferenceOperation local => local.Local,
                IParameterReferenceOperation parameter => parameter.Parameter,
                _ => null,
            };
        }

        private static bool IsMemoryAccessor(string name)
            => name == "Copy" || name == "SizeOf" || name == "OffsetOf" || name == "StructureToPtr" || name == "PtrToStructure"
               || name.StartsWith("Read", System.StringComparison.Ordinal) || name.StartsWith("Write", System.StringComparison.Ordinal)
               || name.StartsWith("PtrToString", System.StringComparison.Ordinal);

        private bool MayThrow(IMethodSymbol method)
        {
            var type = method.ContainingType;
            if (type != null)
            {
                switch (type.SpecialType)
                {
                    case SpecialType.System_IntPtr:
                    case SpecialType.System_UIntPtr:
                        return false;
                }

                // A GCHandle's own members (Free, Target, AddrOfPinnedObject), its conversions to and from IntPtr and
                // DangerousGetHandle read the handle; they throw only when it was already released (IG3003 reports that on
                // its own) or for a zero IntPtr. Disposing a MemoryHandle unpins, which cannot fail.
                if ((_context.Types.GCHandle != null && SymbolEqualityComparer.Default.Equals(type, _context.Types.GCHandle)
                     && (!method.IsStatic || method.Name == "FromIntPtr" || method.Name == "ToIntPtr" || method.MethodKind == MethodKind.Conversion))
                    || (method.Name == "DangerousGetHandle" && _context.Types.IsHandleWrapper(type))
                    || (method.Name == "Dispose" && _context.Types.MemoryHandle != null && SymbolEqualityComparer.Default.Equals(type, _context.Types.MemoryHandle)))
                {
                    return false;
                }

                // Closing a SafeHandle runs its ReleaseHandle, which must not throw (the runtime calls it from the
                // finalizer too); a release that fails returns false instead.
                if (method.Name is "Close" or "Dispose" && _context.Types.SafeHandle != null && SymbolEqualityComparer.Default.Equals(type, _context.Types.SafeHandle))
                {
                    return false;
                }

                // A ': base(message)' into a framework exception's constructor stores what it is given.
                if (InfallibleCalls.IsStoringExceptionConstructor(method))
                {
                    return false;
                }

                if (_context.Types.GC != null && SymbolEqualityComparer.Default.Equals(type, _context.Types.GC)
                    && (method.Name == "KeepAlive" || method.Name == "SuppressFinalize"))
                {
                    return false;
                }

                // Debug's members are compiled only into debug builds, and a failed Debug.Assert fails fast: no exception.
                // Debugger.Break without a debugger raises a breakpoint trap, not a managed exception a catch could take.
                if (type.Name is "Debug" or "Debugger" && NamespaceNames.Is(type.ContainingNamespace, "System.Diagnostics"))
                {
                    return false;
                }

                // The console's own writers ignore a closed stream (a broken pipe, a detached console); a string or a
                // primitive is written without formatting or user code. A format string, or an object's ToString, can throw.
                if (type.Name == "Console" && NamespaceNames.Is(type.ContainingNamespace, "System") && method.Name is "Write" or "WriteLine"
                    && (method.Parameters.Length == 0
                        || (method.Parameters.Length == 1 && method.Parameters[0].Type.SpecialType is SpecialType.System_String or SpecialType.System_Boolean
                            or SpecialType.System_Char or SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_UInt32
                            or SpecialType.System_UInt64 or SpecialType.System_Single or SpecialType.System_Double or SpecialType.System_Decimal)))
                {
                    return false;
                }

                // Every name below is in System: any other type's name is not built.
                switch (NamespaceNames.IsWithin(type.ContainingNamespace, "System") ? type.ContainingNamespace.ToDisplayString() + "." + type.Name : string.Empty)
                {
                    // The Try* members fail only for a null key; that is an argument bug, not a path to release on.
                    case "System.Collections.Concurrent.ConcurrentDictionary" when method.Name == "TryAdd" || method.Name == "TryGetValue" || method.Name == "TryRemove":
                    // Taking from a concurrent queue, stack or bag has no argument to check: an empty one answers false.
                    case "System.Collections.Concurrent.ConcurrentQueue" when method.Name == "TryDequeue" || method.Name == "TryPeek" || method.Name == "Enqueue":
                    case "System.Collections.Concurrent.ConcurrentStack" when method.Name == "TryPop" || method.Name == "TryPeek" || method.Name == "Push":
                    case "System.Collections.Concurrent.ConcurrentBag" when method.Name == "TryTake" || method.Name == "TryPeek" || method.Name == "Add":
                    // Completing a task source that is already complete answers false; continuations that run inline
                    // keep their exceptions in their own tasks. TrySetException fails only for a null exception.
                    case "System.Threading.Tasks.TaskCompletionSource" when method.Name.StartsWith("TrySet", System.StringComparison.Ordinal):
                    // The object behind the dispatch pointer a ComWrappers callback receives, read without a check: the
                    // ComWrappers form of GCHandle.FromIntPtr(p).Target.
                    case "System.Runtime.InteropServices.ComInterfaceDispatch" when method.Name == "GetInstance" && type.ContainingType?.Name == "ComWrappers":
                    case "System.Runtime.CompilerServices.Unsafe":
                    case "System.Threading.Interlocked":
                    case "System.Threading.Volatile":
                    case "System.Threading.Monitor":
                    // Entering and leaving a reader-writer lock fail only on recursion its policy forbids, an exit without
                    // an entry or a disposed lock: broken invariants of the code's own locking, as with Monitor.
                    case "System.Threading.ReaderWriterLockSlim" when method.Name.StartsWith("Enter", System.StringComparison.Ordinal) || method.Name.StartsWith("Exit", System.StringComparison.Ordinal):
                    // A view of a native string up to its terminator: memory the caller holds, read like PtrToStringAnsi.
                    case "System.Runtime.InteropServices.MemoryMarshal" when method.Name is "CreateReadOnlySpanFromNullTerminated":
                    case "System.Buffer":
                        return false;
                }

                // Reads and writes of memory the caller already holds fail only on argument bugs or with an access
                // violation that no catch handles; counting them would flag every allocate-copy-return factory.
                if (_context.Types.Marshal != null && SymbolEqualityComparer.Default.Equals(type, _context.Types.Marshal) && IsMemoryAccessor(method.Name))
                {
                    return false;
                }
            }

            return !_catalogue.TryGetAllocator(method, out _) && !_catalogue.TryGetDeallocator(method, out _);
        }
    }
}
