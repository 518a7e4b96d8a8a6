using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>What a method of this compilation does with one of its parameters, as far as ownership goes.</summary>
    internal sealed class ParameterSummary
    {
        public static readonly ParameterSummary None = new ParameterSummary(releases: null, escapes: false, NativeTargetList.Empty);

        public ParameterSummary(Deallocator? releases, bool escapes, NativeTargetList nativeTargets, ReleaseFlag? releaseFlag = null)
        {
            Releases = releases;
            Escapes = escapes;
            NativeTargets = nativeTargets;
            ReleaseFlag = releaseFlag;
        }

        /// <summary>The release the method performs on the parameter (on some path), or null.</summary>
        public Deallocator? Releases { get; }

        /// <summary>
        /// When every release of the parameter sits under a test of one <c>bool</c> parameter (<c>if (freePtr) free(s);</c>),
        /// that parameter and the value that releases; null when some release is unconditional or guarded otherwise.
        /// </summary>
        public ReleaseFlag? ReleaseFlag { get; }

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
    /// The wrapper summaries of DESIGN.md's Architecture that follow a parameter through its method's body: what a method
    /// of this compilation does with each parameter — releases it, lets it escape, forwards it to a native function's
    /// parameter. Each use is classified by <see cref="ValueUses"/>, which asks these summaries in turn for the methods
    /// the value is passed to, one level deeper, up to <see cref="WrapperSummaries.MaxDepth"/>. Computed lazily, once per
    /// parameter, options scope and depth, and held by the compilation's context (<see cref="Of"/>).
    /// </summary>
    internal sealed class ParameterSummaries
    {
        private readonly InteropContext _context;
        private readonly ConcurrentDictionary<(IParameterSymbol, InteropScope, int), ParameterSummary> _parameters = ConcurrentTables.Create<(IParameterSymbol, InteropScope, int), ParameterSummary>(new ParameterKeyComparer());

        // The table's factory, made once: a lambda that reads 'this' is a new delegate at every ask.
        private readonly System.Func<(IParameterSymbol, InteropScope, int), ParameterSummary> _compute;

        private ParameterSummaries(InteropContext context)
        {
            _context = context;
            _compute = key => ComputeParameterSummary(key.Item1, key.Item2, key.Item3);
        }

        /// <summary>The compilation's one instance, held by its context (<see cref="HeldSummaries"/>).</summary>
        public static ParameterSummaries Of(InteropContext context) => context.Held.Get(c => new ParameterSummaries(c));

        /// <summary>What <paramref name="parameter"/>'s method does with it; <see cref="ParameterSummary.None"/> when unknown.</summary>
        public ParameterSummary Get(IParameterSymbol parameter, InteropScope scope, int depth)
        {
            if (depth >= WrapperSummaries.MaxDepth || parameter.ContainingSymbol is not IMethodSymbol method || !WrapperSummaries.IsSourceMethodWithBody(method)
                || _context.NativeFunctions.Get(method) != null)
            {
                return ParameterSummary.None;
            }

            // The depth is part of the key: a summary then depends only on deeper ones, so results do not depend on
            // the order in which concurrent analyses ask. The bound also cuts recursion (A calls B calls A).
            var key = (parameter.OriginalDefinition, scope, depth);
            return _parameters.TryGetValue(key, out var summary) ? summary : _parameters.GetOrAdd(key, _compute);
        }

        private ParameterSummary ComputeParameterSummary(IParameterSymbol parameter, InteropScope scope, int depth)
        {
            var body = _context.Wrappers.GetBody((IMethodSymbol)parameter.ContainingSymbol);
            if (body == null)
            {
                // A primary constructor has no body: its type's initializers and members keep the parameter or not.
                return PrimaryConstructorParameters.IsKept(parameter, _context.Compilation) ? Kept : ParameterSummary.None;
            }

            Deallocator? releases = null;
            ReleaseFlag? releaseFlag = null;
            var unguardedRelease = false;
            var escapes = false;
            var natives = new List<(NativeFunction, IParameterSymbol)>();
            var uses = new ValueUses(_context, scope, depth + 1);
            // One walk finds the parameter's references and the type tests that may name it anew. Without such a test (nearly
            // every wrapper) those references are all the loop below reads; with one, its locals' references are read too.
            var parameterReferences = ParameterReferences(body, parameter, out var aliasTests);
            var aliases = aliasTests == null ? null : PatternAliases(body, aliasTests);
            var references = aliases == null ? parameterReferences : body.Descendants().Where(o => o is IParameterReferenceOperation or ILocalReferenceOperation);
            foreach (var reference in references)
            {
                if (!(reference is IParameterReferenceOperation read ? SymbolEqualityComparer.Default.Equals(read.Parameter, parameter)
                                                                      : aliases != null && aliases.Contains(((ILocalReferenceOperation)reference).Local)))
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
                        var guard = ReleaseFlag.Guarding(reference, body);
                        if (guard == null || (releaseFlag != null && (!SymbolEqualityComparer.Default.Equals(guard.Flag, releaseFlag.Flag) || guard.ReleasesWhen != releaseFlag.ReleasesWhen)))
                        {
                            unguardedRelease = true;
                        }

                        releaseFlag ??= guard;
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

            return new ParameterSummary(releases, escapes, natives.Count == 0 ? NativeTargetList.Empty : new NativeTargetList(natives), unguardedRelease ? null : releaseFlag);
        }

        /// <summary>
        /// The references to <paramref name="parameter"/> in the body, in tree order, and the type tests of it that declare
        /// a local (<c>handle is ListHandle list</c>), in tree order; null when there is none.
        /// </summary>
        private static List<IOperation> ParameterReferences(IOperation body, IParameterSymbol parameter, out List<ILocalSymbol>? aliasTests)
        {
            var references = new List<IOperation>();
            aliasTests = null;
            foreach (var operation in body.Descendants())
            {
                switch (operation)
                {
                    case IParameterReferenceOperation read when SymbolEqualityComparer.Default.Equals(read.Parameter, parameter):
                        references.Add(read);
                        break;
                    case IIsPatternOperation test when OperationTree.SkipConversions(test.Value) is IParameterReferenceOperation tested
                                                       && SymbolEqualityComparer.Default.Equals(tested.Parameter, parameter)
                                                       && test.Pattern is IDeclarationPatternOperation { DeclaredSymbol: ILocalSymbol local }:
                        (aliasTests ??= new List<ILocalSymbol>()).Add(local);
                        break;
                }
            }

            return references;
        }

        /// <summary>
        /// Locals a type test of the parameter declares (<c>if (handle is ListHandle list) new RealmList(realm, list)</c>):
        /// other names of the same object, whose uses are the parameter's. Only locals never written afterwards; null when
        /// there are none.
        /// </summary>
        private static HashSet<ILocalSymbol>? PatternAliases(IOperation body, List<ILocalSymbol> declared)
        {
            HashSet<ILocalSymbol>? aliases = null;
            foreach (var local in declared)
            {
                if (IsNeverWritten(body, local))
                {
                    (aliases ??= new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default)).Add(local);
                }
            }

            return aliases;
        }

        private static bool IsNeverWritten(IOperation body, ILocalSymbol local)
            => !body.Descendants().OfType<ILocalReferenceOperation>().Any(r => SymbolEqualityComparer.Default.Equals(r.Local, local)
                                                                                && ((r.Parent is IAssignmentOperation assignment && assignment.Target == r) || OperationTree.IsOtherWrite(r)));

        private static readonly ParameterSummary Kept = new ParameterSummary(releases: null, escapes: true, NativeTargetList.Empty);

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

        /// <summary>Keys of per-parameter answers: the parameter, the options scope (by reference) and the depth.</summary>
        internal sealed class ParameterKeyComparer : IEqualityComparer<(IParameterSymbol, InteropScope, int)>
        {
            public bool Equals((IParameterSymbol, InteropScope, int) x, (IParameterSymbol, InteropScope, int) y)
                => SymbolEqualityComparer.Default.Equals(x.Item1, y.Item1) && ReferenceEquals(x.Item2, y.Item2) && x.Item3 == y.Item3;

            public int GetHashCode((IParameterSymbol, InteropScope, int) obj)
                => SymbolEqualityComparer.Default.GetHashCode(obj.Item1) ^ obj.Item2.GetHashCode() ^ obj.Item3;
        }
    }
}
