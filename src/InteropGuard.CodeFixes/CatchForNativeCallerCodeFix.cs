using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using InteropGuard.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// IG5001 and IG5002 fix: catch everything in the callback, keep the exception in a <c>[ThreadStatic]</c> field of the
    /// containing type and return <c>default</c>; the generated <c>ThrowPendingCallbackException()</c> rethrows it, with
    /// its original stack trace, for the managed code that made the native call. Async callbacks get no fix: their
    /// exception surfaces after the native caller has resumed, on whatever thread runs the continuation.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CatchForNativeCallerCodeFix))]
    [Shared]
    public sealed class CatchForNativeCallerCodeFix : DocumentRewriteCodeFix
    {
        internal const string EquivalenceKey = "IG5001.CatchAndDefer";

        /// <summary>The same rewrite for IG5002, under its own key so that Fix All of one rule leaves the other's findings alone.</summary>
        internal const string ForwardingEquivalenceKey = "IG5002.CatchAndDefer";
        internal const string PendingField = "pendingCallbackException";
        internal const string RethrowMethod = "ThrowPendingCallbackException";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.CallbackException.Id, Descriptors.CallbackForwardsException.Id);

        internal override IEnumerable<FixAction> Describe(AnalyzedDocument document, Diagnostic diagnostic)
        {
            if (Target.From(document.Root, document.Model, diagnostic, document.CancellationToken) != null)
            {
                yield return new FixAction("Catch the exception and rethrow it after the native call with '" + RethrowMethod + "()'", KeyOf(diagnostic));
            }
        }

        private static string KeyOf(Diagnostic diagnostic)
            => diagnostic.Id == Descriptors.CallbackForwardsException.Id ? ForwardingEquivalenceKey : EquivalenceKey;

        internal override async Task<Document> RewriteAsync(AnalyzedDocument document, IReadOnlyList<Diagnostic> diagnostics, string? equivalenceKey)
        {
            var (root, model, cancellationToken) = (document.Root, document.Model, document.CancellationToken);
            // Fix All hands over the diagnostics of both ids; an action fixes its own rule's.
            var targets = diagnostics
                .Where(d => equivalenceKey == null || KeyOf(d) == equivalenceKey)
                .Select(d => Target.From(root, model, d, cancellationToken)).Where(t => t != null).Select(t => t!).ToList();
            if (targets.Count == 0)
            {
                return document.Document;
            }

            var newLine = SyntaxFactory.EndOfLine(FileLineEndings.Of(root));

            // One field and one helper per type, however many of its callbacks are fixed; partial parts share them.
            var owners = targets.Where(t => !t.HasMembers)
                .GroupBy(t => t.TypeSymbol, SymbolEqualityComparer.Default)
                .Select(g => g.First().Type)
                .ToList();
            var byDeclaration = targets.GroupBy(t => t.Declaration).Select(g => g.First()).ToList();
            root = root.TrackNodes(owners.Cast<SyntaxNode>().Concat(byDeclaration.Select(t => t.Declaration)));
            var byCurrent = byDeclaration.ToDictionary(t => root.GetCurrentNode(t.Declaration)!, t => t);
            root = root.ReplaceNodes(byCurrent.Keys, (original, rewritten) => byCurrent[original].Rewrite(rewritten, newLine));

            foreach (var owner in owners.OrderByDescending(o => o.SpanStart))
            {
                var current = root.GetCurrentNode(owner);
                if (current == null)
                {
                    continue;
                }

                var annotated = targets.First(t => t.Type == owner).NullableAnnotations;
                root = root.ReplaceNode(current, current.AddMembers(GeneratedMembers(annotated)));
            }

            return await document.WithRootAsync(root).ConfigureAwait(false);
        }

        private static MemberDeclarationSyntax[] GeneratedMembers(bool nullableAnnotations)
        {
            var exceptionType = "global::System.Exception" + (nullableAnnotations ? "?" : string.Empty);
            var field = SyntaxFactory.ParseMemberDeclaration(
                "[global::System.ThreadStatic]\n"
                + "private static " + exceptionType + " " + PendingField + ";\n")!;
            var helper = SyntaxFactory.ParseMemberDeclaration(
                "// Call after the native call returns: rethrows, with its stack trace, what a callback caught on this thread.\n"
                + "internal static void " + RethrowMethod + "()\n"
                + "{\n"
                + "    var pending = " + PendingField + ";\n"
                + "    if (pending != null)\n"
                + "    {\n"
                + "        " + PendingField + " = null;\n"
                + "        global::System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(pending).Throw();\n"
                + "    }\n"
                + "}\n")!;
            field = field.WithLeadingTrivia(field.GetLeadingTrivia().Insert(0, SyntaxFactory.ElasticCarriageReturnLineFeed));
            helper = helper.WithLeadingTrivia(helper.GetLeadingTrivia().Insert(0, SyntaxFactory.ElasticCarriageReturnLineFeed));
            return new[] { field, helper }
                .Select(m => m.WithAdditionalAnnotations(Formatter.Annotation, Simplifier.Annotation, Simplifier.AddImportsAnnotation))
                .ToArray();
        }

        private sealed class Target
        {
            private Target(SyntaxNode declaration, TypeDeclarationSyntax type, INamedTypeSymbol typeSymbol, bool returnsVoid, string exceptionName, bool hasMembers, bool nullableAnnotations)
            {
                Declaration = declaration;
                Type = type;
                TypeSymbol = typeSymbol;
                ReturnsVoid = returnsVoid;
                ExceptionName = exceptionName;
                HasMembers = hasMembers;
                NullableAnnotations = nullableAnnotations;
            }

            public SyntaxNode Declaration { get; }
            public TypeDeclarationSyntax Type { get; }
            public INamedTypeSymbol TypeSymbol { get; }
            public bool ReturnsVoid { get; }
            public string ExceptionName { get; }
            public bool HasMembers { get; }
            public bool NullableAnnotations { get; }

            public static Target? From(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
            {
                if (diagnostic.Properties.ContainsKey(NativeCallbackExceptionAnalyzer.AsyncProperty))
                {
                    return null;
                }

                var span = diagnostic.Location.SourceSpan;
                var declaration = root.FindToken(span.Start).Parent?.AncestorsAndSelf()
                    .FirstOrDefault(n => (n is MethodDeclarationSyntax || n is LocalFunctionStatementSyntax || n is AnonymousFunctionExpressionSyntax)
                                         && NativeCallbackExceptionAnalyzer.LocationOf(n).SourceSpan == span);
                if (declaration == null
                    || declaration.FirstAncestorOrSelf<TypeDeclarationSyntax>() is not { } type
                    || type is InterfaceDeclarationSyntax
                    || model.GetDeclaredSymbol(type, cancellationToken) is not { } typeSymbol)
                {
                    return null;
                }

                var method = declaration is AnonymousFunctionExpressionSyntax
                    ? model.GetSymbolInfo(declaration, cancellationToken).Symbol as IMethodSymbol
                    : model.GetDeclaredSymbol(declaration, cancellationToken) as IMethodSymbol;
                if (method == null || method.IsAsync || method.ReturnsByRef || method.ReturnsByRefReadonly || !HasBody(declaration))
                {
                    return null;
                }

                var field = typeSymbol.GetMembers(PendingField);
                var helper = typeSymbol.GetMembers(RethrowMethod);
                var hasField = field.Length == 1 && field[0] is IFieldSymbol { IsStatic: true } f && f.Type.Name == "Exception";
                var hasHelper = helper.Length == 1 && helper[0] is IMethodSymbol { IsStatic: true, Parameters.Length: 0 };
                if (hasField != hasHelper || (!hasField && (field.Length > 0 || helper.Length > 0)))
                {
                    return null;
                }

                // The catch variable must not clash with a name declared in the callback or in scope around it.
                var used = new HashSet<string>(declaration.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken)).Select(t => t.ValueText));
                var bodyStart = BodyOf(declaration).SpanStart;
                used.UnionWith(model.LookupSymbols(bodyStart).Where(s => s is ILocalSymbol || s is IParameterSymbol || s is IRangeVariableSymbol).Select(s => s.Name));
                var exceptionName = new[] { "ex", "exception", "callbackException" }.FirstOrDefault(n => !used.Contains(n));
                if (exceptionName == null)
                {
                    return null;
                }

                var annotations = (model.GetNullableContext(type.SpanStart) & NullableContext.AnnotationsEnabled) != 0;
                return new Target(declaration, type, typeSymbol, method.ReturnsVoid, exceptionName, hasField, annotations);
            }

            private static SyntaxNode BodyOf(SyntaxNode declaration)
                => declaration switch
                {
                    MethodDeclarationSyntax m => (SyntaxNode?)m.Body ?? m.ExpressionBody!,
                    LocalFunctionStatementSyntax l => (SyntaxNode?)l.Body ?? l.ExpressionBody!,
                    AnonymousFunctionExpressionSyntax a => a.Body,
                    _ => declaration,
                };

            private static bool HasBody(SyntaxNode declaration)
                => declaration switch
                {
                    MethodDeclarationSyntax m => m.Body != null || m.ExpressionBody != null,
                    LocalFunctionStatementSyntax l => l.Body != null || l.ExpressionBody != null,
                    AnonymousFunctionExpressionSyntax => true,
                    _ => false,
                };

            public SyntaxNode Rewrite(SyntaxNode current, SyntaxTrivia newLine)
            {
                switch (current)
                {
                    case MethodDeclarationSyntax method:
                        return method.ExpressionBody != null
                            ? method.WithExpressionBody(null).WithSemicolonToken(default)
                                .WithParameterList(method.ParameterList.WithTrailingTrivia(newLine))
                                .WithBody(Wrap(Statements(method.ExpressionBody.Expression, newLine), newLine).WithTrailingTrivia(method.SemicolonToken.TrailingTrivia))
                            : method.WithBody(Wrap(method.Body!.Statements, newLine).WithTriviaFrom(method.Body));
                    case LocalFunctionStatementSyntax local:
                        return local.ExpressionBody != null
                            ? local.WithExpressionBody(null).WithSemicolonToken(default)
                                .WithParameterList(local.ParameterList.WithTrailingTrivia(newLine))
                                .WithBody(Wrap(Statements(local.ExpressionBody.Expression, newLine), newLine).WithTrailingTrivia(local.SemicolonToken.TrailingTrivia))
                            : local.WithBody(Wrap(local.Body!.Statements, newLine).WithTriviaFrom(local.Body));
                    case AnonymousFunctionExpressionSyntax lambda when lambda.Block != null:
                        return lambda.WithBlock(Wrap(lambda.Block.Statements, newLine).WithTriviaFrom(lambda.Block));
                    case LambdaExpressionSyntax lambda:
                        return lambda.WithExpressionBody(null)
                            .WithArrowToken(lambda.ArrowToken.WithTrailingTrivia(newLine))
                            .WithBlock(Wrap(Statements(lambda.ExpressionBody!, newLine), newLine).WithTrailingTrivia(lambda.ExpressionBody!.GetTrailingTrivia()));
                    default:
                        return current;
                }
            }

            private SyntaxList<StatementSyntax> Statements(ExpressionSyntax expression, SyntaxTrivia newLine)
            {
                expression = expression.WithoutTrivia();
                StatementSyntax statement = expression is ThrowExpressionSyntax thrown
                    ? SyntaxFactory.ThrowStatement(thrown.Expression)
                    : ReturnsVoid
                        ? SyntaxFactory.ExpressionStatement(expression)
                        : SyntaxFactory.ReturnStatement(expression);
                return SyntaxFactory.SingletonList(statement.WithTrailingTrivia(newLine));
            }

            // Explicit line breaks: the formatter keeps a generated lambda or local-function block on one line otherwise.
            private BlockSyntax Wrap(SyntaxList<StatementSyntax> statements, SyntaxTrivia newLine)
            {
                var handler = new List<StatementSyntax>
                {
                    SyntaxFactory.ExpressionStatement(SyntaxFactory.AssignmentExpression(
                        SyntaxKind.SimpleAssignmentExpression,
                        SyntaxFactory.IdentifierName(PendingField),
                        SyntaxFactory.IdentifierName(ExceptionName))).WithTrailingTrivia(newLine),
                };
                if (!ReturnsVoid)
                {
                    handler.Add(SyntaxFactory.ReturnStatement(SyntaxFactory.LiteralExpression(SyntaxKind.DefaultLiteralExpression)).WithTrailingTrivia(newLine));
                }

                var catchClause = SyntaxFactory.CatchClause(
                    SyntaxFactory.CatchDeclaration(
                        SyntaxFactory.ParseTypeName("global::System.Exception").WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation),
                        SyntaxFactory.Identifier(ExceptionName)).WithTrailingTrivia(newLine),
                    filter: null,
                    Block(handler, newLine));
                var attempt = SyntaxFactory.TryStatement(
                    SyntaxFactory.Token(SyntaxKind.TryKeyword).WithTrailingTrivia(newLine),
                    Block(statements, newLine),
                    SyntaxFactory.SingletonList(catchClause),
                    @finally: null);
                return Block(new[] { attempt }, newLine).WithAdditionalAnnotations(Formatter.Annotation);
            }

            private static BlockSyntax Block(IEnumerable<StatementSyntax> statements, SyntaxTrivia newLine)
            {
                var list = statements.ToList();
                if (list.Count > 0 && !list[list.Count - 1].GetTrailingTrivia().Any(t => t.IsKind(SyntaxKind.EndOfLineTrivia)))
                {
                    list[list.Count - 1] = list[list.Count - 1].WithTrailingTrivia(list[list.Count - 1].GetTrailingTrivia().Add(newLine));
                }

                return SyntaxFactory.Block(
                    SyntaxFactory.Token(SyntaxKind.OpenBraceToken).WithTrailingTrivia(newLine),
                    SyntaxFactory.List(list),
                    SyntaxFactory.Token(SyntaxKind.CloseBraceToken).WithTrailingTrivia(newLine));
            }
        }
    }
}
