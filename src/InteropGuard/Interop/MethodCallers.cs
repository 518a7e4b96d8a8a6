using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

// A call as kept between asks: its syntax and the function that makes it, no operation (see MethodCallers).
using CallSite = (Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax Syntax, Microsoft.CodeAnalysis.ISymbol? Caller);

namespace InteropGuard.Interop
{
    /// <summary>A call the compilation makes to a method, and the function whose body makes it.</summary>
    internal readonly struct MethodCall
    {
        public MethodCall(IInvocationOperation invocation, ISymbol? caller)
        {
            Invocation = invocation;
            Caller = caller;
        }

        /// <summary>The call, in the operation tree of the body that holds it (its parents lead to that body's root).</summary>
        public IInvocationOperation Invocation { get; }

        /// <summary>
        /// The innermost function around the call, as the semantic model names it: the member, or the lambda or local
        /// function when the call is inside one (a field, for a call in a field's initializer).
        /// </summary>
        public ISymbol? Caller { get; }
    }

    /// <summary>
    /// Who calls a method of this compilation, and is that every use of it? The readings that stay silent because they saw
    /// all the callers (IG3006's held handles, IG1001's release-only and construction-only methods, the delegates a method is
    /// lent) ask this, each with its own question about the calls. A use is every name in the compilation's syntax that binds
    /// to the method or to a declaration it overrides (a call through the base declaration may run it); a call is a use that
    /// is what an invocation invokes (<c>M(..)</c>, <c>this.M(..)</c>, <c>base.M(..)</c>, <c>x.M(..)</c> for an extension
    /// method). Any other use — a method group (a delegate, <c>&amp;M</c>, an event subscription), a conditional call
    /// <c>x?.M()</c> — may run the method from where it cannot be seen, and makes the answer "not only calls" (null). A
    /// <c>nameof(M)</c> runs nothing and does not bind to the method, so it is no use. Reflection is not seen; neither is a
    /// call from another assembly: which methods other code can reach (their accessibility, <c>InternalsVisibleTo</c>
    /// friends, which the rules do not count, virtual slots, interfaces) is each reading's own test before it asks
    /// (<see cref="IsClosed"/> for the common one). A partial method is read through its declaring part (which calls bind to),
    /// whichever part is asked. A private method is looked for only in the trees that declare its type (nothing else can
    /// name it); any other in every tree whose identifiers spell its name (<see cref="NameReferences.InTree"/>). Computed once
    /// per method per compilation when first asked (a race computes the same answer twice and keeps one; a search
    /// <see cref="EveryCall"/> stopped early is not kept) and kept with the
    /// compilation's context as syntax: each ask gets the calls' operations from the semantic model the compilation hands
    /// out then. An operation keeps its semantic model, and every body bound in it, alive; kept for the compilation's life
    /// they raised InteropGuard's added peak memory on TorchSharp from +5% to +13%. Each reading caches its own answer, so
    /// a method's calls are asked for a few times at most.
    /// </summary>
    internal sealed class MethodCallers
    {
        /// <summary>Declarations followed up an override chain: more than this is not a chain real code has.</summary>
        private const int MaxDeclarations = 8;

        private readonly Compilation _compilation;
        private readonly InteropVocabulary _vocabulary;
        private readonly ImplementedInterfaces _interfaces;
        private readonly ClosedClasses _closedClasses;
        private readonly ConcurrentDictionary<IMethodSymbol, IReadOnlyList<CallSite>?> _sites = ConcurrentTables.Create<IMethodSymbol, IReadOnlyList<CallSite>?>(SymbolEqualityComparer.Default);

        private MethodCallers(InteropContext context)
        {
            _compilation = context.Compilation;
            _vocabulary = context.Vocabulary;
            _interfaces = ImplementedInterfaces.Of(context);
            _closedClasses = ClosedClasses.Of(context);
        }

        /// <summary>The compilation's one reading, held by its context.</summary>
        public static MethodCallers Of(InteropContext context) => context.Held.Get(c => new MethodCallers(c));

        /// <summary>
        /// Every call the compilation makes to <paramref name="method"/>, in tree and text order; null when some use of it is
        /// not a call. Empty when nothing in the compilation names it.
        /// </summary>
        public IReadOnlyList<MethodCall>? CallsOf(IMethodSymbol method, CancellationToken cancellationToken)
        {
            var key = DeclaringPart(method);
            var sites = _sites.TryGetValue(key, out var known) ? known : _sites.GetOrAdd(key, Read(key, cancellationToken));
            if (sites == null)
            {
                return null;
            }

            var calls = new MethodCall[sites.Count];
            SemanticModel? model = null;
            for (var i = 0; i < calls.Length; i++)
            {
                var site = sites[i];
#pragma warning disable RS1030 // Once per tree of a method's calls; each reading asks once per method and caches its answer.
                model = model?.SyntaxTree == site.Syntax.SyntaxTree ? model : _compilation.GetSemanticModel(site.Syntax.SyntaxTree);
#pragma warning restore RS1030
                if (model.GetOperation(site.Syntax, cancellationToken) is not IInvocationOperation invocation)
                {
                    return null;
                }

                calls[i] = new MethodCall(invocation, site.Caller);
            }

            return calls;
        }

        /// <summary>
        /// Does every use of <paramref name="method"/> call it, is there at least one call, and does
        /// <paramref name="holds"/> hold of each? The answer <c>CallsOf(method) is { Count: &gt; 0 } calls &amp;&amp;
        /// calls.All(holds)</c> gives, but a method whose calls are not yet known is searched for one call at a time
        /// (trees and text in <see cref="CallsOf"/>' order), and the search stops at the first call
        /// <paramref name="holds"/> turns down or the first use that is not a call: a reading that says no at its
        /// first caller (IG1001's caller reading on a binding, where most callers pass a temporary) does not bind every
        /// other place the name is spelled. A search run to its end, or ended by a use that is not a call (the whole
        /// answer then), is kept as <see cref="CallsOf"/>' answer; one stopped by <paramref name="holds"/> is not.
        /// </summary>
        public bool EveryCall(IMethodSymbol method, System.Func<MethodCall, bool> holds, CancellationToken cancellationToken)
        {
            var key = DeclaringPart(method);
            if (_sites.ContainsKey(key))
            {
                return CallsOf(method, cancellationToken) is { Count: > 0 } calls && calls.All(holds);
            }

            var sites = new List<CallSite>();
            foreach (var (syntax, invocation, caller) in Search(key, cancellationToken))
            {
                if (invocation == null)
                {
                    _sites.TryAdd(key, null);
                    return false;
                }

                sites.Add((syntax!, caller));
                if (!holds(new MethodCall(invocation, caller)))
                {
                    return false;
                }
            }

            _sites.TryAdd(key, sites);
            return sites.Count > 0;
        }

        /// <summary>
        /// Is every use of <paramref name="method"/> either a call <paramref name="holds"/> holds of, or a method group
        /// (<c>Select(Map)</c>) <paramref name="holdsGroup"/> holds of, with its caller, and is there at least one use? For a
        /// reading that can vouch for what a method group's delegate runs with; searched anew on each ask, to the first use
        /// turned down, so asked only where <see cref="EveryCall"/> found a use that is not a call
        /// (<see cref="HasUsesOtherThanCalls"/>).
        /// </summary>
        public bool EveryCallOrGroup(IMethodSymbol method, System.Func<MethodCall, bool> holds, System.Func<IMethodReferenceOperation, ISymbol?, bool> holdsGroup, CancellationToken cancellationToken)
        {
            var any = false;
            foreach (var (reference, invocation) in Uses(DeclaringPart(method), cancellationToken))
            {
                var caller = reference.Model.GetEnclosingSymbol(reference.Name.SpanStart, cancellationToken);
                if (invocation != null ? !holds(new MethodCall(invocation, caller))
                    : reference.Model.GetOperation(reference.Whole, cancellationToken) is not IMethodReferenceOperation group || !holdsGroup(group, caller))
                {
                    return false;
                }

                any = true;
            }

            return any;
        }

        /// <summary>Has a search of the method's uses found one that is not a call (a method group, a conditional call)?</summary>
        public bool HasUsesOtherThanCalls(IMethodSymbol method) => _sites.TryGetValue(DeclaringPart(method), out var sites) && sites == null;

        /// <summary>
        /// No code outside the compilation can call the method or reach it another way: an ordinary method, not visible
        /// outside (<see cref="SymbolVisibility"/>; <c>InternalsVisibleTo</c> friends are not counted) or a protected instance
        /// method of a class no class outside can derive from with objects (<see cref="ClosedClasses"/>), of this assembly, in
        /// no virtual slot (<see cref="IsClosedToAllButInterfaces"/>), implementing no interface member for its own type or
        /// a type of the compilation derived from it (<see cref="ImplementsAnInterfaceMember"/>).
        /// </summary>
        public bool IsClosed(IMethodSymbol method) => IsClosedToAllButInterfaces(method) && !ImplementsAnInterfaceMember(method);

        /// <summary>
        /// <see cref="IsClosed"/> read from the method's own declaration: all of it but the interface test, which asks the
        /// compilation's interface map (built once, from every type's interfaces). A reading that may say no for a reason
        /// of its own asks this first and the interface test last.
        /// </summary>
        public bool IsClosedToAllButInterfaces(IMethodSymbol method)
            => method.MethodKind == MethodKind.Ordinary && !method.IsVirtual && !method.IsOverride && !method.IsAbstract
               && IsHiddenOutside(method)
               && SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, _compilation.Assembly)
               && method.ContainingType is not null;

        /// <summary>
        /// An override only this compilation can call or override again: every declaration up its chain (the override itself
        /// included) is an ordinary method of this assembly not visible outside the compilation (Eluant's <c>internal override
        /// void Push(LuaRuntime)</c> of an <c>internal abstract</c> one). Every call that may run it names one of those
        /// declarations, which <see cref="CallsOf"/> reads; whether an interface member is implemented is asked apart
        /// (<see cref="ImplementsAnInterfaceMember"/>).
        /// </summary>
        public bool IsClosedOverrideToAllButInterfaces(IMethodSymbol method)
        {
            if (!method.IsOverride)
            {
                return false;
            }

            var declarations = 0;
            for (var declared = method; declared != null; declared = declared.OverriddenMethod)
            {
                if (++declarations > MaxDeclarations || declared.MethodKind != MethodKind.Ordinary || !IsHiddenOutside(declared)
                    || !SymbolEqualityComparer.Default.Equals(declared.ContainingAssembly, _compilation.Assembly) || declared.ContainingType is null)
                {
                    return false;
                }
            }

            return true;
        }

        // Not visible outside the compilation, or protected in a class no class outside can derive from with objects.
        private bool IsHiddenOutside(IMethodSymbol method)
            => !SymbolVisibility.IsVisibleOutsideTheCompilation(method) || _closedClasses.IsProtectedInAClosedClass(method);

        /// <summary>Is the method what some type of the compilation runs for an interface member (<see cref="ImplementedInterfaces.ImplementsAnInterfaceMember"/>)?</summary>
        public bool ImplementsAnInterfaceMember(IMethodSymbol method) => _interfaces.ImplementsAnInterfaceMember(method);

        // Calls bind to a partial method's declaring part and to an extension method's static form.
        private static IMethodSymbol DeclaringPart(IMethodSymbol method)
        {
            method = method.ReducedFrom ?? method;
            return (method.PartialDefinitionPart ?? method).OriginalDefinition;
        }

        private IReadOnlyList<CallSite>? Read(IMethodSymbol method, CancellationToken cancellationToken)
        {
            var sites = new List<CallSite>();
            foreach (var (syntax, invocation, caller) in Search(method, cancellationToken))
            {
                if (invocation == null)
                {
                    return null;
                }

                sites.Add((syntax!, caller));
            }

            return sites;
        }

        /// <summary>
        /// The uses of the method, one at a time in tree and text order: a call with its syntax, operation and caller, or a
        /// use that is not a call (no invocation; the search's consumer stops there).
        /// </summary>
        private IEnumerable<(InvocationExpressionSyntax? Syntax, IInvocationOperation? Invocation, ISymbol? Caller)> Search(IMethodSymbol method, CancellationToken cancellationToken)
        {
            foreach (var (reference, invocation) in Uses(method, cancellationToken))
            {
                if (invocation == null)
                {
                    yield return (null, null, null);
                    yield break;
                }

                yield return ((InvocationExpressionSyntax)invocation.Syntax, invocation, reference.Model.GetEnclosingSymbol(reference.Name.SpanStart, cancellationToken));
            }
        }

        // Every name that binds to the method or a declaration it overrides, with the call it is what is invoked by (or null).
        private IEnumerable<(NameReference Reference, IInvocationOperation? Invocation)> Uses(IMethodSymbol method, CancellationToken cancellationToken)
        {
            // A call binds to the declaration it names: 'ReleaseCore()' in a base class names the abstract one.
            var declarations = new List<ISymbol>();
            for (var declared = method; declared != null && declarations.Count < MaxDeclarations; declared = declared.OverriddenMethod)
            {
                declarations.Add(declared.OriginalDefinition);
            }

            foreach (var tree in TreesThatMayName(method))
            {
                foreach (var reference in NameReferences.InTree(declarations, method.Name, tree, _compilation, _vocabulary, cancellationToken))
                {
                    yield return (reference, reference.Invocation(cancellationToken) is { Syntax: InvocationExpressionSyntax } invocation ? invocation : null);
                }
            }
        }

        private IEnumerable<SyntaxTree> TreesThatMayName(IMethodSymbol method)
        {
            if (method.DeclaredAccessibility != Accessibility.Private || method.ContainingType is not { } type)
            {
                return _compilation.SyntaxTrees;
            }

            // The type's own text, nested types included: the only places a private member can be named.
            return type.DeclaringSyntaxReferences.Select(r => r.SyntaxTree).Where(_compilation.ContainsSyntaxTree).Distinct();
        }
    }
}
