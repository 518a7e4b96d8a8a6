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
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// IG4002 fix: read the last error into a local right after the native call, and use the local where it was read.
    /// The capture goes first in the branch the call's condition guards (<c>if (!F()) { int error = …; Log(); throw … }</c>),
    /// or right after the statement that makes the call, in the block that also holds the read. Offered for
    /// <c>Marshal.GetLast…()</c> reads and <c>new Win32Exception()</c> (which becomes <c>new Win32Exception(error)</c>).
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CaptureLastErrorCodeFix))]
    [Shared]
    public sealed class CaptureLastErrorCodeFix : DocumentRewriteCodeFix
    {
        internal const string EquivalenceKey = "IG4002.CaptureLastError";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.LastErrorReadTooLate.Id);

        internal override IEnumerable<FixAction> Describe(AnalyzedDocument document, Diagnostic diagnostic)
        {
            if (Plan(document.Root, diagnostic) is { } plan)
            {
                yield return new FixAction("Capture the last error right after '" + plan.CallName + "'", EquivalenceKey);
            }
        }

        internal override Task<Document> RewriteAsync(AnalyzedDocument document, IReadOnlyList<Diagnostic> diagnostics, string? equivalenceKey)
        {
            var root = document.Root;
            var plans = diagnostics.OrderBy(d => d.Location.SourceSpan.Start).Select(d => Plan(root, d)).Where(p => p != null).Select(p => p!).ToList();
            var editor = new SyntaxEditor(root, document.Document.Project.Solution.Services);
            var taken = new Dictionary<SyntaxNode, HashSet<string>>();

            // One local per native call, however many of its reads are fixed.
            foreach (var group in plans.GroupBy(p => p.Call))
            {
                var first = group.First();
                var scope = first.Call.Ancestors().FirstOrDefault(a => a is MemberDeclarationSyntax || a is CompilationUnitSyntax) ?? root;
                if (!taken.TryGetValue(scope, out var names))
                {
                    taken[scope] = names = FreeNames.WrittenIn(scope);
                }

                var name = FreeName(names);
                var capture = SyntaxFactory.ParseStatement("int " + name + " = global::System.Runtime.InteropServices.Marshal." + first.Capture + "();")
                    .WithLeadingTrivia(SyntaxFactory.ElasticMarker)
                    .WithTrailingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed)
                    .WithAdditionalAnnotations(Formatter.Annotation, Simplifier.Annotation, Simplifier.AddImportsAnnotation);

                foreach (var plan in group.Where(p => p.Read != null).GroupBy(p => p.Read).Select(g => g.First()))
                {
                    var local = SyntaxFactory.IdentifierName(name);
                    if (plan.Read is ObjectCreationExpressionSyntax creation)
                    {
                        editor.ReplaceNode(creation, (current, _) => ((ObjectCreationExpressionSyntax)current).WithArgumentList(SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(local)))));
                    }
                    else
                    {
                        editor.ReplaceNode(plan.Read!, local.WithTriviaFrom(plan.Read!));
                    }
                }

                switch (first.InsertionKind)
                {
                    case Insertion.AfterStatement:
                        editor.InsertAfter(first.Anchor, capture);
                        break;
                    case Insertion.FirstInBlock:
                        editor.InsertBefore(((BlockSyntax)first.Anchor).Statements[0], capture);
                        break;
                    case Insertion.WrapInBlock:
                        editor.ReplaceNode(first.Anchor, (current, _) => SyntaxFactory.Block(capture, ((StatementSyntax)current).WithoutLeadingTrivia())
                            .WithLeadingTrivia(first.Anchor.GetLeadingTrivia())
                            .WithAdditionalAnnotations(Formatter.Annotation));
                        break;
                }
            }

            return document.WithRootAsync(editor.GetChangedRoot());
        }

        private static string FreeName(HashSet<string> names)
        {
            var name = FreeNames.Pick(new[] { "error", "lastError", "errorCode" }, names.Contains);
            names.Add(name);
            return name;
        }

        private enum Insertion
        {
            AfterStatement,
            FirstInBlock,
            WrapInBlock,
        }

        private sealed class FixPlan
        {
            public FixPlan(SyntaxNode call, ExpressionSyntax? read, string capture, SyntaxNode anchor, Insertion insertion, string callName)
            {
                Call = call;
                Read = read;
                Capture = capture;
                Anchor = anchor;
                InsertionKind = insertion;
                CallName = callName;
            }

            public SyntaxNode Call { get; }
            public ExpressionSyntax? Read { get; }
            public string Capture { get; }
            public SyntaxNode Anchor { get; }
            public Insertion InsertionKind { get; }
            public string CallName { get; }
        }

        private static FixPlan? Plan(SyntaxNode root, Diagnostic diagnostic)
        {
            if (!diagnostic.Properties.TryGetValue(LastErrorAnalyzer.ReadKindProperty, out var kind)
                || !(kind == LastErrorAnalyzer.MarshalRead || kind == LastErrorAnalyzer.Win32ExceptionRead)
                || !diagnostic.Properties.TryGetValue(LastErrorAnalyzer.CaptureProperty, out var capture) || capture == null
                || diagnostic.AdditionalLocations.Count < 1 || diagnostic.AdditionalLocations[0].SourceTree != diagnostic.Location.SourceTree)
            {
                return null;
            }

            var readNode = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            ExpressionSyntax? read = kind == LastErrorAnalyzer.MarshalRead
                ? readNode.FirstAncestorOrSelf<InvocationExpressionSyntax>()
                : readNode.FirstAncestorOrSelf<ObjectCreationExpressionSyntax>();
            var call = root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>();
            if (read == null || call == null || read.Span.Start < call.Span.End)
            {
                return null;
            }

            var callName = call.Expression is MemberAccessExpressionSyntax access ? access.Name.Identifier.ValueText : call.Expression.ToString();
            var statement = call.FirstAncestorOrSelf<StatementSyntax>();
            if (statement == null || InsideFunction(call, statement) || InsideFunction(read, statement.Parent!))
            {
                return null;
            }

            // The call is in the condition of an if, and the read in one of its branches: capture first in that branch.
            if (statement is IfStatementSyntax ifStatement && ifStatement.Condition.Span.Contains(call.Span))
            {
                var branch = ifStatement.Statement.Span.Contains(read.Span) ? ifStatement.Statement
                    : ifStatement.Else?.Statement.Span.Contains(read.Span) == true ? ifStatement.Else.Statement
                    : null;
                return branch switch
                {
                    null => null,
                    BlockSyntax block when block.Statements.Count > 0 => new FixPlan(call, read, capture, block, Insertion.FirstInBlock, callName),
                    BlockSyntax => null,
                    _ => new FixPlan(call, read, capture, branch, Insertion.WrapInBlock, callName),
                };
            }

            // The call is its own statement: capture right after it, in the block that also holds the read.
            if ((statement is ExpressionStatementSyntax || statement is LocalDeclarationStatementSyntax) && statement.Parent is BlockSyntax parent)
            {
                var readAnchor = read.Ancestors().FirstOrDefault(a => a.Parent == parent);
                return readAnchor is StatementSyntax later && parent.Statements.IndexOf(later) > parent.Statements.IndexOf(statement)
                    ? new FixPlan(call, read, capture, statement, Insertion.AfterStatement, callName)
                    : null;
            }

            return null;
        }

        private static bool InsideFunction(SyntaxNode node, SyntaxNode stop)
        {
            for (var current = node.Parent; current != null && current != stop; current = current.Parent)
            {
                if (OperationTree.IsFunctionSyntax(current))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
