using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Interop
{
    /// <summary>
    /// A simple name in source that binds to a given symbol, with the semantic model it was bound with.
    /// </summary>
    internal readonly struct NameReference
    {
        public NameReference(SimpleNameSyntax name, SemanticModel model)
        {
            Name = name;
            Model = model;
        }

        public SimpleNameSyntax Name { get; }

        public SemanticModel Model { get; }

        /// <summary>The expression the name stands for: <c>x.Name</c> when it is the name of a member access, else the name.</summary>
        public ExpressionSyntax Whole => Name.Parent is MemberAccessExpressionSyntax access && access.Name == Name ? access : Name;

        /// <summary>The call that invokes <see cref="Whole"/> (<c>M(..)</c>, <c>this.M(..)</c>), or null when the name is used another way.</summary>
        public IInvocationOperation? Invocation(CancellationToken cancellationToken)
        {
            var whole = Whole;
            return whole.Parent is InvocationExpressionSyntax call && call.Expression == whole
                ? Model.GetOperation(call, cancellationToken) as IInvocationOperation
                : null;
        }
    }

    /// <summary>
    /// Every reference to a symbol inside one piece of syntax, found the cheap way: names that spell the symbol's name,
    /// bound only then, kept when they bind to the symbol (original definitions compared, so a use of a generic member's
    /// constructed form counts). For the readings that must see every use a private method, a field or a primary-constructor
    /// parameter has in the declarations that can reach it. A name that fails to bind (an overload the compiler cannot
    /// choose) is not a reference here; a caller that needs "no other use" must treat such code as the compiler does.
    /// </summary>
    internal static class NameReferences
    {
        /// <summary>
        /// The references to <paramref name="symbol"/> below <paramref name="scope"/>, in text order. Nothing when the scope's
        /// tree is not one of <paramref name="compilation"/>'s (no model can bind it).
        /// </summary>
        public static IEnumerable<NameReference> To(ISymbol symbol, SyntaxNode scope, Compilation compilation, CancellationToken cancellationToken = default)
        {
            if (!compilation.ContainsSyntaxTree(scope.SyntaxTree))
            {
                yield break;
            }

            var target = symbol.OriginalDefinition;
            SemanticModel? model = null;
            foreach (var node in scope.DescendantNodes())
            {
                if (node is not SimpleNameSyntax name || name.Identifier.ValueText != target.Name)
                {
                    continue;
                }

#pragma warning disable RS1030 // Only where a name spells the symbol's name, once per scope; the callers cache their answers per symbol.
                model ??= compilation.GetSemanticModel(scope.SyntaxTree);
#pragma warning restore RS1030
                if (SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(name, cancellationToken).Symbol?.OriginalDefinition, target))
                {
                    yield return new NameReference(name, model);
                }
            }
        }

        /// <summary>
        /// The references in <paramref name="tree"/> to any of <paramref name="symbols"/> (original definitions, all named
        /// <paramref name="name"/>: a method and the declarations it overrides), in text order. Only the places where the
        /// vocabulary's record of the tree has an identifier run spelling the name are looked at and bound, so a tree is not
        /// walked node by node; a tree whose identifiers may be spelled otherwise than its text (a <c>\u</c> escape) is walked
        /// whole, as <see cref="To"/> walks a scope.
        /// </summary>
        public static IEnumerable<NameReference> InTree(IReadOnlyCollection<ISymbol> symbols, string name, SyntaxTree tree, InteropContext context, CancellationToken cancellationToken = default)
            => InTree(symbols, name, tree, context.Compilation, context.Vocabulary, cancellationToken);

        /// <summary><see cref="InTree(IReadOnlyCollection{ISymbol}, string, SyntaxTree, InteropContext, CancellationToken)"/>, for a layer given the compilation's vocabulary rather than its context.</summary>
        public static IEnumerable<NameReference> InTree(IReadOnlyCollection<ISymbol> symbols, string name, SyntaxTree tree, Compilation compilation, InteropVocabulary vocabulary, CancellationToken cancellationToken = default)
        {
            var identifiers = vocabulary.Identifiers(tree);
            var hashes = new[] { IdentifierRuns.Hash(name) };
            if (!identifiers.MaySpellOtherwise && !identifiers.MayName(hashes))
            {
                yield break;
            }

            var root = tree.GetRoot(cancellationToken);
            var candidates = identifiers.MaySpellOtherwise
                ? root.DescendantNodes().OfType<SimpleNameSyntax>()
                : vocabulary.PositionsOf(tree, hashes, new[] { name }).Select(position => root.FindToken(position).Parent).OfType<SimpleNameSyntax>();
            SemanticModel? model = null;
            SimpleNameSyntax? last = null;
            foreach (var candidate in candidates)
            {
                // A run in text the compiler skips (an inactive #if branch) finds the token after it: the same name twice.
                if (candidate.Identifier.ValueText != name || candidate == last)
                {
                    continue;
                }

                last = candidate;
#pragma warning disable RS1030 // Only where a name spells the symbols' name; the callers cache their answers per symbol.
                model ??= compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
                if (Unreduced(model.GetSymbolInfo(candidate, cancellationToken).Symbol)?.OriginalDefinition is { } bound && symbols.Contains(bound, SymbolEqualityComparer.Default))
                {
                    yield return new NameReference(candidate, model);
                }
            }
        }

        // 'handle.Use()' binds to the extension method's reduced form, which is not the declared static method.
        private static ISymbol? Unreduced(ISymbol? symbol) => symbol is IMethodSymbol { ReducedFrom: { } from } ? from : symbol;
    }
}
