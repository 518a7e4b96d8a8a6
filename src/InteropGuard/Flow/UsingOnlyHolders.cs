using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// A holder of SafeHandles that only a <c>using</c> holds: an internal sealed class whose private SafeHandle field is
    /// written only by its constructors (from a parameter the caller gave up: a fresh handle, or a <c>ref</c> to a local
    /// made only of fresh handles that the constructor nulls), touched elsewhere only by the disposer and by raw-value
    /// reads, every creation of which becomes, directly or through one closed factory that only returns it, a <c>using</c>
    /// local of its caller that is only the receiver of the holder's own methods. The method reading the raw value is
    /// called only on such locals, and what it returns lives in a local inside the <c>using</c>, given only to native
    /// calls. Then nobody but the thread inside the <c>using</c> can dispose the handles, and it does so only after the
    /// raw values are dead. libheif-sharp's <c>UserDescriptionProperty.NativeData</c> holds the four strings of a property
    /// this way. Whole-compilation facts, asked only where a finding is about to be reported, cached per field, type and
    /// method.
    /// </summary>
    internal sealed class UsingOnlyHolders
    {
        private readonly InteropContext _context;
        private readonly ConcurrentDictionary<IFieldSymbol, bool> _fields = ConcurrentTables.Create<IFieldSymbol, bool>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<INamedTypeSymbol, bool> _types = ConcurrentTables.Create<INamedTypeSymbol, bool>(SymbolEqualityComparer.Default);
        private readonly ConcurrentDictionary<IMethodSymbol, bool> _readers = ConcurrentTables.Create<IMethodSymbol, bool>(SymbolEqualityComparer.Default);

        private UsingOnlyHolders(InteropContext context)
        {
            _context = context;
        }

        /// <summary>The compilation's one reading, held by its context.</summary>
        public static UsingOnlyHolders Of(InteropContext context) => context.Held.Get(c => new UsingOnlyHolders(c));

        /// <summary>
        /// <c>this.f.DangerousGetHandle()</c> in <paramref name="method"/> (a method of the holder, not a nested function),
        /// whose raw value is only given to native calls or stored into the struct the method returns.
        /// </summary>
        public bool IsHeldOnlyByUsing(IOperation receiver, IMethodSymbol method, IReadOnlyList<IOperation> storeSites, CancellationToken cancellationToken)
        {
            if (OperationTree.SkipConversions(receiver) is not IFieldReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }, Field: var field }
                || method.IsStatic || method.MethodKind != MethodKind.Ordinary
                || !SymbolEqualityComparer.Default.Equals(field.ContainingType?.OriginalDefinition, method.ContainingType?.OriginalDefinition)
                || !storeSites.All(IsStoreIntoReturnedStruct))
            {
                return false;
            }

            var key = field.OriginalDefinition;
            if (!(_fields.TryGetValue(key, out var held) ? held : _fields.GetOrAdd(key, ReadField(key, cancellationToken))))
            {
                return false;
            }

            var reader = method.OriginalDefinition;
            return _readers.TryGetValue(reader, out var inside) ? inside : _readers.GetOrAdd(reader, ReadReader(reader, cancellationToken));
        }

        // 'return new S { h = raw }': the struct goes to the caller, whose local is read by ReadReader.
        private static bool IsStoreIntoReturnedStruct(IOperation site)
        {
            if (site is not ISimpleAssignmentOperation { Target: IFieldReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver, Type.IsValueType: true } } })
            {
                return false;
            }

            for (var current = site.Parent; current != null; current = current.Parent)
            {
                if (current is IObjectCreationOperation creation)
                {
                    return OperationTree.WithConversions(creation).Parent is IReturnOperation;
                }
            }

            return false;
        }

        // ---- the field: written only by constructors from parameters the creator gave up ----

        private bool ReadField(IFieldSymbol field, CancellationToken cancellationToken)
        {
            if (field.DeclaredAccessibility != Accessibility.Private || field.IsStatic || !_context.Types.IsSafeHandle(field.Type)
                || field.ContainingType is not { } holder || !IsClosedHolder(holder))
            {
                return false;
            }

            foreach (var reference in FieldReferencesInType.Of(_context.Compilation, field, holder, cancellationToken))
            {
                var member = reference.SemanticModel?.GetEnclosingSymbol(reference.Syntax.SpanStart, cancellationToken);
                if (member is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor && SymbolEqualityComparer.Default.Equals(constructor.ContainingType, holder))
                {
                    if (!IsStoreOfGivenUpParameter(reference, constructor))
                    {
                        return false;
                    }
                }
                else if (!(member is IMethodSymbol disposer && IsDisposer(disposer)) && !IsRawValueRead(reference))
                {
                    return false;
                }
            }

            return _types.TryGetValue(holder, out var used) ? used : _types.GetOrAdd(holder, ReadCreations(holder, cancellationToken));
        }

        // Internal, sealed, built on types whose code is in the compilation and never hands 'this' to anyone.
        private bool IsClosedHolder(INamedTypeSymbol holder)
        {
            if (!holder.IsSealed || holder.TypeKind != TypeKind.Class || holder.IsGenericType || SymbolVisibility.IsVisibleOutsideTheCompilation(holder))
            {
                return false;
            }

            for (var type = holder; type != null && type.SpecialType != SpecialType.System_Object; type = type.BaseType)
            {
                if (type.DeclaringSyntaxReferences.IsEmpty || !SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, _context.Compilation.Assembly))
                {
                    return false;
                }

                foreach (var declaration in type.DeclaringSyntaxReferences.Select(r => r.GetSyntax()))
                {
                    // 'this' as a value (an argument, a store, a return), or a finalizer that may run beside a use.
                    if (declaration.DescendantNodes().Any(n => (n is ThisExpressionSyntax && !(n.Parent is MemberAccessExpressionSyntax access && access.Expression == n) && !IsGivenToTheCollector(n))
                                                               || n is DestructorDeclarationSyntax))
                    {
                        return false;
                    }
                }
            }

            return true;
        }

        // 'GC.SuppressFinalize(this)' in the disposer pattern: the collector keeps nothing.
        private bool IsGivenToTheCollector(SyntaxNode value)
            => value.Parent is ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax call } }
               && _context.Compilation.ContainsSyntaxTree(call.SyntaxTree)
#pragma warning disable RS1030 // Only for a 'this' argument in a holder's declarations, once per holder field; cached.
               && _context.Compilation.GetSemanticModel(call.SyntaxTree).GetSymbolInfo(call).Symbol is IMethodSymbol { ContainingType: var type }
               && SymbolEqualityComparer.Default.Equals(type, _context.Types.GC);
#pragma warning restore RS1030

        // 'this.f = p;' in a constructor whose every statement is such a store or 'p = null;' for a 'ref' parameter it took,
        // with no chained 'this(...)' and no arguments to the base.
        private static bool IsStoreOfGivenUpParameter(IFieldReferenceOperation reference, IMethodSymbol constructor)
        {
            if (reference.Parent is not ISimpleAssignmentOperation { Value: IParameterReferenceOperation { Parameter: var parameter } } assignment
                || assignment.Target != reference || !SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol, constructor)
                || constructor.DeclaringSyntaxReferences.Length != 1
                || constructor.DeclaringSyntaxReferences[0].GetSyntax() is not ConstructorDeclarationSyntax { Body: { } body } declaration
                || declaration.Initializer is { } initializer && (initializer.IsKind(SyntaxKind.ThisConstructorInitializer) || initializer.ArgumentList.Arguments.Count > 0))
            {
                return false;
            }

            var nulled = false;
            foreach (var statement in body.Statements)
            {
                if (statement is not ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } store })
                {
                    return false;
                }

                if (store.Right.IsKind(SyntaxKind.NullLiteralExpression) && store.Left is IdentifierNameSyntax name)
                {
                    nulled |= name.Identifier.ValueText == parameter.Name;
                }
                else if (!(store.Right is IdentifierNameSyntax && (store.Left is IdentifierNameSyntax || store.Left is MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax })))
                {
                    return false;
                }
            }

            return parameter.RefKind == RefKind.None || (parameter.RefKind == RefKind.Ref && nulled);
        }

        private static bool IsDisposer(IMethodSymbol method) => method.Name == "Dispose" || method.MethodKind == MethodKind.Destructor;

        // 'f.DangerousGetHandle()' or a state check of the handle.
        private static bool IsRawValueRead(IFieldReferenceOperation reference)
            => OperationTree.WithConversions(reference).Parent switch
            {
                IInvocationOperation call => call.Instance != null && OperationTree.SkipConversions(call.Instance) == reference && call.TargetMethod.Name == "DangerousGetHandle",
                IPropertyReferenceOperation property => property.Property.Name is "IsInvalid" or "IsClosed",
                _ => false,
            };

        // ---- the holder's creations: each ends in a using local lent to no one ----

        private bool ReadCreations(INamedTypeSymbol holder, CancellationToken cancellationToken)
        {
            var symbols = new ISymbol[] { holder };
            var creations = 0;
            foreach (var tree in _context.Compilation.SyntaxTrees)
            {
                var named = false;
                foreach (var reference in NameReferences.InTree(symbols, holder.Name, tree, _context, cancellationToken))
                {
                    named = true;
                    SyntaxNode node = reference.Name.Parent is QualifiedNameSyntax qualified && qualified.Right == reference.Name ? qualified : reference.Name;
                    switch (node.Parent)
                    {
                        case ObjectCreationExpressionSyntax creation when creation.Type == node:
                            if (reference.Model.GetOperation(creation, cancellationToken) is not IObjectCreationOperation made || !IsGivenToUsing(made, cancellationToken))
                            {
                                return false;
                            }

                            creations++;
                            break;

                        // A local's or a factory's declared type; anything else (a parameter, a field, an element, a cast)
                        // lets the holder travel where this reading does not look.
                        case VariableDeclarationSyntax { Parent: LocalDeclarationStatementSyntax or UsingStatementSyntax } declaration when declaration.Type == node:
                        case MethodDeclarationSyntax method when method.ReturnType == node:
                            break;
                        default:
                            return false;
                    }
                }

                // A target-typed 'new()' of the holder is a creation this reading did not follow.
#pragma warning disable RS1030 // Only in the trees that name the holder, once per holder; cached.
                if (named && tree.GetRoot(cancellationToken).DescendantNodes().OfType<ImplicitObjectCreationExpressionSyntax>().ToList() is { Count: > 0 } targetTyped)
                {
                    var model = _context.Compilation.GetSemanticModel(tree);
                    if (targetTyped.Any(n => SymbolEqualityComparer.Default.Equals(model.GetTypeInfo(n, cancellationToken).Type, holder)))
                    {
                        return false;
                    }
                }
#pragma warning restore RS1030
            }

            return creations > 0;
        }

        // The creation's handle arguments given up, and the holder a using local of its function or of every caller of the
        // closed factory that only returns it.
        private bool IsGivenToUsing(IObjectCreationOperation creation, CancellationToken cancellationToken)
        {
            var body = OperationTree.Root(creation);
            if (OperationTree.IsInNestedFunction(creation, body) || !creation.Arguments.All(a => IsGivenUp(a, body)))
            {
                return false;
            }

            var value = OperationTree.WithConversions(creation);
            if (UsingLocal(value) is { } local)
            {
                return IsLentToNoOne(local, body);
            }

            // 'made = new Holder(...); ... return made;' in a factory only using locals receive.
            ILocalSymbol? made = value.Parent switch
            {
                IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
                ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when assignment.Value == value => target.Local,
                _ => null,
            };
            if (made == null || creation.SemanticModel?.GetEnclosingSymbol(creation.Syntax.SpanStart, cancellationToken) is not IMethodSymbol factory
                || !MethodCallers.Of(_context).IsClosed(factory) || !IsOnlyReturned(made, body))
            {
                return false;
            }

            var calls = MethodCallers.Of(_context).CallsOf(factory, cancellationToken);
            return calls is { Count: > 0 } && calls.All(c => UsingLocal(OperationTree.WithConversions(c.Invocation)) is { } held && IsLentToNoOne(held, OperationTree.Root(c.Invocation)));
        }

        // A handle argument: a fresh one by value, or a 'ref' to a local every write of which is fresh or null (one fresh)
        // and that is otherwise only disposed (after the constructor nulled it) or tested for null.
        private bool IsGivenUp(IArgumentOperation argument, IOperation body)
        {
            if (!_context.Types.IsSafeHandle(argument.Parameter?.Type))
            {
                return true;
            }

            var fresh = new FreshHandleFactories(_context, new ValueUses(_context, _context.ForTree(argument.Syntax.SyntaxTree)));
            if (argument.Parameter!.RefKind == RefKind.None)
            {
                return fresh.IsFresh(argument.Value);
            }

            return argument.Parameter.RefKind == RefKind.Ref && argument.Value is ILocalReferenceOperation { Local: { IsRef: false } local }
                   && fresh.IsMadeOnlyOfFresh(local, body, r => r == argument.Value || IsDisposedOrTested(r));
        }

        private static bool IsDisposedOrTested(ILocalReferenceOperation reference)
            => OperationTree.WithConversions(reference).Parent switch
            {
                IConditionalAccessOperation access => access.WhenNotNull is IInvocationOperation { TargetMethod.Name: "Dispose", Arguments.Length: 0 },
                IInvocationOperation call => call.Instance != null && OperationTree.SkipConversions(call.Instance) == reference && call.TargetMethod.Name == "Dispose" && call.Arguments.Length == 0,
                _ => OperationTree.IsNullTested(reference),
            };

        // The local the value initializes in a 'using (var x = ...)' or 'using var x = ...;'.
        private static ILocalSymbol? UsingLocal(IOperation value)
        {
            if (value.Parent is not IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }
                || declarator.Parent is not IVariableDeclarationOperation { Parent: IVariableDeclarationGroupOperation group })
            {
                return null;
            }

            return group.Parent is IUsingOperation block && block.Resources == group || group.Parent is IUsingDeclarationOperation
                ? declarator.Symbol
                : null;
        }

        // Every reference is the receiver of a call of one of the holder's own instance methods, none in a nested function.
        private static bool IsLentToNoOne(ILocalSymbol local, IOperation body)
            => OperationTree.ReferencesTo(body, local).All(r =>
                !OperationTree.IsInNestedFunction(r, body)
                && r.Parent is IInvocationOperation { TargetMethod: { IsStatic: false } target } call && call.Instance == r
                && SymbolEqualityComparer.Default.Equals(target.ContainingType?.OriginalDefinition, local.Type.OriginalDefinition));

        private static bool IsOnlyReturned(ILocalSymbol local, IOperation body)
            => OperationTree.ReferencesTo(body, local).All(r =>
                !OperationTree.IsInNestedFunction(r, body)
                && (r.Parent is ISimpleAssignmentOperation assignment && assignment.Target == r
                    || OperationTree.WithConversions(r).Parent is IReturnOperation));

        // ---- the reader: called only on such locals, its result dead when the using ends ----

        private bool ReadReader(IMethodSymbol method, CancellationToken cancellationToken)
        {
            var callers = MethodCallers.Of(_context);
            if (!callers.IsClosed(method) || callers.CallsOf(method, cancellationToken) is not { Count: > 0 } calls)
            {
                return false;
            }

            foreach (var call in calls)
            {
                var invocation = call.Invocation;
                var body = OperationTree.Root(invocation);
                if (invocation.Instance is not ILocalReferenceOperation { Local: var holder } || UsingLocal(FirstWrite(holder, body)) == null)
                {
                    return false;
                }

                var result = OperationTree.WithConversions(invocation).Parent;
                if (result is IExpressionStatementOperation)
                {
                    continue;
                }

                if (result is not IVariableInitializerOperation { Parent: IVariableDeclaratorOperation { Symbol: var kept } } || !IsOnlyGivenToNativeCalls(kept, body))
                {
                    return false;
                }
            }

            return true;
        }

        private static IOperation FirstWrite(ILocalSymbol local, IOperation body)
            => body.Descendants().OfType<IVariableDeclaratorOperation>().FirstOrDefault(d => SymbolEqualityComparer.Default.Equals(d.Symbol, local))?.Initializer?.Value is { } value
                ? OperationTree.WithConversions(value)
                : body;

        // The struct is declared in the using's scope (the reader is only called there) and is only an argument of native
        // calls, by value or by its address: it dies with the scope.
        private bool IsOnlyGivenToNativeCalls(ILocalSymbol local, IOperation body)
        {
            var natives = HeldNativeFunctions.Of(_context);
            return OperationTree.ReferencesTo(body, local).All(r =>
            {
                if (OperationTree.IsInNestedFunction(r, body))
                {
                    return false;
                }

                var value = OperationTree.WithConversions(r);
                if (value.Parent is IAddressOfOperation address)
                {
                    value = OperationTree.WithConversions(address);
                }

                return value.Parent is IArgumentOperation { Parent: IInvocationOperation call } && natives.CalledBy(call) != null;
            });
        }
    }
}
