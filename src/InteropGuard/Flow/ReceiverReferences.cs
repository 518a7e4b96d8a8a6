using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// A reference taken on an object rather than a value handed out: <c>h.DangerousAddRef(ref success)</c> owes
    /// <c>h.DangerousRelease()</c> on the paths where <c>success</c> is true. The receiver is named by symbols (a local,
    /// a parameter, a field or property of <c>this</c>, of a type, or of a local or parameter); a release is a call
    /// the rule recognizes on a receiver with the same name.
    /// </summary>
    internal sealed class ReceiverReference
    {
        public ReceiverReference(IInvocationOperation acquisition, ILocalSymbol? success, System.Func<IInvocationOperation, bool> isRelease, System.Func<IInvocationOperation, bool> isQuiet)
        {
            Acquisition = acquisition;
            Success = success;
            IsRelease = isRelease;
            IsQuiet = isQuiet;
        }

        /// <summary>The acquiring call, an operation of the graph analyzed.</summary>
        public IInvocationOperation Acquisition { get; }

        /// <summary>The local that says whether the reference was taken, if any.</summary>
        public ILocalSymbol? Success { get; }

        /// <summary>Whether a call (on whatever receiver) is of the releasing method.</summary>
        public System.Func<IInvocationOperation, bool> IsRelease { get; }

        /// <summary>Calls that are not counted as throw points while the reference is held (the reference-count members).</summary>
        public System.Func<IInvocationOperation, bool> IsQuiet { get; }

        /// <summary>
        /// The symbols naming a receiver (outermost last), looking through conversions, null-forgiving and the flow
        /// captures of <paramref name="captures"/>; default when the receiver is not such a name.
        /// </summary>
        public static ImmutableArray<ISymbol> PathOf(IOperation? receiver, CapturedValues? captures = null) => PathOf(receiver, captures, 0);

        private static ImmutableArray<ISymbol> PathOf(IOperation? receiver, CapturedValues? captures, int depth)
        {
            var builder = ImmutableArray.CreateBuilder<ISymbol>();
            for (; receiver != null && depth < 8; depth++)
            {
                receiver = OperationTree.SkipConversions(receiver);
                switch (receiver)
                {
                    case ILocalReferenceOperation local:
                        builder.Add(local.Local);
                        return Reversed(builder);
                    case IParameterReferenceOperation parameter:
                        builder.Add(parameter.Parameter);
                        return Reversed(builder);
                    case IInstanceReferenceOperation:
                        return Reversed(builder);
                    case IFieldReferenceOperation field:
                        builder.Add(field.Field);
                        if (field.Instance == null)
                        {
                            return Reversed(builder);
                        }

                        receiver = field.Instance;
                        continue;
                    case IPropertyReferenceOperation property when property.Arguments.IsEmpty:
                        builder.Add(property.Property);
                        if (property.Instance == null)
                        {
                            return Reversed(builder);
                        }

                        receiver = property.Instance;
                        continue;
                    case IArrayElementReferenceOperation element when element.Indices.Length == 1:
                        // 'handles[i]' names one handle while 'i' keeps its value (an assignment ends the tracking).
                        switch (OperationTree.SkipConversions(element.Indices[0]))
                        {
                            case ILocalReferenceOperation index:
                                builder.Add(index.Local);
                                break;
                            case IParameterReferenceOperation index:
                                builder.Add(index.Parameter);
                                break;
                            default:
                                return default;
                        }

                        receiver = element.ArrayReference;
                        continue;
                    case IFlowCaptureReferenceOperation capture when captures != null:
                        // A capture given one value on every branch names that value's path; given different paths on
                        // different branches ('(c ? a : b).DangerousRelease()'), it names none of them.
                        return Prefixed(captures.OneAnswerForAll(capture, value => PathOf(value, captures, depth + 1), SamePath), builder);
                    case IConditionalAccessInstanceOperation:
                        // 'owner?.DangerousRelease()': the receiver is what the conditional access tested.
                        receiver = OperationTree.ConditionalAccessReceiver(receiver);
                        continue;
                    default:
                        return default;
                }
            }

            return default;
        }

        public static bool SamePath(ImmutableArray<ISymbol> left, ImmutableArray<ISymbol> right)
            => !left.IsDefault && !right.IsDefault && left.Length == right.Length
               && left.Zip(right, (a, b) => SymbolEqualityComparer.Default.Equals(a, b)).All(same => same);

        /// <summary>
        /// Does <paramref name="returned"/> hand the handle at <paramref name="path"/> to the caller — the handle itself or
        /// its raw value (<c>h.DangerousGetHandle()</c>)? A reference taken on it is then the caller's to give back.
        /// </summary>
        public static bool HandsOver(IOperation? returned, ImmutableArray<ISymbol> path)
        {
            var value = returned == null ? null : OperationTree.SkipConversions(returned);
            if (value is IInvocationOperation { TargetMethod.Name: "DangerousGetHandle", Arguments.Length: 0, Instance: { } owner })
            {
                value = owner;
            }

            return value != null && SamePath(PathOf(value), path);
        }

        /// <summary>
        /// <see cref="HandsOver(IOperation?, ImmutableArray{ISymbol})"/>, also through a local whose one value is the
        /// handle or its raw value (<c>var p = h.DangerousGetHandle(); return p;</c>): the local is only a name for it.
        /// </summary>
        public static bool HandsOver(IOperation? returned, ImmutableArray<ISymbol> path, IReadOnlyDictionary<ILocalSymbol, IOperation> origins)
            => HandsOver(returned, path)
               || returned != null && OperationTree.SkipConversions(returned) is ILocalReferenceOperation local
                                   && origins.TryGetValue(local.Local, out var origin) && HandsOver(origin, path);

        /// <summary>Does a return of <paramref name="function"/> itself (not of a lambda or local function in it) hand the handle at <paramref name="path"/> to the caller?</summary>
        public static bool IsHandedToCaller(IOperation function, ImmutableArray<ISymbol> path, SyntaxNode? site = null)
        {
            Dictionary<ILocalSymbol, IOperation>? origins = null;
            foreach (var ret in function.Descendants().OfType<IReturnOperation>())
            {
                if ((site == null || ret.Syntax == site) && ret.ReturnedValue != null && !OperationTree.IsInNestedFunction(ret, function)
                    && HandsOver(ret.ReturnedValue, path, origins ??= LocalOrigins.In(function)))
                {
                    return true;
                }
            }

            return false;
        }

        private static ImmutableArray<ISymbol> Prefixed(ImmutableArray<ISymbol> prefix, ImmutableArray<ISymbol>.Builder builder)
        {
            if (prefix.IsDefault)
            {
                return default;
            }

            builder.Reverse();
            return prefix.AddRange(builder);
        }

        private static ImmutableArray<ISymbol> Reversed(ImmutableArray<ISymbol>.Builder builder)
        {
            builder.Reverse();
            return builder.ToImmutable();
        }
    }

    /// <summary>
    /// The references taken in one body (<c>h.DangerousAddRef(ref success)</c>), asked about with operations of the
    /// body's operation tree: the body's control-flow graphs (lambdas and local functions included) are built once,
    /// and only when asked.
    /// </summary>
    internal sealed class ReceiverReferences
    {
        private readonly IOperation _root;
        private readonly ValueUses _uses;
        private readonly ThrowPoints _throwPoints;
        private readonly System.Func<IInvocationOperation, bool> _isRelease;
        private readonly System.Func<IInvocationOperation, bool> _isQuiet;
        private readonly System.Threading.CancellationToken _cancellationToken;
        private readonly System.Func<ControlFlowGraph?>? _driverGraph;
        private List<GraphFacts>? _graphs;

        /// <param name="driverGraph">The driver's cached graph of <paramref name="root"/>, when the caller has one (an operation-block action).</param>
        public ReceiverReferences(IOperation root, ValueUses uses, ThrowPoints throwPoints, System.Func<IInvocationOperation, bool> isRelease, System.Func<IInvocationOperation, bool> isQuiet, System.Threading.CancellationToken cancellationToken, System.Func<ControlFlowGraph?>? driverGraph = null)
        {
            _driverGraph = driverGraph;
            _root = root;
            _uses = uses;
            _throwPoints = throwPoints;
            _isRelease = isRelease;
            _isQuiet = isQuiet;
            _cancellationToken = cancellationToken;
        }

        /// <summary>
        /// Is the reference <paramref name="acquisition"/> takes released on every path? Null when no graph holds it,
        /// or when the solve gave up.
        /// </summary>
        public ReleaseResult? Analyze(IInvocationOperation acquisition, ILocalSymbol? success)
            => Find(acquisition) is { } found
               && ReleaseOnAllPaths.AnalyzeReference(found.Graph, new ReceiverReference(found.Acquisition, success, _isRelease, _isQuiet), _uses, _throwPoints) is { HasGivenUp: false } result
                ? result
                : null;

        /// <summary>Is the reference <paramref name="acquisition"/> takes held at every one of <paramref name="sites"/>?</summary>
        public bool IsHeldAt(IInvocationOperation acquisition, IReadOnlyCollection<SyntaxNode> sites)
            => Find(acquisition) is { } found
               && ReleaseOnAllPaths.IsHeldAt(found.Graph, new ReceiverReference(found.Acquisition, null, _isRelease, _isQuiet), sites, _uses, _throwPoints);

        private (GraphFacts Graph, IInvocationOperation Acquisition)? Find(IInvocationOperation invocation)
        {
            if (_graphs == null)
            {
                _graphs = new List<GraphFacts>();
                var graph = _driverGraph != null ? _driverGraph() : ControlFlowGraphs.OfBody(_root, _cancellationToken);
                if (graph != null)
                {
                    _graphs.AddRange(ControlFlowGraphs.AllIn(graph, _cancellationToken).Select(g => new GraphFacts(g)));
                }
            }

            foreach (var graph in _graphs)
            {
                foreach (var block in graph.Graph.Blocks)
                {
                    foreach (var operation in block.Operations.SelectMany(o => graph.Of(o).Descendants))
                    {
                        if (operation is IInvocationOperation candidate && candidate.Syntax == invocation.Syntax
                            && SymbolEqualityComparer.Default.Equals(candidate.TargetMethod, invocation.TargetMethod))
                        {
                            return (graph, candidate);
                        }
                    }
                }
            }

            return null;
        }
    }
}
