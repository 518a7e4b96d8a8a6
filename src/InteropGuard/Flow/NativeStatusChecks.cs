using System.Collections.Concurrent;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Is a call a check of a native call's status: a method of this compilation given the result of a native call —
    /// directly (<c>ThrowIfError(Native.JsAddRef(v, out n))</c>) or through a local every write of which is one
    /// (<c>var code = Native.JsCreateString(...); ThrowIfError(code);</c>) — whose body can raise nothing but its own
    /// <c>throw</c> statements (<c>MmException.Try(result, name)</c>, a switch over the error codes)? Such a check throws
    /// only when the native library reports a failure, and whether a given native function can fail where it is called
    /// (a script engine's <c>JsAddRef</c> inside the engine's own callback, or a codec driver's details query inside the
    /// driver enumeration) is knowledge of the native side. A callback bridge names those last (<see cref="ThrowOrigins"/>):
    /// where it also has an exception its own managed code raises, that one is what a reader should see.
    /// </summary>
    internal sealed class NativeStatusChecks
    {
        private readonly InteropContext _context;
        private readonly ConcurrentDictionary<AllocationCatalogue, ConcurrentDictionary<IMethodSymbol, bool>> _onlyThrows = new ConcurrentDictionary<AllocationCatalogue, ConcurrentDictionary<IMethodSymbol, bool>>();

        public NativeStatusChecks(InteropContext context)
        {
            _context = context;
        }

        /// <param name="operation">An escaping operation of <paramref name="body"/>.</param>
        /// <param name="body">The body that holds it (its writes of locals are read).</param>
        /// <param name="catalogue">The tree's catalogue, for the throw points of the called body.</param>
        public bool IsCheck(IOperation operation, IOperation body, AllocationCatalogue catalogue)
        {
            if (operation is not IInvocationOperation { TargetMethod: { } method } invocation
                || method.MethodKind == MethodKind.DelegateInvoke
                || !WrapperSummaries.IsSourceMethodWithBody(method)
                || !invocation.Arguments.Any(a => IsNativeResult(a.Value, body)))
            {
                return false;
            }

            return _onlyThrows.GetOrAdd(catalogue, _ => ConcurrentTables.Create<IMethodSymbol, bool>(SymbolEqualityComparer.Default))
                .GetOrAdd(method.OriginalDefinition, m => OnlyThrows(m, catalogue));
        }

        private bool IsNativeCall(IOperation value)
            => OperationTree.SkipConversions(value) is IInvocationOperation call && HeldNativeFunctions.Of(_context).CalledBy(call) != null;

        private bool IsNativeResult(IOperation value, IOperation body)
        {
            if (IsNativeCall(value))
            {
                return true;
            }

            if (OperationTree.SkipConversions(value) is not ILocalReferenceOperation { Local: { IsRef: false } local })
            {
                return false;
            }

            // Every write of the local is a native call's result (a declaration without one is not a write).
            var written = false;
            foreach (var operation in body.Descendants())
            {
                switch (operation)
                {
                    case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local):
                        if (declarator.Initializer?.Value is { } initial)
                        {
                            if (!IsNativeCall(initial))
                            {
                                return false;
                            }

                            written = true;
                        }

                        break;
                    case ILocalReferenceOperation reference when SymbolEqualityComparer.Default.Equals(reference.Local, local):
                        if (reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference)
                        {
                            if (!IsNativeCall(assignment.Value))
                            {
                                return false;
                            }

                            written = true;
                        }
                        else if (reference.Parent is IArgumentOperation { Parameter.RefKind: RefKind.Out or RefKind.Ref }
                                 || reference.Parent is ICompoundAssignmentOperation or IIncrementOrDecrementOperation
                                 || (reference.Parent is IDeclarationExpressionOperation))
                        {
                            return false;
                        }

                        break;
                }
            }

            return written;
        }

        // The called body raises nothing but its own throw statements (and what builds the thrown exception).
        private bool OnlyThrows(IMethodSymbol method, AllocationCatalogue catalogue)
        {
            var body = _context.Wrappers.GetBody(method);
            if (body == null)
            {
                return false;
            }

            var escapes = new EscapingExceptions(new ThrowPoints(_context, catalogue, everyFailure: true, depth: 1), _context.Types.Exception);
            var any = false;
            foreach (var escaping in escapes.AllEscaping(body))
            {
                if (!IsInThrow(escaping, body))
                {
                    return false;
                }

                any = true;
            }

            return any;
        }

        private static bool IsInThrow(IOperation operation, IOperation body)
        {
            for (var current = operation; current != null && current != body; current = current.Parent)
            {
                if (current is IThrowOperation)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
