using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// IG3006 first fix: pass the SafeHandle itself to a DllImport of this project and retype that parameter. Offered only
    /// when every call of the P/Invoke passes <c>x.DangerousGetHandle()</c> for the parameter, so no caller breaks.
    /// </summary>
    internal static class PassSafeHandle
    {
        /// <summary>One P/Invoke parameter to retype, and the calls whose argument loses its <c>.DangerousGetHandle()</c>.</summary>
        internal sealed class Retype
        {
            public Retype(IMethodSymbol method, int ordinal, ITypeSymbol newType, List<(DocumentId Document, InvocationExpressionSyntax GetHandle)> arguments, ParameterSyntax declaration, DocumentId declarationDocument)
            {
                Method = method;
                Ordinal = ordinal;
                NewType = newType;
                Arguments = arguments;
                Declaration = declaration;
                DeclarationDocument = declarationDocument;
            }

            public IMethodSymbol Method { get; }
            public int Ordinal { get; }
            public ITypeSymbol NewType { get; }
            public List<(DocumentId Document, InvocationExpressionSyntax GetHandle)> Arguments { get; }
            public ParameterSyntax Declaration { get; }
            public DocumentId DeclarationDocument { get; }
        }

        public static async Task<List<Retype>> PlanAsync(Project project, IEnumerable<Diagnostic> diagnostics, CancellationToken cancellationToken)
        {
            var plans = new List<Retype>();
            var compilation = await project.GetCompilationAsync(cancellationToken).ConfigureAwait(false);
            var safeHandle = compilation?.GetTypeByMetadataName("System.Runtime.InteropServices.SafeHandle");
            if (compilation == null || safeHandle == null)
            {
                return plans;
            }

            var targets = new HashSet<(IMethodSymbol, int)>(new TargetComparer());
            foreach (var diagnostic in diagnostics)
            {
                var document = project.GetDocument(diagnostic.Location.SourceTree);
                if (document == null)
                {
                    continue;
                }

                var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
                if (root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is InvocationExpressionSyntax getHandle
                    && model != null
                    && Argument(model, getHandle, cancellationToken) is { } argument)
                {
                    targets.Add(argument);
                }
            }

            foreach (var (method, ordinal) in targets)
            {
                var plan = await PlanOneAsync(project, compilation, safeHandle, method, ordinal, cancellationToken).ConfigureAwait(false);
                if (plan != null)
                {
                    plans.Add(plan);
                }
            }

            return plans;
        }

        public static async Task<Solution> ApplyAsync(Solution solution, IReadOnlyList<Retype> plans, CancellationToken cancellationToken)
        {
            var edits = new Dictionary<DocumentId, Dictionary<SyntaxNode, SyntaxNode>>();
            foreach (var plan in plans)
            {
                foreach (var (documentId, getHandle) in plan.Arguments)
                {
                    var receiver = ((MemberAccessExpressionSyntax)getHandle.Expression).Expression;
                    Edit(edits, documentId)[getHandle] = receiver.WithTriviaFrom(getHandle);
                }

                var generator = SyntaxGenerator.GetGenerator(solution.GetDocument(plan.DeclarationDocument)!);
                var type = ((TypeSyntax)generator.TypeExpression(plan.NewType))
                    .WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
                Edit(edits, plan.DeclarationDocument)[plan.Declaration] = plan.Declaration.WithType(type.WithTriviaFrom(plan.Declaration.Type!));
            }

            foreach (var pair in edits)
            {
                var document = solution.GetDocument(pair.Key)!;
                var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                var replacements = pair.Value;
                var changed = document.WithSyntaxRoot(root!.ReplaceNodes(replacements.Keys, (original, _) => replacements[original]));
                changed = await ImportAdder.AddImportsAsync(changed, Simplifier.AddImportsAnnotation, cancellationToken: cancellationToken).ConfigureAwait(false);
                changed = await Simplifier.ReduceAsync(changed, Simplifier.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
                changed = await Formatter.FormatAsync(changed, Formatter.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
                solution = changed.Project.Solution;
            }

            return solution;
        }

        private static Dictionary<SyntaxNode, SyntaxNode> Edit(Dictionary<DocumentId, Dictionary<SyntaxNode, SyntaxNode>> edits, DocumentId id)
        {
            if (!edits.TryGetValue(id, out var map))
            {
                edits[id] = map = new Dictionary<SyntaxNode, SyntaxNode>();
            }

            return map;
        }

        /// <summary>The DllImport parameter <paramref name="getHandle"/> is passed to as it stands, or null.</summary>
        private static (IMethodSymbol, int)? Argument(SemanticModel model, InvocationExpressionSyntax getHandle, CancellationToken cancellationToken)
        {
            if (getHandle.Parent is not ArgumentSyntax argumentSyntax
                || getHandle.Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "DangerousGetHandle" }
                || model.GetOperation(argumentSyntax, cancellationToken) is not IArgumentOperation { Parameter: { } parameter } argument
                || argument.Parent is not IInvocationOperation call
                || argument.ArgumentKind != ArgumentKind.Explicit)
            {
                return null;
            }

            var method = call.TargetMethod.OriginalDefinition;
            if (method.GetDllImportData() == null || !method.IsExtern || method.DeclaringSyntaxReferences.Length != 1
                || parameter.RefKind != RefKind.None || parameter.Type.SpecialType != SpecialType.System_IntPtr
                || parameter.GetAttributes().Length > 0)
            {
                return null;
            }

            return (method, parameter.Ordinal);
        }

        private static async Task<Retype?> PlanOneAsync(Project project, Compilation compilation, INamedTypeSymbol safeHandle, IMethodSymbol method, int ordinal, CancellationToken cancellationToken)
        {
            if (await DeclarationAsync(project, method, ordinal, cancellationToken).ConfigureAwait(false) is not { } found)
            {
                return null;
            }

            var (declaration, declarationDocument) = found;

            // Every reference to the P/Invoke must be a call passing x.DangerousGetHandle() for this parameter:
            // any other caller would stop compiling once the parameter is retyped.
            ProjectScans.Value?.Increment();
            var arguments = new List<(DocumentId, InvocationExpressionSyntax)>();
            var handleTypes = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
            foreach (var document in project.Documents)
            {
                var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                if (root == null)
                {
                    continue;
                }

                if (!root.DescendantNodes().OfType<SimpleNameSyntax>().Any(n => n.Identifier.ValueText == method.Name))
                {
                    continue;
                }

                var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
                if (model == null || !CallersFollow(document.Id, root, model, safeHandle, method, ordinal, arguments, handleTypes, cancellationToken))
                {
                    return null;
                }
            }

            if (arguments.Count == 0)
            {
                return null;
            }

            // The concrete subclass documents what the function takes; it must be visible wherever the P/Invoke is.
            ITypeSymbol newType = safeHandle;
            if (handleTypes.Count == 1 && handleTypes.Single() is INamedTypeSymbol only && !only.IsAbstract
                && Visibility(only) >= Visibility(method))
            {
                newType = only;
            }

            return new Retype(method, ordinal, newType, arguments, declaration.ParameterList.Parameters[ordinal], declarationDocument.Id);
        }

        /// <summary>
        /// Counts the whole-project searches for callers (<see cref="PlanOneAsync"/>), for the flow that sets it: tests
        /// show that offering the action does not search the project and applying it does.
        /// </summary>
        internal static readonly AsyncLocal<SearchCounter?> ProjectScans = new AsyncLocal<SearchCounter?>();

        /// <summary>
        /// Whether the action is worth offering for <paramref name="getHandle"/>, from what the light bulb already has:
        /// the call's target is a DllImport of this project whose parameter can be retyped, no project that references
        /// this one can see it, and every call of it in this document passes a <c>DangerousGetHandle()</c> for the
        /// parameter. Callers in the project's other documents are searched only when the action is applied
        /// (<see cref="PlanAsync"/>); if one cannot follow there, the action changes nothing.
        /// </summary>
        public static async Task<IMethodSymbol?> OfferedForAsync(AnalyzedDocument document, InvocationExpressionSyntax getHandle)
        {
            var (model, cancellationToken) = (document.Model, document.CancellationToken);
            var safeHandle = model.Compilation.GetTypeByMetadataName("System.Runtime.InteropServices.SafeHandle");
            if (safeHandle == null || Argument(model, getHandle, cancellationToken) is not var (method, ordinal)
                || await DeclarationAsync(document.Document.Project, method, ordinal, cancellationToken).ConfigureAwait(false) == null)
            {
                return null;
            }

            var arguments = new List<(DocumentId, InvocationExpressionSyntax)>();
            var handleTypes = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
            return CallersFollow(document.Document.Id, document.Root, model, safeHandle, method, ordinal, arguments, handleTypes, cancellationToken) && arguments.Count > 0
                ? method
                : null;
        }

        /// <summary>The P/Invoke's declaration in a document of <paramref name="project"/>, when its parameter can be retyped and no other project can see it.</summary>
        private static async Task<(MethodDeclarationSyntax Declaration, Document Document)?> DeclarationAsync(Project project, IMethodSymbol method, int ordinal, CancellationToken cancellationToken)
        {
            var declarationReference = method.DeclaringSyntaxReferences[0];
            var declarationDocument = project.GetDocument(declarationReference.SyntaxTree);
            if (declarationDocument == null
                || await declarationReference.GetSyntaxAsync(cancellationToken).ConfigureAwait(false) is not MethodDeclarationSyntax declaration
                || ordinal >= declaration.ParameterList.Parameters.Count
                || declaration.ParameterList.Parameters[ordinal].Type == null)
            {
                return null;
            }

            // Callers in projects that reference this one are not searched: a P/Invoke they can see is not retyped.
            if (Visibility(method) >= 2 && project.Solution.GetProjectDependencyGraph().GetProjectsThatDirectlyDependOnThisProject(project.Id).Any())
            {
                return null;
            }

            return (declaration, declarationDocument);
        }

        /// <summary>
        /// Does every reference to <paramref name="method"/> in one document call it with <c>x.DangerousGetHandle()</c>
        /// for the parameter? Collects those arguments and the handles' types.
        /// </summary>
        private static bool CallersFollow(
            DocumentId document,
            SyntaxNode root,
            SemanticModel model,
            INamedTypeSymbol safeHandle,
            IMethodSymbol method,
            int ordinal,
            List<(DocumentId, InvocationExpressionSyntax)> arguments,
            HashSet<ITypeSymbol> handleTypes,
            CancellationToken cancellationToken)
        {
            foreach (var name in root.DescendantNodes().OfType<SimpleNameSyntax>().Where(n => n.Identifier.ValueText == method.Name))
            {
                var symbol = model.GetSymbolInfo(name, cancellationToken);
                var referenced = symbol.Symbol ?? symbol.CandidateSymbols.FirstOrDefault();
                if (!SymbolEqualityComparer.Default.Equals(referenced?.OriginalDefinition, method))
                {
                    continue;
                }

                var invocation = name.Parent is MemberAccessExpressionSyntax access && access.Name == name ? access.Parent : name.Parent;
                if (invocation is not InvocationExpressionSyntax call
                    || model.GetOperation(call, cancellationToken) is not IInvocationOperation operation)
                {
                    return false;
                }

                var argument = operation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == ordinal);
                if (argument == null || argument.ArgumentKind != ArgumentKind.Explicit
                    || argument.Value is not IInvocationOperation { Instance: { } handle } getHandle
                    || getHandle.TargetMethod.Name != "DangerousGetHandle"
                    || !IsSafeHandle(getHandle.TargetMethod.ContainingType, safeHandle)
                    || getHandle.Syntax is not InvocationExpressionSyntax getHandleSyntax
                    || handle.Type == null)
                {
                    return false;
                }

                handleTypes.Add(handle.Type);
                arguments.Add((document, getHandleSyntax));
            }

            return true;
        }

        private static bool IsSafeHandle(ITypeSymbol? type, INamedTypeSymbol safeHandle)
        {
            for (var t = type; t != null; t = t.BaseType)
            {
                if (SymbolEqualityComparer.Default.Equals(t, safeHandle))
                {
                    return true;
                }
            }

            return false;
        }

        // 0 private .. 3 public, over the symbol and its containing types.
        private static int Visibility(ISymbol symbol)
        {
            var result = 3;
            for (var s = symbol; s != null && s.Kind != SymbolKind.Namespace; s = s.ContainingSymbol)
            {
                var level = s.DeclaredAccessibility switch
                {
                    Accessibility.Public => 3,
                    Accessibility.Internal or Accessibility.ProtectedOrInternal => 2,
                    Accessibility.Protected or Accessibility.ProtectedAndInternal => 1,
                    Accessibility.NotApplicable => 3,
                    _ => 0,
                };
                if (level < result)
                {
                    result = level;
                }
            }

            return result;
        }

        private sealed class TargetComparer : IEqualityComparer<(IMethodSymbol, int)>
        {
            public bool Equals((IMethodSymbol, int) x, (IMethodSymbol, int) y) => SymbolEqualityComparer.Default.Equals(x.Item1, y.Item1) && x.Item2 == y.Item2;

            public int GetHashCode((IMethodSymbol, int) obj) => SymbolEqualityComparer.Default.GetHashCode(obj.Item1) ^ obj.Item2;
        }
    }
}
