using System.Collections.Concurrent;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// A native call that is given a block and, in the same call, the function that frees it takes the block: the library
    /// calls that function when it no longer needs the data (TensorFlow's <c>TF_NewTensor(type, dims, n, data, len,
    /// deallocator, arg)</c>, a blob made around the caller's bytes), on failure as well. The callback counts when it is a
    /// function of this compilation — a method group, a lambda, <c>&amp;M</c> of an unmanaged-callers-only method, or a
    /// private or read-only delegate field every write of which is one of those — whose body frees one of its own
    /// parameters with a catalogued release. A callback that frees something else, a null deallocator, a public field the
    /// user may replace, or a delegate from anywhere else leaves the block the caller's.
    /// </summary>
    internal sealed class ReleaseCallbacks
    {
        private readonly InteropContext _context;
        private readonly ConcurrentDictionary<ISymbol, bool> _releasing = ConcurrentTables.Create<ISymbol, bool>(SymbolEqualityComparer.Default);

        private ReleaseCallbacks(InteropContext context)
        {
            _context = context;
        }

        public static ReleaseCallbacks Of(InteropContext context) => context.Held.Get(c => new ReleaseCallbacks(c));

        /// <summary>Does another argument of <paramref name="call"/> than the one for <paramref name="given"/> hand over a function that frees its parameter?</summary>
        public bool HandsOverRelease(IInvocationOperation call, IParameterSymbol given, AllocationCatalogue catalogue)
        {
            foreach (var argument in call.Arguments)
            {
                if (argument.Parameter is { Type.TypeKind: TypeKind.Delegate or TypeKind.FunctionPointer } parameter
                    && parameter.Ordinal != given.Ordinal && Releases(argument.Value, catalogue, viaField: true))
                {
                    return true;
                }
            }

            return false;
        }

        private bool Releases(IOperation value, AllocationCatalogue catalogue, bool viaField)
        {
            switch (OperationTree.SkipConversions(value))
            {
                case IDelegateCreationOperation { Target: var target }:
                    return Releases(target, catalogue, viaField);
                case IAddressOfOperation { Reference: var reference }:
                    return Releases(reference, catalogue, viaField);
                case IAnonymousFunctionOperation lambda:
                    return FreesOwnParameter(lambda.Body, lambda.Symbol, catalogue);
                case IFlowAnonymousFunctionOperation flow:
                    // A control-flow graph's lambda: read the one the tree binds.
                    return _context.Compilation.ContainsSyntaxTree(flow.Syntax.SyntaxTree)
                           && _context.Compilation.GetSemanticModel(flow.Syntax.SyntaxTree).GetOperation(flow.Syntax) is IAnonymousFunctionOperation bound
                           && FreesOwnParameter(bound.Body, bound.Symbol, catalogue);
                case IMethodReferenceOperation { Method: var method }:
                    return _releasing.GetOrAdd(method.OriginalDefinition, m => MethodFreesOwnParameter((IMethodSymbol)m, catalogue));
                case IFieldReferenceOperation { Field: var field } when viaField && HeldNativeFunctions.IsWrittenOnlyHere(field, _context.Compilation):
                    return _releasing.GetOrAdd(field.OriginalDefinition, f => EveryWriteReleases((IFieldSymbol)f, catalogue));
                default:
                    return false;
            }
        }

        private bool EveryWriteReleases(IFieldSymbol field, AllocationCatalogue catalogue)
        {
            var written = false;
            var every = MemberWrites.All(_context.Compilation, field, (kind, value) =>
            {
                if (kind is not (MemberWriteKind.Initializer or MemberWriteKind.Assignment) || value == null)
                {
                    return false;
                }

                // A field cleared when the library shuts down holds nothing to call.
                if (OperationTree.SkipConversions(value).ConstantValue is { HasValue: true, Value: null })
                {
                    return true;
                }

                written = true;
                return Releases(value, catalogue, viaField: false);
            });
            return every && written;
        }

        private bool MethodFreesOwnParameter(IMethodSymbol method, AllocationCatalogue catalogue)
            => _context.Wrappers.GetBody(method) is { } body && FreesOwnParameter(body, method, catalogue);

        private static bool FreesOwnParameter(IOperation body, IMethodSymbol function, AllocationCatalogue catalogue)
            => body.DescendantsAndSelf().OfType<IInvocationOperation>().Any(call =>
                catalogue.TryGetDeallocator(call.TargetMethod, out var release)
                && call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == release.PointerParameter) is { } freed
                && OperationTree.SkipConversions(freed.Value) is IParameterReferenceOperation { Parameter: var parameter }
                && SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol, function));
    }
}
