using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>
    /// Per-type summary, by symbol: which members of a class (its nested types' included) give back a SafeHandle
    /// reference — call <c>SafeHandle.DangerousRelease</c>, directly, in a lambda they contain, or through a method of
    /// the compilation that does (to <see cref="MaxDepth"/> calls deep). IG3006 reads a <c>DangerousAddRef</c> on a
    /// handle the object itself holds as a lease when another member gives such references back. One answer per type
    /// and per helper method, computed when first asked and cached for the compilation.
    /// </summary>
    /// <remarks>
    /// By symbol, not by name: a <c>DangerousRelease</c> of some other type (a pool's own method) gives nothing back,
    /// and a release written in a helper (<c>Leases.ReturnAll(handles)</c>) is one.
    /// </remarks>
    internal sealed class ReferenceReleasingMembers
    {
        /// <summary>How many calls deep a release is followed through methods of the compilation.</summary>
        internal const int MaxDepth = 3;

        private readonly Compilation _compilation;
        private readonly IMethodSymbol _release;
        private readonly ConcurrentDictionary<INamedTypeSymbol, ImmutableHashSet<ISymbol>> _byType =
            ConcurrentTables.Create<INamedTypeSymbol, ImmutableHashSet<ISymbol>>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<IMethodSymbol, bool> _helpers = ConcurrentTables.Create<IMethodSymbol, bool>(SymbolEqualityComparer.Default);

        private ReferenceReleasingMembers(Compilation compilation, IMethodSymbol release)
        {
            _compilation = compilation;
            _release = release;
        }

        public static ReferenceReleasingMembers? For(Compilation compilation, INamedTypeSymbol safeHandle)
            => safeHandle.GetMembers("DangerousRelease").OfType<IMethodSymbol>().FirstOrDefault(m => m.Parameters.Length == 0) is { } release
                ? new ReferenceReleasingMembers(compilation, release)
                : null;

        /// <summary>Does a member of <paramref name="type"/> other than <paramref name="except"/> give back a SafeHandle reference?</summary>
        public bool ReleasesElsewhere(INamedTypeSymbol type, ISymbol? except, CancellationToken cancellationToken)
        {
            var releasing = _byType.GetOrAdd(type.OriginalDefinition, t => Read(t, cancellationToken));
            return releasing.Any(m => !SymbolEqualityComparer.Default.Equals(m, except?.OriginalDefinition));
        }

        private ImmutableHashSet<ISymbol> Read(INamedTypeSymbol type, CancellationToken cancellationToken)
        {
            var releasing = ImmutableHashSet.CreateBuilder<ISymbol>(SymbolEqualityComparer.Default);
            foreach (var member in MembersWithBodies(type))
            {
                if (Body(member, cancellationToken).Any(body => Releases(body, MaxDepth, new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default), cancellationToken)))
                {
                    releasing.Add(member);
                }
            }

            return releasing.ToImmutable();
        }

        /// <summary>The type's methods, accessors, constructors and finalizer, then those of its nested types.</summary>
        private static IEnumerable<IMethodSymbol> MembersWithBodies(INamedTypeSymbol type)
        {
            foreach (var member in type.GetMembers())
            {
                switch (member)
                {
                    case IMethodSymbol { IsAbstract: false, IsExtern: false } method when !method.IsImplicitlyDeclared:
                        yield return method;
                        break;
                    case INamedTypeSymbol nested:
                        foreach (var inner in MembersWithBodies(nested))
                        {
                            yield return inner;
                        }

                        break;
                }
            }
        }

        private IEnumerable<IOperation> Body(IMethodSymbol method, CancellationToken cancellationToken)
        {
            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                var syntax = reference.GetSyntax(cancellationToken);
                if (!_compilation.ContainsSyntaxTree(syntax.SyntaxTree))
                {
                    continue;
                }

#pragma warning disable RS1030 // Only for the classes IG3006 asks about (a held lease), once per member; cached by type.
                var model = _compilation.GetSemanticModel(syntax.SyntaxTree);
#pragma warning restore RS1030
                if (model.GetOperation(syntax, cancellationToken) is { } body)
                {
                    yield return body;
                }
            }
        }

        private bool Releases(IOperation body, int depth, HashSet<IMethodSymbol> visiting, CancellationToken cancellationToken)
        {
            foreach (var call in body.DescendantsAndSelf().OfType<IInvocationOperation>())
            {
                var target = call.TargetMethod.OriginalDefinition;
                if (SymbolEqualityComparer.Default.Equals(target, _release))
                {
                    return true;
                }

                if (depth > 1 && !target.DeclaringSyntaxReferences.IsEmpty && visiting.Add(target) && HelperReleases(target, depth - 1, visiting, cancellationToken))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>A method of the compilation gives back a reference. Only a yes is cached: a no may be for lack of depth.</summary>
        private bool HelperReleases(IMethodSymbol method, int depth, HashSet<IMethodSymbol> visiting, CancellationToken cancellationToken)
        {
            if (_helpers.ContainsKey(method))
            {
                return true;
            }

            var releases = Body(method, cancellationToken).Any(body => Releases(body, depth, visiting, cancellationToken));
            if (releases)
            {
                _helpers.TryAdd(method, true);
            }

            return releases;
        }
    }
}
