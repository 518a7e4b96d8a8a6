using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>
    /// "This method runs only while its object is being built": an instance constructor, or a private, non-virtual instance
    /// method that its class only calls on itself from such methods (<c>ApplyOptions(options)</c> at the end of each
    /// constructor), to <see cref="MaxDepth"/> levels. Until the constructor returns, the object is reachable only from the
    /// frame that created it — which holds it across the constructor call — so no other thread can hold it to dispose
    /// what it owns, and it cannot be finalized. A method used as a delegate, called from a lambda, a local function, a
    /// nested type or any other member does not count. One answer per method, cached for the compilation; the calls are
    /// <see cref="MethodCallers"/>'.
    /// </summary>
    internal sealed class ConstructionOnlyMethods
    {
        private const int MaxDepth = 3;

        private readonly MethodCallers _callers;
        private readonly ConcurrentDictionary<IMethodSymbol, bool> _answers = ConcurrentTables.Create<IMethodSymbol, bool>(SymbolEqualityComparer.Default);

        public ConstructionOnlyMethods(MethodCallers callers)
        {
            _callers = callers;
        }

        public bool RunsOnlyDuringConstruction(IMethodSymbol method, CancellationToken cancellationToken)
            => RunsOnlyDuringConstruction(method, 0, cancellationToken);

        private bool RunsOnlyDuringConstruction(IMethodSymbol method, int depth, CancellationToken cancellationToken)
        {
            method = method.OriginalDefinition;
            if (method.MethodKind == MethodKind.Constructor)
            {
                return !method.IsStatic;
            }

            if (depth >= MaxDepth || method.MethodKind != MethodKind.Ordinary || method.IsStatic || method.IsVirtual || method.IsOverride || method.IsAbstract
                || method.DeclaredAccessibility != Accessibility.Private || method.ContainingType == null)
            {
                return false;
            }

            return _answers.GetOrAdd(method, m => CalledOnlyByConstruction(m, depth, cancellationToken));
        }

        // Each call is made on the object itself by a member's own body (not a lambda's or a local function's).
        private bool CalledOnlyByConstruction(IMethodSymbol method, int depth, CancellationToken cancellationToken)
            => _callers.CallsOf(method, cancellationToken) is { Count: > 0 } calls
               && calls.All(call => call.Invocation.Instance is IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }
                                    && call.Caller is IMethodSymbol { IsStatic: false, MethodKind: not (MethodKind.AnonymousFunction or MethodKind.LocalFunction) } caller
                                    && RunsOnlyDuringConstruction(caller, depth + 1, cancellationToken));
    }
}
