using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// The document a fix plans on, as the analyzer saw it: its root and semantic model (the diagnostics' spans and
    /// symbols refer to these), and, on demand, the root with <see cref="LocalTypes"/> recorded for the rewrites that
    /// hoist declarations (annotating walks every declaration, so it is done only for those).
    /// </summary>
    internal sealed class AnalyzedDocument
    {
        private readonly Lazy<SyntaxNode> _annotatedRoot;

        private AnalyzedDocument(Document document, SyntaxNode root, SemanticModel model, CancellationToken cancellationToken)
        {
            Document = document;
            Root = root;
            Model = model;
            CancellationToken = cancellationToken;
            _annotatedRoot = new Lazy<SyntaxNode>(() => LocalTypes.Annotate(root, model, SyntaxGenerator.GetGenerator(document), cancellationToken));
        }

        public Document Document { get; }

        public SyntaxNode Root { get; }

        public SemanticModel Model { get; }

        public CancellationToken CancellationToken { get; }

        /// <summary>The types of the <c>var</c> locals recorded on <see cref="AnnotatedRoot"/>.</summary>
        public LocalTypes LocalTypes { get; } = new LocalTypes();

        /// <summary><see cref="Root"/> with the types of <c>var</c> locals recorded on their declarations (same text and spans).</summary>
        public SyntaxNode AnnotatedRoot => _annotatedRoot.Value;

        public static async Task<AnalyzedDocument?> CreateAsync(Document document, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            return root == null || model == null ? null : new AnalyzedDocument(document, root, model, cancellationToken);
        }

        /// <summary>The document with <paramref name="root"/> as its root, cleaned up (see <see cref="CleanUpAsync"/>).</summary>
        public Task<Document> WithRootAsync(SyntaxNode root) => CleanUpAsync(Document.WithSyntaxRoot(root), CancellationToken);

        /// <summary>
        /// What every rewrite leaves to the end: imports for nodes marked <see cref="Simplifier.AddImportsAnnotation"/>,
        /// then simplification and formatting of the nodes it marked (unmarked code keeps its text and trivia).
        /// </summary>
        public static async Task<Document> CleanUpAsync(Document changed, CancellationToken cancellationToken)
        {
            changed = await ImportAdder.AddImportsAsync(changed, Simplifier.AddImportsAnnotation, cancellationToken: cancellationToken).ConfigureAwait(false);
            changed = await Simplifier.ReduceAsync(changed, Simplifier.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
            return await Formatter.FormatAsync(changed, Formatter.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }
}
