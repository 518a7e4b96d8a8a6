using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using InteropGuard.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
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
            if (key == WrapInFixedKey && FixedPlan.For(document, diagnostic) is { } plan)
            {
                yield return new FixAction("Pin '" + plan.PinTarget + "' with a fixed statement and use its pointer", WrapInFixedKey);
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
            var updated = key == PinnedHandleKey ? PinHandles(document, selected) : WrapInFixed(document, selected);
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

        private static SyntaxNode? PinHandles(AnalyzedDocument document, IReadOnlyList<Diagnostic> diagnostics)
        {
            var root = document.Root;
            if (document.Model.Compilation.GetTypeByMetadataName("System.Runtime.InteropServices.GCHandleType") is not { } handleType)
            {
                return null;
            }

            var generator = SyntaxGenerator.GetGenerator(document.Document);
            var allocations = diagnostics.SelectMany(d => d.AdditionalLocations).Select(l => FindCall(root, l)).Where(c => c != null).Select(c => c!).Distinct().ToList();
            if (allocations.Count == 0)
            {
                return null;
            }

            return root.ReplaceNodes(allocations, (original, rewritten) =>
            {
                var pinned = SyntaxFactory.Argument(((ExpressionSyntax)generator.MemberAccessExpression(generator.TypeExpression(handleType), "Pinned"))
                    .WithAdditionalAnnotations(Simplifier.Annotation));
                var arguments = rewritten.ArgumentList.Arguments;
                arguments = arguments.Count == 1
                    ? arguments.Add(pinned)
                    : arguments.Replace(arguments[1], pinned.WithTriviaFrom(arguments[1]));
                return rewritten.WithArgumentList(rewritten.ArgumentList.WithArguments(arguments));
            });
        }

        private static SyntaxNode? WrapInFixed(AnalyzedDocument document, IReadOnlyList<Diagnostic> diagnostics)
        {
            var root = document.Root;
            var marks = new Dictionary<SyntaxNode, SyntaxAnnotation>();
            var requests = new List<(SyntaxAnnotation Mark, Diagnostic Diagnostic, FixedPlan Plan)>();
            foreach (var diagnostic in diagnostics)
            {
                if (FixedPlan.For(document, diagnostic) is { } plan && !marks.ContainsKey(plan.Call))
                {
                    var mark = new SyntaxAnnotation();
                    marks[plan.Call] = mark;
                    requests.Add((mark, diagnostic, plan));
                }
            }

            if (requests.Count == 0)
            {
                return null;
            }

            var current = root.ReplaceNodes(marks.Keys, (original, rewritten) => rewritten.WithAdditionalAnnotations(marks[original]));
            var changed = false;
            foreach (var (mark, diagnostic, plan) in requests)
            {
                if (diagnostic.Properties.TryGetValue(UnpinnedAddressAnalyzer.ExpressionBodyProperty, out var arrow) && arrow == "true"
                    && current.GetAnnotatedNodes(mark).FirstOrDefault() is { } inArrow)
                {
                    current = ToBlockBody(current, inArrow) ?? current;
                }

                if (current.GetAnnotatedNodes(mark).FirstOrDefault() is InvocationExpressionSyntax call && call.FirstAncestorOrSelf<StatementSyntax>() is { } && WrapOne(current, call, diagnostic.Properties, plan) is { } next)
                {
                    current = next;
                    changed = true;
                }
            }

            return changed ? current : null;
        }

        private static SyntaxNode? WrapOne(SyntaxNode root, InvocationExpressionSyntax call, ImmutableDictionary<string, string?> properties, FixedPlan plan)
        {
            var statement = call.FirstAncestorOrSelf<StatementSyntax>();
            if (statement == null)
            {
                return null;
            }

            var name = FreshName(root, plan.NameHint);
            ExpressionSyntax pointer = SyntaxFactory.IdentifierName(name);
            if (properties.TryGetValue(UnpinnedAddressAnalyzer.ReplacementProperty, out var replacement) && replacement == "IntPtr")
            {
                var intPtr = SyntaxFactory.IdentifierName(ImportsSystem(root) ? "IntPtr" : "nint");
                pointer = SyntaxFactory.CastExpression(intPtr, pointer);
            }

            var inner = statement.ReplaceNode(call, pointer.WithTriviaFrom(call));
            StatementSyntax? hoisted = null;
            if (plan.DeclaredType is { } declaredType)
            {
                if (inner is not LocalDeclarationStatementSyntax declaration || declaration.Declaration.Variables.Count != 1
                    || declaration.Declaration.Variables[0].Initializer is not { } initializer)
                {
                    return null;
                }

                var variable = declaration.Declaration.Variables[0];
                hoisted = SyntaxFactory.LocalDeclarationStatement(
                        SyntaxFactory.VariableDeclaration(
                            declaredType.WithTrailingTrivia(SyntaxFactory.Space),
                            SyntaxFactory.SingletonSeparatedList(SyntaxFactory.VariableDeclarator(variable.Identifier.WithoutTrivia()))))
                    .WithLeadingTrivia(statement.GetLeadingTrivia())
                    .WithAdditionalAnnotations(Formatter.Annotation);
                inner = SyntaxFactory.ExpressionStatement(
                    SyntaxFactory.AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, SyntaxFactory.IdentifierName(variable.Identifier.WithoutTrivia()), initializer.Value.WithoutTrivia()))
                    .WithTrailingTrivia(statement.GetTrailingTrivia());
            }

            var fixedStatement = SyntaxFactory.FixedStatement(
                    SyntaxFactory.VariableDeclaration(
                        SyntaxFactory.PointerType(plan.PointedType),
                        SyntaxFactory.SingletonSeparatedList(
                            SyntaxFactory.VariableDeclarator(SyntaxFactory.Identifier(name))
                                .WithInitializer(SyntaxFactory.EqualsValueClause(plan.PinTarget)))),
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

        /// <summary>
        /// What a WrapInFixed fix writes, planned from the call at the diagnostic and the semantic model (the analyzer
        /// decides that the rewrite is safe and says so with its Fix property): the expression to pin (the array, an
        /// element's or field's address, the span), the pointed-to type, the declared type of a declaration the
        /// rewrite splits, and the name the pointer is named after.
        /// </summary>
        private sealed class FixedPlan
        {
            private FixedPlan(InvocationExpressionSyntax call, ExpressionSyntax pinTarget, TypeSyntax pointedType, TypeSyntax? declaredType, string? nameHint)
            {
                Call = call;
                PinTarget = pinTarget;
                PointedType = pointedType;
                DeclaredType = declaredType;
                NameHint = nameHint;
            }

            /// <summary>The call at the diagnostic, a node of the analyzed root.</summary>
            public InvocationExpressionSyntax Call { get; }

            public ExpressionSyntax PinTarget { get; }

            public TypeSyntax PointedType { get; }

            /// <summary>For a declaration statement, its local's type: the declaration is split around the fixed statement.</summary>
            public TypeSyntax? DeclaredType { get; }

            public string? NameHint { get; }

            public static FixedPlan? For(AnalyzedDocument document, Diagnostic diagnostic)
            {
                var (model, cancellationToken) = (document.Model, document.CancellationToken);
                if (KeyOf(diagnostic) != WrapInFixedKey || FindCall(document.Root, diagnostic.Location) is not { } call
                    || model.GetOperation(call, cancellationToken) is not IInvocationOperation operation)
                {
                    return null;
                }

                var generator = SyntaxGenerator.GetGenerator(document.Document);
                ExpressionSyntax target;
                ITypeSymbol? pointed;
                IOperation? named;
                if (operation.TargetMethod.Name == "UnsafeAddrOfPinnedArrayElement" && operation.Arguments.Length == 2)
                {
                    // The array itself for element 0, the element's address otherwise.
                    var array = ManagedMemoryOrigins.Unwrap(operation.Arguments[0].Value);
                    var index = operation.Arguments[1].Value;
                    if (array?.Type is not IArrayTypeSymbol { Rank: 1 } arrayType || array.Syntax is not ExpressionSyntax owner)
                    {
                        return null;
                    }

                    pointed = arrayType.ElementType;
                    target = index.ConstantValue is { HasValue: true, Value: 0 }
                        ? owner.WithoutTrivia()
                        : AddressOf((ExpressionSyntax)generator.ElementAccessExpression(owner.WithoutTrivia(), ((ExpressionSyntax)index.Syntax).WithoutTrivia()));
                    named = array;
                }
                else if (operation.Arguments.Length == 1)
                {
                    // Unsafe.AsPointer(ref X): the address of an element or field, or the array or span a reference is taken into.
                    switch (ManagedMemoryOrigins.Unwrap(operation.Arguments[0].Value))
                    {
                        case IArrayElementReferenceOperation element when element.Syntax is ExpressionSyntax syntax:
                            (target, pointed, named) = (AddressOf(syntax.WithoutTrivia()), element.Type, element.ArrayReference);
                            break;
                        case IFieldReferenceOperation { Instance: not null } field when field.Syntax is ExpressionSyntax syntax:
                            (target, pointed, named) = (AddressOf(syntax.WithoutTrivia()), field.Type, field);
                            break;
                        case IInvocationOperation { Arguments.Length: 1 } reference when reference.Arguments[0].Value.Syntax is ExpressionSyntax syntax:
                            (target, pointed, named) = (syntax.WithoutTrivia(), reference.Type, reference.Arguments[0].Value);
                            break;
                        default:
                            return null;
                    }
                }
                else
                {
                    return null;
                }

                if (pointed == null || pointed.TypeKind == TypeKind.Error)
                {
                    return null;
                }

                TypeSyntax? declaredType = null;
                if (call.FirstAncestorOrSelf<StatementSyntax>() is LocalDeclarationStatementSyntax { Declaration.Variables.Count: 1 } declaration)
                {
                    if (model.GetDeclaredSymbol(declaration.Declaration.Variables[0], cancellationToken) is not ILocalSymbol local)
                    {
                        return null;
                    }

                    declaredType = TypeOf(generator, local.Type);
                }

                return new FixedPlan(call, target, TypeOf(generator, pointed), declaredType, NameOf(named));
            }

            private static TypeSyntax TypeOf(SyntaxGenerator generator, ITypeSymbol type)
                => ((TypeSyntax)generator.TypeExpression(type)).WithAdditionalAnnotations(Simplifier.Annotation);

            private static ExpressionSyntax AddressOf(ExpressionSyntax operand)
                => SyntaxFactory.PrefixUnaryExpression(SyntaxKind.AddressOfExpression, operand);

            /// <summary>The name of what is pinned: the variable, parameter or field holding it, looking through AsSpan/Slice.</summary>
            private static string? NameOf(IOperation? operation)
            {
                switch (ManagedMemoryOrigins.Unwrap(operation))
                {
                    case ILocalReferenceOperation local:
                        return local.Local.Name;
                    case IParameterReferenceOperation parameter:
                        return parameter.Parameter.Name;
                    case IFieldReferenceOperation field:
                        return field.Field.Name;
                    case IPropertyReferenceOperation property:
                        return property.Property.Name;
                    case IInstanceReferenceOperation:
                        return "this";
                    case IArrayElementReferenceOperation element:
                        return NameOf(element.ArrayReference);
                    case IInvocationOperation call:
                        return NameOf(call.Instance ?? call.Arguments.FirstOrDefault()?.Value);
                    case IConversionOperation conversion:
                        return NameOf(conversion.Operand);
                    default:
                        return null;
                }
            }
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
