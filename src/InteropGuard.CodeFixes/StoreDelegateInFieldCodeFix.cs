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
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// IG1002 fix: keep the delegate in a field of the containing type and pass the field. The field is static unless
    /// the delegate refers to <c>this</c> in an instance member of a class. The store goes in a statement of its own
    /// before the call when the delegate is evaluated unconditionally by that statement; otherwise the argument becomes
    /// the assignment itself (<c>F(s_callback = ...)</c>), which keeps evaluation order and conditions as they were.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(StoreDelegateInFieldCodeFix))]
    [Shared]
    public sealed class StoreDelegateInFieldCodeFix : DocumentRewriteCodeFix
    {
        internal const string EquivalenceKey = "IG1002.StoreInField";

        internal const string UnmanagedCallersOnlyKey = "IG1002.UnmanagedCallersOnly";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.CallbackDelegateCollected.Id);

        internal override async Task<IEnumerable<FixAction>> DescribeAsync(AnalyzedDocument document, Diagnostic diagnostic)
        {
            var actions = new List<FixAction>();
            if (Plan.For(document.Root, document.Model, SyntaxGenerator.GetGenerator(document.Document), diagnostic, document.CancellationToken) is not { } plan)
            {
                return actions;
            }

            actions.Add(new FixAction("Keep the delegate in field '" + plan.UniqueName(new HashSet<string>()) + "'", EquivalenceKey));
            if (await UnmanagedCallersOnlyRewrite.ForAsync(document, plan.Delegate).ConfigureAwait(false) is { } rewrite)
            {
                actions.Add(new FixAction("Make '" + rewrite.MethodName + "' [UnmanagedCallersOnly] and pass its address", UnmanagedCallersOnlyKey));
            }

            return actions;
        }

        internal override async Task<Document> RewriteAsync(AnalyzedDocument document, IReadOnlyList<Diagnostic> diagnostics, string? equivalenceKey)
        {
            if (equivalenceKey != UnmanagedCallersOnlyKey)
            {
                return await StoreInFieldsAsync(document, diagnostics).ConfigureAwait(false);
            }

            var rewrites = new List<UnmanagedCallersOnlyRewrite>();
            foreach (var diagnostic in diagnostics)
            {
                if (Plan.For(document.Root, document.Model, SyntaxGenerator.GetGenerator(document.Document), diagnostic, document.CancellationToken) is { } plan
                    && await UnmanagedCallersOnlyRewrite.ForAsync(document, plan.Delegate).ConfigureAwait(false) is { } rewrite)
                {
                    rewrites.Add(rewrite);
                }
            }

            return await UnmanagedCallersOnlyRewrite.ApplyAsync(document, rewrites).ConfigureAwait(false);
        }

        private static async Task<Document> StoreInFieldsAsync(AnalyzedDocument document, IReadOnlyList<Diagnostic> diagnostics)
        {
            var cancellationToken = document.CancellationToken;
            var editor = await DocumentEditor.CreateAsync(document.Document, cancellationToken).ConfigureAwait(false);
            var root = editor.OriginalRoot;
            var taken = new Dictionary<TypeDeclarationSyntax, HashSet<string>>();
            var fields = new Dictionary<TypeDeclarationSyntax, List<MemberDeclarationSyntax>>();
            foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
            {
                if (Plan.For(root, editor.SemanticModel, editor.Generator, diagnostic, cancellationToken) is not { } plan)
                {
                    continue;
                }

                if (!taken.TryGetValue(plan.Type, out var names))
                {
                    names = new HashSet<string>();
                    taken.Add(plan.Type, names);
                    fields.Add(plan.Type, new List<MemberDeclarationSyntax>());
                }

                var name = plan.UniqueName(names);
                names.Add(name);
                fields[plan.Type].Add(plan.FieldDeclaration(name));
                var field = SyntaxFactory.IdentifierName(name);
                if (plan.Statement != null)
                {
                    var store = SyntaxFactory.ExpressionStatement(
                            SyntaxFactory.AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, field, plan.Delegate.WithoutTrivia()))
                        .WithAdditionalAnnotations(Formatter.Annotation);
                    editor.InsertBefore(plan.Statement, store);
                    editor.ReplaceNode(plan.Delegate, field.WithTriviaFrom(plan.Delegate));
                }
                else
                {
                    editor.ReplaceNode(plan.Delegate, (current, _) => SyntaxFactory.AssignmentExpression(
                            SyntaxKind.SimpleAssignmentExpression, field, ((ExpressionSyntax)current).WithoutTrivia())
                        .WithTriviaFrom(current));
                }
            }

            foreach (var pair in fields)
            {
                editor.InsertMembers(pair.Key, InsertionIndex(pair.Key), pair.Value);
            }

            return await AnalyzedDocument.CleanUpAsync(editor.GetChangedDocument(), cancellationToken).ConfigureAwait(false);
        }

        // After the type's existing fields, so the new one reads as part of the type's state.
        private static int InsertionIndex(TypeDeclarationSyntax type)
        {
            var index = 0;
            for (var i = 0; i < type.Members.Count; i++)
            {
                if (type.Members[i] is FieldDeclarationSyntax)
                {
                    index = i + 1;
                }
            }

            return index;
        }

        private sealed class Plan
        {
            private readonly string _baseName;
            private readonly bool _isStatic;
            private readonly TypeSyntax _fieldType;

            private Plan(ExpressionSyntax @delegate, StatementSyntax? statement, TypeDeclarationSyntax type, string baseName, bool isStatic, TypeSyntax fieldType)
            {
                Delegate = @delegate;
                Statement = statement;
                Type = type;
                _baseName = baseName;
                _isStatic = isStatic;
                _fieldType = fieldType;
            }

            public ExpressionSyntax Delegate { get; }

            /// <summary>The statement to put the store in front of, or null for an assignment in place.</summary>
            public StatementSyntax? Statement { get; }

            public TypeDeclarationSyntax Type { get; }

            public static Plan? For(SyntaxNode root, SemanticModel model, SyntaxGenerator generator, Diagnostic diagnostic, CancellationToken cancellationToken)
            {
                var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
                var expression = node.AncestorsAndSelf().OfType<ExpressionSyntax>().FirstOrDefault(e => e.Span == diagnostic.Location.SourceSpan);
                if (node is ArgumentSyntax argument && argument.Expression.Span == diagnostic.Location.SourceSpan)
                {
                    expression = argument.Expression;
                }

                var type = expression?.FirstAncestorOrSelf<TypeDeclarationSyntax>();
                if (expression == null || type == null || type is InterfaceDeclarationSyntax
                    || DelegateAt(model, expression, cancellationToken) is not { } found)
                {
                    return null;
                }

                var member = model.GetEnclosingSymbol(expression.SpanStart, cancellationToken);
                while (member is IMethodSymbol { MethodKind: MethodKind.LocalFunction or MethodKind.AnonymousFunction })
                {
                    member = member.ContainingSymbol;
                }

                if (member == null)
                {
                    return null;
                }

                var usesInstance = diagnostic.Properties.TryGetValue(CallbackLifetimeAnalyzer.UsesInstanceProperty, out var flag) && flag == "true";
                var isStatic = member.IsStatic || !usesInstance || !(type is ClassDeclarationSyntax || type is RecordDeclarationSyntax { ClassOrStructKeyword.RawKind: not (int)SyntaxKind.StructKeyword });
                if (!isStatic && type.Modifiers.Any(SyntaxKind.StaticKeyword))
                {
                    return null;
                }

                // The field's type is the delegate's type, written from its symbol (nullable where annotations are on).
                TypeSyntax fieldType = ((TypeSyntax)generator.TypeExpression(found.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated))).WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
                if (model.GetNullableContext(expression.SpanStart).AnnotationsEnabled())
                {
                    fieldType = SyntaxFactory.NullableType(fieldType);
                }

                return new Plan(expression, StatementBefore(expression), type, found.Name, isStatic, fieldType);
            }

            /// <summary>
            /// The delegate at the diagnostic, from the semantic model: its type, and the name its field takes — the
            /// local's or parameter's, the method's a delegate creation calls, or the parameter's it is passed to.
            /// </summary>
            private static (INamedTypeSymbol Type, string Name)? DelegateAt(SemanticModel model, ExpressionSyntax expression, CancellationToken cancellationToken)
            {
                var operation = model.GetOperation(expression, cancellationToken);
                while (operation?.Parent != null && operation.Parent.Syntax == expression)
                {
                    operation = operation.Parent;
                }

                while (operation is IConversionOperation { OperatorMethod: null } conversion)
                {
                    operation = conversion.Operand;
                }

                switch (operation)
                {
                    case ILocalReferenceOperation { Local: { Type: INamedTypeSymbol { TypeKind: TypeKind.Delegate } type } local }:
                        return (type, local.Name);
                    case IParameterReferenceOperation { Parameter: { Type: INamedTypeSymbol { TypeKind: TypeKind.Delegate } type } received }:
                        // The caller's delegate: the object (or type) that registers it keeps it.
                        return (type, received.Name);
                    case IDelegateCreationOperation { Type: INamedTypeSymbol type } creation:
                        if (creation.Target is IMethodReferenceOperation method)
                        {
                            return (type, method.Method.Name);
                        }

                        IOperation current = creation;
                        while (current.Parent is IConversionOperation)
                        {
                            current = current.Parent;
                        }

                        return (type, current.Parent is IArgumentOperation { Parameter: { } parameter } ? parameter.Name : "callback");
                    default:
                        return null;
                }
            }

            public string UniqueName(ISet<string> alsoTaken)
            {
                var trimmed = _baseName.TrimStart('_');
                if (trimmed.Length == 0)
                {
                    trimmed = "callback";
                }

                var stem = (_isStatic ? "s_" : "_") + char.ToLowerInvariant(trimmed[0]) + trimmed.Substring(1);
                var written = FreeNames.WrittenIn(Type);
                return FreeNames.Pick(new[] { stem }, name => written.Contains(name) || alsoTaken.Contains(name));
            }

            public MemberDeclarationSyntax FieldDeclaration(string name)
            {
                var modifiers = SyntaxFactory.TokenList(SyntaxFactory.Token(SyntaxKind.PrivateKeyword));
                if (_isStatic)
                {
                    modifiers = modifiers.Add(SyntaxFactory.Token(SyntaxKind.StaticKeyword));
                }

                return SyntaxFactory.FieldDeclaration(
                        SyntaxFactory.VariableDeclaration(_fieldType, SyntaxFactory.SingletonSeparatedList(SyntaxFactory.VariableDeclarator(name))))
                    .WithModifiers(modifiers)
                    .WithAdditionalAnnotations(Formatter.Annotation);
            }

            // The store can move in front of the statement only when the statement always evaluates the delegate,
            // first thing or after arguments whose order does not matter for a delegate creation.
            private static StatementSyntax? StatementBefore(ExpressionSyntax expression)
            {
                for (SyntaxNode? current = expression.Parent; current != null; current = current.Parent)
                {
                    switch (current)
                    {
                        case ArgumentSyntax:
                        case ArgumentListSyntax:
                        case InvocationExpressionSyntax:
                        case CastExpressionSyntax:
                        case ParenthesizedExpressionSyntax:
                        case EqualsValueClauseSyntax:
                        case VariableDeclaratorSyntax:
                        case VariableDeclarationSyntax:
                        case AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression }:
                            continue;
                        case MemberAccessExpressionSyntax access when access.Expression != current:
                            continue;
                        case ExpressionStatementSyntax statement when statement.Parent is BlockSyntax:
                            return statement;
                        case LocalDeclarationStatementSyntax declaration when declaration.Parent is BlockSyntax && declaration.UsingKeyword.RawKind == 0:
                            return declaration;
                        default:
                            return null;
                    }
                }

                return null;
            }
        }
    }
}
