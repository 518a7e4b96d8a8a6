using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>
    /// "This method runs only while its object is being built": an instance constructor, or a private, non-virtual instance
    /// method that its class only calls on itself from such methods (<c>ApplyOptions(options)</c> at the end of each
    /// constructor), to <see cref="MaxDepth"/> levels. Until the constructor returns, the object is reachable only from the
    /// frame that created it — which holds it across the constructor call — so no other thread can hold it to dispose
    /// what it owns, and it cannot be finalized. A method used as a delegate, called from a lambda, a local function, a
    /// nested type or any other member does not count. One answer per method, cached for the compilation.
    /// </summary>
    internal sealed class ConstructionOnlyMethods
    {
        private const int MaxDepth = 3;

        private readonly Compilation _compilation;
        private readonly ConcurrentDictionary<IMethodSymbol, bool> _answers = ConcurrentTables.Create<IMethodSymbol, bool>(SymbolEqualityComparer.Default);

        public ConstructionOnlyMethods(Compilation compilation)
        {
            _compilation = compilation;
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

        private bool CalledOnlyByConstruction(IMethodSymbol method, int depth, CancellationToken cancellationToken)
        {
            var calls = 0;
            foreach (var declared in method.ContainingType.DeclaringSyntaxReferences)
            {
                var declaration = declared.GetSyntax(cancellationToken);
                foreach (var reference in NameReferences.To(method, declaration, _compilation, cancellationToken))
                {
                    if (!IsCallOnThisFrom(reference, out var caller, cancellationToken) || !RunsOnlyDuringConstruction(caller!, depth + 1, cancellationToken))
                    {
                        return false;
                    }

                    calls++;
                }
            }

            return calls > 0;
        }

        /// <summary>A call of the method on the object itself, made by a member's own body (not a lambda or local function).</summary>
        private static bool IsCallOnThisFrom(NameReference reference, out IMethodSymbol? caller, CancellationToken cancellationToken)
        {
            caller = null;
            if (reference.Invocation(cancellationToken) is not { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } } invocation)
            {
                return false;
            }

            var model = reference.Model;
            for (var node = invocation.Syntax.Parent; node != null; node = node.Parent)
            {
                switch (node)
                {
                    case AnonymousFunctionExpressionSyntax:
                    case LocalFunctionStatementSyntax:
                        return false;
                    case BaseMethodDeclarationSyntax member:
                        caller = model.GetDeclaredSymbol(member, cancellationToken) as IMethodSymbol;
                        return caller != null && !member.Modifiers.Any(SyntaxKind.StaticKeyword);
                    case MemberDeclarationSyntax:
                        return false;
                }
            }

            return false;
        }
    }
}
