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
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Text;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// IG2001 fix: when the only escapes of a fixed statement's pointer are later reads through locals declared before
    /// it, move the statements up to the last such read into the fixed statement's body, so the memory stays pinned
    /// while they run. The outer local keeps its declaration where it is (its definite assignment does not change).
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ExtendFixedScopeCodeFix))]
    [Shared]
    public sealed class ExtendFixedScopeCodeFix : DocumentRewriteCodeFix
    {
        internal const string EquivalenceKey = "IG2001.ExtendFixed";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.EscapingPinnedPointer.Id);

        internal override IEnumerable<FixAction> Describe(AnalyzedDocument document, Diagnostic diagnostic)
        {
            var root = document.Root;
            if (Request(root, diagnostic) is { } request && Plan.Find(request.Fixed, request.Reads) != null)
            {
                yield return new FixAction("Extend the fixed statement over the uses of '" + root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) + "'", EquivalenceKey);
            }
        }

        internal override Task<Document> RewriteAsync(AnalyzedDocument document, IReadOnlyList<Diagnostic> diagnostics, string? equivalenceKey)
        {
            var root = document.Root;

            // One rewrite per fixed statement (several diagnostics can name the same one), in source order, each on the
            // tree the previous ones left: a fixed statement moved into an earlier one's body is found by its annotation.
            var marks = new Dictionary<SyntaxNode, SyntaxAnnotation>();
            var requests = new List<(SyntaxAnnotation Fixed, List<SyntaxAnnotation> Reads)>();
            foreach (var group in diagnostics.Select(d => Request(root, d)).Where(r => r != null).GroupBy(r => r!.Fixed).OrderBy(g => g.Key.SpanStart))
            {
                var reads = group.SelectMany(r => r!.Reads).Distinct().ToList();
                if (Plan.Find(group.Key, reads) == null)
                {
                    continue;
                }

                requests.Add((Mark(marks, group.Key), reads.Select(r => Mark(marks, r)).ToList()));
            }

            var current = root.ReplaceNodes(marks.Keys, (original, rewritten) => rewritten.WithAdditionalAnnotations(marks[original]));
            foreach (var (fixedMark, readMarks) in requests)
            {
                var fixedNode = current.GetAnnotatedNodes(fixedMark).OfType<FixedStatementSyntax>().FirstOrDefault();
                var reads = readMarks.Select(m => current.GetAnnotatedNodes(m).FirstOrDefault()).ToList();
                if (fixedNode == null || reads.Any(r => r == null) || Plan.Find(fixedNode, reads!) is not { } plan)
                {
                    continue;
                }

                current = plan.Apply(current);
            }

            return document.WithRootAsync(current);
        }

        private static SyntaxAnnotation Mark(Dictionary<SyntaxNode, SyntaxAnnotation> marks, SyntaxNode node)
        {
            if (!marks.TryGetValue(node, out var mark))
            {
                marks[node] = mark = new SyntaxAnnotation();
            }

            return mark;
        }

        private sealed class FixRequestData
        {
            public FixRequestData(FixedStatementSyntax @fixed, List<SyntaxNode> reads)
            {
                Fixed = @fixed;
                Reads = reads;
            }

            public FixedStatementSyntax Fixed { get; }
            public List<SyntaxNode> Reads { get; }
        }

        private static FixRequestData? Request(SyntaxNode root, Diagnostic diagnostic)
        {
            if (!diagnostic.Properties.TryGetValue(EscapingPinnedPointerAnalyzer.ExtendFixedProperty, out var value) || value != "true"
                || diagnostic.AdditionalLocations.Count < 2)
            {
                return null;
            }

            var fixedNode = Find(root, diagnostic.AdditionalLocations[0].SourceSpan)?.AncestorsAndSelf().OfType<FixedStatementSyntax>()
                .FirstOrDefault(f => f.Span == diagnostic.AdditionalLocations[0].SourceSpan);
            var reads = diagnostic.AdditionalLocations.Skip(1).Select(l => Find(root, l.SourceSpan)).ToList();
            if (fixedNode == null || reads.Any(r => r == null))
            {
                return null;
            }

            return new FixRequestData(fixedNode, reads!);
        }

        private static SyntaxNode? Find(SyntaxNode root, TextSpan span)
            => root.FullSpan.Contains(span) ? root.FindNode(span, getInnermostNodeForTie: true) : null;

        /// <summary>The statements to move into the fixed statement, or null when moving them could change what the code means.</summary>
        private sealed class Plan
        {
            private Plan(StatementSyntax outer, FixedStatementSyntax innermost, BlockSyntax block, List<StatementSyntax> moved)
            {
                Outer = outer;
                Innermost = innermost;
                Block = block;
                Moved = moved;
            }

            private StatementSyntax Outer { get; }
            private FixedStatementSyntax Innermost { get; }
            private BlockSyntax Block { get; }
            private List<StatementSyntax> Moved { get; }

            public static Plan? Find(FixedStatementSyntax fixedNode, IReadOnlyList<SyntaxNode> reads)
            {
                // fixed (a) fixed (b) { ... } is one statement pinning both: extend the chain as a whole.
                StatementSyntax outer = fixedNode;
                while (outer.Parent is FixedStatementSyntax parent && parent.Statement == outer)
                {
                    outer = parent;
                }

                var innermost = fixedNode;
                while (innermost.Statement is FixedStatementSyntax inner)
                {
                    innermost = inner;
                }

                if (outer.Parent is not BlockSyntax block || reads.Count == 0)
                {
                    return null;
                }

                var statements = block.Statements;
                var start = statements.IndexOf(outer);
                var last = -1;
                foreach (var read in reads)
                {
                    var sibling = read.AncestorsAndSelf().OfType<StatementSyntax>().FirstOrDefault(s => s.Parent == block);
                    var index = sibling == null ? -1 : statements.IndexOf(sibling);
                    if (index <= start)
                    {
                        // Read in another block, or before the fixed statement (a later loop iteration).
                        return null;
                    }

                    last = System.Math.Max(last, index);
                }

                // A local the moved statements declare and later statements read (var n = f(kept); return n;) would
                // go out of scope: the range grows to cover those reads too.
                while (LastUseOfDeclaredNames(statements, start + 1, last) is var further && further > last)
                {
                    last = further;
                }

                var moved = statements.Skip(start + 1).Take(last - start).ToList();
                // A read after a return or throw at this level never runs: moving code around it would only hide that.
                if (moved.Any(IsUnmovable) || moved.Take(moved.Count - 1).Any(s => s is ReturnStatementSyntax || s is ThrowStatementSyntax))
                {
                    return null;
                }

                return new Plan(outer, innermost, block, moved);
            }

            public SyntaxNode Apply(SyntaxNode root)
            {
                var newLine = SyntaxFactory.ElasticEndOfLine(FileLineEndings.Of(root));
                var existing = Innermost.Statement is BlockSyntax block ? block.Statements : SyntaxFactory.SingletonList(Innermost.Statement);
                var statements = existing.Concat(Moved).Select((statement, index) => OnItsOwnLine(statement, index < existing.Count, newLine));
                var openBrace = Innermost.Statement is BlockSyntax open ? open.OpenBraceToken : SyntaxFactory.Token(SyntaxKind.OpenBraceToken);
                var closeBrace = Innermost.Statement is BlockSyntax close ? close.CloseBraceToken : SyntaxFactory.Token(SyntaxKind.CloseBraceToken);
                var trailing = Innermost.Statement is BlockSyntax ? closeBrace.TrailingTrivia : Innermost.Statement.GetTrailingTrivia();
                var newBody = SyntaxFactory.Block(
                    openBrace.WithTrailingTrivia(EndsLine(openBrace.TrailingTrivia, newLine)),
                    SyntaxFactory.List(statements),
                    closeBrace.WithLeadingTrivia(SyntaxFactory.ElasticMarker).WithTrailingTrivia(EndsLine(trailing, newLine)));

                var newInnermost = Innermost.WithStatement(newBody.WithLeadingTrivia(Innermost.Statement is BlockSyntax ? Innermost.Statement.GetLeadingTrivia() : SyntaxFactory.TriviaList(SyntaxFactory.ElasticMarker)))
                    .WithCloseParenToken(Innermost.CloseParenToken.WithTrailingTrivia(EndsLine(Innermost.CloseParenToken.TrailingTrivia, newLine)));
                var newOuter = (Outer == Innermost ? (StatementSyntax)newInnermost : Outer.ReplaceNode(Innermost, newInnermost))
                    .WithAdditionalAnnotations(Formatter.Annotation);

                var siblings = Block.Statements;
                var start = siblings.IndexOf(Outer);
                var rebuilt = siblings.Take(start).Concat(new[] { newOuter }).Concat(siblings.Skip(start + 1 + Moved.Count));
                return root.ReplaceNode(Block, Block.WithStatements(SyntaxFactory.List(rebuilt)));
            }

            /// <summary>A statement that shared a line with its neighbour (<c>{ kept = p; }</c>) gets a line of its own; comments stay.</summary>
            private static StatementSyntax OnItsOwnLine(StatementSyntax statement, bool wasInBody, SyntaxTrivia newLine)
            {
                var leading = statement.GetLeadingTrivia();
                if (wasInBody && !leading.Any(SyntaxKind.EndOfLineTrivia))
                {
                    leading = SyntaxFactory.TriviaList(leading.Where(t => !t.IsKind(SyntaxKind.WhitespaceTrivia)));
                }

                return statement.WithLeadingTrivia(leading).WithTrailingTrivia(EndsLine(statement.GetTrailingTrivia(), newLine));
            }

            private static SyntaxTriviaList EndsLine(SyntaxTriviaList trivia, SyntaxTrivia newLine)
            {
                var kept = trivia.Reverse().SkipWhile(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).Reverse().ToList();
                if (kept.Count == 0 || !kept[kept.Count - 1].IsKind(SyntaxKind.EndOfLineTrivia))
                {
                    kept.Add(newLine);
                }

                return SyntaxFactory.TriviaList(kept);
            }

            private static bool IsUnmovable(StatementSyntax statement)
                => statement is LabeledStatementSyntax || statement is LocalFunctionStatementSyntax
                   || statement is LocalDeclarationStatementSyntax { UsingKeyword.RawKind: (int)SyntaxKind.UsingKeyword }
                   || statement.DescendantNodesAndSelf().Any(n => n is YieldStatementSyntax || n is AwaitExpressionSyntax || n is LabeledStatementSyntax);

            /// <summary>The index of the last statement after <paramref name="last"/> that reads a local declared in the range (declarations, out vars, patterns); -1 when none does.</summary>
            private static int LastUseOfDeclaredNames(SyntaxList<StatementSyntax> statements, int first, int last)
            {
                var declared = new HashSet<string>(statements.Skip(first).Take(last - first + 1).SelectMany(s => s.DescendantNodesAndSelf())
                    .Select(n => n switch
                    {
                        VariableDeclaratorSyntax v => v.Identifier.ValueText,
                        SingleVariableDesignationSyntax d => d.Identifier.ValueText,
                        _ => null,
                    })
                    .Where(n => n != null)!);
                var result = -1;
                for (var i = last + 1; declared.Count > 0 && i < statements.Count; i++)
                {
                    if (statements[i].DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(n => declared.Contains(n.Identifier.ValueText)))
                    {
                        result = i;
                    }
                }

                return result;
            }
        }
    }
}
