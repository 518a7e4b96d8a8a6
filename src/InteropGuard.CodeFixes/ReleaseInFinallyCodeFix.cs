using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using InteropGuard.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Simplification;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// IG3001 fix: release in <c>finally</c>. The statements after the allocation go into a
    /// <c>try</c>; an existing straight-line release (or an <c>if (p != IntPtr.Zero)</c> guarded one) moves into the
    /// <c>finally</c>, otherwise the catalogue's matching release (<c>Marshal.FreeHGlobal(p)</c>, <c>h.Free()</c>) is
    /// generated there.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ReleaseInFinallyCodeFix))]
    [Shared]
    public sealed class ReleaseInFinallyCodeFix : DocumentRewriteCodeFix
    {
        internal const string EquivalenceKey = "IG3001.ReleaseInFinally";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.NativeMemoryLeak.Id);

        internal override IEnumerable<FixAction> Describe(AnalyzedDocument document, Diagnostic diagnostic)
        {
            var root = document.AnnotatedRoot;
            if (FixRequest.From(document, root, diagnostic) is { } request && ReleaseInFinally.Rewrite(root, request) != null)
            {
                yield return new FixAction("Release '" + request.Variable + "' in finally", EquivalenceKey);
            }
        }

        /// <summary>Releases in finally for every diagnostic, nesting the try statements of allocations in one block.</summary>
        internal override Task<Document> RewriteAsync(AnalyzedDocument document, IReadOnlyList<Diagnostic> diagnostics, string? equivalenceKey)
            => AnnotatedRewrites.ApplyAsync(document, diagnostics, (root, diagnostic) => FixRequest.From(document, root, diagnostic), ReleaseInFinally.Rewrite);
    }

    /// <summary>
    /// What one release fix needs, planned from the diagnostic's locations and the semantic model: the allocation, the
    /// releases, the local the allocation statement stores into, and the release a fix generates when there is none.
    /// </summary>
    internal sealed class FixRequest
    {
        private FixRequest(SyntaxNode allocation, IReadOnlyList<SyntaxNode> releases, SyntaxToken variable, StatementSyntax? generatedRelease, bool byUsing, LocalTypes localTypes)
        {
            LocalTypes = localTypes;
            Allocation = allocation;
            Releases = releases;
            VariableToken = variable;
            GeneratedRelease = generatedRelease;
            ByUsing = byUsing;
        }

        public SyntaxNode Allocation { get; }
        public IReadOnlyList<SyntaxNode> Releases { get; }

        /// <summary>The identifier of the local as it is declared (an escaped name stays escaped).</summary>
        public SyntaxToken VariableToken { get; }

        public string Variable => VariableToken.ValueText;

        public IdentifierNameSyntax VariableName => SyntaxFactory.IdentifierName(VariableToken.WithoutTrivia());

        /// <summary>The release to put in <c>finally</c> when the code has none to move (<c>Marshal.FreeHGlobal(p)</c>, <c>h.Free()</c>).</summary>
        public StatementSyntax? GeneratedRelease { get; }

        /// <summary>The request was made for a <c>using</c> rewrite (the diagnostic is <c>UsingFixable</c>).</summary>
        public bool ByUsing { get; }

        /// <summary>The types of the <c>var</c> locals of the annotated root the request's nodes come from.</summary>
        public LocalTypes LocalTypes { get; }

        /// <summary>
        /// The request for <paramref name="diagnostic"/>, with nodes taken from <paramref name="root"/> (the analyzed root
        /// or a copy with the same spans); null unless the analyzer marked it <paramref name="fixableProperty"/>.
        /// </summary>
        public static FixRequest? From(AnalyzedDocument document, SyntaxNode root, Diagnostic diagnostic, string fixableProperty = OwnershipAnalyzer.FixableProperty)
        {
            if (!diagnostic.Properties.TryGetValue(fixableProperty, out var fixable) || fixable != "true"
                || diagnostic.Location.SourceTree != document.Root.SyntaxTree
                || StoredLocal(document, diagnostic.Location.SourceSpan) is not { } stored)
            {
                return null;
            }

            var allocation = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            var releases = new List<SyntaxNode>();
            foreach (var location in diagnostic.AdditionalLocations)
            {
                if (location.SourceTree != diagnostic.Location.SourceTree)
                {
                    return null;
                }

                releases.Add(root.FindNode(location.SourceSpan, getInnermostNodeForTie: true));
            }

            var byUsing = fixableProperty == OwnershipAnalyzer.UsingFixableProperty;
            var generated = byUsing ? null : GenerateRelease(document, diagnostic, stored.Local, SyntaxFactory.IdentifierName(stored.Identifier.WithoutTrivia()));
            return new FixRequest(allocation, releases, stored.Identifier, generated, byUsing, document.LocalTypes);
        }

        public FixRequest With(SyntaxNode allocation, IReadOnlyList<SyntaxNode> releases) => new FixRequest(allocation, releases, VariableToken, GeneratedRelease, ByUsing, LocalTypes);

        /// <summary>
        /// The local the statement of the allocation at <paramref name="span"/> stores it into: the declarator it
        /// initializes, the local a plain assignment writes, or the local an <c>out</c> argument fills.
        /// </summary>
        private static (ILocalSymbol Local, SyntaxToken Identifier)? StoredLocal(AnalyzedDocument document, TextSpan span)
        {
            var (model, cancellationToken) = (document.Model, document.CancellationToken);
            var node = document.Root.FindNode(span, getInnermostNodeForTie: true);
            if (node is ArgumentSyntax argument)
            {
                if (!argument.RefKindKeyword.IsKind(SyntaxKind.OutKeyword))
                {
                    return null;
                }

                switch (argument.Expression)
                {
                    case IdentifierNameSyntax name when model.GetSymbolInfo(name, cancellationToken).Symbol is ILocalSymbol local:
                        return (local, name.Identifier);
                    case DeclarationExpressionSyntax { Designation: SingleVariableDesignationSyntax designation }
                        when model.GetDeclaredSymbol(designation, cancellationToken) is ILocalSymbol local:
                        return (local, designation.Identifier);
                    default:
                        return null;
                }
            }

            var value = node;
            while (value.Parent is ParenthesizedExpressionSyntax
                   || value.Parent is CastExpressionSyntax cast && cast.Expression == value
                   || value.Parent is ConditionalExpressionSyntax conditional && conditional.Condition != value
                   || value.Parent.IsKind(SyntaxKind.SuppressNullableWarningExpression))
            {
                value = value.Parent;
            }

            switch (value.Parent)
            {
                case EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }
                    when model.GetDeclaredSymbol(declarator, cancellationToken) is ILocalSymbol local:
                    return (local, declarator.Identifier);
                case AssignmentExpressionSyntax { Left: IdentifierNameSyntax name } assignment
                    when assignment.IsKind(SyntaxKind.SimpleAssignmentExpression) && assignment.Right == value
                         && model.GetSymbolInfo(name, cancellationToken).Symbol is ILocalSymbol local:
                    return (local, name.Identifier);
                default:
                    return null;
            }
        }

        /// <summary>
        /// The release a fix generates, from symbols: a GCHandle's own <c>Free()</c>, or the static release the analyzer
        /// names by documentation id, passed the local (cast to the release's parameter type when the local is a
        /// pointer and the parameter is not). Null when none can be generated.
        /// </summary>
        private static StatementSyntax? GenerateRelease(AnalyzedDocument document, Diagnostic diagnostic, ILocalSymbol local, IdentifierNameSyntax variable)
        {
            if (diagnostic.Id == Descriptors.HandleNotReleased.Id)
            {
                var free = local.Type.GetMembers("Free").OfType<IMethodSymbol>().FirstOrDefault(m => !m.IsStatic && m.Parameters.Length == 0);
                return free == null
                    ? null
                    : SyntaxFactory.ExpressionStatement(SyntaxFactory.InvocationExpression(
                        SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, variable, SyntaxFactory.IdentifierName(free.Name))));
            }

            if (!diagnostic.Properties.TryGetValue(OwnershipAnalyzer.ReleaseMethodProperty, out var id) || id == null
                || DocumentationCommentId.GetFirstSymbolForDeclarationId(id, document.Model.Compilation) is not IMethodSymbol { IsStatic: true, Parameters.Length: 1 } release)
            {
                return null;
            }

            var generator = SyntaxGenerator.GetGenerator(document.Document);
            ExpressionSyntax argument = variable;
            var parameterType = release.Parameters[0].Type;
            if (local.Type is IPointerTypeSymbol && parameterType is not IPointerTypeSymbol)
            {
                argument = SyntaxFactory.CastExpression(((TypeSyntax)generator.TypeExpression(parameterType)).WithAdditionalAnnotations(Simplifier.Annotation), argument);
            }

            var type = ((ExpressionSyntax)generator.TypeExpression(release.ContainingType)).WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
            return SyntaxFactory.ExpressionStatement(SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, type, SyntaxFactory.IdentifierName(release.Name)),
                SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(argument)))));
        }
    }
}
