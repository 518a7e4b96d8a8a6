using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// IG4001 fix: declare the P/Invoke with <c>SetLastError = true</c> (adding the named argument, or turning an explicit
    /// <c>false</c> into <c>true</c>), so the marshaller saves the error right after the call. The declaration may be in
    /// another document than the read, so the action changes the solution; Fix All edits each declaration once.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SetLastErrorCodeFix))]
    [Shared]
    public sealed class SetLastErrorCodeFix : DocumentRewriteCodeFix
    {
        internal const string EquivalenceKey = "IG4001.SetLastError";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.LastErrorWithoutSetLastError.Id);

        internal override IReadOnlyDictionary<string, string> ProjectWideActions { get; } = new Dictionary<string, string>
        {
            [EquivalenceKey] = "Declare the P/Invokes with SetLastError = true",
        };

        internal override async Task<IEnumerable<FixAction>> DescribeAsync(AnalyzedDocument document, Diagnostic diagnostic)
        {
            var target = await AttributeAsync(document.Document.Project, diagnostic, document.CancellationToken).ConfigureAwait(false);
            if (target == null || target.Value.Attribute.Parent?.Parent is not MethodDeclarationSyntax method)
            {
                return Enumerable.Empty<FixAction>();
            }

            return new[] { new FixAction("Declare '" + method.Identifier.ValueText + "' with SetLastError = true", EquivalenceKey) };
        }

        internal override async Task<Solution> RewriteProjectAsync(Project project, IReadOnlyList<Diagnostic> diagnostics, string equivalenceKey, CancellationToken cancellationToken)
        {
            var byDocument = new Dictionary<DocumentId, HashSet<AttributeSyntax>>();
            foreach (var diagnostic in diagnostics)
            {
                if (await AttributeAsync(project, diagnostic, cancellationToken).ConfigureAwait(false) is { } target)
                {
                    if (!byDocument.TryGetValue(target.Document.Id, out var set))
                    {
                        byDocument[target.Document.Id] = set = new HashSet<AttributeSyntax>();
                    }

                    set.Add(target.Attribute);
                }
            }

            var solution = project.Solution;
            foreach (var pair in byDocument)
            {
                var document = solution.GetDocument(pair.Key)!;
                var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                solution = document.WithSyntaxRoot(root!.ReplaceNodes(pair.Value, (original, _) => WithSetLastError(original))).Project.Solution;
            }

            return solution;
        }

        internal override async Task<Document> RewriteAsync(AnalyzedDocument document, IReadOnlyList<Diagnostic> diagnostics, string? equivalenceKey)
        {
            var solution = await RewriteProjectAsync(document.Document.Project, diagnostics, EquivalenceKey, document.CancellationToken).ConfigureAwait(false);
            return solution.GetDocument(document.Document.Id) ?? document.Document;
        }

        /// <summary>The DllImport/LibraryImport attribute the analyzer located (its second additional location), when it can take SetLastError.</summary>
        private static async Task<(Document Document, AttributeSyntax Attribute)?> AttributeAsync(Project project, Diagnostic diagnostic, CancellationToken cancellationToken)
        {
            if (diagnostic.AdditionalLocations.Count < 2 || diagnostic.AdditionalLocations[1] is not { IsInSource: true } location
                || project.GetDocument(location.SourceTree) is not { } document)
            {
                return null;
            }

            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var node = root?.FindNode(location.SourceSpan, getInnermostNodeForTie: true);
            var attribute = node as AttributeSyntax ?? node?.FirstAncestorOrSelf<AttributeSyntax>();
            return attribute?.ArgumentList is { Arguments.Count: > 0 } ? (document, attribute) : null;
        }

        private static AttributeSyntax WithSetLastError(AttributeSyntax attribute)
        {
            var arguments = attribute.ArgumentList!;
            var existing = arguments.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == "SetLastError");
            var trueLiteral = SyntaxFactory.LiteralExpression(SyntaxKind.TrueLiteralExpression);
            if (existing != null)
            {
                return attribute.ReplaceNode(existing.Expression, trueLiteral.WithTriviaFrom(existing.Expression));
            }

            var argument = SyntaxFactory.AttributeArgument(
                SyntaxFactory.NameEquals(SyntaxFactory.IdentifierName("SetLastError"), SyntaxFactory.Token(SyntaxKind.EqualsToken).WithLeadingTrivia(SyntaxFactory.Space).WithTrailingTrivia(SyntaxFactory.Space)),
                null,
                trueLiteral);
            var separators = arguments.Arguments.GetSeparators().ToList();
            separators.Add(SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space));
            var list = SyntaxFactory.SeparatedList(arguments.Arguments.Add(argument), separators);
            return attribute.WithArgumentList(arguments.WithArguments(list));
        }
    }
}
