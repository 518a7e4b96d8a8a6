using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.FindSymbols;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// The IG3007 rewrite of one acquire function's handles in one class: a generated sealed SafeHandle subclass, the
    /// acquire P/Invoke, the P/Invokes that receive the handle, the fields and locals retyped to it, manual releases
    /// turned into <c>Dispose()</c>, zero checks into <c>IsInvalid</c>, and a finalizer that only released removed.
    /// Planned in full before anything is edited; any use it cannot rewrite safely makes the plan null.
    /// </summary>
    internal sealed class SafeHandleRewrite
    {
        private readonly List<SyntaxNode> _retypes = new List<SyntaxNode>();
        // The statement of a release call, or the call itself as the body of a void expression-bodied member.
        private readonly List<(SyntaxNode Statement, ExpressionSyntax Handle)> _releases = new List<(SyntaxNode, ExpressionSyntax)>();
        private readonly List<(BinaryExpressionSyntax Comparison, ExpressionSyntax Handle, bool IsInvalid)> _checks = new List<(BinaryExpressionSyntax, ExpressionSyntax, bool)>();
        private readonly List<SyntaxNode> _removals = new List<SyntaxNode>();
        private readonly List<VariableDeclaratorSyntax> _zeroInitializers = new List<VariableDeclaratorSyntax>();
        private readonly HashSet<ISymbol> _handles = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        private readonly HashSet<SyntaxNode> _handleArguments = new HashSet<SyntaxNode>();
        private readonly Dictionary<IMethodSymbol, HashSet<int>> _retypedParameters = new Dictionary<IMethodSymbol, HashSet<int>>(SymbolEqualityComparer.Default);

        private SafeHandleRewrite(string handleName)
        {
            HandleName = handleName;
        }

        /// <summary>Name of the generated SafeHandle subclass.</summary>
        public string HandleName { get; }

        private Document Document { get; set; } = null!;
        private SemanticModel Model { get; set; } = null!;
        private INamedTypeSymbol Owner { get; set; } = null!;
        private TypeDeclarationSyntax OwnerSyntax { get; set; } = null!;
        private IMethodSymbol Acquire { get; set; } = null!;
        private IMethodSymbol Release { get; set; } = null!;
        private SyntaxNode? HandleContainer { get; set; }
        private bool NestInOwner { get; set; }
        private Accessibility HandleAccessibility { get; set; }
        private DestructorDeclarationSyntax? RemovedFinalizer { get; set; }
        private TypeSyntax? RawTypeSpelling { get; set; }

        /// <summary>The rewrite that makes <paramref name="field"/> a SafeHandle, or null when it cannot be done whole and safely.</summary>
        public static async Task<SafeHandleRewrite?> PlanAsync(Document document, IFieldSymbol field, IMethodSymbol acquire, IMethodSymbol release, CancellationToken cancellationToken)
        {
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            if (model == null || root == null)
            {
                return null;
            }

            var plan = new SafeHandleRewrite(HandleFunctionPairs.PascalCase(HandleFunctionPairs.AcquireStem(acquire.Name)) + "Handle")
            {
                Document = document,
                Model = model,
                Owner = field.ContainingType,
                Acquire = acquire,
                Release = release,
            };
            return await plan.TryPlanAsync(root, field, cancellationToken).ConfigureAwait(false) ? plan : null;
        }

        private async Task<bool> TryPlanAsync(SyntaxNode root, IFieldSymbol field, CancellationToken cancellationToken)
        {
            var tree = root.SyntaxTree;

            // LibraryImport's generator would have to learn the new type; a partial class across files needs edits elsewhere.
            if (Acquire.GetDllImportData() == null || Release.GetDllImportData() == null
                || Owner.DeclaringSyntaxReferences.Length != 1 || Owner.DeclaringSyntaxReferences[0].SyntaxTree != tree
                || !DeclaredIn(Acquire, tree) || !DeclaredIn(Release, tree)
                || !SymbolEqualityComparer.Default.Equals(Acquire.ContainingType, Release.ContainingType)
                || Owner.TypeKind != TypeKind.Class
                || Model.Compilation.GetTypeByMetadataName("System.Runtime.InteropServices.SafeHandle") == null)
            {
                return false;
            }

            OwnerSyntax = (TypeDeclarationSyntax)Owner.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);
            if (!PlaceHandle())
            {
                return false;
            }

            // Every call of the acquire function must be one this class keeps in a handle field or local.
            var solution = Document.Project.Solution;
            var acquireSites = await InvocationsOfAsync(Acquire, solution, cancellationToken).ConfigureAwait(false);
            if (acquireSites == null)
            {
                return false;
            }

            foreach (var invocation in acquireSites)
            {
                if (!ClassifyAcquireSite(invocation))
                {
                    return false;
                }
            }

            // Locals from the acquire function may be stored in further fields; those become handles too.
            foreach (var local in _handles.OfType<ILocalSymbol>().ToList())
            {
                foreach (var reference in ReferencesOf(local))
                {
                    var use = UseOf(reference);
                    if (use.Parent is AssignmentExpressionSyntax assignment && assignment.Right == use && assignment.IsKind(SyntaxKind.SimpleAssignmentExpression)
                        && Model.GetSymbolInfo(assignment.Left, cancellationToken).Symbol is IFieldSymbol target)
                    {
                        _handles.Add(target);
                    }
                }
            }

            if (!_handles.Contains(field))
            {
                return false;
            }

            foreach (var handle in _handles.ToList())
            {
                if (handle is IFieldSymbol handleField && !PlanField(handleField, root, cancellationToken))
                {
                    return false;
                }
            }

            foreach (var handle in _handles)
            {
                var references = handle is IFieldSymbol f ? await FieldReferencesAsync(f, solution, root, cancellationToken).ConfigureAwait(false) : ReferencesOf((ILocalSymbol)handle);
                if (references == null)
                {
                    return false;
                }

                foreach (var reference in references)
                {
                    if (!ClassifyUse(handle, UseOf(reference), cancellationToken))
                    {
                        return false;
                    }
                }
            }

            // A retyped parameter is only safe when every caller passes one of these handles there.
            foreach (var entry in _retypedParameters)
            {
                var calls = await InvocationsOfAsync(entry.Key, solution, cancellationToken).ConfigureAwait(false);
                if (calls == null || entry.Key.GetDllImportData() == null || !DeclaredIn(entry.Key, tree))
                {
                    return false;
                }

                foreach (var call in calls)
                {
                    foreach (var ordinal in entry.Value)
                    {
                        var argument = ArgumentFor(call, ordinal, cancellationToken);
                        if (argument == null || !_handleArguments.Contains(argument))
                        {
                            return false;
                        }
                    }
                }

                var syntax = (MethodDeclarationSyntax)entry.Key.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);
                foreach (var ordinal in entry.Value)
                {
                    var type = syntax.ParameterList.Parameters[ordinal].Type;
                    if (type == null)
                    {
                        return false;
                    }

                    _retypes.Add(type);
                }
            }

            var acquireSyntax = (MethodDeclarationSyntax)Acquire.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);
            if (HandleFunctionPairs.IsRawHandle(Acquire.ReturnType))
            {
                if (acquireSyntax.AttributeLists.Any(l => l.Target?.Identifier.IsKind(SyntaxKind.ReturnKeyword) == true))
                {
                    return false;
                }

                _retypes.Add(acquireSyntax.ReturnType);
            }
            else
            {
                var outParameter = Acquire.Parameters.FirstOrDefault(p => p.RefKind == RefKind.Out && HandleFunctionPairs.IsRawHandle(p.Type));
                var outType = outParameter == null ? null : acquireSyntax.ParameterList.Parameters[outParameter.Ordinal].Type;
                if (outType == null)
                {
                    return false;
                }

                _retypes.Add(outType);
            }

            return PlanFinalizer(cancellationToken) && HandleIsAccessible();
        }

        private static bool DeclaredIn(ISymbol symbol, SyntaxTree tree)
            => symbol.DeclaringSyntaxReferences.Length == 1 && symbol.DeclaringSyntaxReferences[0].SyntaxTree == tree;

        /// <summary>
        /// Next to the P/Invokes: nested in the class when they are the class's own or a nested class's, otherwise next
        /// to the class in its namespace or containing type. Accessible enough for every signature that will name it.
        /// </summary>
        private bool PlaceHandle()
        {
            var pinvokes = Acquire.ContainingType;
            NestInOwner = IsWithin(pinvokes, Owner);
            var container = NestInOwner ? Owner : (ISymbol?)Owner.ContainingType ?? Owner.ContainingNamespace;
            if (container is INamespaceOrTypeSymbol scope && scope.GetMembers(HandleName).Any())
            {
                return false;
            }

            if (Owner.Name == HandleName || Owner.GetTypeMembers(HandleName).Any())
            {
                return false;
            }

            HandleAccessibility = NestInOwner ? Accessibility.Private : Accessibility.Internal;
            return true;
        }

        private bool HandleIsAccessible()
        {
            foreach (var method in new[] { Acquire }.Concat(_retypedParameters.Keys))
            {
                var needed = EffectiveAccessibility(method, NestInOwner ? Owner : null);
                if (needed == Accessibility.Protected || needed == Accessibility.ProtectedOrInternal || needed == Accessibility.ProtectedAndInternal)
                {
                    return false;
                }

                if (needed > HandleAccessibility)
                {
                    HandleAccessibility = needed;
                }
            }

            var within = NestInOwner ? (ISymbol)Owner : Owner.ContainingType ?? (ISymbol)Owner.ContainingAssembly;
            return Model.Compilation.IsSymbolAccessibleWithin(Release, within);
        }

        /// <summary>The least accessibility on the way from <paramref name="symbol"/> out to (not including) <paramref name="stopAt"/>.</summary>
        private static Accessibility EffectiveAccessibility(ISymbol symbol, INamedTypeSymbol? stopAt)
        {
            var result = symbol.DeclaredAccessibility;
            for (var type = symbol.ContainingType; type != null && !SymbolEqualityComparer.Default.Equals(type, stopAt); type = type.ContainingType)
            {
                if (type.DeclaredAccessibility < result)
                {
                    result = type.DeclaredAccessibility;
                }
            }

            return result;
        }

        private static bool IsWithin(INamedTypeSymbol? type, INamedTypeSymbol container)
        {
            for (var t = type; t != null; t = t.ContainingType)
            {
                if (SymbolEqualityComparer.Default.Equals(t, container))
                {
                    return true;
                }
            }

            return false;
        }

        private async Task<List<InvocationExpressionSyntax>?> InvocationsOfAsync(IMethodSymbol method, Solution solution, CancellationToken cancellationToken)
        {
            var result = new List<InvocationExpressionSyntax>();
            var scope = ReferenceScope.For(method, Document, OwnerSyntax.SyntaxTree);
            foreach (var symbol in await SymbolFinder.FindReferencesAsync(method, solution, scope, cancellationToken).ConfigureAwait(false))
            {
                foreach (var location in symbol.Locations)
                {
                    var root = await location.Document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
                    var node = root?.FindNode(location.Location.SourceSpan, getInnermostNodeForTie: true);
                    var callee = node?.Parent is MemberAccessExpressionSyntax access && access.Name == node ? access : node;
                    if (callee?.Parent is not InvocationExpressionSyntax invocation || invocation.Expression != callee)
                    {
                        return null;
                    }

                    result.Add(invocation);
                }
            }

            return result;
        }

        private async Task<List<IdentifierNameSyntax>?> FieldReferencesAsync(IFieldSymbol field, Solution solution, SyntaxNode root, CancellationToken cancellationToken)
        {
            var result = new List<IdentifierNameSyntax>();
            var scope = ReferenceScope.For(field, Document, root.SyntaxTree);
            foreach (var symbol in await SymbolFinder.FindReferencesAsync(field, solution, scope, cancellationToken).ConfigureAwait(false))
            {
                foreach (var location in symbol.Locations)
                {
                    if (location.Document.Id != Document.Id
                        || root.FindNode(location.Location.SourceSpan, getInnermostNodeForTie: true) is not IdentifierNameSyntax name
                        || !OwnerSyntax.Span.Contains(name.Span))
                    {
                        return null;
                    }

                    result.Add(name);
                }
            }

            return result;
        }

        private List<IdentifierNameSyntax> ReferencesOf(ILocalSymbol local)
        {
            var declaration = local.DeclaringSyntaxReferences[0].GetSyntax();
            var body = declaration.Ancestors().FirstOrDefault(a => a is BaseMethodDeclarationSyntax || a is AccessorDeclarationSyntax || a is LocalFunctionStatementSyntax || a is AnonymousFunctionExpressionSyntax) ?? declaration.Parent!;
            return body.DescendantNodes().OfType<IdentifierNameSyntax>()
                .Where(n => n.Identifier.ValueText == local.Name && SymbolEqualityComparer.Default.Equals(Model.GetSymbolInfo(n).Symbol, local))
                .ToList();
        }

        /// <summary><c>this._ctx</c> is used as a whole.</summary>
        private static ExpressionSyntax UseOf(IdentifierNameSyntax name)
            => name.Parent is MemberAccessExpressionSyntax access && access.Name == name && access.Expression is ThisExpressionSyntax ? access : name;

        private SyntaxNode? ArgumentFor(InvocationExpressionSyntax call, int ordinal, CancellationToken cancellationToken)
        {
            if (call.SyntaxTree != Model.SyntaxTree || Model.GetOperation(call, cancellationToken) is not Microsoft.CodeAnalysis.Operations.IInvocationOperation operation)
            {
                return null;
            }

            var argument = operation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == ordinal);
            return argument?.Syntax is ArgumentSyntax syntax ? syntax.Expression : null;
        }

        private bool ClassifyAcquireSite(InvocationExpressionSyntax invocation)
        {
            if (invocation.SyntaxTree != OwnerSyntax.SyntaxTree || !OwnerSyntax.Span.Contains(invocation.Span))
            {
                return false;
            }

            var parent = OperationTree.WithParentheses(invocation).Parent;
            if (HandleFunctionPairs.IsRawHandle(Acquire.ReturnType))
            {
                switch (parent)
                {
                    case AssignmentExpressionSyntax assignment when assignment.IsKind(SyntaxKind.SimpleAssignmentExpression) && assignment.Parent is ExpressionStatementSyntax:
                        return AddHandle(Model.GetSymbolInfo(assignment.Left).Symbol);
                    case EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }:
                        return AddHandle(Model.GetDeclaredSymbol(declarator));
                    default:
                        return false;
                }
            }

            var outParameter = Acquire.Parameters.First(p => p.RefKind == RefKind.Out && HandleFunctionPairs.IsRawHandle(p.Type));
            var argument = ArgumentFor(invocation, outParameter.Ordinal, CancellationToken.None);
            switch (argument)
            {
                case DeclarationExpressionSyntax { Designation: SingleVariableDesignationSyntax designation } declaration:
                    if (!declaration.Type.IsVar)
                    {
                        _retypes.Add(declaration.Type);
                    }

                    return AddHandle(Model.GetDeclaredSymbol(designation));
                case ExpressionSyntax expression:
                    return AddHandle(Model.GetSymbolInfo(expression).Symbol);
                default:
                    return false;
            }
        }

        private bool AddHandle(ISymbol? symbol)
        {
            if (symbol is IFieldSymbol field && SymbolEqualityComparer.Default.Equals(field.ContainingType, Owner))
            {
                _handles.Add(field);
                return true;
            }

            if (symbol is ILocalSymbol local && local.DeclaringSyntaxReferences.Length == 1)
            {
                if (_handles.Add(local) && local.DeclaringSyntaxReferences[0].GetSyntax() is VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax declaration })
                {
                    if (declaration.Variables.Count != 1)
                    {
                        return false;
                    }

                    if (!declaration.Type.IsVar)
                    {
                        _retypes.Add(declaration.Type);
                    }
                }

                return true;
            }

            return false;
        }

        /// <summary>
        /// A private instance field of its own declaration, assigned in every constructor's top-level statements (or by
        /// its initializer): then the SafeHandle field is never null and needs no nullable annotation or null checks.
        /// </summary>
        private bool PlanField(IFieldSymbol field, SyntaxNode root, CancellationToken cancellationToken)
        {
            if (field.IsStatic || field.DeclaredAccessibility != Accessibility.Private || !DeclaredIn(field, root.SyntaxTree)
                || !HandleFunctionPairs.IsRawHandle(field.Type)
                || field.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax declarator
                || declarator.Parent is not VariableDeclarationSyntax declaration || declaration.Variables.Count != 1)
            {
                return false;
            }

            _retypes.Add(declaration.Type);
            RawTypeSpelling ??= declaration.Type;
            var initializedByAcquire = false;
            if (declarator.Initializer != null)
            {
                if (IsZero(declarator.Initializer.Value))
                {
                    _zeroInitializers.Add(declarator);
                }
                else if (OperationTree.SkipParentheses(declarator.Initializer.Value) is InvocationExpressionSyntax call
                    && SymbolEqualityComparer.Default.Equals(Model.GetSymbolInfo(call, cancellationToken).Symbol?.OriginalDefinition, Acquire))
                {
                    initializedByAcquire = true;
                }
                else
                {
                    return false;
                }
            }

            if (initializedByAcquire)
            {
                return true;
            }

            var constructors = OwnerSyntax.Members.OfType<ConstructorDeclarationSyntax>().Where(c => !c.Modifiers.Any(SyntaxKind.StaticKeyword)).ToList();
            if (constructors.Count == 0)
            {
                return false;
            }

            foreach (var constructor in constructors)
            {
                if (constructor.Initializer?.IsKind(SyntaxKind.ThisConstructorInitializer) == true)
                {
                    continue;
                }

                if (constructor.Body == null || !constructor.Body.Statements.Any(s => AssignsAtTopLevel(s, field, cancellationToken)))
                {
                    return false;
                }
            }

            return true;
        }

        private bool AssignsAtTopLevel(StatementSyntax statement, IFieldSymbol field, CancellationToken cancellationToken)
        {
            foreach (var name in statement.DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                if (name.Identifier.ValueText != field.Name || !SymbolEqualityComparer.Default.Equals(Model.GetSymbolInfo(name, cancellationToken).Symbol, field))
                {
                    continue;
                }

                var use = UseOf(name);
                var written = (use.Parent is AssignmentExpressionSyntax assignment && assignment.Left == use && assignment.Parent == statement && !IsZero(assignment.Right))
                    || (use.Parent is ArgumentSyntax argument && argument.RefKindKeyword.IsKind(SyntaxKind.OutKeyword) && IsUnconditional(argument, statement));
                if (written)
                {
                    return true;
                }
            }

            return false;
        }

        // An out argument of the first call in an expression statement, declaration or if condition is always written.
        private static bool IsUnconditional(ArgumentSyntax argument, StatementSyntax statement)
        {
            for (SyntaxNode? node = argument.Parent; node != null && node != statement; node = node.Parent)
            {
                if (node is ConditionalExpressionSyntax || node is BinaryExpressionSyntax binary && (binary.IsKind(SyntaxKind.LogicalAndExpression) || binary.IsKind(SyntaxKind.LogicalOrExpression) || binary.IsKind(SyntaxKind.CoalesceExpression))
                    || node is ConditionalAccessExpressionSyntax || node is BlockSyntax || node is LambdaExpressionSyntax)
                {
                    return false;
                }
            }

            return true;
        }

        private bool ClassifyUse(ISymbol handle, ExpressionSyntax use, CancellationToken cancellationToken)
        {
            switch (use.Parent)
            {
                case AssignmentExpressionSyntax assignment when assignment.IsKind(SyntaxKind.SimpleAssignmentExpression) && assignment.Left == use:
                    var value = OperationTree.SkipParentheses(assignment.Right);
                    if (value is InvocationExpressionSyntax call && SymbolEqualityComparer.Default.Equals(Model.GetSymbolInfo(call, cancellationToken).Symbol?.OriginalDefinition, Acquire))
                    {
                        return true;
                    }

                    if (Model.GetSymbolInfo(value, cancellationToken).Symbol is ILocalSymbol source && _handles.Contains(source) && assignment.Parent is ExpressionStatementSyntax)
                    {
                        return true;
                    }

                    if (handle is IFieldSymbol && IsZero(value) && assignment.Parent is ExpressionStatementSyntax { Parent: BlockSyntax } zeroing)
                    {
                        _removals.Add(zeroing);
                        return true;
                    }

                    return false;
                case AssignmentExpressionSyntax assignment when assignment.IsKind(SyntaxKind.SimpleAssignmentExpression) && assignment.Right == use:
                    return handle is ILocalSymbol && assignment.Parent is ExpressionStatementSyntax
                        && Model.GetSymbolInfo(assignment.Left, cancellationToken).Symbol is IFieldSymbol target && _handles.Contains(target);
                case ArgumentSyntax argument when argument.Parent is ArgumentListSyntax { Parent: InvocationExpressionSyntax invocation }:
                    if (argument.RefKindKeyword.IsKind(SyntaxKind.OutKeyword))
                    {
                        return SymbolEqualityComparer.Default.Equals(Model.GetSymbolInfo(invocation, cancellationToken).Symbol?.OriginalDefinition, Acquire);
                    }

                    if (!argument.RefKindKeyword.IsKind(SyntaxKind.None)
                        || Model.GetOperation(invocation, cancellationToken) is not Microsoft.CodeAnalysis.Operations.IInvocationOperation operation)
                    {
                        return false;
                    }

                    var parameter = operation.Arguments.FirstOrDefault(a => a.Syntax == argument)?.Parameter;
                    var method = operation.TargetMethod.OriginalDefinition;
                    if (parameter == null || !HandleFunctionPairs.IsRawHandle(parameter.Type) || parameter.RefKind != RefKind.None || method.GetDllImportData() == null)
                    {
                        return false;
                    }

                    if (SymbolEqualityComparer.Default.Equals(method, Release))
                    {
                        if (invocation.Parent is ExpressionStatementSyntax statement)
                        {
                            _releases.Add((statement, use));
                            return true;
                        }

                        if (invocation.Parent is ArrowExpressionClauseSyntax arrow
                            && (arrow.Parent is DestructorDeclarationSyntax
                                || (arrow.Parent is MethodDeclarationSyntax { ReturnType: PredefinedTypeSyntax returnType } && returnType.Keyword.IsKind(SyntaxKind.VoidKeyword))))
                        {
                            _releases.Add((invocation, use));
                            return true;
                        }

                        return false;
                    }

                    // A second release (mylib_ctx_close next to mylib_ctx_destroy) would release what the SafeHandle releases again.
                    if (SymbolEqualityComparer.Default.Equals(method, Acquire) || HandleFunctionPairs.IsReleaseName(method.Name))
                    {
                        return false;
                    }

                    if (!_retypedParameters.TryGetValue(method, out var ordinals))
                    {
                        _retypedParameters[method] = ordinals = new HashSet<int>();
                    }

                    ordinals.Add(parameter.Ordinal);
                    _handleArguments.Add(use);
                    return true;
                case BinaryExpressionSyntax comparison when comparison.IsKind(SyntaxKind.EqualsExpression) || comparison.IsKind(SyntaxKind.NotEqualsExpression):
                    var other = comparison.Left == use ? comparison.Right : comparison.Left;
                    if (!IsZero(other))
                    {
                        return false;
                    }

                    _checks.Add((comparison, use, comparison.IsKind(SyntaxKind.EqualsExpression)));
                    return true;
                default:
                    return false;
            }
        }

        private bool IsZero(ExpressionSyntax expression)
        {
            expression = OperationTree.SkipParentheses(expression);
            if (expression.IsKind(SyntaxKind.DefaultLiteralExpression) || expression is DefaultExpressionSyntax)
            {
                return true;
            }

            var constant = Model.GetConstantValue(expression);
            if (constant.HasValue && constant.Value is int i && i == 0)
            {
                return true;
            }

            return Model.GetSymbolInfo(expression).Symbol is IFieldSymbol { Name: "Zero" } zero && zero.ContainingType.SpecialType == SpecialType.System_IntPtr;
        }

        /// <summary>
        /// A finalizer that only released handles goes (the SafeHandle is finalized by the runtime), and with it the
        /// class's <c>GC.SuppressFinalize(this)</c>. Any other finalizer that touches a handle could run on an object
        /// whose constructor threw before the field was set (directly or through <c>Dispose(false)</c>), so the rewrite
        /// is not offered when a finalizer would stay.
        /// </summary>
        private bool PlanFinalizer(CancellationToken cancellationToken)
        {
            var finalizer = OwnerSyntax.Members.OfType<DestructorDeclarationSyntax>().FirstOrDefault();
            if (finalizer == null)
            {
                return true;
            }

            var onlyReleases = finalizer.Body != null
                ? finalizer.Body.Statements.All(OnlyReleases)
                : finalizer.ExpressionBody != null && _releases.Any(r => r.Statement == finalizer.ExpressionBody.Expression);
            if (!onlyReleases && !OnlyCallsDisposeFalse(finalizer, cancellationToken))
            {
                return false;
            }

            RemovedFinalizer = finalizer;
            foreach (var statement in OwnerSyntax.DescendantNodes().OfType<ExpressionStatementSyntax>())
            {
                if (statement.Parent is BlockSyntax && statement.Expression is InvocationExpressionSyntax call
                    && Model.GetSymbolInfo(call, cancellationToken).Symbol is IMethodSymbol { Name: "SuppressFinalize" } suppress
                    && suppress.ContainingType.ToDisplayString() == "System.GC")
                {
                    _removals.Add(statement);
                }
            }

            return true;
        }

        /// <summary>
        /// <c>~C() => Dispose(false);</c> where nothing else calls <c>Dispose(false)</c> and no derived class can
        /// override it: without the finalizer, <c>Dispose(bool)</c> only runs from <c>Dispose()</c>, on a fully
        /// constructed object, and the SafeHandle's own finalizer covers the forgotten <c>Dispose()</c>.
        /// </summary>
        private bool OnlyCallsDisposeFalse(DestructorDeclarationSyntax finalizer, CancellationToken cancellationToken)
        {
            var call = InteropGuard.Interop.SingleCallShape.OnlyCall(finalizer);
            if (call == null || !IsBoolArgument(call, SyntaxKind.FalseLiteralExpression)
                || Model.GetSymbolInfo(call, cancellationToken).Symbol is not IMethodSymbol dispose
                || !SymbolEqualityComparer.Default.Equals(dispose.ContainingType, Owner)
                || (dispose.IsVirtual || dispose.IsOverride || dispose.IsAbstract)
                || (dispose.DeclaredAccessibility != Accessibility.Private && !Owner.IsSealed))
            {
                return false;
            }

            foreach (var name in OwnerSyntax.DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                if (name.Identifier.ValueText != dispose.Name || !SymbolEqualityComparer.Default.Equals(Model.GetSymbolInfo(name, cancellationToken).Symbol, dispose))
                {
                    continue;
                }

                if (name.Parent is not InvocationExpressionSyntax other || other.Expression != name
                    || (other != call && !IsBoolArgument(other, SyntaxKind.TrueLiteralExpression)))
                {
                    return false;
                }
            }

            return true;
        }

        private static bool IsBoolArgument(InvocationExpressionSyntax call, SyntaxKind literal)
            => call.ArgumentList.Arguments.Count == 1 && call.ArgumentList.Arguments[0].Expression.IsKind(literal);

        private bool OnlyReleases(StatementSyntax statement)
        {
            switch (statement)
            {
                case BlockSyntax block:
                    return block.Statements.All(OnlyReleases);
                case IfStatementSyntax check:
                    return check.Else == null && _checks.Any(c => c.Comparison == OperationTree.SkipParentheses(check.Condition)) && OnlyReleases(check.Statement);
                case ExpressionStatementSyntax expression:
                    return _releases.Any(r => r.Statement == expression) || _removals.Contains(expression);
                default:
                    return false;
            }
        }

        /// <summary>Applies the plan; the caller formats and simplifies.</summary>
        public async Task<Document> ApplyAsync(CancellationToken cancellationToken)
        {
            var editor = await DocumentEditor.CreateAsync(Document, cancellationToken).ConfigureAwait(false);
            var generator = editor.Generator;
            var handleType = SyntaxFactory.IdentifierName(HandleName);

            bool Kept(SyntaxNode node) => RemovedFinalizer == null || !RemovedFinalizer.Span.Contains(node.Span);

            foreach (var type in _retypes.Distinct())
            {
                editor.ReplaceNode(type, handleType.WithTriviaFrom(type));
            }

            foreach (var declarator in _zeroInitializers)
            {
                editor.ReplaceNode(declarator, declarator.WithInitializer(null).WithTrailingTrivia(declarator.Initializer!.GetTrailingTrivia()));
            }

            foreach (var (statement, handle) in _releases.Where(r => Kept(r.Statement)))
            {
                var dispose = (ExpressionSyntax)generator.InvocationExpression(generator.MemberAccessExpression(handle.WithoutTrivia(), "Dispose"));
                editor.ReplaceNode(statement, statement is StatementSyntax ? SyntaxFactory.ExpressionStatement(dispose).WithTriviaFrom(statement) : dispose.WithTriviaFrom(statement));
            }

            foreach (var (comparison, handle, isInvalid) in _checks.Where(c => Kept(c.Comparison)))
            {
                var property = (ExpressionSyntax)generator.MemberAccessExpression(handle.WithoutTrivia(), "IsInvalid");
                var replacement = isInvalid ? property : SyntaxFactory.PrefixUnaryExpression(SyntaxKind.LogicalNotExpression, property);
                editor.ReplaceNode(comparison, replacement.WithTriviaFrom(comparison));
            }

            foreach (var node in _removals.Where(Kept).Distinct())
            {
                editor.RemoveNode(node, SyntaxRemoveOptions.KeepNoTrivia);
            }

            if (RemovedFinalizer != null)
            {
                editor.RemoveNode(RemovedFinalizer, SyntaxRemoveOptions.KeepNoTrivia);
            }

            var handleClass = CreateHandleClass(generator);
            if (NestInOwner)
            {
                editor.AddMember(OwnerSyntax, handleClass);
            }
            else
            {
                editor.InsertAfter(LastGeneratedHandleAfterOwner(), handleClass);
            }

            return editor.GetChangedDocument();
        }

        // Handle classes generated earlier for this class (Fix All) stay in the order they were generated.
        private SyntaxNode LastGeneratedHandleAfterOwner()
        {
            SyntaxNode anchor = OwnerSyntax;
            var siblings = OwnerSyntax.Parent!.ChildNodes().OfType<MemberDeclarationSyntax>().ToList();
            for (var i = siblings.IndexOf(OwnerSyntax) + 1; i < siblings.Count; i++)
            {
                if (siblings[i] is not ClassDeclarationSyntax next || next.BaseList == null
                    || !(Model.GetDeclaredSymbol(next) is INamedTypeSymbol type && type.BaseType?.ToDisplayString() == "System.Runtime.InteropServices.SafeHandle"))
                {
                    break;
                }

                anchor = next;
            }

            return anchor;
        }

        private SyntaxNode CreateHandleClass(SyntaxGenerator generator)
        {
            var compilation = Model.Compilation;
            var safeHandle = compilation.GetTypeByMetadataName("System.Runtime.InteropServices.SafeHandle")!;
            // Spelled as the user spelled the field's type (IntPtr or nint): the simplifier would pick one for them.
            var zero = SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, RawTypeSpelling!.WithoutTrivia(), SyntaxFactory.IdentifierName("Zero"));
            var handleField = generator.IdentifierName("handle");

            var constructor = ((ConstructorDeclarationSyntax)generator.ConstructorDeclaration(HandleName, accessibility: Accessibility.Public))
                .WithInitializer(SyntaxFactory.ConstructorInitializer(
                    SyntaxKind.BaseConstructorInitializer,
                    SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(new[]
                    {
                        SyntaxFactory.Argument((ExpressionSyntax)zero),
                        SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.TrueLiteralExpression))
                            .WithNameColon(SyntaxFactory.NameColon("ownsHandle")),
                    }))));

            var isInvalid = SyntaxFactory.PropertyDeclaration(SyntaxFactory.PredefinedType(SyntaxFactory.Token(SyntaxKind.BoolKeyword)), "IsInvalid")
                .WithModifiers(SyntaxFactory.TokenList(SyntaxFactory.Token(SyntaxKind.PublicKeyword), SyntaxFactory.Token(SyntaxKind.OverrideKeyword)))
                .WithExpressionBody(SyntaxFactory.ArrowExpressionClause(SyntaxFactory.BinaryExpression(SyntaxKind.EqualsExpression, SyntaxFactory.IdentifierName("handle"), zero)))
                .WithSemicolonToken(SyntaxFactory.Token(SyntaxKind.SemicolonToken));

            var releaseCall = generator.InvocationExpression(
                generator.MemberAccessExpression(generator.TypeExpression(Release.ContainingType, addImport: true), Release.Name),
                handleField);
            var returnType = Release.ReturnType;
            var isStatus = !HandleFunctionPairs.CountsReferences(Release.Name) && IsInteger(returnType);
            var body = returnType.SpecialType == SpecialType.System_Boolean
                ? new[] { generator.ReturnStatement(releaseCall) }
                : isStatus
                    ? new[] { generator.ReturnStatement(SyntaxFactory.BinaryExpression(SyntaxKind.EqualsExpression, (ExpressionSyntax)releaseCall, (ExpressionSyntax)generator.LiteralExpression(0))) }
                    : new[] { generator.ExpressionStatement(releaseCall), generator.ReturnStatement(generator.TrueLiteralExpression()) };
            var releaseHandle = generator.MethodDeclaration(
                "ReleaseHandle",
                returnType: generator.TypeExpression(SpecialType.System_Boolean),
                accessibility: Accessibility.Protected,
                modifiers: DeclarationModifiers.Override,
                statements: body);

            var declaration = generator.ClassDeclaration(
                HandleName,
                accessibility: HandleAccessibility,
                modifiers: DeclarationModifiers.Sealed,
                baseType: generator.TypeExpression(safeHandle, addImport: true),
                members: new[] { constructor, (SyntaxNode)isInvalid, releaseHandle });
            var newLine = OwnerSyntax.SyntaxTree.GetText().ToString().Contains("\r\n") ? "\r\n" : "\n";
            return declaration
                .WithLeadingTrivia(SyntaxFactory.EndOfLine(newLine))
                .WithAdditionalAnnotations(Formatter.Annotation);
        }

        private static bool IsInteger(ITypeSymbol type)
        {
            switch (type.SpecialType)
            {
                case SpecialType.System_Int32:
                case SpecialType.System_UInt32:
                case SpecialType.System_Int64:
                case SpecialType.System_UInt64:
                case SpecialType.System_Int16:
                case SpecialType.System_UInt16:
                case SpecialType.System_Byte:
                case SpecialType.System_SByte:
                    return true;
                default:
                    return false;
            }
        }
    }
}
