using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using InteropGuard.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>A wrapper whose body is a single call: which callee, and which wrapper parameter feeds each callee parameter.</summary>
    internal sealed class ForwardedCall
    {
        private readonly int[] _wrapperParameterForTarget;

        public ForwardedCall(IMethodSymbol target, int[] wrapperParameterForTarget)
        {
            Target = target;
            _wrapperParameterForTarget = wrapperParameterForTarget;
        }

        public IMethodSymbol Target { get; }

        /// <summary>The wrapper parameter forwarded to the callee's parameter <paramref name="targetOrdinal"/>, or -1.</summary>
        public int WrapperParameterFor(int targetOrdinal)
            => targetOrdinal >= 0 && targetOrdinal < _wrapperParameterForTarget.Length ? _wrapperParameterForTarget[targetOrdinal] : -1;
    }

    /// <summary>What a method of this compilation does with one of its parameters, as far as ownership goes.</summary>
    internal sealed class ParameterSummary
    {
        public static readonly ParameterSummary None = new ParameterSummary(releases: null, escapes: false, NativeTargetList.Empty);

        public ParameterSummary(Deallocator? releases, bool escapes, NativeTargetList nativeTargets)
        {
            Releases = releases;
            Escapes = escapes;
            NativeTargets = nativeTargets;
        }

        /// <summary>The release the method performs on the parameter (on some path), or null.</summary>
        public Deallocator? Releases { get; }

        /// <summary>The method stores, returns, captures or hands the parameter to an owner.</summary>
        public bool Escapes { get; }

        /// <summary>The native functions (and their parameters) the parameter is forwarded to.</summary>
        public NativeTargetList NativeTargets { get; }
    }

    /// <summary>Native parameters a managed parameter reaches.</summary>
    internal sealed class NativeTargetList
    {
        public static readonly NativeTargetList Empty = new NativeTargetList(new List<(NativeFunction, IParameterSymbol)>());

        public NativeTargetList(List<(NativeFunction Function, IParameterSymbol Parameter)> targets)
        {
            Targets = targets;
        }

        public IReadOnlyList<(NativeFunction Function, IParameterSymbol Parameter)> Targets { get; }
    }

    /// <summary>
    /// Wrapper summaries (DESIGN.md, Architecture): computed lazily, once per method of this compilation, to a bounded
    /// depth, so that rules can treat a managed wrapper in front of a native call like the native call itself.
    /// </summary>
    internal sealed class WrapperSummaries
    {
        public const int MaxDepth = 3;

        private readonly InteropContext _context;
        private readonly Compilation _compilation;
        private readonly ConcurrentDictionary<IMethodSymbol, BodyHolder> _bodies = new ConcurrentDictionary<IMethodSymbol, BodyHolder>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<IMethodSymbol, ForwardedCall?> _forwarded = new ConcurrentDictionary<IMethodSymbol, ForwardedCall?>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<(IParameterSymbol, InteropScope, int), ParameterSummary> _parameters = new ConcurrentDictionary<(IParameterSymbol, InteropScope, int), ParameterSummary>(new ParameterKeyComparer());

        public WrapperSummaries(InteropContext context, Compilation compilation)
        {
            _context = context;
            _compilation = compilation;
        }

        /// <summary>The single call a wrapper's body consists of (<c>=> F(a)</c>, <c>{ return F(a); }</c>, <c>{ F(a); }</c>), or null.</summary>
        public ForwardedCall? GetForwardedCall(IMethodSymbol method)
        {
            if (!IsSourceMethodWithBody(method) || IsNativeFunction(method))
            {
                return null;
            }

            return _forwarded.GetOrAdd(method.OriginalDefinition, ComputeForwardedCall);
        }

        /// <summary>What <paramref name="parameter"/>'s method does with it; <see cref="ParameterSummary.None"/> when unknown.</summary>
        public ParameterSummary GetParameterSummary(IParameterSymbol parameter, InteropScope scope, int depth)
        {
            if (depth >= MaxDepth || parameter.ContainingSymbol is not IMethodSymbol method || !IsSourceMethodWithBody(method) || IsNativeFunction(method))
            {
                return ParameterSummary.None;
            }

            // The depth is part of the key: a summary then depends only on deeper ones, so results do not depend on
            // the order in which concurrent analyses ask. The bound also cuts recursion (A calls B calls A).
            var key = (parameter.OriginalDefinition, scope, depth);
            return _parameters.GetOrAdd(key, k => ComputeParameterSummary((IParameterSymbol)k.Item1, k.Item2, k.Item3));
        }

        private ParameterSummary ComputeParameterSummary(IParameterSymbol parameter, InteropScope scope, int depth)
        {
            var body = GetBody((IMethodSymbol)parameter.ContainingSymbol);
            if (body == null)
            {
                return ParameterSummary.None;
            }

            Deallocator? releases = null;
            var escapes = false;
            var natives = new List<(NativeFunction, IParameterSymbol)>();
            var uses = new ValueUses(_context, scope, depth + 1);
            foreach (var reference in body.Descendants().OfType<IParameterReferenceOperation>())
            {
                if (!SymbolEqualityComparer.Default.Equals(reference.Parameter, parameter))
                {
                    continue;
                }

                if (OperationTree.IsInNestedFunction(reference, body))
                {
                    escapes = true;
                    continue;
                }

                var use = uses.Classify(reference);
                switch (use.Kind)
                {
                    case ValueUseKind.Release:
                        releases ??= use.Release;
                        break;
                    case ValueUseKind.Escape:
                    case ValueUseKind.ReachedRoot:
                        escapes |= use.Kind == ValueUseKind.Escape || IsReturned(reference);
                        break;
                }

                if (use.NativeTarget is { } target)
                {
                    natives.Add(target);
                }
            }

            if (releases == null && !escapes && natives.Count == 0)
            {
                return ParameterSummary.None;
            }

            return new ParameterSummary(releases, escapes, natives.Count == 0 ? NativeTargetList.Empty : new NativeTargetList(natives));
        }

        private static bool IsReturned(IOperation reference)
        {
            for (var current = reference.Parent; current != null; current = current.Parent)
            {
                if (current is IReturnOperation)
                {
                    return true;
                }
            }

            return false;
        }

        private ForwardedCall? ComputeForwardedCall(IMethodSymbol method)
        {
            var declaration = (method.PartialImplementationPart ?? method).DeclaringSyntaxReferences;
            if (declaration.Length == 1 && !SingleCallShape.MayBeOneCall(declaration[0].GetSyntax()))
            {
                return null;
            }

            var body = GetBody(method);
            var call = SingleCall(body);
            if (call == null)
            {
                return null;
            }

            var map = Enumerable.Repeat(-1, call.TargetMethod.Parameters.Length).ToArray();
            foreach (var argument in call.Arguments)
            {
                if (argument.Parameter != null && OperationTree.SkipConversions(argument.Value) is IParameterReferenceOperation forwarded
                    && SymbolEqualityComparer.Default.Equals(forwarded.Parameter.ContainingSymbol, method))
                {
                    map[argument.Parameter.Ordinal] = forwarded.Parameter.Ordinal;
                }
            }

            return new ForwardedCall(call.TargetMethod, map);
        }

        private static IInvocationOperation? SingleCall(IOperation? body)
        {
            IOperation? only = body;
            while (true)
            {
                switch (only)
                {
                    case IMethodBodyOperation methodBody:
                        only = methodBody.BlockBody ?? methodBody.ExpressionBody;
                        continue;
                    case IBlockOperation block:
                        var statements = block.Operations.Where(o => !(o is IReturnOperation r && r.ReturnedValue == null && r.IsImplicit)).ToList();
                        if (statements.Count != 1)
                        {
                            return null;
                        }

                        only = statements[0];
                        continue;
                    case IReturnOperation ret:
                        only = ret.ReturnedValue;
                        continue;
                    case IExpressionStatementOperation statement:
                        only = statement.Operation;
                        continue;
                    case IConversionOperation conversion:
                        only = conversion.Operand;
                        continue;
                    case IInvocationOperation invocation:
                        return invocation;
                    default:
                        return null;
                }
            }
        }

        /// <summary>
        /// A P/Invoke is never a wrapper: a LibraryImport method is <c>partial</c> with a body, but that body is the
        /// generator's marshalling stub, and reading it bound a stub for every P/Invoke called (PERFORMANCE.md, cause 1).
        /// </summary>
        private bool IsNativeFunction(IMethodSymbol method) => _context.NativeFunctions.Get(method) != null;

        /// <summary>A method of this compilation with a body to summarize: the only kind that can be a wrapper.</summary>
        internal static bool IsSourceMethodWithBody(IMethodSymbol method)
            => !method.IsExtern && !method.IsAbstract && method.DeclaringSyntaxReferences.Length > 0 && method.ContainingAssembly != null;

        /// <summary>The bound body of a method of this compilation (its implementation part for a partial method), or null.</summary>
        internal IOperation? GetBody(IMethodSymbol method)
        {
            method = method.PartialImplementationPart ?? method.OriginalDefinition;
            return _bodies.GetOrAdd(method, m => new BodyHolder(LoadBody(m))).Body;
        }

        private IOperation? LoadBody(IMethodSymbol method)
        {
            if (!SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, _compilation.Assembly))
            {
                return null;
            }

            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                var syntax = reference.GetSyntax(CancellationToken.None);
#pragma warning disable RS1030 // Summaries of other methods need those methods' semantic models; computed once per compilation and cached.
                var model = _compilation.GetSemanticModel(syntax.SyntaxTree);
#pragma warning restore RS1030
                var operation = model.GetOperation(syntax);
                if (operation != null)
                {
                    return operation;
                }
            }

            return null;
        }

        private sealed class BodyHolder
        {
            public BodyHolder(IOperation? body)
            {
                Body = body;
            }

            public IOperation? Body { get; }
        }

        private sealed class ParameterKeyComparer : IEqualityComparer<(IParameterSymbol, InteropScope, int)>
        {
            public bool Equals((IParameterSymbol, InteropScope, int) x, (IParameterSymbol, InteropScope, int) y)
                => SymbolEqualityComparer.Default.Equals(x.Item1, y.Item1) && ReferenceEquals(x.Item2, y.Item2) && x.Item3 == y.Item3;

            public int GetHashCode((IParameterSymbol, InteropScope, int) obj)
                => SymbolEqualityComparer.Default.GetHashCode(obj.Item1) ^ obj.Item2.GetHashCode() ^ obj.Item3;
        }
    }
}
