using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using InteropGuard.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// IG1001 second fix: retype a DllImport's IntPtr parameter to <c>HandleRef</c> and pass
    /// <c>new HandleRef(owner, handle)</c>, so the marshaller keeps the owner alive for the call. Offered only when the
    /// P/Invoke is declared in the same document as every call of it and every call passes, for that parameter, a
    /// handle IG1001 reports with a named owner: each caller can then be given its owner, and none stops compiling or
    /// loses a finding without its owner being kept alive.
    /// </summary>
    internal static class HandleRefCodeFix
    {
        internal const string EquivalenceKey = "IG1001.HandleRef";

        /// <summary>A parameter to retype and, per call, the argument to wrap with its owner.</summary>
        internal sealed class Plan
        {
            public Plan(IMethodSymbol method, int ordinal, TypeSyntax parameterType, List<(ExpressionSyntax Argument, ExpressionSyntax Owner)> arguments)
            {
                Method = method;
                Ordinal = ordinal;
                ParameterType = parameterType;
                Arguments = arguments;
            }

            public IMethodSymbol Method { get; }
            public int Ordinal { get; }
            public TypeSyntax ParameterType { get; }
            public List<(ExpressionSyntax Argument, ExpressionSyntax Owner)> Arguments { get; }
        }

        /// <summary>
        /// The retypes for <paramref name="diagnostics"/>. The light bulb plans from the document alone
        /// (<paramref name="searchOtherDocuments"/> false); the action, when applied, also makes sure that no other
        /// document of the project refers to the P/Invoke (if one does, the action changes nothing).
        /// </summary>
        public static async Task<List<Plan>> PlanAsync(AnalyzedDocument analyzed, IEnumerable<Diagnostic> diagnostics, bool searchOtherDocuments = true)
        {
            var plans = new List<Plan>();
            var (document, root, model, cancellationToken) = (analyzed.Document, analyzed.Root, analyzed.Model, analyzed.CancellationToken);
            if (model.Compilation.GetTypeByMetadataName("System.Runtime.InteropServices.HandleRef") == null)
            {
                return plans;
            }

            var targets = new List<(IMethodSymbol Method, int Ordinal)>();
            foreach (var diagnostic in diagnostics)
            {
                if (Target(root, model, diagnostic, cancellationToken) is { } target
                    && !targets.Any(t => t.Ordinal == target.Ordinal && SymbolEqualityComparer.Default.Equals(t.Method, target.Method)))
                {
                    targets.Add(target);
                }
            }

            if (targets.Count == 0)
            {
                return plans;
            }

            var findings = await FindingsAsync(document, model.Compilation, cancellationToken).ConfigureAwait(false);
            foreach (var (method, ordinal) in targets)
            {
                if (await PlanOneAsync(document, root, model, findings, method, ordinal, searchOtherDocuments, cancellationToken).ConfigureAwait(false) is { } plan)
                {
                    plans.Add(plan);
                }
            }

            return plans;
        }

        public static SyntaxNode Apply(SyntaxNode root, SemanticModel model, IReadOnlyList<Plan> plans)
        {
            var handleRef = plans.Count > 0 && BindsToHandleRef(model, plans[0].ParameterType.SpanStart);
            var owners = new Dictionary<SyntaxNode, ExpressionSyntax>();
            var parameterTypes = new HashSet<SyntaxNode>();
            foreach (var plan in plans)
            {
                parameterTypes.Add(plan.ParameterType);
                foreach (var (argument, owner) in plan.Arguments)
                {
                    owners[argument] = owner;
                }
            }

            return root.ReplaceNodes(parameterTypes.Concat(owners.Keys), (original, rewritten) =>
            {
                if (parameterTypes.Contains(original))
                {
                    return HandleRefType(handleRef).WithTriviaFrom(original);
                }

                var arguments = SyntaxFactory.SeparatedList(
                    new[] { SyntaxFactory.Argument(owners[original]), SyntaxFactory.Argument(((ExpressionSyntax)rewritten).WithoutTrivia()) },
                    new[] { SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space) });
                var creation = SyntaxFactory.ObjectCreationExpression(HandleRefType(handleRef).WithLeadingTrivia(SyntaxFactory.Space), SyntaxFactory.ArgumentList(arguments), null);
                return creation.WithTriviaFrom(original);
            });
        }

        private static TypeSyntax HandleRefType(bool imported)
            => imported
                ? SyntaxFactory.IdentifierName("HandleRef")
                : SyntaxFactory.QualifiedName(
                    SyntaxFactory.QualifiedName(
                        SyntaxFactory.QualifiedName(SyntaxFactory.IdentifierName("System"), SyntaxFactory.IdentifierName("Runtime")),
                        SyntaxFactory.IdentifierName("InteropServices")),
                    SyntaxFactory.IdentifierName("HandleRef"));

        private static bool BindsToHandleRef(SemanticModel model, int position)
            => model.LookupSymbols(position, name: "HandleRef").OfType<INamedTypeSymbol>().Any(t => t.ToDisplayString() == "System.Runtime.InteropServices.HandleRef");

        private static (IMethodSymbol Method, int Ordinal)? Target(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
        {
            if (diagnostic.AdditionalLocations.Count < 1
                || !diagnostic.Properties.TryGetValue(HandleOwnerLifetimeAnalyzer.OwnerKindProperty, out var kind) || kind == "Temporary"
                || root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax call
                || model.GetOperation(call, cancellationToken) is not IInvocationOperation invocation)
            {
                return null;
            }

            var argument = invocation.Arguments.FirstOrDefault(a => a.Syntax.Span.Contains(diagnostic.Location.SourceSpan));
            var method = invocation.TargetMethod.OriginalDefinition;
            if (argument?.Parameter is not { } parameter || argument.ArgumentKind != ArgumentKind.Explicit
                || method.GetDllImportData() == null || !method.IsExtern || method.DeclaringSyntaxReferences.Length != 1
                || method.DeclaringSyntaxReferences[0].SyntaxTree != root.SyntaxTree
                || parameter.RefKind != RefKind.None || parameter.Type.SpecialType != SpecialType.System_IntPtr
                || parameter.GetAttributes().Length > 0)
            {
                return null;
            }

            return (method, parameter.Ordinal);
        }

        private static async Task<ImmutableArray<Diagnostic>> FindingsAsync(Document document, Compilation compilation, CancellationToken cancellationToken)
        {
            var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new HandleOwnerLifetimeAnalyzer());
            var withAnalyzers = compilation.WithAnalyzers(analyzers, new CompilationWithAnalyzersOptions(document.Project.AnalyzerOptions, null, concurrentAnalysis: false, logAnalyzerExecutionTime: false));
            var tree = await document.GetSyntaxTreeAsync(cancellationToken).ConfigureAwait(false);
            return tree == null
                ? ImmutableArray<Diagnostic>.Empty
                : await withAnalyzers.GetAnalyzerSemanticDiagnosticsAsync(compilation.GetSemanticModel(tree), null, cancellationToken).ConfigureAwait(false);
        }

        private static async Task<Plan?> PlanOneAsync(Document document, SyntaxNode root, SemanticModel model, ImmutableArray<Diagnostic> findings, IMethodSymbol method, int ordinal, bool searchOtherDocuments, CancellationToken cancellationToken)
        {
            if (await method.DeclaringSyntaxReferences[0].GetSyntaxAsync(cancellationToken).ConfigureAwait(false) is not MethodDeclarationSyntax declaration
                || ordinal >= declaration.ParameterList.Parameters.Count
                || declaration.ParameterList.Parameters[ordinal].Type is not { } parameterType)
            {
                return null;
            }

            // Any reference outside this document (or outside this project) would stop compiling after the retype.
            if (IsVisibleOutsideAssembly(method) && document.Project.Solution.GetProjectDependencyGraph().GetProjectsThatDirectlyDependOnThisProject(document.Project.Id).Any())
            {
                return null;
            }

            if (searchOtherDocuments)
            {
                OtherDocumentSearches.Value?.Increment();
            }

            foreach (var other in searchOtherDocuments ? document.Project.Documents.Where(d => d.Id != document.Id) : Enumerable.Empty<Document>())
            {
                var otherRoot = await other.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                if (otherRoot != null && otherRoot.DescendantNodes().OfType<SimpleNameSyntax>().Any(n => n.Identifier.ValueText == method.Name))
                {
                    return null;
                }
            }

            var arguments = new List<(ExpressionSyntax, ExpressionSyntax)>();
            foreach (var name in root.DescendantNodes().OfType<SimpleNameSyntax>().Where(n => n.Identifier.ValueText == method.Name))
            {
                var referenced = model.GetSymbolInfo(name, cancellationToken).Symbol;
                if (!SymbolEqualityComparer.Default.Equals(referenced?.OriginalDefinition, method))
                {
                    continue;
                }

                var invocation = name.Parent is MemberAccessExpressionSyntax access && access.Name == name ? access.Parent : name.Parent;
                if (invocation is not InvocationExpressionSyntax call
                    || model.GetOperation(call, cancellationToken) is not IInvocationOperation operation
                    || operation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == ordinal) is not { ArgumentKind: ArgumentKind.Explicit } argument
                    || argument.Syntax is not ArgumentSyntax argumentSyntax)
                {
                    return null;
                }

                var finding = findings.FirstOrDefault(d => d.AdditionalLocations.Count > 0
                                                           && d.AdditionalLocations[0].SourceSpan == call.Span
                                                           && argumentSyntax.Span.Contains(d.Location.SourceSpan));
                if (finding == null
                    || !finding.Properties.TryGetValue(HandleOwnerLifetimeAnalyzer.OwnerKindProperty, out var kind) || kind == "Temporary"
                    || finding.AdditionalLocations.Count < 2
                    || root.FindNode(finding.AdditionalLocations[1].SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax owner)
                {
                    return null;
                }

                // The owner as the finding locates it; 'this' also where the code names only its member.
                arguments.Add((argumentSyntax.Expression, kind == "This" ? SyntaxFactory.ThisExpression() : owner.WithoutTrivia()));
            }

            return arguments.Count == 0 ? null : new Plan(method, ordinal, parameterType, arguments);
        }

        /// <summary>Counts the searches of the project's other documents, for the flow that sets it (tests).</summary>
        internal static readonly AsyncLocal<SearchCounter?> OtherDocumentSearches = new AsyncLocal<SearchCounter?>();

        private static bool IsVisibleOutsideAssembly(ISymbol symbol)
        {
            for (var current = symbol; current != null && current.Kind != SymbolKind.Namespace; current = current.ContainingSymbol)
            {
                if (current.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Protected or Accessibility.ProtectedOrInternal))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
