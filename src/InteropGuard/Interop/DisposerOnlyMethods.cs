using System.Collections.Concurrent;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Methods that only the release path calls: a base class declares <c>protected abstract void ReleaseCore()</c> and
    /// calls it from nowhere but its <c>Dispose(bool)</c>; each subclass's override frees its own handle. Such a method
    /// runs inside the disposer (whose caller holds <c>this</c>) or inside the finalizer (which runs once), so it is a
    /// place where the handle is released, like <c>Dispose</c> itself, not a caller whose owner the GC may collect. Read:
    /// the method is not public (a public one may be called from anywhere); every call the compilation makes to it, or to
    /// a method it overrides, is a plain call (not a method group) made directly by a release path (<see cref="ReleasePaths"/>:
    /// finalizer, <c>Dispose</c>, <c>ReleaseHandle</c>) or by another method read this way, one level deep; and there is at
    /// least one such call. Asked only of a finding about to be reported; answers are kept per method, the calls found by
    /// <see cref="MethodCallers"/>, and only for a method whose name a release path (or a method one level up) spells
    /// (<see cref="ReleasePathNames"/>): the others have a caller that is neither, if they have one.
    /// </summary>
    internal sealed class DisposerOnlyMethods
    {
        // ReleasePathNames reads the names of one level of methods between a release path and a call: a deeper search needs more there.
        private const int MaxDepth = 1;

        private readonly InteropContext _context;
        private readonly ConcurrentDictionary<IMethodSymbol, bool> _answers = ConcurrentTables.Create<IMethodSymbol, bool>(SymbolEqualityComparer.Default);

        private DisposerOnlyMethods(InteropContext context)
        {
            _context = context;
        }

        public static DisposerOnlyMethods Of(InteropContext context) => context.Held.Get(c => new DisposerOnlyMethods(c));

        /// <summary>Is <paramref name="method"/> only called by release paths (<see cref="ReleasePaths"/>), directly or one level deep?</summary>
        /// <param name="method">The method that holds the call.</param>
        /// <param name="cancellationToken">The analysis' cancellation.</param>
        public bool IsOnlyCalledToRelease(IMethodSymbol method, CancellationToken cancellationToken)
            => _answers.GetOrAdd(method.OriginalDefinition, m => Read(m, 0, cancellationToken));

        /// <summary>The methods this reading can answer yes for: ordinary instance methods that are not public.</summary>
        public static bool MayBeOne(IMethodSymbol method)
            => method.MethodKind == MethodKind.Ordinary && !method.IsStatic
               && method.DeclaredAccessibility is Accessibility.Private or Accessibility.Protected or Accessibility.Internal or Accessibility.ProtectedAndInternal;

        private bool Read(IMethodSymbol method, int depth, CancellationToken cancellationToken)
        {
            if (!MayBeOne(method))
            {
                return false;
            }

            // A call spells the name it calls inside its caller's declaration: a method whose name no release path (nor, one
            // level up, a method one spells) spells has a caller that is neither, if it has one, and is not searched for.
            var names = ReleasePathNames.Of(_context);
            if (!(depth < MaxDepth ? names.InReleasePathOrItsCallees(method.Name, cancellationToken) : names.InReleasePath(method.Name, cancellationToken)))
            {
                return false;
            }

            // Calls of the declarations it overrides count: 'ReleaseCore()' in the base class names the abstract one.
            if (MethodCallers.Of(_context).CallsOf(method, cancellationToken) is not { Count: > 0 } calls)
            {
                return false;
            }

            foreach (var call in calls)
            {
                if (call.Caller is not IMethodSymbol caller
                    || !(ReleasePaths.Is(caller) || (depth < MaxDepth && Read(caller.OriginalDefinition, depth + 1, cancellationToken))))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
