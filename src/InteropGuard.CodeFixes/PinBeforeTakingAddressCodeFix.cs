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
using Microsoft.CodeAnalysis.Simplification;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// IG2002 fixes. "IG2002.WrapInFixed": wrap the statement that takes the address in a <c>fixed</c> statement over
    /// the array/field/span and use its pointer instead (the analyzer decides when that is a safe rewrite and says what
    /// to pin). "IG2002.PinnedHandle": allocate the GCHandle as <c>GCHandleType.Pinned</c>.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PinBeforeTakingAddressCodeFix))]
    [Shared]
    public sealed class PinBeforeTakingAddressCodeFix : DocumentRewriteCodeFix
    {
        internal const string WrapInFixedKey = "IG2002.WrapInFixed";
        internal const string PinnedHandleKey = "IG2002.PinnedHandle";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.UnpinnedAddress.Id);

        internal override IEnumerable<FixAction> Describe(AnalyzedDocument document, Diagnostic diagnostic)
        {
            var key = KeyOf(diagnostic);
            if (key == WrapInFixedKey && FindCall(document.Root, diagnostic.Location) != null)
            {
                var hint = diagnostic.Properties.TryGetValue(UnpinnedAddressAnalyzer.PinTargetProperty, out var target) ? target : null;
                yield return new FixAction("Pin '" + hint + "' with a fixed statement and use its pointer", WrapInFixedKey);
            }
            else if (key == PinnedHandleKey && diagnostic.AdditionalLocations.Count > 0)
            {
                yield return new FixAction("Allocate the GCHandle as GCHandleType.Pinned", PinnedHandleKey);
            }
        }

        internal override Task<Document> RewriteAsync(AnalyzedDocument document, IReadOnlyList<Diagnostic> diagnostics, string? equivalenceKey)
        {
            var key = equivalenceKey ?? WrapInFixedKey;
            var selected = diagnostics.Where(d => KeyOf(d) == key).OrderBy(d => d.Location.SourceSpan.Start).ToList();
            var updated = key == PinnedHandleKey ? PinHandles(document.Root, selected) : WrapInFixed(document.Root, selected);
            return updated == null ? Task.FromResult(document.Document) : document.WithRootAsync(updated);
        }

        private static string? KeyOf(Diagnostic diagnostic)
        {
            if (!diagnostic.Properties.TryGetValue(UnpinnedAddressAnalyzer.FixProperty, out var fix))
            {
                return null;
            }

            return fix == UnpinnedAddressAnalyzer.FixedFix ? WrapInFixedKey : fix == UnpinnedAddressAnalyzer.PinnedHandleFix ? PinnedHandleKey : null;
        }

        private static InvocationExpressionSyntax? FindCall(SyntaxNode root, Location location)
        {
            if (!root.FullSpan.Contains(location.SourceSpan))
            {
                return null;
            }

            return root.FindNode(location.SourceSpan, getInnermostNodeForTie: true)
                .AncestorsAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault(i => i.Span == location.SourceSpan);
        }

        private static SyntaxNode? PinHandles(SyntaxNode root, IReadOnlyList<Diagnostic> diagnostics)
        {
            var allocations = diagnostics.SelectMany(d => d.AdditionalLocations).Select(l => FindCall(root, l)).Where(c => c != null).Select(c => c!).Distinct().ToList();
            if (allocations.Count == 0)
            {
                return null;
            }

            return root.ReplaceNodes(allocations, (original, rewritten) =>
            {
                var pinned = SyntaxFactory.Argument(SyntaxFactory.ParseExpression("global::System.Runtime.InteropServices.GCHandleType.Pinned")
                    .WithAdditionalAnnotations(Simplifier.Annotation));
                var arguments = rewritten.ArgumentList.Arguments;
                arguments = arguments.Count == 1
                    ? arguments.Add(pinned)
                    : arguments.Replace(arguments[1], pinned.WithTriviaFrom(arguments[1]));
                return rewritten.WithArgumentList(rewritten.ArgumentList.WithArguments(arguments));
            });
        }

        private static SyntaxNode? WrapInFixed(SyntaxNode root, IReadOnlyList<Diagnostic> diagnostics)
        {
            var marks = new Dictionary<SyntaxNode, SyntaxAnnotation>();
            var requests = new List<(SyntaxAnnotation Mark, Diagnostic Diagnostic)>();
            foreach (var diagnostic in diagnostics)
            {
                if (FindCall(root, diagnostic.Location) is { } call && !marks.ContainsKey(call))
                {
                    var mark = new SyntaxAnnotation();
                    marks[call] = mark;
                    requests.Add((mark, diagnostic));
                }
            }

            if (requests.Count == 0)
            {
                return null;
            }

            var current = root.ReplaceNodes(marks.Keys, (original, rewritten) => rewritten.WithAdditionalAnnotations(marks[original]));
            var changed = false;
            foreach (var (mark, diagnostic) in requests)
            {
                if (diagnostic.Properties.TryGetValue(UnpinnedAddressAnalyzer.ExpressionBodyProperty, out var arrow) && arrow == "true"
                    && current.GetAnnotatedNodes(mark).FirstOrDefault() is { } inArrow)
                {
                    current = ToBlockBody(current, inArrow) ?? current;
                }

                if (current.GetAnnotatedNodes(mark).FirstOrDefault() is InvocationExpressionSyntax call && call.FirstAncestorOrSelf<StatementSyntax>() is { } && WrapOne(current, call, diagnostic.Properties) is { } next)
                {
                    current = next;
                    changed = true;
                }
            }

            return changed ? current : null;
        }

        private static SyntaxNode? WrapOne(SyntaxNode root, InvocationExpressionSyntax call, ImmutableDictionary<string, string?> properties)
        {
            if (!properties.TryGetValue(UnpinnedAddressAnalyzer.PinTargetProperty, out var pinTarget) || pinTarget == null
                || !properties.TryGetValue(UnpinnedAddressAnalyzer.PointerTypeProperty, out var pointerType) || pointerType == null)
            {
                return null;
            }

            var statement = call.FirstAncestorOrSelf<StatementSyntax>();
            if (statement == null)
            {
                return null;
            }

            properties.TryGetValue(UnpinnedAddressAnalyzer.NameHintProperty, out var hint);
            var name = FreshName(root, hint);
            ExpressionSyntax pointer = SyntaxFactory.IdentifierName(name);
            if (properties.TryGetValue(UnpinnedAddressAnalyzer.ReplacementProperty, out var replacement) && replacement == "IntPtr")
            {
                var intPtr = ImportsSystem(root) ? SyntaxFactory.ParseTypeName("IntPtr") : SyntaxFactory.ParseTypeName("nint");
                pointer = SyntaxFactory.CastExpression(intPtr, pointer);
            }

            var inner = statement.ReplaceNode(call, pointer.WithTriviaFrom(call));
            StatementSyntax? hoisted = null;
            if (properties.TryGetValue(UnpinnedAddressAnalyzer.SplitDeclarationProperty, out var declaredType) && declaredType != null)
            {
                if (inner is not LocalDeclarationStatementSyntax declaration || declaration.Declaration.Variables.Count != 1
                    || declaration.Declaration.Variables[0].Initializer is not { } initializer)
                {
                    return null;
                }

                var variable = declaration.Declaration.Variables[0];
                hoisted = SyntaxFactory.LocalDeclarationStatement(
                        SyntaxFactory.VariableDeclaration(
                            SyntaxFactory.ParseTypeName(declaredType).WithTrailingTrivia(SyntaxFactory.Space),
                            SyntaxFactory.SingletonSeparatedList(SyntaxFactory.VariableDeclarator(variable.Identifier.WithoutTrivia()))))
                    .WithLeadingTrivia(statement.GetLeadingTrivia())
                    .WithAdditionalAnnotations(Formatter.Annotation);
                inner = SyntaxFactory.ExpressionStatement(
                    SyntaxFactory.AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, SyntaxFactory.IdentifierName(variable.Identifier.WithoutTrivia()), initializer.Value.WithoutTrivia()))
                    .WithTrailingTrivia(statement.GetTrailingTrivia());
            }

            var fixedStatement = SyntaxFactory.FixedStatement(
                    SyntaxFactory.VariableDeclaration(
                        SyntaxFactory.PointerType(SyntaxFactory.ParseTypeName(pointerType)),
                        SyntaxFactory.SingletonSeparatedList(
                            SyntaxFactory.VariableDeclarator(SyntaxFactory.Identifier(name))
                                .WithInitializer(SyntaxFactory.EqualsValueClause(SyntaxFactory.ParseExpression(pinTarget))))),
                    SyntaxFactory.Block(inner.WithoutLeadingTrivia()))
                .WithLeadingTrivia(hoisted != null ? default : statement.GetLeadingTrivia().Count > 0 ? statement.GetLeadingTrivia() : SyntaxFactory.TriviaList(SyntaxFactory.ElasticMarker))
                .WithTrailingTrivia(statement.GetTrailingTrivia().Any(t => t.IsKind(SyntaxKind.EndOfLineTrivia))
                    ? SyntaxFactory.TriviaList(statement.GetTrailingTrivia().Where(t => t.IsKind(SyntaxKind.EndOfLineTrivia)))
                    : SyntaxFactory.TriviaList(SyntaxFactory.ElasticCarriageReturnLineFeed))
                .WithAdditionalAnnotations(Formatter.Annotation);

            var marker = new SyntaxAnnotation();
            fixedStatement = fixedStatement.WithAdditionalAnnotations(marker);
            SyntaxNode updated;
            if (hoisted == null)
            {
                updated = root.ReplaceNode(statement, fixedStatement);
            }
            else if (statement.Parent is BlockSyntax || statement.Parent is SwitchSectionSyntax)
            {
                updated = root.ReplaceNode(statement, new SyntaxNode[] { hoisted, fixedStatement });
            }
            else if (statement.Parent is GlobalStatementSyntax global)
            {
                updated = root.ReplaceNode(global, new SyntaxNode[] { SyntaxFactory.GlobalStatement(hoisted), SyntaxFactory.GlobalStatement(fixedStatement) });
            }
            else
            {
                updated = root.ReplaceNode(statement, SyntaxFactory.Block(hoisted, fixedStatement).WithAdditionalAnnotations(Formatter.Annotation));
            }

            if (properties.TryGetValue(UnpinnedAddressAnalyzer.NeedsUnsafeProperty, out var needsUnsafe) && needsUnsafe == "true")
            {
                updated = AddUnsafe(updated, marker);
            }

            return updated;
        }

        /// <summary>
        /// <c>void M() =&gt; e;</c> becomes <c>void M() { e; }</c> and <c>T M() =&gt; e;</c> becomes <c>T M() { return e; }</c>, so
        /// that there is a statement to wrap.
        /// </summary>
        private static SyntaxNode? ToBlockBody(SyntaxNode root, SyntaxNode inArrow)
        {
            var arrow = inArrow.FirstAncestorOrSelf<ArrowExpressionClauseSyntax>();
            if (arrow == null || inArrow.Ancestors().TakeWhile(a => a != arrow).Any(a => a is AnonymousFunctionExpressionSyntax))
            {
                return null;
            }

            BlockSyntax Body(TypeSyntax returnType)
            {
                var isVoid = returnType is PredefinedTypeSyntax predefined && predefined.Keyword.IsKind(SyntaxKind.VoidKeyword);
                StatementSyntax statement = isVoid
                    ? SyntaxFactory.ExpressionStatement(arrow.Expression.WithoutTrivia())
                    : SyntaxFactory.ReturnStatement(arrow.Expression.WithoutTrivia());
                return SyntaxFactory.Block(statement).WithAdditionalAnnotations(Formatter.Annotation);
            }

            switch (arrow.Parent)
            {
                case MethodDeclarationSyntax method:
                    return root.ReplaceNode(method, method.WithExpressionBody(null).WithSemicolonToken(default)
                        .WithParameterList(method.ParameterList.WithoutTrailingTrivia())
                        .WithBody(Body(method.ReturnType).WithTrailingTrivia(method.SemicolonToken.TrailingTrivia)).WithAdditionalAnnotations(Formatter.Annotation));
                case LocalFunctionStatementSyntax local:
                    return root.ReplaceNode(local, local.WithExpressionBody(null).WithSemicolonToken(default)
                        .WithParameterList(local.ParameterList.WithoutTrailingTrivia())
                        .WithBody(Body(local.ReturnType).WithTrailingTrivia(local.SemicolonToken.TrailingTrivia)).WithAdditionalAnnotations(Formatter.Annotation));
                default:
                    return null;
            }
        }

        /// <summary>Makes the member or local function around the new fixed statement unsafe, unless something around it already is.</summary>
        private static SyntaxNode AddUnsafe(SyntaxNode root, SyntaxAnnotation marker)
        {
            var fixedStatement = root.GetAnnotatedNodes(marker).FirstOrDefault();
            if (fixedStatement == null || fixedStatement.Ancestors().Any(a => a is UnsafeStatementSyntax
                || (a is MemberDeclarationSyntax m && m.Modifiers.Any(SyntaxKind.UnsafeKeyword))
                || (a is LocalFunctionStatementSyntax l && l.Modifiers.Any(SyntaxKind.UnsafeKeyword))))
            {
                return root;
            }

            var function = fixedStatement.Ancestors().FirstOrDefault(a => a is LocalFunctionStatementSyntax || a is BaseMethodDeclarationSyntax);
            switch (function)
            {
                case LocalFunctionStatementSyntax local:
                    return root.ReplaceNode(local, local.Modifiers.Count > 0
                        ? local.WithModifiers(WithUnsafe(local.Modifiers))
                        : local.WithReturnType(local.ReturnType.WithoutLeadingTrivia()).WithModifiers(SyntaxFactory.TokenList(UnsafeToken(local.ReturnType.GetLeadingTrivia()))));
                case MethodDeclarationSyntax method when method.Modifiers.Count == 0:
                    return root.ReplaceNode(method, method.WithReturnType(method.ReturnType.WithoutLeadingTrivia()).WithModifiers(SyntaxFactory.TokenList(UnsafeToken(method.ReturnType.GetLeadingTrivia()))));
                case BaseMethodDeclarationSyntax method when method.Modifiers.Count > 0:
                    return root.ReplaceNode(method, method.WithModifiers(WithUnsafe(method.Modifiers)));
                default:
                    return root;
            }
        }

        private static SyntaxToken UnsafeToken(SyntaxTriviaList leading)
            => SyntaxFactory.Token(SyntaxKind.UnsafeKeyword).WithLeadingTrivia(leading).WithTrailingTrivia(SyntaxFactory.Space);

        /// <summary>'unsafe' goes after access, static and inheritance modifiers, before async and the like.</summary>
        private static SyntaxTokenList WithUnsafe(SyntaxTokenList modifiers)
        {
            var index = 0;
            while (index < modifiers.Count && (modifiers[index].IsKind(SyntaxKind.PublicKeyword) || modifiers[index].IsKind(SyntaxKind.PrivateKeyword)
                || modifiers[index].IsKind(SyntaxKind.ProtectedKeyword) || modifiers[index].IsKind(SyntaxKind.InternalKeyword)
                || modifiers[index].IsKind(SyntaxKind.StaticKeyword) || modifiers[index].IsKind(SyntaxKind.OverrideKeyword)
                || modifiers[index].IsKind(SyntaxKind.VirtualKeyword) || modifiers[index].IsKind(SyntaxKind.SealedKeyword)))
            {
                index++;
            }

            if (index == 0)
            {
                var first = modifiers[0];
                return modifiers.Replace(first, first.WithLeadingTrivia()).Insert(0, UnsafeToken(first.LeadingTrivia));
            }

            return modifiers.Insert(index, UnsafeToken(default));
        }

        private static bool ImportsSystem(SyntaxNode root)
            => root is CompilationUnitSyntax unit && unit.Usings.Any(u => u.Alias == null && u.StaticKeyword == default && u.Name?.ToString() == "System");

        /// <summary>"p" + the pinned thing's name, not used by any identifier in the file (so it shadows nothing and clashes with nothing).</summary>
        private static string FreshName(SyntaxNode root, string? hint)
        {
            var used = new HashSet<string>(root.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken)).Select(t => t.ValueText));
            var stem = (hint ?? string.Empty).Split('.').Last().TrimStart('_');
            var baseName = stem.Length > 0 && stem.All(c => char.IsLetterOrDigit(c) || c == '_') && char.IsLetter(stem[0])
                ? "p" + char.ToUpperInvariant(stem[0]) + stem.Substring(1)
                : "p";
            var name = baseName;
            for (var i = 2; used.Contains(name); i++)
            {
                name = baseName + i;
            }

            return name;
        }
    }
}
