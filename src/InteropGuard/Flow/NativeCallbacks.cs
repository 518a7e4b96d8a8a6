using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>A method, local function or lambda that native code calls, and how native code got hold of it.</summary>
    internal sealed class NativeCallback
    {
        public NativeCallback(SyntaxNode declaration, string caller, Location callSite)
        {
            Declaration = declaration;
            Caller = caller;
            CallSite = callSite;
        }

        /// <summary>A <see cref="MethodDeclarationSyntax"/>, <see cref="LocalFunctionStatementSyntax"/> or <see cref="AnonymousFunctionExpressionSyntax"/>.</summary>
        public SyntaxNode Declaration { get; }

        /// <summary>The native function it is handed to, <c>Marshal.GetFunctionPointerForDelegate</c>, or <c>[UnmanagedCallersOnly]</c>.</summary>
        public string Caller { get; }

        /// <summary>Where it is handed over; orders several hand-overs of one callback deterministically.</summary>
        public Location CallSite { get; }
    }

    /// <summary>
    /// Which code native code calls: <c>[UnmanagedCallersOnly]</c> methods (the only targets of <c>&amp;Method</c> as an
    /// unmanaged function pointer), and methods, local functions and lambdas passed to a delegate-typed parameter of a
    /// P/Invoke — directly, through a local or field holding them, or through a managed wrapper that forwards the
    /// parameter to native code, as a delegate or as the function pointer made of it (<see cref="DelegatePointerTargets"/>)
    /// — or turned into a pointer by <c>Marshal.GetFunctionPointerForDelegate</c>.
    /// </summary>
    internal sealed class NativeCallbacks
    {
        public const string UnmanagedCallersOnly = "[UnmanagedCallersOnly]";
        private const int MaxValueDepth = 3;

        private readonly InteropContext _context;
        private readonly Lazy<CallbackHandOvers> _handOvers;

        public NativeCallbacks(InteropContext context)
        {
            _context = context;
            _handOvers = new Lazy<CallbackHandOvers>(() => new CallbackHandOvers(context, this, MaxValueDepth), LazyThreadSafetyMode.ExecutionAndPublication);
        }

        /// <summary>Can a call of <paramref name="method"/> hand a callback over? A callback parameter is a delegate; wrappers are source methods with one.</summary>
        /// <remarks>Asked of every call of the compilation: a loop over the parameters, where a query boxed the array.</remarks>
        public static bool MayHandOverCallback(IMethodSymbol method)
        {
            foreach (var parameter in method.Parameters)
            {
                if (parameter.Type.TypeKind == TypeKind.Delegate)
                {
                    return true;
                }
            }

            return method.Name == "GetFunctionPointerForDelegate";
        }

        /// <summary>
        /// Every hand-over of <paramref name="declaration"/> in the compilation, whichever type's analysis asks: the
        /// answer does not depend on the order in which concurrent analysis visits the types.
        /// </summary>
        public ImmutableArray<NativeCallback> AllHandOversOf(SyntaxNode declaration, CancellationToken cancellationToken)
            => _handOvers.Value.Of(declaration, cancellationToken);

        public static bool IsUnmanagedCallersOnly(IMethodSymbol method)
            => method.GetAttributes().Any(a => a.AttributeClass is { Name: "UnmanagedCallersOnlyAttribute" } type
                                                && NamespaceNames.Is(type.ContainingNamespace, "System.Runtime.InteropServices"));

        /// <summary>The callbacks <paramref name="invocation"/> hands to native code.</summary>
        public IEnumerable<NativeCallback> HandedOverBy(IInvocationOperation invocation, InteropScope scope, CancellationToken cancellationToken)
        {
            var method = invocation.TargetMethod;
            var native = _context.NativeFunctions.Get(method);
            var isPointerForDelegate = _context.Types.IsDelegatePointerConversion(method);
            foreach (var argument in invocation.Arguments)
            {
                var parameter = argument.Parameter;
                if (parameter == null || !IsCallbackType(parameter.Type, isPointerForDelegate))
                {
                    continue;
                }

                string? caller = null;
                if (isPointerForDelegate)
                {
                    caller = "Marshal.GetFunctionPointerForDelegate";
                }
                else if (native != null)
                {
                    caller = native.Method.Name;
                }
                else if (method.DeclaringSyntaxReferences.Length > 0)
                {
                    foreach (var (function, nativeParameter) in ParameterSummaries.Of(_context).Get(parameter, scope, 0).NativeTargets.Targets)
                    {
                        if (nativeParameter.Type.TypeKind == TypeKind.Delegate)
                        {
                            caller = function.Method.Name;
                            break;
                        }
                    }

                    // A wrapper that turns the delegate into a function pointer before the native call (PushCFunction).
                    caller ??= DelegatePointerTargets.Of(_context).NativeTarget(parameter, scope)?.Method.Name;
                }

                if (caller == null)
                {
                    continue;
                }

                foreach (var declaration in Resolve(argument.Value, MaxValueDepth, cancellationToken))
                {
                    yield return new NativeCallback(declaration, caller, argument.Syntax.GetLocation());
                }
            }
        }

        private static bool IsCallbackType(ITypeSymbol type, bool anyDelegate)
            => type.TypeKind == TypeKind.Delegate || (anyDelegate && type.SpecialType == SpecialType.System_Delegate)
               || (anyDelegate && type is ITypeParameterSymbol);

        /// <summary>The declarations a delegate-valued expression can stand for (empty when it cannot be followed).</summary>
        private IEnumerable<SyntaxNode> Resolve(IOperation value, int depth, CancellationToken cancellationToken)
        {
            value = OperationTree.SkipConversions(value);
            if (value is IDelegateCreationOperation creation)
            {
                value = OperationTree.SkipConversions(creation.Target);
            }

            switch (value)
            {
                case IAnonymousFunctionOperation lambda when lambda.Syntax is AnonymousFunctionExpressionSyntax syntax:
                    return new[] { syntax };
                case IMethodReferenceOperation reference:
                    return DeclarationOf(reference.Method);
                case ILocalReferenceOperation local when depth > 0:
                    return ValuesStoredIn(local.Local, OperationTree.Root(value)).SelectMany(v => Resolve(v, depth - 1, cancellationToken)).ToList();
                case IFieldReferenceOperation field when depth > 0:
                    return ValuesStoredIn(field.Field, cancellationToken).SelectMany(v => Resolve(v, depth - 1, cancellationToken)).ToList();
                default:
                    return Array.Empty<SyntaxNode>();
            }
        }

        private static IEnumerable<SyntaxNode> DeclarationOf(IMethodSymbol method)
        {
            method = method.PartialImplementationPart ?? method.OriginalDefinition;
            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                var syntax = reference.GetSyntax();
                if (syntax is MethodDeclarationSyntax { Body: not null } || syntax is MethodDeclarationSyntax { ExpressionBody: not null }
                    || syntax is LocalFunctionStatementSyntax)
                {
                    yield return syntax;
                }
            }
        }

        private static IEnumerable<IOperation> ValuesStoredIn(ILocalSymbol local, IOperation root)
        {
            foreach (var operation in root.DescendantsAndSelf())
            {
                switch (operation)
                {
                    case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local) && declarator.Initializer != null:
                        yield return declarator.Initializer.Value;
                        break;
                    case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when SymbolEqualityComparer.Default.Equals(target.Local, local):
                        yield return assignment.Value;
                        break;
                }
            }
        }

        /// <summary>The field's initializer and every assignment to it in its type's declarations.</summary>
        private IEnumerable<IOperation> ValuesStoredIn(IFieldSymbol field, CancellationToken cancellationToken)
        {
            field = field.OriginalDefinition;
            if (!SymbolEqualityComparer.Default.Equals(field.ContainingAssembly, _context.Compilation.Assembly))
            {
                yield break;
            }

            foreach (var typeReference in field.ContainingType.DeclaringSyntaxReferences)
            {
                var typeSyntax = typeReference.GetSyntax(cancellationToken);
#pragma warning disable RS1030 // A field's stores live in its type's declarations, possibly in other trees.
                var model = _context.Compilation.GetSemanticModel(typeSyntax.SyntaxTree);
#pragma warning restore RS1030
                foreach (var node in StoreCandidates(typeSyntax, field.Name))
                {
                    IOperation? stored = null;
                    if (node is VariableDeclaratorSyntax { Initializer: { } initializer } declarator && declarator.Identifier.ValueText == field.Name
                        && SymbolEqualityComparer.Default.Equals(model.GetDeclaredSymbol(declarator, cancellationToken), field))
                    {
                        stored = (model.GetOperation(initializer, cancellationToken) as IFieldInitializerOperation)?.Value;
                    }
                    else if (node is AssignmentExpressionSyntax assignment && assignment.IsKind(SyntaxKind.SimpleAssignmentExpression)
                             && RightmostName(assignment.Left) == field.Name
                             && model.GetOperation(assignment, cancellationToken) is ISimpleAssignmentOperation { Target: IFieldReferenceOperation target } store
                             && SymbolEqualityComparer.Default.Equals(target.Field.OriginalDefinition, field))
                    {
                        stored = store.Value;
                    }

                    if (stored != null)
                    {
                        yield return stored;
                    }
                }
            }
        }

        /// <summary>
        /// The declarators and assignments of <paramref name="typeSyntax"/> that can store to a field named
        /// <paramref name="name"/>, in the order of <c>DescendantNodes()</c>: found from the tokens that spell the name
        /// (<see cref="NameTokens"/>): a declarator's identifier, or the rightmost name of an assignment's target. A walk
        /// of every node of the type for every field handed over was a third of this rule's time on the synthetic interop
        /// code; where the text cannot be trusted, the walk.
        /// </summary>
        private IEnumerable<SyntaxNode> StoreCandidates(SyntaxNode typeSyntax, string name)
        {
            if (NameTokens.Of(typeSyntax, name, _context.Vocabulary) is not { } tokens)
            {
                return typeSyntax.DescendantNodes();
            }

            var candidates = new List<SyntaxNode>();
            foreach (var token in tokens)
            {
                switch (token.Parent)
                {
                    case VariableDeclaratorSyntax declarator when declarator.Identifier == token:
                        candidates.Add(declarator);
                        break;
                    case SimpleNameSyntax simple:
                        SyntaxNode target = simple.Parent is MemberAccessExpressionSyntax access && access.Name == simple ? access : simple;
                        if (target.Parent is AssignmentExpressionSyntax assignment && assignment.Left == target)
                        {
                            candidates.Add(assignment);
                        }

                        break;
                }
            }

            // Preorder: by start, an enclosing node before the nodes it holds.
            candidates.Sort((x, y) => x.SpanStart != y.SpanStart ? x.SpanStart.CompareTo(y.SpanStart) : y.Span.Length.CompareTo(x.Span.Length));
            return candidates;
        }

        private static string? RightmostName(ExpressionSyntax expression)
            => expression switch
            {
                IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
                _ => null,
            };
    }
}
