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
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// IG1001 fix: <c>GC.KeepAlive(owner)</c> right after the statement that makes the native call. A returned (or
    /// yielded, or expression-bodied) value is first stored in a local so the KeepAlive runs after the call and before
    /// the method leaves; a temporary owner is first hoisted into a local so there is something to keep alive.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(KeepAliveCodeFix))]
    [Shared]
    public sealed class KeepAliveCodeFix : DocumentRewriteCodeFix
    {
        internal const string EquivalenceKey = "IG1001.KeepAlive";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.HandleOwnerLifetime.Id);

        internal override async Task<IEnumerable<FixAction>> DescribeAsync(AnalyzedDocument document, Diagnostic diagnostic)
        {
            var actions = new List<FixAction>();
            if (Request.From(document.Root, diagnostic) is { } request)
            {
                var owner = request.Temporary ? "a local for '" + request.Owner + "'" : "'" + request.KeptAlive + "'";
                actions.Add(new FixAction("Keep " + owner + " alive until the native call returns (GC.KeepAlive)", EquivalenceKey));
            }

            // Planned from this document; the project's other documents are searched when the action is applied.
            var plans = await HandleRefCodeFix.PlanAsync(document, new[] { diagnostic }, searchOtherDocuments: false).ConfigureAwait(false);
            if (plans.Count > 0)
            {
                actions.Add(new FixAction(
                    "Pass a HandleRef to '" + plans[0].Method.Name + "' (retypes its parameter '" + plans[0].Method.Parameters[plans[0].Ordinal].Name + "')",
                    HandleRefCodeFix.EquivalenceKey));
            }

            return actions;
        }

        internal override async Task<Document> RewriteAsync(AnalyzedDocument document, IReadOnlyList<Diagnostic> diagnostics, string? equivalenceKey)
        {
            if (equivalenceKey == HandleRefCodeFix.EquivalenceKey)
            {
                var plans = await HandleRefCodeFix.PlanAsync(document, diagnostics).ConfigureAwait(false);
                return plans.Count == 0 ? document.Document : await document.WithRootAsync(HandleRefCodeFix.Apply(document.Root, document.Model, plans)).ConfigureAwait(false);
            }

            return await KeepAliveAsync(document, diagnostics).ConfigureAwait(false);
        }

        private static async Task<Document> KeepAliveAsync(AnalyzedDocument document, IReadOnlyList<Diagnostic> diagnostics)
        {
            var root = document.Root;
            var model = document.Model;
            var cancellationToken = document.CancellationToken;
            var generator = SyntaxGenerator.GetGenerator(document.Document);
            var requests = diagnostics.Select(d => Request.From(root, d)).Where(r => r != null).Select(r => r!).ToList();
            if (requests.Count == 0)
            {
                return document.Document;
            }

            // One rewrite per anchor (statement or expression body): several owners of one statement share it.
            var groups = requests.GroupBy(r => r.Anchor).OrderByDescending(g => g.Key.SpanStart).ToList();
            var tracked = root.TrackNodes(groups.Select(g => g.Key).Concat(requests.Where(r => r.Temporary).Select(r => (SyntaxNode)r.Owner)));
            // Names are chosen in document order, so Fix All reads like fixing top to bottom.
            var taken = new HashSet<string>();
            var names = new Dictionary<SyntaxNode, string>();
            foreach (var group in groups.AsEnumerable().Reverse())
            {
                foreach (var request in group.Where(r => r.Temporary))
                {
                    if (!names.ContainsKey(request.Owner))
                    {
                        names[request.Owner] = FreeName(model, group.Key, NameFor(model, request.Owner, cancellationToken), taken);
                    }
                }

                if (NeedsResult(model, group.Key, cancellationToken))
                {
                    names[group.Key] = FreeName(model, group.Key, "result", taken);
                }
            }

            foreach (var group in groups)
            {
                var anchor = tracked.GetCurrentNode(group.Key);
                if (anchor == null)
                {
                    continue;
                }

                // 'var' where it means "the type of the initializer"; the type itself where a type named 'var' is in scope.
                var declared = new DeclaredType(generator, model, group.Key.SpanStart, cancellationToken);
                var hoisted = new List<StatementSyntax>();
                var keepAlive = new List<ExpressionSyntax>();
                var renames = new Dictionary<SyntaxNode, string>();
                var planned = true;
                foreach (var request in group)
                {
                    var owner = request.KeptAlive;
                    if (request.Temporary)
                    {
                        var current = tracked.GetCurrentNode(request.Owner);
                        if (current == null)
                        {
                            continue;
                        }

                        // '((Scalar)d).Handle' becomes 'scalar.Handle': the local replaces the parentheses around the temporary too.
                        while (current.Parent is ParenthesizedExpressionSyntax parenthesized && parenthesized != anchor)
                        {
                            current = parenthesized;
                        }

                        if (renames.ContainsKey(current))
                        {
                            continue;
                        }

                        var name = names[request.Owner];
                        if (declared.For(request.Owner) is not { } type)
                        {
                            planned = false;
                            break;
                        }

                        renames[current] = name;
                        hoisted.Add(Declare(type, name, request.Owner.WithoutTrivia()));
                        owner = SyntaxFactory.IdentifierName(name);
                    }

                    if (!keepAlive.Any(o => o.IsEquivalentTo(owner)))
                    {
                        keepAlive.Add(owner);
                    }
                }

                if (!planned)
                {
                    continue;
                }

                var rewrittenAnchor = renames.Count == 0 ? anchor : anchor.ReplaceNodes(renames.Keys, (original, _) => SyntaxFactory.IdentifierName(renames[original]).WithTriviaFrom(original));
                var gc = GcAt(model, group.Key);
                var keepAliveStatements = keepAlive.Select(o => KeepAlive(gc, o)).ToList();
                tracked = Rewrite(model, declared, tracked, group.Key, anchor, rewrittenAnchor, hoisted, keepAliveStatements, names.TryGetValue(group.Key, out var result) ? result : "result", cancellationToken) ?? tracked;
            }

            return await document.WithRootAsync(tracked).ConfigureAwait(false);
        }

        /// <summary>Replaces the anchor by its statements followed by the KeepAlives; an expression body becomes a block.</summary>
        private static SyntaxNode? Rewrite(SemanticModel model, DeclaredType declared, SyntaxNode root, SyntaxNode originalAnchor, SyntaxNode anchor, SyntaxNode rewritten, List<StatementSyntax> hoisted, List<StatementSyntax> keepAlive, string result, CancellationToken cancellationToken)
        {
            var statements = new List<StatementSyntax>(hoisted);
            switch (rewritten)
            {
                case ReturnStatementSyntax { Expression: { } returned } ret:
                {
                    if (declared.For(((ReturnStatementSyntax)originalAnchor).Expression!) is not { } type)
                    {
                        return null;
                    }

                    statements.Add(Declare(type, result, returned.WithoutTrivia()));
                    statements.AddRange(keepAlive);
                    statements.Add(ret.WithExpression(SyntaxFactory.IdentifierName(result)).WithoutLeadingTrivia());
                    break;
                }

                case YieldStatementSyntax { Expression: { } yielded } yield when yield.IsKind(SyntaxKind.YieldReturnStatement):
                {
                    if (declared.For(((YieldStatementSyntax)originalAnchor).Expression!) is not { } type)
                    {
                        return null;
                    }

                    statements.Add(Declare(type, result, yielded.WithoutTrivia()));
                    statements.AddRange(keepAlive);
                    statements.Add(yield.WithExpression(SyntaxFactory.IdentifierName(result)).WithoutLeadingTrivia());
                    break;
                }

                case ConstructorInitializerSyntax when anchor.Parent is ConstructorDeclarationSyntax { Body: { } body } constructor:
                    return root.ReplaceNode(constructor, constructor.WithBody(body.WithStatements(body.Statements.InsertRange(0, keepAlive))).WithAdditionalAnnotations(Formatter.Annotation));

                case ExpressionStatementSyntax:
                case LocalDeclarationStatementSyntax:
                    statements.Add(((StatementSyntax)rewritten).WithoutLeadingTrivia());
                    statements.AddRange(keepAlive);
                    break;

                case ArrowExpressionClauseSyntax arrow:
                {
                    if (MethodOf(model, originalAnchor.Parent!, cancellationToken) is not { } method
                        || BodyStatements(method, declared, ((ArrowExpressionClauseSyntax)originalAnchor).Expression, arrow.Expression, statements, keepAlive, result) is not { } block)
                    {
                        return null;
                    }

                    switch (anchor.Parent)
                    {
                        case BaseMethodDeclarationSyntax declaration:
                            return root.ReplaceNode(declaration, declaration.WithExpressionBody(null).WithSemicolonToken(default).WithBody(block).WithAdditionalAnnotations(Formatter.Annotation));
                        case AccessorDeclarationSyntax accessor:
                            return root.ReplaceNode(accessor, accessor.WithExpressionBody(null).WithSemicolonToken(default).WithBody(block).WithAdditionalAnnotations(Formatter.Annotation));
                        case PropertyDeclarationSyntax property:
                            return root.ReplaceNode(property, property.WithExpressionBody(null).WithSemicolonToken(default).WithAccessorList(Getter(block)).WithAdditionalAnnotations(Formatter.Annotation));
                        case IndexerDeclarationSyntax indexer:
                            return root.ReplaceNode(indexer, indexer.WithExpressionBody(null).WithSemicolonToken(default).WithAccessorList(Getter(block)).WithAdditionalAnnotations(Formatter.Annotation));
                        case LocalFunctionStatementSyntax local:
                            return root.ReplaceNode(local, local.WithExpressionBody(null).WithSemicolonToken(default).WithBody(block).WithAdditionalAnnotations(Formatter.Annotation));
                        default:
                            return null;
                    }
                }

                case ExpressionSyntax body when anchor.Parent is AnonymousFunctionExpressionSyntax lambda:
                {
                    if (model.GetSymbolInfo(originalAnchor.Parent!, cancellationToken).Symbol is not IMethodSymbol method
                        || BodyStatements(method, declared, (ExpressionSyntax)originalAnchor, body, statements, keepAlive, result) is not { } block)
                    {
                        return null;
                    }

                    return root.ReplaceNode(lambda, lambda.WithExpressionBody(null).WithBlock(block).WithAdditionalAnnotations(Formatter.Annotation));
                }

                default:
                    return null;
            }

            // What closes the anchor's line (a comment about the call) stays with the statement made from the anchor, once:
            // the call itself, or the rebuilt return that ends the new statements.
            var own = rewritten is ExpressionStatementSyntax || rewritten is LocalDeclarationStatementSyntax ? hoisted.Count : statements.Count - 1;
            if (anchor.Parent is BlockSyntax || anchor.Parent is SwitchSectionSyntax)
            {
                statements[0] = statements[0].WithLeadingTrivia(anchor.GetLeadingTrivia());

                // A block written on one line ('get { return F(Handle); }') now holds several statements: it is laid out
                // anew with what shares its line (the accessor list, the property), or its closing brace would stay
                // behind the last of them and its first statement behind its opening brace.
                if (anchor.Parent is BlockSyntax && OneLineAround(originalAnchor.Parent!) is var levels and > 0)
                {
                    var laidOut = anchor;
                    for (var i = 0; i < levels; i++)
                    {
                        laidOut = laidOut.Parent!;
                    }

                    var trailing = anchor.GetTrailingTrivia().Reverse().SkipWhile(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).Reverse();
                    statements[own] = statements[own].WithTrailingTrivia(trailing.Append(SyntaxFactory.ElasticCarriageReturnLineFeed));
                    return root.ReplaceNode(laidOut, laidOut.ReplaceNode(anchor, statements).WithAdditionalAnnotations(Formatter.Annotation));
                }

                statements[own] = statements[own].WithTrailingTrivia(anchor.GetTrailingTrivia());
                if (own != statements.Count - 1 && anchor.GetTrailingTrivia().LastOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia)) is { } lineEnd
                    && lineEnd.IsKind(SyntaxKind.EndOfLineTrivia))
                {
                    // The file's own line ending: the formatter leaves the trivia after the last new statement as it is,
                    // and an elastic one would put "\r\n" into a file of "\n".
                    statements[statements.Count - 1] = statements[statements.Count - 1].WithTrailingTrivia(lineEnd);
                }

                return root.ReplaceNode(anchor, statements);
            }

            // An embedded statement (the body of an if or a loop) becomes a block holding it and the KeepAlive; what closed
            // its line now closes the block's.
            statements[own] = statements[own].WithTrailingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed);
            return root.ReplaceNode(anchor, SyntaxFactory.Block(statements).WithTrailingTrivia(anchor.GetTrailingTrivia()).WithAdditionalAnnotations(Formatter.Annotation));
        }

        /// <summary>
        /// How many levels above the anchor the outermost node that shares the one line of <paramref name="block"/> is
        /// (up to its member, never a type); 0 when the block spans several lines.
        /// </summary>
        private static int OneLineAround(SyntaxNode block)
        {
            var levels = 0;
            for (SyntaxNode? node = block; node != null && node is not BaseTypeDeclarationSyntax && OnOneLine(node); node = node.Parent)
            {
                levels++;
            }

            return levels;
        }

        private static bool OnOneLine(SyntaxNode node)
        {
            var lines = node.GetLocation().GetLineSpan();
            return lines.StartLinePosition.Line == lines.EndLinePosition.Line;
        }

        private static AccessorListSyntax Getter(BlockSyntax body)
            => SyntaxFactory.AccessorList(SyntaxFactory.SingletonList(SyntaxFactory.AccessorDeclaration(SyntaxKind.GetAccessorDeclaration, body)));

        /// <summary>The method an expression body belongs to: a method, local function or accessor, or a property's getter.</summary>
        private static IMethodSymbol? MethodOf(SemanticModel model, SyntaxNode declaration, CancellationToken cancellationToken)
            => model.GetDeclaredSymbol(declaration, cancellationToken) switch
            {
                IMethodSymbol method => method,
                IPropertySymbol property => property.GetMethod,
                _ => null,
            };

        private static bool ReturnsValue(IMethodSymbol method)
            => !method.ReturnsVoid && !(method.IsAsync && method.ReturnType is INamedTypeSymbol { IsGenericType: false });

        /// <summary>Does the rewrite of this anchor store the value in a local (a returned, yielded or expression-body value)?</summary>
        private static bool NeedsResult(SemanticModel model, SyntaxNode anchor, CancellationToken cancellationToken)
            => anchor switch
            {
                ReturnStatementSyntax { Expression: not null } => true,
                YieldStatementSyntax yield => yield.IsKind(SyntaxKind.YieldReturnStatement),
                ArrowExpressionClauseSyntax arrow => MethodOf(model, arrow.Parent!, cancellationToken) is { } method && ReturnsValue(method),
                ExpressionSyntax body when body.Parent is AnonymousFunctionExpressionSyntax lambda
                    => model.GetSymbolInfo(lambda, cancellationToken).Symbol is IMethodSymbol method && ReturnsValue(method),
                _ => false,
            };

        private static BlockSyntax? BodyStatements(IMethodSymbol method, DeclaredType declared, ExpressionSyntax original, ExpressionSyntax expression, List<StatementSyntax> statements, List<StatementSyntax> keepAlive, string result)
        {
            if (ReturnsValue(method))
            {
                if (declared.For(original) is not { } type)
                {
                    return null;
                }

                statements.Add(Declare(type, result, expression.WithoutTrivia()));
                statements.AddRange(keepAlive);
                statements.Add(SyntaxFactory.ReturnStatement(SyntaxFactory.IdentifierName(result)));
            }
            else
            {
                statements.Add(SyntaxFactory.ExpressionStatement(expression.WithoutTrivia()));
                statements.AddRange(keepAlive);
            }

            return SyntaxFactory.Block(statements).WithAdditionalAnnotations(Formatter.Annotation);
        }

        private static StatementSyntax Declare(TypeSyntax type, string name, ExpressionSyntax value)
            => SyntaxFactory.LocalDeclarationStatement(
                    SyntaxFactory.VariableDeclaration(
                        type,
                        SyntaxFactory.SingletonSeparatedList(SyntaxFactory.VariableDeclarator(name).WithInitializer(SyntaxFactory.EqualsValueClause(value)))))
                .WithTrailingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed)
                .WithAdditionalAnnotations(Formatter.Annotation);

        private static StatementSyntax KeepAlive(ExpressionSyntax gc, ExpressionSyntax owner)
            => SyntaxFactory.ExpressionStatement(
                    SyntaxFactory.InvocationExpression(
                        SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, gc, SyntaxFactory.IdentifierName("KeepAlive")),
                        SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(owner.WithoutTrivia())))))
                .WithTrailingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed)
                .WithAdditionalAnnotations(Formatter.Annotation);

        /// <summary>"GC" where it binds to System.GC at the anchor, the qualified name otherwise.</summary>
        private static ExpressionSyntax GcAt(SemanticModel model, SyntaxNode anchor)
            => model.LookupSymbols(anchor.SpanStart, name: "GC").Length == 1
               && model.LookupSymbols(anchor.SpanStart, name: "GC")[0] is INamedTypeSymbol { ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } }
                ? SyntaxFactory.IdentifierName("GC")
                : SyntaxFactory.MemberAccessExpression(
                    SyntaxKind.SimpleMemberAccessExpression,
                    SyntaxFactory.AliasQualifiedName(SyntaxFactory.IdentifierName(SyntaxFactory.Token(SyntaxKind.GlobalKeyword)), SyntaxFactory.IdentifierName("System")),
                    SyntaxFactory.IdentifierName("GC"));

        /// <summary>
        /// The type a new local is declared with at one place: <c>var</c>, unless a type named <c>var</c> is in scope there
        /// (then <c>var</c> would mean that type) or the initializer has no type of its own; then the initializer's type,
        /// or the one its place converts it to, written from its symbol. Null when the type cannot be written (anonymous,
        /// erroneous).
        /// </summary>
        private sealed class DeclaredType
        {
            private readonly SyntaxGenerator _generator;
            private readonly SemanticModel _model;
            private readonly CancellationToken _cancellationToken;
            private readonly bool _varIsAType;

            public DeclaredType(SyntaxGenerator generator, SemanticModel model, int position, CancellationToken cancellationToken)
            {
                _generator = generator;
                _model = model;
                _cancellationToken = cancellationToken;
                _varIsAType = model.LookupNamespacesAndTypes(position, name: "var").Any(s => s is ITypeSymbol);
            }

            /// <summary>The declared type for a local initialized with <paramref name="value"/> (a node of the model's tree).</summary>
            public TypeSyntax? For(ExpressionSyntax value)
            {
                var info = _model.GetTypeInfo(value, _cancellationToken);

                // 'var' takes the value's own type. A value without one (a target-typed 'new(...)', 'null', a lambda) or
                // one its place converts only because it is a constant ('short Size() => 1') needs the type its place
                // gave it: 'var result = new(h)' does not compile.
                var natural = Unparenthesized(value) is ImplicitObjectCreationExpressionSyntax ? null : info.Type;
                var keepsItsOwnType = natural != null && natural.TypeKind != TypeKind.Error
                                      && (info.ConvertedType == null || _model.Compilation.ClassifyCommonConversion(natural, info.ConvertedType).IsImplicit);
                if (keepsItsOwnType && !_varIsAType)
                {
                    return SyntaxFactory.IdentifierName("var");
                }

                var type = keepsItsOwnType ? natural : info.ConvertedType;
                if (type == null || type.TypeKind == TypeKind.Error || type.IsAnonymousType || type.SpecialType == SpecialType.System_Void)
                {
                    return null;
                }

                return ((TypeSyntax)_generator.TypeExpression(type)).WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
            }

            private static ExpressionSyntax Unparenthesized(ExpressionSyntax value)
            {
                while (value is ParenthesizedExpressionSyntax parenthesized)
                {
                    value = parenthesized.Expression;
                }

                return value;
            }
        }

        private static string NameFor(SemanticModel model, ExpressionSyntax owner, CancellationToken cancellationToken)
        {
            var typeName = model.GetTypeInfo(owner, cancellationToken).Type?.Name;
            if (string.IsNullOrEmpty(typeName))
            {
                return "owner";
            }

            return char.ToLowerInvariant(typeName![0]) + typeName.Substring(1);
        }

        /// <summary>A name no symbol in scope and no declaration in the enclosing member uses yet.</summary>
        private static string FreeName(SemanticModel model, SyntaxNode at, string baseName, HashSet<string> taken)
        {
            var member = at.FirstAncestorOrSelf<MemberDeclarationSyntax>() ?? at;
            var declared = new HashSet<string>(member.DescendantNodes().Select(n => n switch
            {
                VariableDeclaratorSyntax v => v.Identifier.ValueText,
                SingleVariableDesignationSyntax d => d.Identifier.ValueText,
                ParameterSyntax p => p.Identifier.ValueText,
                ForEachStatementSyntax f => f.Identifier.ValueText,
                LocalFunctionStatementSyntax l => l.Identifier.ValueText,
                _ => null,
            }).Where(n => n != null)!);
            for (var i = 0; ; i++)
            {
                var name = i == 0 ? baseName : baseName + i;
                if (SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || declared.Contains(name) || taken.Contains(member.SpanStart + ":" + name)
                    || !model.LookupSymbols(at.SpanStart, name: name).IsEmpty)
                {
                    continue;
                }

                taken.Add(member.SpanStart + ":" + name);
                return name;
            }
        }

        /// <summary>What one diagnostic asks for, read back from its locations and its owner kind.</summary>
        private sealed class Request
        {
            private Request(SyntaxNode anchor, ExpressionSyntax owner, ExpressionSyntax keptAlive, bool temporary)
            {
                Anchor = anchor;
                Owner = owner;
                KeptAlive = keptAlive;
                Temporary = temporary;
            }

            /// <summary>The statement after which the owner must be kept alive, or the expression body to turn into a block.</summary>
            public SyntaxNode Anchor { get; }

            /// <summary>The owner's expression at the diagnostic's second additional location (a node of the analyzed root).</summary>
            public ExpressionSyntax Owner { get; }

            /// <summary>What <c>GC.KeepAlive</c> is given: <c>this</c>, or the owner's own expression without trivia.</summary>
            public ExpressionSyntax KeptAlive { get; }

            /// <summary>The owner is a temporary: it is hoisted into a local, which is kept alive instead.</summary>
            public bool Temporary { get; }

            public static Request? From(SyntaxNode root, Diagnostic diagnostic)
            {
                if (diagnostic.AdditionalLocations.Count < 2
                    || !diagnostic.Properties.TryGetValue(HandleOwnerLifetimeAnalyzer.OwnerKindProperty, out var kind)
                    || root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true) is not { } call
                    || root.FindNode(diagnostic.AdditionalLocations[1].SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax owner)
                {
                    return null;
                }

                var anchor = AnchorOf(call);
                if (anchor == null)
                {
                    return null;
                }

                if (kind == "Temporary")
                {
                    if (anchor is ConstructorInitializerSyntax)
                    {
                        // Nothing can run before a base constructor call to hold the temporary.
                        return null;
                    }

                    // Hoisting is safe only from the anchor itself and when nothing with side effects runs before the owner.
                    if (!anchor.Span.Contains(owner.Span) || SideEffectsBefore(anchor, owner))
                    {
                        return null;
                    }

                    return new Request(anchor, owner, owner.WithoutTrivia(), temporary: true);
                }

                // 'this' owns the handle also where the code names only its member ('_handle' for 'this._handle').
                ExpressionSyntax kept = kind == "This" ? SyntaxFactory.ThisExpression() : owner.WithoutTrivia();

                // A handle carried in a proxy beside its owner ('w.Proxy'): the wrapper's field holding the owner is kept ('w.Source').
                if (diagnostic.Properties.TryGetValue(HandleOwnerLifetimeAnalyzer.OwnerMemberProperty, out var member) && !string.IsNullOrEmpty(member))
                {
                    kept = SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, kept, SyntaxFactory.IdentifierName(member!));
                }

                return new Request(anchor, owner, kept, temporary: false);
            }

            private static SyntaxNode? AnchorOf(SyntaxNode call)
            {
                for (var current = call; current != null; current = current.Parent)
                {
                    switch (current)
                    {
                        case ArrowExpressionClauseSyntax arrow when arrow.Parent is BaseMethodDeclarationSyntax || arrow.Parent is LocalFunctionStatementSyntax
                                                                    || arrow.Parent is BasePropertyDeclarationSyntax || arrow.Parent is AccessorDeclarationSyntax:
                            return arrow;
                        case ExpressionSyntax body when body.Parent is AnonymousFunctionExpressionSyntax lambda && lambda.Body == body:
                            return body;
                        case AnonymousFunctionExpressionSyntax:
                            return null;
                        case ConstructorInitializerSyntax initializer:
                            // ': base(owner.Handle)' runs before the body: the body's first statement is after the call.
                            return initializer.Parent is ConstructorDeclarationSyntax { Body: not null } ? initializer : null;
                        case ExpressionStatementSyntax:
                        case LocalDeclarationStatementSyntax:
                        case ReturnStatementSyntax:
                        case YieldStatementSyntax:
                            return current.Parent is BlockSyntax || current.Parent is SwitchSectionSyntax
                                   || (current is ExpressionStatementSyntax && (current.Parent is StatementSyntax || current.Parent is ElseClauseSyntax))
                                ? current
                                : null;
                        case StatementSyntax:
                            // The call sits in a condition or another statement head: no single place after it.
                            return null;
                    }
                }

                return null;
            }

            private static bool SideEffectsBefore(SyntaxNode anchor, SyntaxNode owner)
                => anchor.DescendantNodes().Any(n =>
                    n.Span.End <= owner.SpanStart
                    && (n is InvocationExpressionSyntax || n is BaseObjectCreationExpressionSyntax || n is AssignmentExpressionSyntax || n is AwaitExpressionSyntax));
        }
    }
}
