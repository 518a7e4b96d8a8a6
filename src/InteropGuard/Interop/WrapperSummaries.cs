using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>A wrapper whose body is a single call: which callee, and which wrapper parameter feeds each callee parameter.</summary>
    internal sealed class ForwardedCall
    {
        private readonly int[] _wrapperParameterForTarget;

        public ForwardedCall(IInvocationOperation call, IMethodSymbol target, int[] wrapperParameterForTarget)
        {
            Call = call;
            Target = target;
            _wrapperParameterForTarget = wrapperParameterForTarget;
        }

        /// <summary>The call itself: what it passes besides the wrapper's parameters (constants) can matter.</summary>
        public IInvocationOperation Call { get; }

        /// <summary>The callee: the call's target, or the P/Invoke a delegate field it invokes only ever holds.</summary>
        public IMethodSymbol Target { get; }

        /// <summary>The wrapper parameter forwarded to the callee's parameter <paramref name="targetOrdinal"/>, or -1.</summary>
        public int WrapperParameterFor(int targetOrdinal)
            => targetOrdinal >= 0 && targetOrdinal < _wrapperParameterForTarget.Length ? _wrapperParameterForTarget[targetOrdinal] : -1;
    }

    /// <summary>
    /// Wrapper summaries (DESIGN.md, Architecture): computed lazily, once per method of this compilation, to a bounded
    /// depth, so that rules can treat a managed wrapper in front of a native call like the native call itself. What a
    /// wrapper does with each parameter follows the parameter through the body with Flow's use classification, so it is
    /// Flow's (<c>ParameterSummaries</c>); the bodies, the single-call shape and the depth bound are here.
    /// </summary>
    internal sealed class WrapperSummaries
    {
        public const int MaxDepth = 3;

        private readonly InteropContext _context;
        private readonly Compilation _compilation;
        private readonly ConcurrentDictionary<IMethodSymbol, BodyHolder> _bodies = ConcurrentTables.Create<IMethodSymbol, BodyHolder>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<IMethodSymbol, ForwardedCall?> _forwarded = ConcurrentTables.Create<IMethodSymbol, ForwardedCall?>(SymbolEqualityComparer.Default);

        // The tables' factories, made once: a method group or a lambda that reads 'this' is a new delegate at every ask.
        private readonly Func<IMethodSymbol, BodyHolder> _loadBody;
        private readonly Func<IMethodSymbol, ForwardedCall?> _computeForwardedCall;

        public WrapperSummaries(InteropContext context, Compilation compilation)
        {
            _context = context;
            _compilation = compilation;
            _loadBody = method => new BodyHolder(LoadBody(method));
            _computeForwardedCall = ComputeForwardedCall;
        }

        /// <summary>The single call a wrapper's body consists of (<c>=> F(a)</c>, <c>{ return F(a); }</c>, <c>{ F(a); }</c>), or null.</summary>
        public ForwardedCall? GetForwardedCall(IMethodSymbol method)
        {
            if (!IsSourceMethodWithBody(method) || IsNativeFunction(method))
            {
                return null;
            }

            return _forwarded.GetOrAdd(method.OriginalDefinition, _computeForwardedCall);
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

            // '=> _topic_partition_list_new(cnt)' through a field that only ever holds one P/Invoke forwards to that P/Invoke.
            var target = call.TargetMethod.MethodKind == MethodKind.DelegateInvoke && HeldNativeFunctions.Of(_context).Of(call.Instance) is { } held
                ? held.Method
                : call.TargetMethod;
            var map = Enumerable.Repeat(-1, target.Parameters.Length).ToArray();
            foreach (var argument in call.Arguments)
            {
                if (argument.Parameter is { } parameter && parameter.Ordinal < map.Length && OperationTree.SkipConversions(argument.Value) is IParameterReferenceOperation forwarded
                    && SymbolEqualityComparer.Default.Equals(forwarded.Parameter.ContainingSymbol, method))
                {
                    map[parameter.Ordinal] = forwarded.Parameter.Ordinal;
                }
            }

            return new ForwardedCall(call, target, map);
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
            return _bodies.GetOrAdd(method, _loadBody).Body;
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
    }
}
